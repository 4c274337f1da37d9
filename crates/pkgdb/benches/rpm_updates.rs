//! Benchmark: pending updates of an RPM host from a large cached repository.
//!
//! Generates, in a temporary root, a dnf cache of one repository with 30,000
//! packages (`primary.xml.gz` in createrepo_c's shape, each package with its
//! description, provides, requires and files) and 3,000 advisories
//! (`updateinfo.xml.gz`), and an installed list of 1,500 packages of which 150
//! have a newer version. Times `pending_updates` (median of 5 runs), checks
//! the answer, and prints the process's peak resident memory (VmHWM from
//! /proc/self/status; it covers this whole bench process, reset after the
//! data are generated where the kernel allows it). Prints PASS or FAIL against
//! the targets (< 2 s, < 150 MB) and exits non-zero on FAIL.
//!
//! Then, when rpmbuild is installed, the same 1,500 packages are built as real
//! rpms and installed into the root's `var/lib/rpm/rpmdb.sqlite`, and the
//! whole path is timed as `selfcheck-agent packages --root ROOT` runs it:
//! [`read_inventory`] (os-release, rpm database, repository metadata, every
//! advisory), in a fresh copy of this bench, with its peak memory (that
//! copy's `ru_maxrss`).
//!
//! Run: `cargo bench -p selfcheck-pkgdb --bench rpm_updates`.

#[path = "../tests/support/rpm_fixture.rs"]
mod rpm_fixture;

use selfcheck_hostfs::identity::os_release_fields;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::inventory::read_inventory;
use selfcheck_pkgdb::rpm::updates::pending_updates;
use selfcheck_report::OsRelease;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PACKAGES: usize = 30_000;
/// Names with two versions in the repository (the rest have one).
const TWO_VERSIONS: usize = 6_000;
const INSTALLED: usize = 1_500;
/// Installed packages with an update (every tenth).
const WITH_UPDATE: usize = INSTALLED / 10;
const ADVISORIES: usize = 3_000;
const RUNS: usize = 5;
const TARGET_TIME: Duration = Duration::from_secs(2);
const TARGET_MB: f64 = 150.0;

