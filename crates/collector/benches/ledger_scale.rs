//! Benchmark: a fleet of 10,000 hosts over two months, from report files to
//! the rectification ledger.
//!
//! Generates (untimed) one signed report file per host for 2026-11, each host
//! with its own agent key, then imports the directory into a fresh store as
//! `selfcheck-collector import DIR` does ([`import_paths`]). Then the same for
//! 2026-12 (most findings repeat, some fixed, some new, some checks could not
//! run, about 1% of hosts missing), replaces the asset registry with every
//! host plus 1% registered assets that never report, builds the ledger of
//! 2026-12 judged on 2026-12-31 and renders it as JSON and CSV. Last, as
//! `selfcheck-collector evidence` and `verify` do, it renders the month's
//! documents into a temporary directory, streams the signed evidence package
//! to a file and verifies it from the file (timed and measured, not judged).
//!
//! Prints the import rate of each month, the ledger and render times, the
//! store's size and the process's peak resident memory (`VmHWM`, reset
//! between phases through `/proc/self/clear_refs` so each phase's peak is
//! shown), then PASS or FAIL against the targets: at least 200 reports/s,
//! ledger within 5 s, peak under 500 MB. Exits non-zero on FAIL.
//!
//! Run: `cargo bench -p selfcheck-collector --bench ledger_scale`;
//! `SELFCHECK_BENCH_HOSTS=500` for a quick run; `SELFCHECK_BENCH_DATA=DIR`
//! keeps the store in DIR, and a second run reuses it (no generation, no
//! import); `SELFCHECK_BENCH_BREAKDOWN=1` also times the import, the ledger
//! and the documents step by step.

#[path = "ledger_scale/fleet.rs"]
mod fleet;

use chrono::NaiveDate;
use fleet::{Host, Month, silent_asset};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::engine;
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_paths, read_report_file};
use selfcheck_collector::{Ledger, Store};
use selfcheck_report::SignedReport;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const DEFAULT_HOSTS: usize = 10_000;
const TARGET_REPORTS_PER_S: f64 = 200.0;
const TARGET_LEDGER_SECONDS: f64 = 5.0;
const TARGET_PEAK_MB: f64 = 500.0;

