//! `selfcheck-agent fim verify-packages`: every package-owned file checked
//! against its package digest, printed the way `dpkg --verify` prints.

use super::args::{CommonArgs, OutputFormat, VerifyArgs};
use crate::app::run::open_root;
use crate::areas::fim::verify::{Problem, VerifyProblem, VerifyResult, verify_packages};
use anyhow::{Result, anyhow};
use selfcheck_pkgdb::files::PackageFiles;
use std::io::Write;
use std::process::ExitCode;

/// Run `fim verify-packages`. Exit status 1 when a problem is shown, else 0.
pub fn run(common: &CommonArgs, args: VerifyArgs) -> Result<ExitCode> {
    let root = open_root(common.root.as_deref())?;
    let files = PackageFiles::load(&root)
        .map_err(|e| anyhow!("cannot read the package database: {e}"))?
        .ok_or_else(|| {
            anyhow!(
                "{} has no package database (neither var/lib/dpkg/status nor an rpm database \
                 in var/lib/rpm or usr/lib/sysimage/rpm): there is nothing to verify against",
                root.dir().display()
            )
        })?;
    for w in files.warnings() {
        eprintln!("warning: {w}");
    }
    let result = verify_packages(&root, &files, args.threads);
    let mut out = std::io::stdout().lock();
    let shown = render(
        &result,
        &files,
        args.include_config,
        common.format,
        &mut out,
    )?;
    out.flush()?;
    Ok(if shown > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
                    serde_json::json!({
                        "path": String::from_utf8_lossy(&p.path),
                        "path_hex": std::str::from_utf8(&p.path).is_err().then(|| hex::encode(&p.path)),
                        "package": p.package,
                        "config": p.config,
                        "problem": kind,
                        "detail": what,
                    })
                })
                .collect();
            let v = serde_json::json!({
                "manager": files.manager(),
                "source": files.source(),
                "owned_paths": files.len(),
                "files_checked": result.files_checked,
                "bytes": result.bytes,
                "seconds": result.seconds,
                "config_problems_hidden": hidden,
                "warnings": files.warnings(),
                "problems": problems,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
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
