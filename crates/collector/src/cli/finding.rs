//! `finding show|set` and `history verify|list`: people's actions on
//! findings, each appended to the hash-chained history.

use super::args::{FindingCommand, GlobalArgs, HistoryCommand};
use super::say;
use crate::app;
use crate::app::findings::Targets;
use anyhow::{Result, bail};
use selfcheck_catalog::Lang;
use selfcheck_ledger::engine::Action;
use selfcheck_ledger::ledger::risk_label;
use selfcheck_term::escape_lines;
use std::process::ExitCode;

/// Run a `finding` subcommand.
pub fn run_finding(global: &GlobalArgs, cmd: FindingCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let config = app::load_config(global.config.as_deref(), &dir)?;
    match cmd {
        FindingCommand::Show { id, format } => {
            let lang = global.lang;
            let app::findings::FindingView {
                entry,
                state,
                actions,
            } = app::findings::show(&dir, &config, &id)?;
            if format.is_json() {
                let v = serde_json::json!({
                    "finding_no": entry.finding_no.to_string(),
                    "fingerprint": entry.fingerprint.as_str(),
                    "asset_key": entry.asset_key,
                    "check_id": entry.check_id.as_str(),
                    "subject": entry.subject,
                    "first_seen_at": entry.first_seen_at.to_rfc3339(),
                    "state": state,
                    "actions": actions,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(ExitCode::SUCCESS);
            }
            say(&format!("{} {}", entry.finding_no, entry.fingerprint));
            say(&format!("  asset:   {}", entry.asset_key));
            say(&format!("  check:   {} {}", entry.check_id, entry.subject));
            match &state {
                Some(s) => {
                    let status = if lang == Lang::Zh {
                        s.status.zh()
                    } else {
                        s.status.en()
                    };
                    say(&format!(
                        "  status:  {status}{}  risk {}  deadline {}",
                        if s.overdue { " (overdue)" } else { "" },
                        risk_label(s.risk, lang),
                        s.deadline.map_or_else(|| "—".into(), |d| d.to_string())
                    ));
                    say(&format!(
                        "  seen:    first {}, last {} (report {}), occurrences {}",
                        s.first_seen, s.last_seen, s.last_report, s.occurrences
                    ));
                    if let Some((report, day)) = &s.closed_by {
                        say(&format!("  closed:  {day} by re-check report {report}"));
                    }
                }
                None => say("  status:  closed before this month"),
            }
            for a in &actions {
                println!(
                    "  {} {} -> {}: {}{}{}",
                    a.at.to_rfc3339(),
                    a.by,
                    a.status,
                    a.reason,
                    a.measure
                        .as_ref()
                        .map_or_else(String::new, |m| format!("; measure: {m}")),
                    a.owner
                        .as_ref()
                        .map_or_else(String::new, |o| format!("; owner: {o}"))
                );
            }
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
            } else if v.is_intact() {
                let seals = match &v.key_fingerprint {
                    Some(key) => format!("{} sealed by collector key {key}", v.sealed),
                    None => "seals not checked (no collector key)".to_string(),
                };
                say(&format!(
                    "history intact: {} entries, head {}, {seals}",
                    v.entries, v.head
                ));
            } else {
                for p in &v.problems {
                    say(p);
                }
                say(&format!(
                    "history BROKEN: {} problem(s) in {} entries",
                    v.problems.len(),
                    v.entries
                ));
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
                for e in &entries {
                    say(&format!(
                        "{:>6} {} {:<20} {:<16} {} {}",
                        e.seq,
                        e.at,
                        e.kind,
                        e.actor,
                        e.fingerprint.as_deref().unwrap_or("-"),
                        e.digest
                    ));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
