//! `serve`: flags to options, logging, and the line scripts wait for.

use super::args::{GlobalArgs, LogFormat, ServeArgs};
use crate::app;
use crate::serve::ServeOptions;
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

/// Run `serve` until SIGTERM or Ctrl-C.
pub fn run_serve(global: &GlobalArgs, args: &ServeArgs) -> Result<ExitCode> {
    init_logging(args.log_format, global.color);
    let dir = global.data_dir()?;
    let catalog = global.catalog()?;
    let options = ServeOptions {
        max_connections: args.max_connections.max(1),
        rate_per_client: args.rate_per_client,
        burst_per_client: args.burst_per_client,
        max_handshakes: args.max_handshakes.max(1),
        handshake_timeout: Duration::from_secs(args.handshake_timeout),
        body_memory: args.body_memory_mib.saturating_mul(1024 * 1024),
        header_timeout: Duration::from_secs(args.header_timeout),
        body_timeout: Duration::from_secs(args.body_timeout),
        shutdown_grace: Duration::from_secs(args.shutdown_grace),
        log_window: Duration::from_secs(args.log_window.max(1)),
        ..ServeOptions::default()
    };
    app::serve::serve(&dir, catalog, args.listen, options, |addr| {
        // Scripts and tests wait for this line.
        println!("listening on https://{addr}");
        let _ = std::io::stdout().flush();
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Logs go to standard error, coloured only when that is a terminal: never
/// escape codes in a log file or the journal.
fn init_logging(format: LogFormat, color: selfcheck_term::color::ColorWhen) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(selfcheck_term::color::stderr_enabled(color));
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
