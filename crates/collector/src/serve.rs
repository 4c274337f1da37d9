//! `selfcheck-collector serve`: receive agents' reports over mutual TLS.
//!
//! One accept loop (tokio), TLS from [`tls`], HTTP/1.1 through hyper and the
//! [`api`] routes (axum), and one store [`writer`] thread that group-commits
//! what the connections hand it. Bad clients are bounded everywhere: the
//! handshake, the request head and the body each have a time limit, bodies a
//! size limit, each client certificate a request rate, and the number of open
//! connections a ceiling (beyond it, new connections wait in the listen
//! queue). SIGTERM or Ctrl-C stops accepting, lets the requests in flight
//! finish (up to a grace period), writes what was queued and exits.

pub mod api;
pub mod ratelimit;
pub mod tls;
pub mod writer;

use crate::pki::{Authority, PeerIdentity, RevokedSerials};
use anyhow::{Context, Result};
use axum::Extension;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use selfcheck_catalog::Catalog;
use selfcheck_ledger::store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

/// How the server behaves toward clients.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Open connections at most; more wait in the listen queue.
    pub max_connections: usize,
    /// Largest request body.
    pub max_body: usize,
    /// Time for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time for a request's head to arrive (also ends idle keep-alive connections).
    pub header_timeout: Duration,
    /// Time for a request's body to arrive.
    pub body_timeout: Duration,
    /// Requests per second per client certificate (0: no limit).
    pub rate_per_client: f64,
    /// Burst of requests per client certificate.
    pub burst_per_client: u32,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// How often the revoked serials are re-read from the store.
    pub revocation_refresh: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 1024,
            max_body: api::DEFAULT_MAX_BODY,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(60),
            rate_per_client: 2.0,
            burst_per_client: 20,
            shutdown_grace: Duration::from_secs(30),
            revocation_refresh: Duration::from_secs(1),
        }
    }
}

/// A bound server, ready to [`Server::run`].
pub struct Server {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<api::AppState>,
    writer: std::thread::JoinHandle<()>,
    revoked: RevokedSerials,
    db_path: std::path::PathBuf,
    options: ServeOptions,
}

impl Server {
    /// Open the store and the CA of `data_dir` and bind `listen`.
    pub async fn bind(
        data_dir: &Path,
        catalog: Catalog,
        listen: SocketAddr,
        options: ServeOptions,
    ) -> Result<Server> {
        let authority = Authority::open(data_dir)?;
        let mut store = Store::open_existing(data_dir)?;
        // Every import's history entry is sealed with the collector key.
        let key = crate::evidence::load_or_create_collector_key(data_dir)?;
        store
            .attach_sealer(Box::new(key))
            .context("cannot seal the history with the collector key")?;
        let db_path = store.path().to_path_buf();
        let revoked = RevokedSerials::load(&store)?;
        let config = tls::server_config(&authority, revoked.clone())
            .map_err(anyhow::Error::msg)
            .context("cannot set up TLS")?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let (queue, writer) = writer::start(store, options.max_connections.max(64))
            .context("cannot start the store writer thread")?;
        let state = Arc::new(api::AppState {
            catalog,
            writer: queue,
            limiter: ratelimit::RateLimiter::new(options.rate_per_client, options.burst_per_client),
            body_timeout: options.body_timeout,
            max_body: options.max_body,
            verifying: Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        });
        Ok(Server {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            state,
            writer,
            revoked,
            db_path,
            options,
        })
    }

    /// The address it listens on (the port, when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `shutdown` completes, then finish gracefully.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let Server {
            listener,
            acceptor,
            state,
            writer,
            revoked,
            db_path,
            options,
        } = self;
        let stop_refresh = Arc::new(AtomicBool::new(false));
        let refresher = spawn_revocation_refresh(
            db_path,
            revoked,
            options.revocation_refresh,
            stop_refresh.clone(),
        );
        let router = api::router(state);
        let slots = Arc::new(Semaphore::new(options.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                _ = &mut shutdown => break,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let (tcp, addr) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let acceptor = acceptor.clone();
            let router = router.clone();
            let mut stop_rx = stop_rx.clone();
            let options = options.clone();
            tokio::spawn(async move {
                let _permit = permit;
                serve_connection(tcp, addr, acceptor, router, &options, &mut stop_rx).await;
            });
        }
        drop(listener);
        tracing::info!("stopping: no new connections; finishing the requests in flight");
        let _ = stop_tx.send(true);
        let all = u32::try_from(options.max_connections).unwrap_or(u32::MAX);
        if tokio::time::timeout(options.shutdown_grace, slots.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!(
                "requests still in flight after {} s were cut off",
                options.shutdown_grace.as_secs()
            );
        }
        // The router held the last writer queue sender; with it gone the
        // writer stores what is queued and ends.
        drop(router);
        stop_refresh.store(true, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let _ = writer.join();
            let _ = refresher.join();
        })
        .await
        .context("the store writer ended abnormally")?;
        tracing::info!("stopped");
        Ok(())
    }
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    addr: SocketAddr,
    acceptor: TlsAcceptor,
    router: axum::Router,
    options: &ServeOptions,
    stop: &mut watch::Receiver<bool>,
) {
    let _ = tcp.set_nodelay(true);
    let tls = match tokio::time::timeout(options.handshake_timeout, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::info!(peer = %addr, error = %e, "TLS handshake refused");
            return;
        }
        Err(_) => {
            tracing::info!(peer = %addr, "TLS handshake timed out");
            return;
        }
    };
    let peer = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .map(|der| PeerIdentity::from_der(der));
    let peer = match peer {
        Some(Ok(p)) => Arc::new(p),
        // The verifier requires a certificate, so this does not happen.
        _ => return,
    };
    let service = TowerToHyperService::new(router.layer(Extension(peer)));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(peer = %addr, error = %e, "connection ended with an error");
            }
        }
        _ = async { let _ = stop.wait_for(|stopping| *stopping).await; } => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Re-read the revoked serials every `every` on a thread of its own (a plain
/// read-only connection; the writer thread owns the store).
fn spawn_revocation_refresh(
    db_path: std::path::PathBuf,
    revoked: RevokedSerials,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let store = match Store::open_read_only(&db_path) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot open the store to re-read revocations; restart serve after a revoke");
                return;
            }
        };
        let tick = Duration::from_millis(100).min(every);
        let mut waited = Duration::ZERO;
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(tick);
            waited += tick;
            if waited < every {
                continue;
            }
            waited = Duration::ZERO;
            if let Err(e) = revoked.refresh(&store) {
                tracing::warn!(error = %e, "cannot re-read the revoked certificates");
            }
        }
    })
}

/// Wait for SIGTERM or SIGINT.
pub async fn termination_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received"),
    }
}
