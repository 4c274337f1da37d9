//! `selfcheck-collector serve`: receive agents' reports over mutual TLS.
//!
//! One accept loop (tokio), TLS from [`tls`], HTTP/1.1 through hyper and the
//! [`api`] routes (axum), and one store [`writer`] thread that group-commits
//! what the connections hand it. Only certificates of the register of issued
//! certificates are admitted, at the handshake and on every request; a
//! thread re-reads the register every second and the open connections of a
//! certificate revoked meanwhile are closed. Bad clients are bounded
//! everywhere: connections without a verified certificate are capped (the
//! oldest idle one is cut for a new one, [`handshakes`]) and have a
//! handshake time limit, the request head and the body each have a time
//! limit, bodies a size limit and a shared memory budget, each client
//! certificate a request rate, verified connections a ceiling, and the log
//! a line rate ([`loglimit`]). SIGTERM or Ctrl-C stops accepting, lets the
//! requests in flight finish (up to a grace period), writes what was queued
//! and exits.

pub mod api;
pub mod handshakes;
pub mod loglimit;
pub mod ratelimit;
pub mod tls;
pub mod writer;

use crate::pki::{Authority, ClientRegister, PeerIdentity};
use anyhow::{Context, Result};
use axum::Extension;
use handshakes::{Handshakes, Ticket};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use loglimit::LogLimiter;
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
    /// Open connections with a verified certificate at most; more wait.
    pub max_connections: usize,
    /// Open connections without a verified certificate yet, at most; beyond
    /// it the oldest that has waited [`ServeOptions::handshake_evict_after`]
    /// is cut.
    pub max_handshakes: usize,
    /// How long a connection that has sent nothing yet is safe from being
    /// cut for a new one (one that has started its handshake: [`handshakes::ACTIVE_EVICT_FACTOR`] times as long).
    pub handshake_evict_after: Duration,
    /// Largest request body.
    pub max_body: usize,
    /// Bytes of request bodies held at once (received, being parsed or stored).
    pub body_memory: usize,
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
    /// How often the register of certificates is re-read from the store.
    pub register_refresh: Duration,
    /// The window of the log line limiter.
    pub log_window: Duration,
    /// Lines of one kind about one subject written per window; the rest are summarised.
    pub log_lines_per_window: u32,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 1024,
            max_handshakes: 1024,
            handshake_evict_after: Duration::from_secs(1),
            max_body: api::DEFAULT_MAX_BODY,
            body_memory: 256 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(60),
            rate_per_client: 2.0,
            burst_per_client: 20,
            shutdown_grace: Duration::from_secs(30),
            register_refresh: Duration::from_secs(1),
            log_window: Duration::from_secs(30),
            log_lines_per_window: 5,
        }
    }
}

/// A bound server, ready to [`Server::run`].
pub struct Server {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<api::AppState>,
    writer: std::thread::JoinHandle<()>,
    register: ClientRegister,
    log: Arc<LogLimiter>,
    db_path: std::path::PathBuf,
    options: ServeOptions,
}

/// What every connection task shares.
struct Shared {
    acceptor: TlsAcceptor,
    router: axum::Router,
    options: ServeOptions,
    slots: Arc<Semaphore>,
    register: ClientRegister,
    log: Arc<LogLimiter>,
}

