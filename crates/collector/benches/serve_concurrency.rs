//! Concurrency figures of `selfcheck-collector serve` on loopback (run by
//! `scripts/serve-load`; a measurement, not a pass/fail test): 500 uploads
//! at once, each on a new mutual-TLS connection (a full handshake) from 50
//! enrolled agents, released together by a barrier; then the same with 200
//! idle connections without a certificate held open the whole time (opened
//! first, never sending a byte). For each run: how many were stored, the
//! latency p50/p99/max and the server's peak memory (`VmHWM`). Prints a
//! small table.
//!
//! Knobs: `SELFCHECK_LOAD_UPLOADS` (500), `SELFCHECK_LOAD_AGENTS` (50),
//! `SELFCHECK_LOAD_IDLE` (200), `SELFCHECK_LOAD_SIZE` bytes per report (50000).

#[path = "ledger_scale/fleet.rs"]
#[allow(dead_code)]
mod fleet;
#[path = "../tests/support/mtls.rs"]
mod mtls;

use selfcheck_catalog::Catalog;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Run {
    name: String,
    stored: usize,
    failed: Vec<String>,
    latencies: Vec<Duration>,
    peak_mb: f64,
    seconds: f64,
}

fn main() {
    let uploads = knob("SELFCHECK_LOAD_UPLOADS", 500);
    let agents = knob("SELFCHECK_LOAD_AGENTS", 50).clamp(1, uploads.max(1));
    let idle = knob("SELFCHECK_LOAD_IDLE", 200);
    let size = knob("SELFCHECK_LOAD_SIZE", 50_000);
    let tmp = tempfile::tempdir().expect("temporary directory");
    let catalog = Catalog::embedded().expect("the embedded catalog");
    let data = mtls::data_with_ca(tmp.path());
    let files = tmp.path().join("reports");
    std::fs::create_dir_all(&files).expect("reports directory");
    let mut clients = Vec::new();
    let mut jobs = Vec::new();
    for a in 0..agents {
        let host = fleet::Host::new(a);
        clients.push(mtls::tls_config(&mtls::enroll(&data, &host.hostname)));
    }
    for u in 0..uploads {
        let a = u % agents;
        let n = (u / agents) as u32;
        let host = fleet::Host::new(a);
        let path = files.join(format!("r{u:05}.json"));
        std::fs::write(
            &path,
            host.sized_report_bytes(fleet::Month::First, &catalog, n, size),
        )
        .expect("write a report");
        jobs.push((a, path));
    }
    let fresh = tmp.path().join("data-idle");
    copy_dir(&data, &fresh);
    let jobs = Arc::new(jobs);
    let runs = [
        run(format!("{uploads} at once"), &data, &clients, &jobs, 0),
        run(
            format!("{uploads} at once, {idle} idle without a certificate"),
            &fresh,
            &clients,
            &jobs,
            idle,
        ),
    ];
    println!();
    println!(
        "serve, loopback, {uploads} concurrent mTLS uploads of ~{} KB (new connection each) from {agents} agents",
        size / 1000
    );
    println!("| run | stored | failed | p50 ms | p99 ms | max ms | wall s | server peak RSS MB |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &runs {
        let pct = |p: f64| {
            r.latencies
                .get(((r.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} |",
            r.name,
            r.stored,
            r.failed.len(),
            pct(0.5),
            pct(0.99),
            pct(1.0),
            r.seconds,
            r.peak_mb
        );
        for f in r.failed.iter().take(3) {
            println!("  failure: {f}");
        }
    }
}

fn run(
    name: String,
    data: &Path,
    clients: &[Arc<rustls::ClientConfig>],
    jobs: &Arc<Vec<(usize, PathBuf)>>,
    idle: usize,
) -> Run {
    let server = mtls::Serving::start(data, &["--rate-per-client", "0"]);
    let port = server.port;
    // Idle connections first: connected, never a byte sent.
    let held: Vec<TcpStream> = (0..idle)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    if idle > 0 {
        // Let them sit long enough to be what an idle client is.
        std::thread::sleep(Duration::from_secs(3));
    }
    let barrier = Arc::new(Barrier::new(jobs.len()));
    let started = Instant::now();
    let threads: Vec<_> = (0..jobs.len())
        .map(|i| {
            let (jobs, barrier) = (jobs.clone(), barrier.clone());
            let config = clients[jobs[i].0].clone();
            std::thread::spawn(move || {
                let body = std::fs::read(&jobs[i].1).expect("read a report");
                barrier.wait();
                let t = Instant::now();
                match mtls::post(&config, port, &body) {
                    Ok((201, _)) => Ok(t.elapsed()),
                    Ok((status, text)) => Err(format!("{status} {text}")),
                    Err(e) => Err(e.to_string()),
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failed = Vec::new();
    for t in threads {
        match t.join().expect("an upload thread") {
            Ok(d) => latencies.push(d),
            Err(e) => failed.push(e),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let peak_mb = peak_rss_mb(server.child.id());
    drop(held);
    let _ = server.terminate();
    let stored = selfcheck_collector::Store::open_existing(data)
        .and_then(|s| s.reports(None))
        .map(|r| r.len())
        .unwrap_or(0);
    latencies.sort();
    Run {
        name,
        stored,
        failed,
        latencies,
        peak_mb,
        seconds,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a directory");
    for entry in std::fs::read_dir(from).expect("list a directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// Peak resident memory of a process, in MB (`VmHWM`).
fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
