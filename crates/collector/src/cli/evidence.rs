//! `evidence` and `verify`: make the month's signed evidence package, and
//! check one offline (no store needed, as the cyber office does).

use super::args::{EvidenceArgs, GlobalArgs, VerifyArgs};
use crate::app;
use crate::evidence::VerifyReport;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;

/// Run `evidence`: render the month's documents and write its package to
/// `--out`, signed with the collector key and, where configured, the SM2 key.
pub fn run_evidence(global: &GlobalArgs, args: &EvidenceArgs) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let config = app::load_config(global.config.as_deref(), &dir)?;
    let catalog = global.catalog()?;
    let period = args.month.or_current();
    let done = app::evidence::export(
        &dir,
        &config,
        &catalog,
        period,
        &args.out,
        args.sm2.as_deref(),
    )?;
    let sm2_part = done
        .sm2_fingerprint
        .as_ref()
        .map(|fp| format!(" and SM2 key {fp}"))
        .unwrap_or_default();
    println!(
        "evidence package {}: {} agent report(s), {} bytes, signed by collector key {}{sm2_part}, written to {}",
        done.period,
        done.reports,
        done.size,
        done.key_fingerprint,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Run `verify`: exit 0 when intact, 1 with one line per problem.
pub fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let report = app::evidence::verify(&args.file, &args.expect_key)?;
    if args.json.json {
        let mut value = serde_json::to_value(&report)?;
        value["intact"] = report.is_intact().into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!(
            "{}",
            selfcheck_documents::terminal::escape_lines(&verify_text(&args.file, &report))
        );
    }
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The text `verify` prints: a header, then one line per problem or `intact`.
pub fn verify_text(file: &Path, report: &VerifyReport) -> String {
    let mut out = String::new();
    let or_unknown = |s: Option<String>| s.unwrap_or_else(|| "?".to_string());
    let sm2_part = report
        .sm2_key_fingerprint
        .as_ref()
        .map(|fp| format!(" and SM2 key {fp}"))
        .unwrap_or_default();
    out.push_str(&format!(
        "{}: evidence package {}, made {}, signed by collector key {}{sm2_part}\n",
        file.display(),
        or_unknown(report.period.map(|p| p.to_string())),
        or_unknown(report.created_at.clone()),
        or_unknown(report.key_fingerprint.clone()),
    ));
    for p in &report.problems {
        let line: String = p
            .to_string()
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        out.push_str(&format!("problem: {line}\n"));
    }
    if report.is_intact() {
        let signatures = if report.sm2_signature_valid {
            "Ed25519 and SM2 signatures verified"
        } else {
            "Ed25519 signature verified (no SM2 signature)"
        };
        out.push_str(&format!(
            "intact: {} member(s), {signatures}, {} agent report(s) verified, {} history entr(y/ies) verified; history head at packaging {} ({} entries)\n",
            report.members,
            report.reports_verified,
            report.history_entries,
            or_unknown(report.history_head.clone()),
            or_unknown(report.history_count.map(|c| c.to_string())),
        ));
    } else {
        out.push_str(&format!(
            "NOT INTACT: {} problem(s)\n",
            report.problems.len()
        ));
    }
    out
}