fn main() -> ExitCode {
    if let Some(root) = std::env::var_os(AGENT_ROOT_ENV) {
        return time_agent_runs(Path::new(&root));
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let started = Instant::now();
    let (installed, sizes) = match generate(dir.path()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("rpm_updates: cannot generate the repository: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "rpm_updates: {PACKAGES} packages ({:.1} MB primary.xml, {:.1} MB gzip), {ADVISORIES} advisories ({:.1} MB updateinfo.xml), {} installed; generated in {:.1} s",
        sizes.0 as f64 / 1e6,
        sizes.1 as f64 / 1e6,
        sizes.2 as f64 / 1e6,
        installed.len(),
        started.elapsed().as_secs_f64()
    );
    let reset = reset_peak_rss();
    let root = HostRoot::at(dir.path()).expect("root");
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let u = match pending_updates(&root, &installed) {
            Ok(u) => u,
            Err(e) => {
                eprintln!("rpm_updates: {e}");
                return ExitCode::FAILURE;
            }
        };
        times.push(t.elapsed());
        let security = u.upgradable.iter().filter(|p| p.security).count();
        if u.upgradable.len() != WITH_UPDATE || !u.warnings.is_empty() || security == 0 {
            eprintln!(
                "rpm_updates: wrong answer: {} upgradable (want {WITH_UPDATE}), {security} security, warnings {:?}",
                u.upgradable.len(),
                u.warnings
            );
            return ExitCode::FAILURE;
        }
        count = u.upgradable.len();
    }
    times.sort();
    let median = times[RUNS / 2];
    let peak_mb = peak_rss_kb().map(|kb| kb as f64 / 1024.0);
    println!(
        "pending_updates: median {:.0} ms of {RUNS} runs (min {:.0} ms, max {:.0} ms); {count} upgradable",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3
    );
    match peak_mb {
        Some(mb) => println!(
            "peak RSS (VmHWM of this bench process{}): {mb:.1} MB",
            if reset {
                ", reset after generating the data"
            } else {
                ", including the data generation"
            }
        ),
        None => println!("peak RSS: unknown (no /proc/self/status)"),
    }
    let (mut time_ok, mut mem_ok) = (
        median < TARGET_TIME,
        peak_mb.is_some_and(|mb| mb < TARGET_MB),
    );
    match whole_agent(dir.path(), &installed) {
        Ok(Some((t, mb))) => {
            println!(
                "read_inventory (rpm database of {INSTALLED} packages + repodata): median {:.0} ms of {RUNS} runs, peak RSS {mb:.1} MB",
                t.as_secs_f64() * 1e3
            );
            time_ok &= t < TARGET_TIME;
            mem_ok &= mb < TARGET_MB;
        }
        Ok(None) => println!("read_inventory: skipped (no rpmbuild here)"),
        Err(e) => {
            eprintln!("rpm_updates: whole-inventory run failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!(
        "time: {} (target < {} s); memory: {} (target < {TARGET_MB} MB)",
        if time_ok { "PASS" } else { "FAIL" },
        TARGET_TIME.as_secs(),
        if mem_ok { "PASS" } else { "FAIL" }
    );
    if time_ok && mem_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

type Installed = Vec<(String, String, String)>;

/// Build the installed packages as real rpms (one spec, a subpackage each),
/// install them into `root`, and time [`read_inventory`] there.
/// `None` when rpmbuild is missing.
fn whole_agent(root: &Path, installed: &Installed) -> Result<Option<(Duration, f64)>, String> {
    if std::process::Command::new("rpmbuild")
        .arg("--version")
        .output()
        .is_err()
    {
        return Ok(None);
    }
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=\"openEuler\"\nID=\"openEuler\"\nVERSION_ID=\"22.03\"\nPRETTY_NAME=\"openEuler 22.03 (LTS-SP3)\"\n",
    )
    .map_err(|e| e.to_string())?;
    let mut spec = String::from(
        "Name: benchhost\nVersion: 1.0\nRelease: 1\nSummary: bench\nLicense: MIT\n%description\nbench\n%files\n",
    );
    for (name, arch, evr) in installed {
        let release = evr.rsplit_once('-').map_or("1", |(_, r)| r);
        let build_arch = if arch == "noarch" {
            "BuildArch: noarch\n"
        } else {
            ""
        };
        spec.push_str(&format!(
            "%package -n {name}\nSummary: {name}\nRelease: {release}\n{build_arch}%description -n {name}\n{name}\n%files -n {name}\n"
        ));
    }
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let rpms = rpm_fixture::build(work.path(), &[("benchhost".to_string(), spec)]);
    rpm_fixture::install(root, &rpms);
    println!(
        "built and installed {} rpms in {:.1} s",
        rpms.len(),
        started.elapsed().as_secs_f64()
    );
    // Time the inventory in a fresh copy of this bench, so its peak RSS is the
    // inventory's alone (the generated data and rpmbuild belong to this one).
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .env(AGENT_ROOT_ENV, root)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr)));
    }
    let mut words = text.split_whitespace();
    let ms: f64 = words
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or("no time printed")?;
    let kb: f64 = words
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or("no memory printed")?;
    Ok(Some((Duration::from_secs_f64(ms / 1e3), kb / 1024.0)))
}

/// Set to a root: this process only times [`read_inventory`] there.
const AGENT_ROOT_ENV: &str = "SELFCHECK_BENCH_AGENT_ROOT";

/// The child side of [`whole_agent`]: prints "MEDIAN_MS PEAK_KB".
fn time_agent_runs(root: &Path) -> ExitCode {
    let root = match HostRoot::at(root) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot open the root {}: {e}", root.display());
            return ExitCode::FAILURE;
        }
    };
    let os = os_release(&root);
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let inv = match read_inventory(&root, &os) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("cannot compute pending updates: {e}");
                return ExitCode::FAILURE;
            }
        };
        times.push(t.elapsed());
        let (upgradable, count) = (inv.upgradable.len(), inv.installed.len());
        if upgradable != WITH_UPDATE || count != INSTALLED + 1 {
            eprintln!("wrong answer: {upgradable} upgradable, {count} installed");
            return ExitCode::FAILURE;
        }
    }
    times.sort();
    let peak_kb = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|u| u.max_rss())
        .unwrap_or(0);
    println!("{} {peak_kb}", times[RUNS / 2].as_secs_f64() * 1e3);
    ExitCode::SUCCESS
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

