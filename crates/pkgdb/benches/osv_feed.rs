//! Benchmark: load and match a 50,000-record OSV feed, as a directory and as
//! a zip, against this machine's installed packages.
//!
//! The feed is generated: records of about 2 KB in the shapes osv.dev
//! publishes, of mixed ecosystems (about 10% `Debian:12`, the rest Debian 11
//! and 13, Ubuntu, npm and PyPI), where a few hundred `Debian:12` records name
//! source packages installed here (from `/var/lib/dpkg/status`, or a generated
//! list when this is not a dpkg system), most of them with a fix above the
//! installed version. Each form is loaded in [`RUNS`] fresh child processes;
//! a child reports the wall time of `load_and_match` and its peak resident
//! memory (`VmHWM` of `/proc/self/status`, the whole process). Prints the
//! median time and the highest peak of each form, and PASS or FAIL against
//! the targets: under 3 s and under 150 MB. Exits non-zero on FAIL.
//!
//! Run: `cargo bench -p selfcheck-pkgdb --bench osv_feed`.

use selfcheck_pkgdb::debian::status::parse_status;
use selfcheck_pkgdb::osv::{DebianOrder, load_and_match};
use selfcheck_report::{InstalledPackage, PackageState};
use serde_json::json;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const RECORDS: usize = 50_000;
/// Records of `Debian:12` naming an installed source package.
const HITS: usize = 400;
const RUNS: usize = 3;
const TARGET_SECONDS: f64 = 3.0;
const TARGET_MB: f64 = 150.0;
const ECOSYSTEM: &str = "Debian:12";
const STATUS: &str = "/var/lib/dpkg/status";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        return measure(Path::new(&args[i + 1]));
    }

    let installed = installed_packages();
    let sources = source_versions(&installed);
    let tmp = tempfile::TempDir::new().expect("temp dir");
    let dir = tmp.path().join("feed");
    let zip_path = tmp.path().join("all.zip");
    let t = Instant::now();
    let (bytes, hits) = generate(&dir, &zip_path, &sources);
    println!(
        "osv_feed: {RECORDS} records, {:.1} MB of JSON ({:.2} KB each), {:.1} MB zipped; \
         {} installed packages ({} sources), {hits} records name one of them; generated in {:.1} s",
        bytes as f64 / 1e6,
        bytes as f64 / RECORDS as f64 / 1e3,
        std::fs::metadata(&zip_path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        installed.len(),
        sources.len(),
        t.elapsed().as_secs_f64()
    );

    let mut pass = true;
    for (form, path) in [("directory", &dir), ("zip", &zip_path)] {
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        let mut summary = String::new();
        for _ in 0..RUNS {
            let out = Command::new(std::env::current_exe().expect("own path"))
                .arg("--measure")
                .arg(path)
                .output()
                .expect("run the measuring child");
            let text = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() {
                eprintln!(
                    "{form}: child failed: {text}{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                return ExitCode::FAILURE;
            }
            let field = |key: &str| -> f64 {
                text.split_whitespace()
                    .find_map(|w| w.strip_prefix(key))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            times.push(field("seconds="));
            peaks.push(field("peak_kb=") / 1024.0);
            summary = text.trim().to_string();
        }
        times.sort_by(f64::total_cmp);
        let median = times[RUNS / 2];
        let peak = peaks.iter().copied().fold(0.0, f64::max);
        let ok = median < TARGET_SECONDS && peak < TARGET_MB;
        pass &= ok;
        println!(
            "{form:>9}: median {median:.3} s (runs {}), peak RSS {peak:.1} MB: {} (targets < {TARGET_SECONDS} s, < {TARGET_MB} MB)\n           last run: {summary}",
            times
                .iter()
                .map(|t| format!("{t:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            if ok { "PASS" } else { "FAIL" },
        );
    }
    if pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The child: load and match once, report time and memory.
fn measure(feed: &Path) -> ExitCode {
    let installed = installed_packages();
    let before_kb = vm_kb("VmHWM:");
    let t = Instant::now();
    let result = load_and_match(feed, ECOSYSTEM, &installed, &DebianOrder);
    let seconds = t.elapsed().as_secs_f64();
    match result {
        Ok(m) => {
            println!(
                "seconds={seconds:.4} peak_kb={} peak_before_load_kb={before_kb} advisories={} matches={} skipped={}",
                vm_kb("VmHWM:"),
                m.feed.advisories,
                m.matches.len(),
                m.feed.skipped.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn vm_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// This machine's packages, or a generated list of the same size when there
/// is no dpkg status file.
fn installed_packages() -> Vec<InstalledPackage> {
    if let Ok(text) = std::fs::read_to_string(STATUS)
        && let Ok(status) = parse_status(&text, STATUS)
        && !status.packages.is_empty()
    {
        return status.packages;
    }
    (0..700)
        .map(|i| {
            let version = format!(
                "{}.{}.{}-{}+deb12u{}",
                i % 7 + 1,
                i % 13,
                i % 5,
                i % 3 + 1,
                i % 4
            );
            InstalledPackage {
                name: format!("lib{i}-pkg"),
                version: version.clone(),
                arch: "amd64".to_string(),
                source_name: format!("src{}", i / 2),
                source_version: version,
                state: PackageState::Installed,
                reinstall_required: false,
            }
        })
        .collect()
}

/// Distinct (source name, source version) of the installed packages.
fn source_versions(installed: &[InstalledPackage]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = installed
        .iter()
        .filter(|p| p.state != PackageState::ConfigFiles)
        .map(|p| (p.source_name.clone(), p.source_version.clone()))
        .collect();
    v.sort();
    v.dedup_by(|a, b| a.0 == b.0);
    v
}

/// Write the feed as a directory tree and as a zip; returns the JSON bytes
/// written and how many records name an installed source package.
fn generate(dir: &Path, zip_path: &Path, sources: &[(String, String)]) -> (usize, usize) {
    const LOREM: &str = "A flaw was found in the way the library parsed crafted input: a length field \
        read from the message was trusted when copying into a fixed-size buffer, so that a remote \
        attacker able to supply such input could cause a heap-based buffer overflow, leading to a \
        crash (denial of service) or possibly the execution of arbitrary code with the privileges \
        of the process using the library. ";
    let mut zip = zip::ZipWriter::new(BufWriter::new(
        std::fs::File::create(zip_path).expect("create zip"),
    ));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let (mut bytes, mut hits) = (0usize, 0usize);
    for i in 0..RECORDS {
        let (folder, record, hit) = record(i, sources, LOREM);
        hits += usize::from(hit);
        let text = serde_json::to_vec_pretty(&record).expect("serialise");
        bytes += text.len();
        let id = record["id"].as_str().unwrap_or("x").to_string();
        let rel: PathBuf = [folder, &format!("{id}.json")].iter().collect();
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, &text).expect("write record");
        zip.start_file(rel.to_string_lossy(), options)
            .expect("zip member");
        zip.write_all(&text).expect("zip write");
    }
    zip.finish().expect("finish zip");
    (bytes, hits)
}

/// Record number `i`: its folder, its JSON and whether it names an installed source.
fn record(
    i: usize,
    sources: &[(String, String)],
    lorem: &str,
) -> (&'static str, serde_json::Value, bool) {
    let cve = format!("CVE-2099-{:05}", i);
    let details: String = lorem.chars().cycle().take(700 + (i * 37) % 600).collect();
    let modified = format!(
        "2025-{:02}-{:02}T{:02}:00:00Z",
        i % 12 + 1,
        i % 28 + 1,
        i % 24
    );
    let cvss = match i % 4 {
        0 => "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        1 => "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
        2 => "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N",
        _ => "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    };
    let versions =
        |base: &str| -> Vec<String> { (0..8 + i % 10).map(|k| format!("{base}-{k}")).collect() };
    // Every tenth record is a Debian 12 one; the first HITS of those name an
    // installed source (two in three still unfixed here).
    if i.is_multiple_of(10) {
        let n = i / 10;
        let (name, fixed, hit) = match sources.get(n % sources.len().max(1)) {
            Some((src, ver)) if n < HITS => {
                let fixed = if n % 3 == 2 {
                    ver.clone()
                } else {
                    format!("{ver}+deb12u99")
                };
                (src.clone(), fixed, n % 3 != 2)
            }
            _ => (format!("notinstalled{n}"), "1.0-1".to_string(), false),
        };
        let rec = json!({
            "schema_version": "1.7.3",
            "id": format!("DEBIAN-{cve}"),
            "modified": modified,
            "published": "2025-01-15T12:00:00Z",
            "upstream": [cve],
            "details": details,
            "affected": [
                {"package": {"ecosystem": "Debian:11", "name": name},
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.9-1"}]}],
                 "ecosystem_specific": {"urgency": "low"}},
                {"package": {"ecosystem": "Debian:12", "name": name,
                             "purl": format!("pkg:deb/debian/{name}?arch=source&distro=bookworm")},
                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
                 "versions": versions("1.0"),
                 "ecosystem_specific": {"urgency": "medium"}}
            ],
            "references": [{"type": "ADVISORY", "url": format!("https://security-tracker.debian.org/tracker/{cve}")}],
            "severity": [{"type": "CVSS_V3", "score": cvss}]
        });
        return ("Debian", rec, hit);
    }
    let (folder, ecosystem, prefix) = match i % 10 {
        1 | 2 => ("Debian", "Debian:11", "DEBIAN-"),
        3 => ("Debian", "Debian:13", "DEBIAN-"),
        4 | 5 => ("Ubuntu", "Ubuntu:22.04:LTS", "UBUNTU-"),
        6 => ("Ubuntu", "Ubuntu:24.04:LTS", "UBUNTU-"),
        7 | 8 => ("npm", "npm", "GHSA-"),
        _ => ("PyPI", "PyPI", "PYSEC-"),
    };
    // Same source names as installed here, in other ecosystems: never a match.
    let name = sources
        .get(i % sources.len().max(1))
        .map(|s| s.0.clone())
        .unwrap_or_else(|| format!("pkg{i}"));
    let rec = json!({
        "schema_version": "1.7.0",
        "id": format!("{prefix}{cve}"),
        "modified": modified,
        "published": "2025-01-22T13:15:00Z",
        "aliases": [],
        "upstream": [cve],
        "details": details,
        "severity": [{"type": "CVSS_V3", "score": cvss}, {"type": "Ubuntu", "score": "medium"}],
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0-1"}]}],
            "versions": versions("2.0"),
            "ecosystem_specific": {"availability": "No subscription required"}
        }],
        "references": [{"type": "REPORT", "url": format!("https://ubuntu.com/security/{cve}")}]
    });
    (folder, rec, false)
}
