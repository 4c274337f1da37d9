//! Benchmark: what apt would upgrade, computed by [`read_inventory`] (what
//! `selfcheck-agent packages --format json` prints) against `apt list
//! --upgradable`, on this machine.
//!
//! Ours runs in a fresh copy of this bench, so both are spawned the same way
//! and run alternately N times; every
//! pair of answers must be the same set of (name, arch, installed, candidate).
//! Prints the median wall time of each, their ratio, PASS or FAIL against the
//! target (at least 5 times faster than apt), and our peak resident
//! memory (measured on its first run, before apt has run, as the largest
//! child's `ru_maxrss`). Exits non-zero on FAIL, on differing answers, or when
//! apt or the lists are missing.
//!
//! Run: `cargo bench -p selfcheck-pkgdb --bench upgradable_vs_apt`.

use selfcheck_hostfs::identity::os_release_fields;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::inventory::read_inventory;
use selfcheck_report::{OsRelease, PackageInventory};
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

/// Set in the copy of this bench that prints the inventory as JSON and exits.
const CHILD_ENV: &str = "SELFCHECK_BENCH_INVENTORY";

fn main() -> ExitCode {
    let root = HostRoot::live();
    if std::env::var_os(CHILD_ENV).is_some() {
        return print_inventory(&root);
    }
    if root.metadata("var/lib/dpkg/status").is_err() {
        eprintln!("upgradable_vs_apt: no dpkg status file here; nothing to compare");
        return ExitCode::FAILURE;
    }
    println!(
        "upgradable_vs_apt: `read_inventory` (selfcheck-agent packages) vs `apt list --upgradable`, {RUNS} runs each"
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
            eprintln!("run {run}: read_inventory and apt disagree");
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
    println!("median read_inventory:       {:>9.1} ms", ms(m_ours));
    println!("speed-up: {speedup:.1}x (target: at least {TARGET_SPEEDUP}x)");
    println!(
        "read_inventory peak RSS: {:.1} MiB (target: under 150 MiB)",
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
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this bench: {e}"))?;
    let out = Command::new(exe)
        .env(CHILD_ENV, "1")
        .output()
        .map_err(|e| format!("cannot run a copy of this bench: {e}"))?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let inventory: PackageInventory = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("the bench copy printed no inventory: {e}"))?;
    let rows = inventory
        .upgradable
        .into_iter()
        .map(|u| (u.name, u.arch, u.installed, u.candidate))
        .collect();
    Ok((elapsed, rows))
}

/// The child side of [`run_ours`]: the inventory as JSON on stdout.
fn print_inventory(root: &HostRoot) -> ExitCode {
    match read_inventory(root, &os_release(root)) {
        Ok(inventory) => match serde_json::to_string(&inventory) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write the inventory: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("cannot compute pending updates: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The host's os-release, as much of it as the package family needs.
fn os_release(root: &HostRoot) -> OsRelease {
    let text = root
        .read_optional("etc/os-release")
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut os = OsRelease::default();
    for (key, value) in os_release_fields(&text) {
        match key.as_str() {
            "ID" => os.id = Some(value),
            "NAME" => os.name = Some(value),
            "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    os
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
