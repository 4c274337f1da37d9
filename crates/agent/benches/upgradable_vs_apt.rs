//! Benchmark: what apt would upgrade, computed by `selfcheck-agent packages
//! --format json` against `apt list --upgradable`, on this machine.
//!
//! Both programs are spawned the same way and run alternately N times; every
//! pair of answers must be the same set of (name, arch, installed, candidate).
//! Prints the median wall time of each, their ratio, PASS or FAIL against the
//! target (at least 5 times faster than apt), and the agent's peak resident
//! memory (measured on its first run, before apt has run, as the largest
//! child's `ru_maxrss`). Exits non-zero on FAIL, on differing answers, or when
//! apt or the lists are missing.
//!
//! Run: `cargo bench -p selfcheck-agent --bench upgradable_vs_apt`.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::PackageInventory;
use std::collections::BTreeSet;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Timed runs of each.
const RUNS: usize = 10;
/// Untimed runs first (page cache).
const WARMUP: usize = 1;
/// We must be at least this many times faster than apt.
const TARGET_SPEEDUP: f64 = 5.0;

/// (name, arch, installed, candidate)
type Row = (String, String, String, String);

fn main() -> ExitCode {
    let root = HostRoot::live();
    if root.resolve("var/lib/dpkg/status").metadata().is_err() {
        eprintln!("upgradable_vs_apt: no dpkg status file here; nothing to compare");
        return ExitCode::FAILURE;
    }
    println!(
        "upgradable_vs_apt: `selfcheck-agent packages --format json` vs `apt list --upgradable`, {RUNS} runs each"
    );
    // Our first run comes before any apt run, so the children's peak RSS is ours.
    if let Err(e) = run_ours(&root) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let agent_peak_kb = children_peak_rss_kb();
    for _ in 0..WARMUP {
        if let Err(e) = run_apt() {
            eprintln!("cannot run apt: {e}");
            return ExitCode::FAILURE;
        }
    }
    let (mut ours_t, mut apt_t) = (Vec::new(), Vec::new());
    let mut count = 0;
    for run in 0..RUNS {
        let (t_apt, theirs) = run_apt().expect("apt ran before");
        let (t_ours, ours) = match run_ours(&root) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        if ours != theirs {
            eprintln!("run {run}: the agent and apt disagree");
            eprintln!(
                "  only ours:  {:?}",
                ours.difference(&theirs).collect::<Vec<_>>()
            );
            eprintln!(
                "  only apt's: {:?}",
                theirs.difference(&ours).collect::<Vec<_>>()
            );
            return ExitCode::FAILURE;
        }
        count = ours.len();
        apt_t.push(t_apt);
        ours_t.push(t_ours);
    }
    let (m_ours, m_apt) = (median(&mut ours_t), median(&mut apt_t));
    let speedup = m_apt.as_secs_f64() / m_ours.as_secs_f64();
    println!("identical answers in all {RUNS} runs: {count} upgradable packages");
    println!("median apt list --upgradable: {:>9.1} ms", ms(m_apt));
    println!("median selfcheck-agent:      {:>9.1} ms", ms(m_ours));
    println!("speed-up: {speedup:.1}x (target: at least {TARGET_SPEEDUP}x)");
    println!(
        "selfcheck-agent peak RSS: {:.1} MiB (target: under 150 MiB)",
        agent_peak_kb as f64 / 1024.0
    );
    if speedup >= TARGET_SPEEDUP && agent_peak_kb < 150 * 1024 {
        println!("PASS");
        ExitCode::SUCCESS
    } else {
        println!("FAIL");
        ExitCode::FAILURE
    }
}

fn run_apt() -> std::io::Result<(Duration, BTreeSet<Row>)> {
    let start = Instant::now();
    let out = Command::new("apt")
        .args(["list", "--upgradable"])
        .env("LC_ALL", "C")
        .output()?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(std::io::Error::other(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (left, installed) = line.split_once(" [upgradable from: ")?;
            let words: Vec<&str> = left.split_whitespace().collect();
            let [name_suites, candidate, arch] = words[..] else {
                return None;
            };
            let name = name_suites.split('/').next()?;
            Some((
                name.to_string(),
                arch.to_string(),
                installed.trim_end_matches(']').to_string(),
                candidate.to_string(),
            ))
        })
        .collect();
    Ok((elapsed, rows))
}

fn run_ours(_root: &HostRoot) -> Result<(Duration, BTreeSet<Row>), String> {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_selfcheck-agent"))
        .args(["packages", "--format", "json"])
        .output()
        .map_err(|e| format!("cannot run selfcheck-agent: {e}"))?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let inventory: PackageInventory = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("selfcheck-agent printed no inventory: {e}"))?;
    let rows = inventory
        .upgradable
        .into_iter()
        .map(|u| (u.name, u.arch, u.installed, u.candidate))
        .collect();
    Ok((elapsed, rows))
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The largest peak resident set size of any child waited for so far, in KiB.
fn children_peak_rss_kb() -> i64 {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss())
        .unwrap_or(0)
}