impl Server {
    /// Open the store and the CA of `data_dir` and bind `listen`. The CA
    /// key is not needed (it may be kept offline).
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
        let register = ClientRegister::load(&store)?;
        let log = Arc::new(LogLimiter::new(
            options.log_window,
            options.log_lines_per_window,
        ));
        let config = tls::server_config(&authority, register.clone(), log.clone())
            .map_err(anyhow::Error::msg)
            .context("cannot set up TLS")?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let (queue, writer) = writer::start(store, options.max_connections.max(64))
            .context("cannot start the store writer thread")?;
        let body_memory = options.body_memory.max(options.max_body);
        let state = Arc::new(api::AppState {
            catalog,
            writer: queue,
            limiter: ratelimit::RateLimiter::new(options.rate_per_client, options.burst_per_client),
            body_timeout: options.body_timeout,
            max_body: options.max_body,
            body_memory: Semaphore::new(body_memory.div_ceil(1024)),
            body_memory_total: body_memory,
            register: register.clone(),
            log: log.clone(),
            verifying: Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        });
        Ok(Server {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            state,
            writer,
            register,
            log,
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
            register,
            log,
            db_path,
            options,
        } = self;
        let stop_refresh = Arc::new(AtomicBool::new(false));
        let (changed_tx, changed_rx) = watch::channel(0u64);
        let refresher = spawn_register_refresh(
            db_path,
            register.clone(),
            options.register_refresh,
            changed_tx,
            stop_refresh.clone(),
        );
        let summaries = {
            let log = log.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    log.log_ended();
                }
            })
        };
        let shared = Arc::new(Shared {
            acceptor,
            router: api::router(state),
            slots: Arc::new(Semaphore::new(options.max_connections)),
            options: options.clone(),
            register,
            log: log.clone(),
        });
        let handshakes = Handshakes::new(options.max_handshakes, options.handshake_evict_after);
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::pin!(shutdown);
        loop {
            let (tcp, addr) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little.
                        if log.allow("failed accepts", "the listener") {
                            tracing::warn!(error = %e, "accept failed");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let ticket = tokio::select! {
                _ = &mut shutdown => break,
                ticket = handshakes.enter() => ticket,
            };
            let shared = shared.clone();
            let mut stop_rx = stop_rx.clone();
            let changed = changed_rx.clone();
            tokio::spawn(async move {
                serve_connection(tcp, addr, ticket, &shared, &mut stop_rx, changed).await;
            });
        }
        drop(listener);
        tracing::info!("stopping: no new connections; finishing the requests in flight");
        let _ = stop_tx.send(true);
        let all = u32::try_from(options.max_connections).unwrap_or(u32::MAX);
        if tokio::time::timeout(options.shutdown_grace, shared.slots.acquire_many(all))
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
        drop(shared);
        summaries.abort();
        log.log_ended();
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
    mut ticket: Ticket,
    shared: &Shared,
    stop: &mut watch::Receiver<bool>,
    mut changed: watch::Receiver<u64>,
) {
    let _ = tcp.set_nodelay(true);
    let ip = addr.ip().to_string();
    let deadline = tokio::time::Instant::now() + shared.options.handshake_timeout;
    // Until its first bytes arrive a connection is idle, and the first to
    // be cut when connections without a certificate are too many.
    tokio::select! {
        _ = tcp.readable() => ticket.mark_active(),
        _ = &mut ticket.cut => {
            if shared.log.allow("cut handshakes", &ip) {
                tracing::info!(peer = %addr, "idle connection without a certificate cut to make room for a new one");
            }
            return;
        }
        _ = tokio::time::sleep_until(deadline) => {
            if shared.log.allow("timed out handshakes", &ip) {
                tracing::info!(peer = %addr, "TLS handshake timed out");
            }
            return;
        }
    }
    let handshake = tokio::time::timeout_at(deadline, shared.acceptor.accept(tcp));
    let tls = tokio::select! {
        done = handshake => match done {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                if shared.log.allow("refused handshakes", &ip) {
                    tracing::info!(peer = %addr, error = %e, "TLS handshake refused");
                }
                return;
            }
            Err(_) => {
                if shared.log.allow("timed out handshakes", &ip) {
                    tracing::info!(peer = %addr, "TLS handshake timed out");
                }
                return;
            }
        },
        _ = &mut ticket.cut => {
            if shared.log.allow("cut handshakes", &ip) {
                tracing::info!(peer = %addr, "connection without a certificate cut to make room for a new one");
            }
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
    // A verified connection takes a slot; until it has one it still counts
    // as a connection without one (and may be cut).
    let _slot = tokio::select! {
        slot = shared.slots.clone().acquire_owned() => match slot {
            Ok(slot) => slot,
            Err(_) => return,
        },
        _ = &mut ticket.cut => return,
        _ = tokio::time::sleep(shared.options.header_timeout) => return,
    };
    drop(ticket);
    let service = TowerToHyperService::new(shared.router.clone().layer(Extension(peer.clone())));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.options.header_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(connection);
    let register = &shared.register;
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
        refusal = no_longer_admitted(&mut changed, register, &peer) => {
            // Revoked (or gone from the register) while connected: closed now,
            // a request in flight with it.
            if shared.log.allow("closed connections", &peer.serial) {
                tracing::warn!(peer = %addr, host = %peer.host, serial = %peer.serial, "closed an open connection: {}", refusal.explain(&peer));
            }
        }
    }
}

/// Completes when the register, re-read, no longer admits `peer`.
async fn no_longer_admitted(
    changed: &mut watch::Receiver<u64>,
    register: &ClientRegister,
    peer: &PeerIdentity,
) -> crate::pki::Refusal {
    loop {
        if changed.changed().await.is_err() {
            // The refresher ended (shutdown): nothing changes any more.
            std::future::pending::<()>().await;
        }
        if let Err(refusal) = register.admit(peer) {
            return refusal;
        }
    }
}

/// Re-read the register every `every` on a thread of its own (a plain
/// read-only connection; the writer thread owns the store), and tell the
/// connections when it changed.
fn spawn_register_refresh(
    db_path: std::path::PathBuf,
    register: ClientRegister,
    every: Duration,
    changed: watch::Sender<u64>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let store = match Store::open_read_only(&db_path) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot open the store to re-read the register of certificates; restart serve after a revoke");
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
            match register.refresh(&store) {
                Ok(true) => changed.send_modify(|generation| *generation += 1),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot re-read the register of certificates")
                }
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
