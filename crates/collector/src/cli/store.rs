//! `store verify` and `store seal`: the store proves its ledger from the
//! signed reports and the history, and a store made before sealing is bound
//! to the collector key.

use super::args::{GlobalArgs, StoreCommand, StoreVerifyArgs};
use crate::app;
use anyhow::Result;
use selfcheck_ledger::store::StoreAudit;
use std::process::ExitCode;

/// Run a `store` subcommand.
pub fn run_store(global: &GlobalArgs, cmd: StoreCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    match cmd {
        StoreCommand::Verify(args) => run_verify(&dir, &args),
        StoreCommand::Seal => {
            match app::store::seal(&dir)? {
                Some(entry) => println!(
                    "history bound to the collector key: {} entr(y/ies) sealed, recorded as history entry {} ({})",
                    entry.seq - 1,
                    entry.seq,
                    entry.digest
                ),
                None => println!("the history is sealed already; nothing changed"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_verify(dir: &std::path::Path, args: &StoreVerifyArgs) -> Result<ExitCode> {
    let head = match (&args.previous, &args.expect_head) {
        (Some(previous), _) => Some(app::evidence::head_of_package(previous)?),
        (None, Some(head)) => Some(app::store::parse_head(head)?),
        (None, None) => None,
    };
    let audit = app::store::verify(dir, head)?;
    if args.format.is_json() {
        let mut value = serde_json::to_value(&audit)?;
        value["consistent"] = audit.is_consistent().into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", audit_text(&audit));
    }
    Ok(if audit.is_consistent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The text `store verify` prints: one line per difference, then the verdict.
pub fn audit_text(audit: &StoreAudit) -> String {
    let mut out = String::new();
    for p in &audit.problems {
        let line: String = p
            .to_string()
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        out.push_str(&format!("differs: {line}\n"));
    }
    let seals = match &audit.history.key_fingerprint {
        Some(key) => format!("{} sealed by collector key {key}", audit.history.sealed),
        None => "seals not checked (no collector key in the data directory)".to_string(),
    };
    let summary = format!(
        "{} report(s), {} re-verified, {} derived row(s) compared; history {} entries, head {}, {seals}",
        audit.reports,
        audit.reports_verified,
        audit.rows_compared,
        audit.history.entries,
        audit.history.head
    );
    if audit.is_consistent() {
        out.push_str(&format!("store consistent: {summary}\n"));
    } else {
        out.push_str(&format!(
            "store INCONSISTENT: {} difference(s); {summary}\n",
            audit.problems.len()
        ));
    }
    out
}
