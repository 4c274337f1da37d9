//! The `serve` subcommand: flags, logging, the runtime, and the signals.

use crate::cli::GlobalArgs;
use crate::serve::{ServeOptions, Server, termination_signal};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Options of `serve`.
#[derive(Debug, Args)]
#[command(
    long_about = "Receive agents' signed reports over HTTPS with mutual TLS.\n\nThe server \
presents DATA/pki/server.pem and requires a client certificate issued by the collector's CA \
(`ca init`, `enroll`); unknown, expired and revoked certificates are refused at the TLS \
handshake. TLS 1.3 and 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305 only.\n\n\
POST /api/v1/reports takes a signed report file as the body (Content-Type: \
application/json). It is verified exactly as `import` verifies a file, its host must be the \
host the client certificate was issued to, and it is stored once: the same report again is \
answered 200 already_stored. 201 means it is on disk. GET /api/v1/health answers 200.\n\n\
Logs go to standard error (RUST_LOG sets the level, e.g. RUST_LOG=debug). SIGTERM or Ctrl-C \
stops accepting, finishes the requests in flight and exits 0.",
    after_help = "Examples:\n  selfcheck-collector serve --listen 0.0.0.0:8443\n  selfcheck-collector serve --listen 10.1.2.3:8443 --log-format json\n  curl --cert client.pem --key client-key.pem --cacert ca.pem https://collector.unit.local:8443/api/v1/health"
)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    /// Open connections at most (more wait in the listen queue).
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Requests per second per client certificate, on average (0: no limit).
    #[arg(long, default_value_t = 2.0)]
    pub rate_per_client: f64,
    /// Requests a client may send in a burst.
    #[arg(long, default_value_t = 20)]
    pub burst_per_client: u32,
    /// Seconds a client has for the TLS handshake and for a request's head.
    #[arg(long, default_value_t = 15)]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, default_value_t = 60)]
    pub body_timeout: u64,
    /// Seconds shutdown waits for requests in flight.
    #[arg(long, default_value_t = 30)]
    pub shutdown_grace: u64,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Run `serve` until SIGTERM or Ctrl-C.
pub fn run_serve(global: &GlobalArgs, args: &ServeArgs) -> Result<ExitCode> {
    init_logging(args.log_format);
    let dir = global.data_dir()?;
    let catalog = global.catalog()?;
    let options = ServeOptions {
        max_connections: args.max_connections.max(1),
        rate_per_client: args.rate_per_client,
        burst_per_client: args.burst_per_client,
        handshake_timeout: Duration::from_secs(args.header_timeout),
        header_timeout: Duration::from_secs(args.header_timeout),
        body_timeout: Duration::from_secs(args.body_timeout),
        shutdown_grace: Duration::from_secs(args.shutdown_grace),
        ..ServeOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(&dir, catalog, args.listen, options).await?;
        let addr = server.local_addr()?;
        // Scripts and tests wait for this line.
        println!("listening on https://{addr}");
        let _ = std::io::stdout().flush();
        tracing::info!(%addr, data = %dir.display(), "serving");
        server.run(termination_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
