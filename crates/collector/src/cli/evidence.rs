//! `evidence` and `verify`: make the month's signed evidence package, and
//! check one offline (no store needed, as the cyber office does).

use super::args::{EvidenceArgs, GlobalArgs, VerifyArgs};
use crate::app;
use crate::evidence::{Verdict, VerifyReport};
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
        "evidence package {}: {} agent report(s), {} bytes, signed by collector key {}{sm2_part}, history head {}:{}, written to {}",
        done.period,
        done.reports,
        done.size,
        done.key_fingerprint,
        done.history_head.0,
        done.history_head.1,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Exit status of `verify` when nothing is wrong but the signer was not
/// checked against any expected key.
pub const SIGNER_NOT_CHECKED: u8 = 3;

/// Run `verify`: exit 0 when intact and signed by the expected key, 1 with
/// one line per problem, 3 when intact but the signer was not checked.
pub fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let anchors = app::evidence::Anchors {
        expect_keys: &args.expect_key,
        previous: args.previous.as_deref(),
        expect_head: args.expect_head.as_deref(),
    };
    let report = app::evidence::verify(&args.file, &anchors)?;
    let verdict = report.verdict();
    if args.format.is_json() {
        let mut value = serde_json::to_value(&report)?;
        value["intact"] = (verdict == Verdict::Intact).into();
        value["verdict"] = serde_json::to_value(verdict)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!(
            "{}",
            selfcheck_term::escape_lines(&verify_text(&args.file, &report))
        );
    }
    Ok(match verdict {
        Verdict::Intact => ExitCode::SUCCESS,
        Verdict::NotIntact => ExitCode::from(1),
        Verdict::SignerNotChecked => ExitCode::from(SIGNER_NOT_CHECKED),
    })
}

/// The text `verify` prints: a header, then one line per problem and the verdict.
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
    let signatures = if report.sm2_signature_valid {
        "Ed25519 and SM2 signatures verified"
    } else {
        "Ed25519 signature verified (no SM2 signature)"
    };
    let sealed = if report.history_sealed {
        "sealed"
    } else if report.history_entries == 0 {
        "no history entries"
    } else {
        "not sealed (made before history sealing)"
    };
    let extends = report
        .extends_head
        .map(|seq| format!("; extends the earlier head at entry {seq}"))
        .unwrap_or_default();
    let summary = format!(
        "{} member(s), {signatures}, {} agent report(s) verified, {} history entr(y/ies) verified, {sealed}; history head at packaging {} ({} entries){extends}",
        report.members,
        report.reports_verified,
        report.history_entries,
        or_unknown(report.history_head.clone()),
        or_unknown(report.history_count.map(|c| c.to_string())),
    );
    match report.verdict() {
        Verdict::Intact => out.push_str(&format!(
            "intact: signed by the expected collector key; {summary}\n"
        )),
        Verdict::SignerNotChecked => out.push_str(&format!(
            "signature valid, signer not checked: the package is consistent and signed by collector key {}, but nothing says that key is the unit's; pass --expect-key (the fingerprint the unit gave you) or --previous LAST_MONTH.zip; {summary}\n",
            or_unknown(report.key_fingerprint.clone())
        )),
        Verdict::NotIntact => out.push_str(&format!(
            "NOT INTACT: {} problem(s)\n",
            report.problems.len()
        )),
    }
    out
}
