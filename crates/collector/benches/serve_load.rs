//! Load benchmark of `selfcheck-collector serve` on loopback: 50 enrolled
//! agents (one thread each, in this process) send 200 KB signed reports
//! concurrently to a collector running as a second process. Two runs on two
//! fresh stores: each agent on one kept-alive mutual-TLS connection (as a
//! spool flush sends), and each report on a new connection with a full
//! handshake. Prints the sustained reports per second, latency percentiles,
//! the server's peak memory, and checks nothing was lost (every upload
//! answered 201, the store holds exactly the reports sent). The load
//! generator shares the machine's two cores with the server.
//!
//! The reference in the same run is `selfcheck-collector import` of the same
//! files from a directory (the hand-carried path, no network, no TLS), so the
//! printed ratio says what mTLS and HTTP cost on top of verifying and storing.
//!
//! Target (issue 8): at least 300 reports/s with 50 agents and 200 KB reports
//! on this 2-core machine (the kept-alive run), nothing lost in either run.
//! Exits non-zero on FAIL.
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

    // Two stores with the same CA and enrollments, one per way of connecting.
    let data_fresh = work.join("data-new-connections");
    copy_dir(&data, &data_fresh);
    let files = Arc::new(files);
    let kept = load(&data, &clients, &files, per_agent, Connect::KeepAlive);
    let fresh = load(
        &data_fresh,
        &clients,
        &files,
        per_agent,
        Connect::EachReport,
    );

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
        "serve_load: {agents} concurrent agents, {total} uploads of ~{} KB in each run",
        size / 1000
    );
    kept.print("one mTLS connection per agent, kept alive (as a spool flush sends)");
    fresh.print("a new mTLS connection per report (a full handshake each)");
    println!(
        "  reference, `import` of the same files from a directory: {import_seconds:.1} s, {import_per_second:.1} reports/s"
    );
    println!(
        "  upload / import throughput: {:.2} kept alive, {:.2} new connections",
        kept.per_second / import_per_second,
        fresh.per_second / import_per_second
    );
    let lost = [&kept, &fresh]
        .iter()
        .any(|r| r.stored != total || !r.failures.is_empty());
    let fast = kept.per_second >= TARGET_PER_SECOND;
    println!(
        "  verdict: {} (target >= {TARGET_PER_SECOND:.0} reports/s with {agents} agents kept alive, nothing lost in either run)",
        if fast && !lost { "PASS" } else { "FAIL" }
    );
    if lost || !fast {
        std::process::exit(1);
    }
}

/// How an agent thread connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connect {
    /// One connection for all of the agent's reports.
    KeepAlive,
    /// A new connection (and TLS handshake) per report.
    EachReport,
}

/// What one load run measured.
struct LoadResult {
    seconds: f64,
    per_second: f64,
    latencies: Vec<std::time::Duration>,
    failures: Vec<String>,
    stored: usize,
    server_peak_mb: f64,
    megabytes: f64,
}

impl LoadResult {
    fn print(&self, how: &str) {
        let pct = |p: f64| {
            self.latencies
                .get(((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
        };
        println!("  {how}:");
        println!(
            "    {:.1} s, {} answered 201, {} failed, {} stored",
            self.seconds,
            self.latencies.len(),
            self.failures.len(),
            self.stored
        );
        println!(
            "    throughput {:.1} reports/s ({:.1} MB/s); latency p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms; server peak RSS {:.0} MB",
            self.per_second,
            self.megabytes / self.seconds,
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(1.0),
            self.server_peak_mb
        );
        for f in self.failures.iter().take(5) {
            println!("    failure: {f}");
        }
    }
}

/// Start a server on `data`, let every agent send its reports at once, stop it.
fn load(
    data: &Path,
    clients: &[Arc<rustls::ClientConfig>],
    files: &Arc<PathBuf>,
    per_agent: usize,
    connect: Connect,
) -> LoadResult {
    let server = mtls::Serving::start(data, &["--rate-per-client", "0"]);
    let port = server.port;
    let started = Instant::now();
    let threads: Vec<_> = clients
        .iter()
        .cloned()
        .enumerate()
        .map(|(a, config)| {
            let files = files.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(per_agent);
                let mut failures = Vec::new();
                let mut bytes = 0usize;
                let mut stream = None;
                for n in 0..per_agent {
                    let body = std::fs::read(report_path(&files, a, n)).expect("read a report");
                    bytes += body.len();
                    let t = Instant::now();
                    let answer = match connect {
                        Connect::EachReport => mtls::post(&config, port, &body),
                        Connect::KeepAlive => {
                            if stream.is_none() {
                                stream = mtls::tls_connect(&config, port).ok();
                            }
                            match stream.as_mut() {
                                Some(s) => mtls::post_on(s, &body),
                                None => Err(std::io::Error::other("cannot connect")),
                            }
                        }
                    };
                    match answer {
                        Ok((201, _)) => latencies.push(t.elapsed()),
                        Ok((status, text)) => failures.push(format!("{status} {text}")),
                        Err(e) => {
                            stream = None;
                            failures.push(e.to_string());
                        }
                    }
                }
                (latencies, failures, bytes)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    let mut bytes = 0;
    for t in threads {
        let (l, f, b) = t.join().expect("an agent thread");
        latencies.extend(l);
        failures.extend(f);
        bytes += b;
    }
    let seconds = started.elapsed().as_secs_f64();
    let server_peak_mb = peak_rss_mb(server.child.id());
    let log = server.log();
    assert_eq!(
        server.terminate(),
        Some(0),
        "serve did not stop cleanly:\n{log}"
    );
    let stored = selfcheck_collector::Store::open_existing(data)
        .and_then(|s| s.reports(None))
        .map(|r| r.len())
        .unwrap_or(0);
    latencies.sort();
    LoadResult {
        seconds,
        per_second: latencies.len() as f64 / seconds,
        latencies,
        failures,
        stored,
        server_peak_mb,
        megabytes: bytes as f64 / 1e6,
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
