//! File integrity for people and programs: what `fim init`, `fim check` and
//! `fim accept` did, and the problems of `fim verify-packages` the way
//! `dpkg --verify` prints them.

use super::{OutputFormat, json_document};
use crate::areas::fim::DigestAlg;
use crate::areas::fim::scan::ScanStats;
use crate::areas::fim::verify::{Problem, VerifyProblem, VerifyResult};
use crate::audit::AuditOutput;
use anyhow::Result;
use selfcheck_catalog::Lang;
use selfcheck_pkgdb::files::PackageFiles;
use selfcheck_report::{CheckOutcome, CheckRun, FileIntegrity, Finding};
use selfcheck_term::escape;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// The line `fim init` prints when the baseline is written.
pub fn init_line(entries: usize, s: &ScanStats, digest: DigestAlg, manifest: &Path) -> String {
    format!(
        "baseline written: {} entries ({} files, {} directories, {} bytes hashed with {} in {:.1} s, {} unreadable/vanished) -> {}",
        entries,
        s.files,
        s.dirs,
        s.bytes_hashed,
        digest.name(),
        s.seconds,
        s.errors,
        manifest.display()
    )
}

/// `fim check --format json`.
#[derive(Debug, Serialize)]
pub struct FimCheckView<'a> {
    /// The file-integrity checks and their outcomes.
    pub checks: &'a [CheckRun],
    /// The comparison with the baseline, when there is one.
    pub file_integrity: Option<&'a FileIntegrity>,
    /// Their findings.
    pub findings: &'a [Finding],
}

/// `fim check` for people: checks that could not run, findings, and the
/// comparison's counts, in `lang` (report text is escaped).
pub fn check_text(out: &AuditOutput, integrity: Option<&FileIntegrity>, lang: Lang) -> String {
    let mut s = String::new();
    for c in &out.checks {
        if let CheckOutcome::CouldNotRun { reason } = &c.outcome {
            let _ = writeln!(
                s,
                "{}{}{}",
                c.check_id,
                lang.pick("：未能执行：", ": could not run: "),
                escape(reason)
            );
        }
    }
    for f in &out.findings {
        let _ = writeln!(
            s,
            "[{}] {} {}: {}",
            super::risk_label(f.risk, lang),
            f.check_id,
            escape(&f.subject),
            escape(&f.evidence.join("; "))
        );
    }
    if let Some(i) = integrity {
        let _ = writeln!(
            s,
            "{}",
            match lang {
                Lang::Zh => format!(
                    "与 {} 的基线相比有 {} 处变化（{} 个文件，用 {} 计算了 {} 字节，耗时 {} 毫秒）",
                    i.baseline_created_at,
                    i.changes.len(),
                    i.files,
                    i.digest,
                    i.bytes_hashed,
                    i.scan_millis
                ),
                Lang::En => format!(
                    "{} change(s) against the baseline of {} ({} files, {} bytes hashed with {} in {} ms)",
                    i.changes.len(),
                    i.baseline_created_at,
                    i.files,
                    i.bytes_hashed,
                    i.digest,
                    i.scan_millis
                ),
            }
        );
        if i.accepted_automatically > 0 {
            let _ = writeln!(
                s,
                "{}",
                match lang {
                    Lang::Zh => format!(
                        "其中 {} 处可由软件包更新解释，已纳入新基线",
                        i.accepted_automatically
                    ),
                    Lang::En => format!(
                        "{} change(s) explained by package updates were taken into a new baseline",
                        i.accepted_automatically
                    ),
                }
            );
        }
        if let Some(p) = &i.package_records {
            let _ = writeln!(
                s,
                "{}{}",
                lang.pick("软件包记录：", "package records: "),
                escape(p)
            );
        }
    }
    s
}

/// `fim accept` for people: each accepted change (path, what changed), then
/// how many went into the new baseline at `manifest`.
pub fn accept_text<'a>(
    changes: impl IntoIterator<Item = (&'a str, &'a str)>,
    accepted: usize,
    manifest: &Path,
) -> String {
    let mut s = String::new();
    for (path, what) in changes {
        let _ = writeln!(s, "accepted {path}: {what}");
    }
    let _ = writeln!(
        s,
        "{accepted} change(s) accepted into a new baseline -> {}",
        manifest.display()
    );
    s
}