fn main() -> ExitCode {
    let hosts = match std::env::var("SELFCHECK_BENCH_HOSTS") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("SELFCHECK_BENCH_HOSTS must be a positive number, not {v:?}");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => DEFAULT_HOSTS,
    };
    let catalog = Catalog::embedded().expect("the embedded catalog loads");
    let tmp = tempfile::TempDir::new().expect("temp dir");
    let t = Instant::now();
    let fleet: Vec<Host> = (0..hosts).map(Host::new).collect();
    println!(
        "ledger_scale: {hosts} hosts, each with its own agent key ({:.2} s to derive the keys)",
        t.elapsed().as_secs_f64()
    );

    // SELFCHECK_BENCH_DATA=DIR keeps the store in DIR; a second run with a
    // filled store there skips generating and importing (to profile the ledger).
    let kept = std::env::var_os("SELFCHECK_BENCH_DATA").map(PathBuf::from);
    let data = kept.clone().unwrap_or_else(|| tmp.path().join("data"));
    let mut store = Store::open(&data).expect("open a fresh store");
    let breakdown = std::env::var_os("SELFCHECK_BENCH_BREAKDOWN").is_some();
    if let Ok(sync) = std::env::var("SELFCHECK_BENCH_SYNC") {
        // Diagnostic only: what the commits' fsyncs cost.
        store
            .set_synchronous_for_diagnostics(&sync)
            .expect("set synchronous");
        println!("(diagnostic) PRAGMA synchronous = {sync}");
    }
    let mut memory = Vec::new();
    let mut rates = Vec::new();
    let reuse = kept.is_some()
        && !store
            .reports(Some(Month::Second.period()))
            .expect("list stored reports")
            .is_empty();
    if reuse {
        println!(
            "reusing the filled store in {}: no generation, no import",
            data.display()
        );
    } else {
        for month in [Month::First, Month::Second] {
            let dir = tmp.path().join(month.period().to_string());
            let generated = generate(&fleet, month, &catalog, &dir);
            println!(
                "{}: generated {} report files, {:.1} MB ({:.1} KB each, {:.1}–{:.1} KB), in {:.1} s",
                month.period(),
                generated.files,
                generated.bytes as f64 / 1e6,
                generated.bytes as f64 / generated.files.max(1) as f64 / 1e3,
                generated.smallest as f64 / 1e3,
                generated.largest as f64 / 1e3,
                generated.seconds
            );
            if breakdown {
                verify_only(&dir);
            }
            reset_peak();
            let t = Instant::now();
            let results = import_paths(
                &mut store,
                std::slice::from_ref(&dir),
                &catalog,
                ImportOptions::default(),
            );
            let seconds = t.elapsed().as_secs_f64();
            let (mut stored, mut findings, mut new_findings) = (0, 0, 0);
            for (path, outcome) in &results {
                match outcome {
                    ImportOutcome::Stored {
                        findings: f,
                        new_findings: n,
                        ..
                    } => {
                        stored += 1;
                        findings += f;
                        new_findings += n;
                    }
                    other => {
                        eprintln!("{}: not stored: {other:?}", path.display());
                        return ExitCode::FAILURE;
                    }
                }
            }
            let rate = stored as f64 / seconds;
            println!(
                "{}: imported {stored} reports ({findings} findings, {new_findings} newly numbered) in {seconds:.2} s: {rate:.0} reports/s",
                month.period()
            );
            memory.push((format!("import {}", month.period()), peak_mb()));
            rates.push((month.period(), rate));
            std::fs::remove_dir_all(&dir).expect("remove the month's report files");
        }

        let mut assets: Vec<_> = fleet.iter().map(Host::asset).collect();
        let spares = hosts.div_ceil(100);
        for n in 0..spares {
            let row = (assets.len() + 2) as u32;
            assets.push(silent_asset(n, row));
        }
        let t = Instant::now();
        store
            .replace_assets(&assets, "asset-registry.xlsx", "bench")
            .expect("replace the asset registry");
        println!(
            "asset registry: {} assets ({spares} without reports) stored in {:.2} s",
            assets.len(),
            t.elapsed().as_secs_f64()
        );
        drop(assets);
        drop(fleet);
    }

    reset_peak();
    let period = Month::Second.period();
    let judged_on = NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date");
    let t = Instant::now();
    let ledger = Ledger::for_month(
        &mut store,
        period,
        &catalog,
        &CollectorConfig::default(),
        Some(judged_on),
    )
    .expect("build the ledger");
    let ledger_seconds = t.elapsed().as_secs_f64();
    let s = &ledger.summary;
    println!(
        "ledger {period}: {} rows, {} inspection records ({} hosts reporting, {} of {} expected assets inspected, {} unregistered) in {ledger_seconds:.2} s",
        ledger.rows.len(),
        ledger.hosts.len(),
        s.hosts_reporting,
        s.assets_inspected,
        s.assets_expected,
        s.hosts_unregistered
    );
    println!(
        "  rows by level: {}; rectification rate {}",
        s.by_level
            .iter()
            .map(|(l, c)| format!(
                "{l} {} (new {}, closed {}, pending {})",
                c.rows, c.new, c.closed_this_month, c.pending
            ))
            .collect::<Vec<_>>()
            .join(", "),
        s.rectification_rate
            .map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
    );
    memory.push(("ledger".into(), peak_mb()));

    reset_peak();
    let mut render_seconds = Vec::new();
    {
        // JSON is streamed to its file, as `ledger --format json --out FILE` does.
        let t = Instant::now();
        let path = tmp.path().join("ledger.json");
        let file = std::fs::File::create(&path).expect("create the json file");
        selfcheck_collector::present::write_json(&ledger, Lang::Zh, file).expect("write json");
        let seconds = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        println!(
            "render json: {:.1} MB in {seconds:.2} s (streamed to a file)",
            size as f64 / 1e6
        );
        render_seconds.push(("json", seconds));
        let _ = std::fs::remove_file(&path);
    }
    {
        let t = Instant::now();
        let path = tmp.path().join("ledger.csv");
        let file = std::fs::File::create(&path).expect("create the csv file");
        selfcheck_collector::present::write_csv(&ledger, Lang::Zh, file).expect("write csv");
        let seconds = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        println!(
            "render csv: {:.1} MB in {seconds:.2} s (streamed to a file)",
            size as f64 / 1e6
        );
        let _ = std::fs::remove_file(&path);
        render_seconds.push(("csv", seconds));
    }
    memory.push(("render".into(), peak_mb()));
    drop(ledger);
    if breakdown {
        ledger_breakdown(&store, &catalog, judged_on);
    }

    // The month's documents (xlsx, csv per sheet, html report) and the signed
    // evidence package, as `selfcheck-collector evidence` makes them: the
    // documents rendered into files in a temporary directory, the package
    // streamed to its file, then verified from the file.
    if breakdown {
        documents_breakdown(&mut store, &catalog);
    }
    // What `evidence` checks before it signs: every stored report
    // re-verified and its rows derived again (`store verify`).
    let t = Instant::now();
    let audit = store
        .verify_store(&selfcheck_collector::store::StoreCheck::default())
        .expect("verify the store");
    println!(
        "store verify: {} reports re-verified, {} rows compared, {} difference(s), in {:.2} s",
        audit.reports_verified,
        audit.rows_compared,
        audit.problems.len(),
        t.elapsed().as_secs_f64()
    );
    release_freed_memory();
    reset_peak();
    let start_mb = rss_mb();
    let t = Instant::now();
    let parts = tempfile::tempdir_in(tmp.path()).expect("a directory for the documents");
    let documents = selfcheck_collector::app::evidence::month_documents(
        &mut store,
        period,
        &catalog,
        &CollectorConfig::default(),
        selfcheck_catalog::Lang::Zh,
        parts.path(),
    )
    .expect("render the documents");
    let documents_seconds = t.elapsed().as_secs_f64();
    let sizes: Vec<String> = documents
        .iter()
        .map(|m| {
            let size = m.size().unwrap_or(0);
            format!("{} {:.1} MB", m.name, size as f64 / 1e6)
        })
        .collect();
    println!(
        "documents in {documents_seconds:.2} s: {}",
        sizes.join(", ")
    );
    let documents_peak = peak_mb();
    release_freed_memory();
    reset_peak();
    let package_start_mb = rss_mb();
    let key = selfcheck_collector::evidence::load_or_create_collector_key(tmp.path())
        .expect("collector key");
    let t = Instant::now();
    let package = tmp.path().join("evidence.zip");
    let summary = selfcheck_collector::evidence::write_package(
        &store,
        period,
        documents,
        &key,
        chrono::Utc::now().fixed_offset(),
        &package,
    )
    .expect("build the evidence package");
    let package_seconds = t.elapsed().as_secs_f64();
    drop(parts);
    let package_size = std::fs::metadata(&package).map_or(0, |m| m.len());
    println!(
        "evidence package: {:.1} MB, {} members, in {package_seconds:.2} s (streamed to a file)",
        package_size as f64 / 1e6,
        summary.listed + 2
    );
    let t = Instant::now();
    let verified = selfcheck_collector::evidence::verify_file(
        &package,
        &selfcheck_collector::evidence::VerifyOptions::default(),
    )
    .expect("read the package");
    println!(
        "evidence verify: {} in {:.2} s (streamed from the file)",
        if verified.is_intact() {
            "intact"
        } else {
            "PROBLEMS"
        },
        t.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(&package);
    let evidence_peak = peak_mb();
    println!(
        "peak RSS of documents + evidence: {:.0} MB (documents {documents_peak:.0} MB from {start_mb:.0} MB at the start; package + verify {evidence_peak:.0} MB from {package_start_mb:.0} MB; issue 7; not in the ledger verdict)",
        documents_peak.max(evidence_peak)
    );

    let (db, wal) = store_size(store.path());
    println!(
        "store: {:.1} MB ({:.1} MB database + {:.1} MB write-ahead log)",
        (db + wal) as f64 / 1e6,
        db as f64 / 1e6,
        wal as f64 / 1e6
    );
    let peak = memory.iter().map(|(_, mb)| *mb).fold(0.0, f64::max);
    println!(
        "peak RSS by phase: {}",
        memory
            .iter()
            .map(|(phase, mb)| format!("{phase} {mb:.0} MB"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    println!("\nsummary ({hosts} hosts, release build):");
    let mut pass = true;
    let mut verdict = |ok: bool| {
        pass &= ok;
        if ok { "PASS" } else { "FAIL" }
    };
    for (period, rate) in &rates {
        println!(
            "  import {period}: {rate:>8.0} reports/s   {} (target >= {TARGET_REPORTS_PER_S:.0})",
            verdict(*rate >= TARGET_REPORTS_PER_S)
        );
    }
    println!(
        "  ledger:         {ledger_seconds:>8.2} s         {} (target <= {TARGET_LEDGER_SECONDS:.0} s)",
        verdict(ledger_seconds <= TARGET_LEDGER_SECONDS)
    );
    for (name, seconds) in &render_seconds {
        println!("  render {name:<4}:    {seconds:>8.2} s");
    }
    println!(
        "  peak RSS:       {peak:>8.0} MB        {} (target <= {TARGET_PEAK_MB:.0} MB)",
        verdict(peak <= TARGET_PEAK_MB)
    );
    if pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What generating a month wrote.
struct Generated {
    files: usize,
    bytes: u64,
    smallest: u64,
    largest: u64,
    seconds: f64,
}

/// Write each reporting host's signed report for `month` into `dir`.
fn generate(fleet: &[Host], month: Month, catalog: &Catalog, dir: &Path) -> Generated {
    let t = Instant::now();
    std::fs::create_dir_all(dir).expect("create the report directory");
    let mut g = Generated {
        files: 0,
        bytes: 0,
        smallest: u64::MAX,
        largest: 0,
        seconds: 0.0,
    };
    for host in fleet.iter().filter(|h| h.reports_in(month)) {
        let bytes = host.report_bytes(month, catalog);
        let path: PathBuf = dir.join(format!("{}-{}.json", host.hostname, month.period()));
        std::fs::write(&path, &bytes).expect("write a report file");
        let len = bytes.len() as u64;
        g.files += 1;
        g.bytes += len;
        g.smallest = g.smallest.min(len);
        g.largest = g.largest.max(len);
    }
    g.seconds = t.elapsed().as_secs_f64();
    g
}

/// Read and verify every file of `dir` without storing anything: the part of
/// an import that is not the store's.
fn verify_only(dir: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list the report directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    let (mut read, mut verify) = (0.0, 0.0);
    for path in &files {
        let t = Instant::now();
        let bytes = read_report_file(path).expect("read a report file");
        read += t.elapsed().as_secs_f64();
        let t = Instant::now();
        SignedReport::verify_bytes(&bytes).expect("a valid report");
        verify += t.elapsed().as_secs_f64();
    }
    let n = files.len().max(1) as f64;
    println!(
        "  breakdown: reading {:.2} ms and verifying {:.2} ms per report (of the import below)",
        read * 1e3 / n,
        verify * 1e3 / n
    );
}

/// The ledger's steps timed one by one (run after [`Ledger::for_month`]
/// numbered the not-inspected findings, so this reads the same data).
fn ledger_breakdown(store: &Store, catalog: &Catalog, judged_on: NaiveDate) {
    let period = Month::Second.period();
    let config = CollectorConfig::default();
    let t = Instant::now();
    let mut input = store.ledger_input(period).expect("read the ledger input");
    let read = t.elapsed().as_secs_f64();
    input.not_inspected_risk = catalog.get_str(engine::NOT_INSPECTED_CHECK).map(|d| d.risk);
    let t = Instant::now();
    let missing = engine::not_inspected_findings(&input, period);
    let not_inspected = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let rules = engine::Rules {
        policy: &config.deadlines,
        calendar: &config.calendar,
    };
    let month = engine::build(&input, period, judged_on, rules);
    let build = t.elapsed().as_secs_f64();
    drop(input);
    let t = Instant::now();
    let ledger = Ledger::from_month(month, catalog);
    let texts = t.elapsed().as_secs_f64();
    println!(
        "  breakdown: store.ledger_input {read:.2} s, not_inspected_findings {not_inspected:.2} s ({} found), engine::build {build:.2} s, Ledger::from_month {texts:.2} s, {} rows",
        missing.len(),
        ledger.rows.len()
    );
}

/// What each step of `month_documents` adds to the resident memory, the
/// steps replayed one by one, in its order, through the same public functions.
fn documents_breakdown(store: &mut Store, catalog: &Catalog) {
    use selfcheck_collector::documents::{Documents, csv, html, sheets, trend, xlsx};
    let period = Month::Second.period();
    let config = CollectorConfig::default();
    release_freed_memory();
    reset_peak();
    let base = rss_mb();
    let mut steps = Vec::new();
    let mut step = |name: &str, t: Instant| {
        steps.push(format!(
            "{name} {:.1} s, RSS {:.0} MB (peak {:.0} MB)",
            t.elapsed().as_secs_f64(),
            rss_mb() - base,
            peak_mb() - base
        ));
    };
    let t = Instant::now();
    let ledger =
        Ledger::for_month(store, period, catalog, &config, None).expect("build the ledger");
    step("ledger", t);
    let t = Instant::now();
    let trend = trend::trend(store, period, &config, catalog).expect("the trend");
    step("trend", t);
    let t = Instant::now();
    let previous = Ledger::for_month(store, period.previous(), catalog, &config, None)
        .expect("last month's ledger");
    step("last month's ledger", t);
    let docs = Documents {
        ledger: &ledger,
        trend,
        previous: Some(&previous),
    };
    let t = Instant::now();
    let html = html::monthly_report_html(&docs, Lang::Zh, &html::ReportInfo::default());
    step("html", t);
    drop(html);
    let docs = Documents {
        ledger: &ledger,
        trend: docs.trend,
        previous: None,
    };
    drop(previous);
    let t = Instant::now();
    let layout = sheets::LedgerLayout::from_config(&config.ledger, None).expect("the layout");
    let sheets = sheets::sheets(&docs, Lang::Zh, &layout);
    step("sheets", t);
    let t = Instant::now();
    let xlsx = xlsx::write_xlsx(&sheets).expect("the workbook");
    step("xlsx", t);
    drop(xlsx);
    let t = Instant::now();
    for sheet in &sheets {
        csv::write_sheet_csv(sheet, std::io::sink()).expect("csv");
    }
    step("csv (to a sink)", t);
    drop(sheets);
    println!(
        "  breakdown of the documents (RSS above {base:.0} MB after each step, cumulative): {}",
        steps.join("; ")
    );
}

/// The resident memory of this process now, in MB.
fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// The peak resident memory of this process since the last [`reset_peak`], in MB.
fn peak_mb() -> f64 {
    status_mb("VmHWM:")
}

fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Hand the heap's free pages back to the system, so that a phase's peak is
/// measured from what the process really holds and not from what the
/// allocator kept of earlier phases (glibc keeps freed small allocations).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // malloc_trim, which no crate here wraps
fn release_freed_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim only releases free memory at the heap's disposal;
    // it touches no live allocation.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() {}

/// Reset `VmHWM` to the current resident size (Linux 4.0 and later); when
/// that is refused the peak simply stays the whole run's.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Sizes of the database file and its write-ahead log.
fn store_size(db: &Path) -> (u64, u64) {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    (size(db), size(Path::new(&wal)))
}