/// Write the host below `root`; returns the installed list and the sizes of
/// primary.xml (plain, gzip) and updateinfo.xml (plain).
fn generate(root: &Path) -> std::io::Result<(Installed, (u64, u64, u64))> {
    let write = |p: &str, text: &str| -> std::io::Result<()> {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap())?;
        std::fs::write(p, text)
    };
    write(
        "etc/dnf/dnf.conf",
        "[main]\ngpgcheck=1\ninstallonly_limit=3\nbest=True\n",
    )?;
    write(
        "etc/yum.repos.d/openEuler.repo",
        "[everything]\nname=everything\nbaseurl=http://repo.openeuler.org/openEuler-22.03-LTS-SP3/everything/$basearch/\nenabled=1\ngpgcheck=1\n",
    )?;
    let repodata = root.join("var/cache/dnf/everything-3c1f0e5d2b7a9c84/repodata");
    std::fs::create_dir_all(&repodata)?;

    let names = PACKAGES - TWO_VERSIONS;
    let name = |i: usize| format!("pkg{i:05}-{}", ["libs", "devel", "tools", "common"][i % 4]);
    let arch = |i: usize| if i % 10 < 7 { "x86_64" } else { "noarch" };
    // primary.xml.gz: names 0..TWO_VERSIONS have 1.0-1 and 1.0-2, the rest 1.0-1.
    let (plain, packed) = gzip_file(&repodata.join("primary.xml.gz"), |w| {
        writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            w,
            r#"<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{PACKAGES}">"#
        )?;
        for i in 0..names {
            package(w, &name(i), arch(i), "1")?;
            if i < TWO_VERSIONS {
                package(w, &name(i), arch(i), "2.oe2203sp3")?;
            }
        }
        writeln!(w, "</metadata>")
    })?;
    // updateinfo.xml.gz: advisories for the second versions.
    let kinds = ["security", "bugfix", "enhancement"];
    let severities = ["Critical", "Important", "Moderate", "Low"];
    let (info_plain, _) = gzip_file(&repodata.join("updateinfo.xml.gz"), |w| {
        writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(w, "<updates>")?;
        for a in 0..ADVISORIES {
            let kind = kinds[a % 3];
            let prefix = if kind == "security" { "SA" } else { "BA" };
            writeln!(
                w,
                r#"  <update from="openeuler.org" type="{kind}" status="stable">"#
            )?;
            writeln!(w, "    <id>openEuler-{prefix}-2024-{a:05}</id>")?;
            writeln!(
                w,
                "    <title>An update for {} is now available for openEuler-22.03-LTS-SP3</title>",
                name(a)
            )?;
            writeln!(w, "    <severity>{}</severity>", severities[a % 4])?;
            writeln!(
                w,
                "    <release>openEuler</release>\n    <issued date=\"2024-03-01\"></issued>"
            )?;
            writeln!(w, "    <references>")?;
            for c in 0..3 {
                writeln!(
                    w,
                    r#"      <reference href="https://nvd.nist.gov/vuln/detail/CVE-2024-{a}{c}" id="CVE-2024-{a}{c}" title="CVE-2024-{a}{c}" type="cve"></reference>"#
                )?;
            }
            writeln!(w, "    </references>")?;
            writeln!(
                w,
                "    <description>{}</description>",
                "A flaw was found that may allow an attacker to do harm. ".repeat(6)
            )?;
            writeln!(
                w,
                "    <pkglist>\n      <collection>\n        <name>openEuler</name>"
            )?;
            for k in 0..2 {
                let i = (a * 2 + k) % TWO_VERSIONS;
                writeln!(
                    w,
                    r#"        <package arch="{}" name="{}" release="2.oe2203sp3" version="1.0">"#,
                    arch(i),
                    name(i)
                )?;
                writeln!(
                    w,
                    "          <filename>{}-1.0-2.oe2203sp3.{}.rpm</filename>\n        </package>",
                    name(i),
                    arch(i)
                )?;
            }
            writeln!(w, "      </collection>\n    </pkglist>\n  </update>")?;
        }
        writeln!(w, "</updates>")
    })?;
    let repomd = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1709251200</revision>
  <data type="primary">
    <location href="repodata/primary.xml.gz"/>
    <timestamp>1709251200</timestamp>
    <size>{packed}</size>
    <open-size>{plain}</open-size>
  </data>
  <data type="updateinfo">
    <location href="repodata/updateinfo.xml.gz"/>
    <timestamp>1709251200</timestamp>
  </data>