/// One problem of `fim verify-packages --format json`.
#[derive(Debug, Serialize)]
pub struct ProblemView<'a> {
    /// A configuration file (dpkg conffile, rpm %config).
    pub config: bool,
    /// What the path is now, or the read error.
    pub detail: Option<String>,
    /// The package that installed it.
    pub package: &'a str,
    /// The path (invalid UTF-8 replaced).
    pub path: String,
    /// The path's bytes in hex when they are not UTF-8.
    pub path_hex: Option<String>,
    /// `missing`, `digest-mismatch`, `not-regular` or `unreadable`.
    pub problem: &'static str,
}

/// `fim verify-packages --format json`.
#[derive(Debug, Serialize)]
pub struct VerifyView<'a> {
    /// Bytes hashed.
    pub bytes: u64,
    /// Problems in configuration files left out (no `--include-config`).
    pub config_problems_hidden: usize,
    /// Regular files hashed.
    pub files_checked: u64,
    /// `dpkg` or `rpm`.
    pub manager: &'static str,
    /// Paths the packages own.
    pub owned_paths: usize,
    /// The problems shown.
    pub problems: Vec<ProblemView<'a>>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Where the package records came from.
    pub source: &'a str,
    /// Package records that could not be read.
    pub warnings: &'a [String],
}

/// Print the problems (config files only with `include_config`) and the
/// summary; the number of problems shown.
pub fn render(
    result: &VerifyResult,
    files: &PackageFiles,
    include_config: bool,
    format: OutputFormat,
    out: &mut impl Write,
) -> Result<usize> {
    let shown: Vec<&VerifyProblem> = result
        .problems
        .iter()
        .filter(|p| include_config || !p.config)
        .collect();
    let hidden = result.problems.len() - shown.len();
    match format {
        OutputFormat::Table => {
            for p in &shown {
                out.write_all(dpkg_line_prefix(p).as_bytes())?;
                out.write_all(&p.path)?;
                writeln!(out, "{}  [{}]", detail(&p.problem), p.package)?;
            }
            writeln!(
                out,
                "{} files checked against {} ({}), {} bytes in {:.1} s: {} problems{}",
                result.files_checked,
                files.manager(),
                files.len(),
                result.bytes,
                result.seconds,
                shown.len(),
                if hidden > 0 {
                    format!(" ({hidden} more in configuration files: --include-config lists them)")
                } else {
                    String::new()
                }
            )?;
        }
        OutputFormat::Json => {
            let problems: Vec<_> = shown
                .iter()
                .map(|p| {
                    let (kind, what) = match &p.problem {
                        Problem::Missing => ("missing", None),
                        Problem::Mismatch => ("digest-mismatch", None),
                        Problem::NotRegular(w) => ("not-regular", Some(w.clone())),
                        Problem::Unreadable { errno } => (
                            "unreadable",
                            Some(std::io::Error::from_raw_os_error(*errno).to_string()),
                        ),
                    };
                    ProblemView {
                        config: p.config,
                        detail: what,
                        package: &p.package,
                        path: String::from_utf8_lossy(&p.path).into_owned(),
                        path_hex: std::str::from_utf8(&p.path)
                            .is_err()
                            .then(|| hex::encode(&p.path)),
                        problem: kind,
                    }
                })
                .collect();
            let v = VerifyView {
                bytes: result.bytes,
                config_problems_hidden: hidden,
                files_checked: result.files_checked,
                manager: files.manager(),
                owned_paths: files.len(),
                problems,
                seconds: result.seconds,
                source: files.source(),
                warnings: files.warnings(),
            };
            writeln!(out, "{}", json_document(&v)?)?;
        }
    }
    Ok(shown.len())
}

/// `dpkg --verify`'s columns: nine result characters (`missing  ` or
/// `?M5??????`), a space, `c` for a configuration file, a space.
fn dpkg_line_prefix(p: &VerifyProblem) -> String {
    let result = match &p.problem {
        Problem::Missing => "missing  ",
        Problem::Mismatch => "??5??????",
        Problem::NotRegular(_) => "?M???????",
        Problem::Unreadable { .. } => "?????????",
    };
    format!("{result} {} ", if p.config { 'c' } else { ' ' })
}

fn detail(p: &Problem) -> String {
    match p {
        Problem::NotRegular(what) => format!(" (now a {what})"),
        Problem::Unreadable { errno } => {
            format!(" ({})", std::io::Error::from_raw_os_error(*errno))
        }
        Problem::Missing | Problem::Mismatch => String::new(),
    }
}
