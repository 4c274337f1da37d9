//! The upload server as a use case: start the runtime, bind, serve until
//! SIGTERM or Ctrl-C, finish the requests in flight.

use crate::serve::{ServeOptions, Server, termination_signal};
use anyhow::{Context, Result};
use selfcheck_catalog::Catalog;
use std::net::SocketAddr;
use std::path::Path;

/// Receive reports on `listen` until a termination signal; `on_listening`
/// gets the bound address once the server accepts connections.
pub fn serve(
    dir: &Path,
    catalog: Catalog,
    listen: SocketAddr,
    options: ServeOptions,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(dir, catalog, listen, options).await?;
        let addr = server.local_addr()?;
        on_listening(addr);
        tracing::info!(%addr, data = %dir.display(), "serving");
        server.run(termination_signal()).await
    })
}