</repomd>
"#
    );
    std::fs::write(repodata.join("repomd.xml"), repomd)?;

    // Installed: every fourth name; those below TWO_VERSIONS at the old
    // version (an update), the others at the newest.
    let mut installed = Vec::new();
    let mut i = 0;
    while installed.len() < INSTALLED {
        let upgradable = installed.len() % 10 == 0;
        let (n, rel) = if upgradable {
            ((installed.len() / 10) * 2 % TWO_VERSIONS, "1")
        } else {
            (TWO_VERSIONS + i * 4 % (names - TWO_VERSIONS), "1")
        };
        if !upgradable {
            i += 1;
        }
        installed.push((name(n), arch(n).to_string(), format!("1.0-{rel}")));
    }
    installed.sort();
    installed.dedup();
    assert_eq!(installed.len(), INSTALLED, "distinct installed packages");
    Ok((installed, (plain, packed, info_plain)))
}

/// One `<package>` in createrepo_c's shape.
fn package(w: &mut dyn Write, name: &str, arch: &str, rel: &str) -> std::io::Result<()> {
    writeln!(w, r#"<package type="rpm">"#)?;
    writeln!(w, "  <name>{name}</name>\n  <arch>{arch}</arch>")?;
    writeln!(w, r#"  <version epoch="0" ver="1.0" rel="{rel}"/>"#)?;
    writeln!(
        w,
        r#"  <checksum type="sha256" pkgid="YES">{}</checksum>"#,
        "5a".repeat(32)
    )?;
    writeln!(
        w,
        "  <summary>The {name} package &amp; its helpers</summary>"
    )?;
    writeln!(
        w,
        "  <description>{}</description>",
        "This package provides a library and tools used by other packages. ".repeat(4)
    )?;
    writeln!(
        w,
        "  <packager>http://openeuler.org</packager>\n  <url>https://example.org/{name}</url>"
    )?;
    writeln!(w, r#"  <time file="1709251200" build="1709251100"/>"#)?;
    writeln!(
        w,
        r#"  <size package="123456" installed="456789" archive="460000"/>"#
    )?;
    writeln!(
        w,
        r#"  <location href="Packages/{name}-1.0-{rel}.{arch}.rpm"/>"#
    )?;
    writeln!(
        w,
        "  <format>\n    <rpm:license>MIT</rpm:license>\n    <rpm:vendor>openEuler</rpm:vendor>"
    )?;
    writeln!(
        w,
        "    <rpm:group>Unspecified</rpm:group>\n    <rpm:buildhost>dc-64g.compass-ci</rpm:buildhost>"
    )?;
    writeln!(
        w,
        "    <rpm:sourcerpm>{name}-1.0-{rel}.src.rpm</rpm:sourcerpm>"
    )?;
    writeln!(w, r#"    <rpm:header-range start="4504" end="23456"/>"#)?;
    writeln!(w, "    <rpm:provides>")?;
    for p in 0..5 {
        writeln!(
            w,
            r#"      <rpm:entry name="{name}-cap{p}" flags="EQ" epoch="0" ver="1.0" rel="{rel}"/>"#
        )?;
    }
    writeln!(w, "    </rpm:provides>\n    <rpm:requires>")?;
    for r in 0..12 {
        writeln!(w, r#"      <rpm:entry name="libdep{r}.so.1()(64bit)"/>"#)?;
    }
    writeln!(
        w,
        r#"      <rpm:entry name="rpmlib(CompressedFileNames)" flags="LE" epoch="0" ver="3.0.4" rel="1" pre="1"/>"#
    )?;
    writeln!(w, "    </rpm:requires>")?;
    writeln!(
        w,
        "    <file>/usr/bin/{name}</file>\n    <file>/etc/{name}.conf</file>"
    )?;
    writeln!(w, "  </format>\n</package>")
}

/// Write a gzip file through `body`; returns (plain, compressed) sizes.
fn gzip_file(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<(u64, u64)> {
    struct Count<W>(W, u64);
    impl<W: Write> Write for Count<W> {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let n = self.0.write(b)?;
            self.1 += n as u64;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.flush()
        }
    }
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut w = Count(std::io::BufWriter::with_capacity(1 << 16, gz), 0);
    body(&mut w)?;
    let plain = w.1;
    let gz = w.0.into_inner().map_err(|e| e.into_error())?;
    gz.finish()?.flush()?;
    Ok((plain, std::fs::metadata(path)?.len()))
}

/// Reset the peak RSS (Linux: write 5 to /proc/self/clear_refs).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// VmHWM of this process, in KiB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
