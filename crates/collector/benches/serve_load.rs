//! Load benchmark of `selfcheck-collector serve` on loopback: 50 enrolled
//! agents (one thread each, in this process) send 200 KB signed reports
//! concurrently to a collector running as a second process, each upload on a
//! new mutual-TLS connection as an agent's monthly upload is. Prints the
//! sustained reports per second, latency percentiles, the server's peak
//! memory, and checks nothing was lost (every upload answered 201, the store
//! holds exactly the reports sent).
//!
//! The reference in the same run is `selfcheck-collector import` of the same
//! files from a directory (the hand-carried path, no network, no TLS), so the
//! printed ratio says what mTLS and HTTP cost on top of verifying and storing.
//!
//! Target (issue 8): at least 300 reports/s with 50 agents and 200 KB reports
//! on this 2-core machine, nothing lost. Exits non-zero on FAIL.
//!
//! Knobs: `SELFCHECK_LOAD_AGENTS` (50), `SELFCHECK_LOAD_REPORTS` per agent
//! (40), `SELFCHECK_LOAD_SIZE` bytes per report (200000), `SELFCHECK_LOAD_KEEP`
//! (a new directory to work in and keep, for profiling).
//!
//! Run: `cargo bench -p selfcheck-collector --bench serve_load`

#[path = "ledger_scale/fleet.rs"]
#[allow(dead_code)]
mod fleet;
#[path = "../tests/support/mtls.rs"]
mod mtls;

use selfcheck_catalog::Catalog;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const TARGET_PER_SECOND: f64 = 300.0;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; nothing else is read.
    let agents = knob("SELFCHECK_LOAD_AGENTS", 50);
    let per_agent = knob("SELFCHECK_LOAD_REPORTS", 40);
    let size = knob("SELFCHECK_LOAD_SIZE", 200_000);
    let tmp = tempfile::tempdir().expect("temporary directory");
    // SELFCHECK_LOAD_KEEP=DIR works in DIR (it must not exist) and keeps it, for profiling.
    let work = match std::env::var_os("SELFCHECK_LOAD_KEEP") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir(&dir).expect("SELFCHECK_LOAD_KEEP must name a new directory");
            dir
        }
        None => tmp.path().to_path_buf(),
    };
    let data = mtls::data_with_ca(&work);
    let catalog = Catalog::embedded().expect("the embedded catalog");

    // Enroll the agents and make their reports (files, so neither side holds them all).
    let t = Instant::now();
    let files = work.join("reports");
    std::fs::create_dir_all(&files).expect("reports directory");
    let mut clients = Vec::new();
    let mut total_bytes = 0usize;
    for a in 0..agents {
        let host = fleet::Host::new(a);
        let dir = mtls::enroll(&data, &host.hostname);
        clients.push(mtls::tls_config(&dir));
        for n in 0..per_agent {
            let bytes = host.sized_report_bytes(fleet::Month::First, &catalog, n as u32, size);
            total_bytes += bytes.len();
            std::fs::write(report_path(&files, a, n), bytes).expect("write a report");
        }
    }
    let total = agents * per_agent;
    println!(
        "setup: {agents} agents enrolled, {total} reports of {:.0} KB average in {:.1} s",
        total_bytes as f64 / total as f64 / 1000.0,
        t.elapsed().as_secs_f64()
    );

    // The load: every agent sends its reports one after another, all agents at once.
    let server = mtls::Serving::start(&data, &["--rate-per-client", "0"]);
    let port = server.port;
    let files = Arc::new(files);
    let started = Instant::now();
    let threads: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(a, config)| {
            let files = files.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(per_agent);
                let mut failures = Vec::new();
                for n in 0..per_agent {
                    let body = std::fs::read(report_path(&files, a, n)).expect("read a report");
                    let t = Instant::now();
                    match mtls::post(&config, port, &body) {
                        Ok((201, _)) => latencies.push(t.elapsed()),
                        Ok((status, text)) => failures.push(format!("{status} {text}")),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for t in threads {
        let (l, f) = t.join().expect("an agent thread");
        latencies.extend(l);
        failures.extend(f);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let server_peak = peak_rss_mb(server.child.id());
    let log = server.log();
    assert_eq!(
        server.terminate(),
        Some(0),
        "serve did not stop cleanly:\n{log}"
    );
    let stored = selfcheck_collector::Store::open_existing(&data)
        .and_then(|s| s.reports(None))
        .map(|r| r.len())
        .unwrap_or(0);
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    let per_second = latencies.len() as f64 / elapsed;

    // The reference: the same files imported from the directory.
    let reference_data = work.join("reference");
    let t = Instant::now();
    let out = Command::new(mtls::collector_bin())
        .arg("--data")
        .arg(&reference_data)
        .arg("import")
        .arg(files.as_path())
        .output()
        .expect("run import");
    let import_seconds = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let import_per_second = total as f64 / import_seconds;

    println!();
    println!(
        "serve_load: {agents} concurrent agents, {total} uploads of ~{} KB, a new mTLS connection each",
        size / 1000
    );
    println!(
        "  uploads:        {:>8.1} s, {} answered 201, {} failed",
        elapsed,
        latencies.len(),
        failures.len()
    );
    println!(
        "  throughput:     {per_second:>8.1} reports/s ({:.1} MB/s)",
        per_second * total_bytes as f64 / total as f64 / 1e6
    );
    println!(
        "  latency:        p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    println!("  server peak RSS: {server_peak:>7.0} MB");
    println!("  stored:         {stored} of {total} sent");
    println!(
        "  reference, `import` of the same files from a directory: {import_seconds:.1} s, {import_per_second:.1} reports/s"
    );
    println!(
        "  upload / import throughput: {:.2}",
        per_second / import_per_second
    );
    for f in failures.iter().take(5) {
        println!("  failure: {f}");
    }
    let lost = stored != total || !failures.is_empty();
    let fast = per_second >= TARGET_PER_SECOND;
    println!(
        "  verdict: {} (target >= {TARGET_PER_SECOND:.0} reports/s, nothing lost)",
        if fast && !lost { "PASS" } else { "FAIL" }
    );
    if lost || !fast {
        std::process::exit(1);
    }
}

fn report_path(dir: &Path, agent: usize, n: usize) -> PathBuf {
    dir.join(format!("a{agent:03}-{n:04}.json"))
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
