//! `finding show|set` and `history verify|list`: people's actions on
//! findings, each appended to the hash-chained history.

use super::args::{FindingCommand, GlobalArgs, HistoryCommand};
use super::say;
use crate::app;
use crate::app::findings::Targets;
use anyhow::{Result, bail};
use selfcheck_documents::finding::{FindingText, finding_text, history_text, verification_text};
use selfcheck_ledger::engine::Action;
use selfcheck_term::escape_lines;
use std::process::ExitCode;

/// Run a `finding` subcommand.
pub fn run_finding(global: &GlobalArgs, cmd: FindingCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let config = app::load_config(global.config.as_deref(), &dir)?;
    match cmd {
        FindingCommand::Show { id, format } => {
            let lang = global.lang;
            let view = app::findings::show(&dir, &config, &id)?;
            let catalog = global.catalog()?;
            if format.is_json() {
                let entry = &view.entry;
                let v = serde_json::json!({
                    "finding_no": entry.finding_no.to_string(),
                    "fingerprint": entry.fingerprint.as_str(),
                    "asset_key": entry.asset_key,
                    "asset_name": view.asset_name,
                    "hostname": view.host.as_ref().map(|h| &h.0),
                    "ip_addresses": view.host.as_ref().map(|h| &h.1),
                    "check_id": entry.check_id.as_str(),
                    "subject": entry.subject,
                    "first_seen_at": entry.first_seen_at.to_rfc3339(),
                    "state": view.state,
                    "evidence": view.evidence,
                    "actions": view.actions,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(ExitCode::SUCCESS);
            }
            print!(
                "{}",
                escape_lines(&finding_text(
                    &FindingText {
                        entry: &view.entry,
                        state: view.state.as_ref(),
                        actions: &view.actions,
                        host: view.host.as_ref(),
                        asset_name: view.asset_name.as_deref(),
                        check: catalog.get(&view.entry.check_id),
                        evidence: &view.evidence,
                    },
                    lang
                ))
            );
            Ok(ExitCode::SUCCESS)
        }
        FindingCommand::Set(args) => {
            let action = Action {
                at: chrono::Local::now().fixed_offset(),
                by: args.by.by.clone(),
                status: args.status,
                reason: args.reason.reason.clone(),
                measure: args.measure.clone(),
                mitigation: args.mitigation.clone(),
                owner: args.owner.clone(),
                approver: args.approver.clone(),
                until: args.until,
            };
            let targets = match &args.id {
                Some(id) => Targets::One(id),
                None => Targets::Matching {
                    asset: args.asset.as_deref(),
                    check: args.check.as_deref(),
                },
            };
            let outcome = app::findings::set(&dir, &config, targets, &action, |change| {
                say(&format!(
                    "{}: {} -> {} (history entry {})",
                    change.entry.finding_no, change.from, change.to, change.seq
                ));
            })?;
            for s in &outcome.skipped {
                eprintln!("skipped {}", escape_lines(&s.to_string()));
            }
            if outcome.changed == 0 {
                bail!("no finding was changed");
            }
            say(&format!(
                "{} finding(s) set to {}",
                outcome.changed, action.status
            ));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Run a `history` subcommand.
pub fn run_history(global: &GlobalArgs, cmd: HistoryCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    match cmd {
        HistoryCommand::Verify { format } => {
            let v = app::findings::verify_history(&dir)?;
            if format.is_json() {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print!("{}", escape_lines(&verification_text(&v, global.lang)));
            }
            Ok(if v.is_intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        HistoryCommand::List { finding, format } => {
            let entries = app::findings::history(&dir, finding.as_deref())?;
            if format.is_json() {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                print!("{}", escape_lines(&history_text(&entries, global.lang)));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
