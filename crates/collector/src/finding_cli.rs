//! `selfcheck-collector finding show|set` and `history verify|list`: people's
//! actions on findings, each appended to the hash-chained history.

use crate::cli::{GlobalArgs, parse_lang};
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use selfcheck_catalog::Lang;
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::engine::{Action, Rules, Status, may_set};
use selfcheck_ledger::ledger::risk_label;
use selfcheck_ledger::store::{RegistryEntry, Store};
use std::process::ExitCode;

/// `finding` subcommands.
#[derive(Debug, Subcommand)]
pub enum FindingCommand {
    /// Show one finding: where it was seen, its status, deadline and every action on it.
    Show {
        /// Ledger number (2026-11-H-003) or fingerprint (or a unique prefix of one).
        id: String,
        /// Language: zh or en.
        #[arg(long, default_value = "zh", value_parser = parse_lang)]
        lang: Lang,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Set the status of findings (recorded in the history with who and why).
    Set(SetArgs),
}

/// Options of `finding set`.
#[derive(Debug, Args)]
#[command(
    long_about = "Set the rectification status of one finding, or of every open finding of an \
asset or a check.\n\nStatuses a person sets: in_progress (整改中; needs --measure and --owner), \
fixed_pending_recheck (已整改待复查; the next report that ran the check closes it, or reopens it), \
risk_accepted (风险接受; needs --approver and --until), false_positive (误报), open (待整改; e.g. to \
revoke an acceptance). closed (已销号) and reopened (复发) come only from reports.\n\nEvery change \
is appended to the hash-chained history; nothing is changed in place.",
    after_help = "Examples:\n  selfcheck-collector finding set 2026-11-H-003 --status in_progress --by 张工 --reason \"patch window Fri\" --measure \"apt upgrade openssl\" --owner 张工\n  selfcheck-collector finding set 2026-11-H-003 --status fixed_pending_recheck --by 张工 --reason \"upgraded 2026-11-20\"\n  selfcheck-collector finding set --asset web-01 --check patches.security-updates --status in_progress --by 张工 --reason \"monthly patching\" --measure \"apt upgrade\" --owner 张工\n  selfcheck-collector finding set 2026-11-M-007 --status risk_accepted --by 李工 --reason \"legacy app needs TLS 1.0\" --approver 王处 --until 2027-03-31"
)]
pub struct SetArgs {
    /// Ledger number or fingerprint of one finding.
    #[arg(required_unless_present_any = ["asset", "check"])]
    pub id: Option<String>,
    /// Every not-closed finding of this asset (asset key, host name or registry asset name).
    #[arg(long, conflicts_with = "id")]
    pub asset: Option<String>,
    /// Every not-closed finding of this check (with --asset: of that asset only).
    #[arg(long, conflicts_with = "id")]
    pub check: Option<String>,
    /// The new status.
    #[arg(long)]
    pub status: Status,
    /// Who makes the change.
    #[arg(long)]
    pub by: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
    /// 整改措施: what is done about it.
    #[arg(long)]
    pub measure: Option<String>,
    /// 临时缓解措施: what limits the risk meanwhile.
    #[arg(long)]
    pub mitigation: Option<String>,
    /// 整改责任人.
    #[arg(long)]
    pub owner: Option<String>,
    /// Who approved a risk acceptance.
    #[arg(long)]
    pub approver: Option<String>,
    /// Last day a risk acceptance holds (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<NaiveDate>,
}

/// `history` subcommands.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Check the hash chain: every entry's digest and link. Exit status 1 when broken.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List history entries.
    List {
        /// Only entries of this finding (ledger number or fingerprint).
        #[arg(long)]
        finding: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn one_finding(store: &Store, id: &str) -> Result<RegistryEntry> {
    let found = store.find_finding(id)?;
    match found.len() {
        0 => bail!(
            "no finding has the number or fingerprint {id:?}; see `selfcheck-collector ledger`"
        ),
        1 => Ok(found.into_iter().next().expect("one entry")),
        _ => bail!(
            "{id:?} matches several findings ({}); give more of the fingerprint",
            found
                .iter()
                .map(|e| e.finding_no.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Run a `finding` subcommand.
pub fn run_finding(global: &GlobalArgs, cmd: FindingCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let config = CollectorConfig::load(global.config.as_deref(), &dir)?;
    match cmd {
        FindingCommand::Show { id, lang, json } => {
            let mut store = Store::open_existing(&dir)?;
            let entry = one_finding(&store, &id)?;
            let state = current_states(&mut store, &config)?.remove(&entry.fingerprint);
            let actions = store.actions_of(&entry.fingerprint)?;
            if json {
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
            println!("{} {}", entry.finding_no, entry.fingerprint);
            println!("  asset:   {}", entry.asset_key);
            println!("  check:   {} {}", entry.check_id, entry.subject);
            match &state {
                Some(s) => {
                    let status = if lang == Lang::Zh {
                        s.status.zh()
                    } else {
                        s.status.en()
                    };
                    println!(
                        "  status:  {status}{}  risk {}  deadline {}",
                        if s.overdue { " (overdue)" } else { "" },
                        risk_label(s.risk, lang),
                        s.deadline.map_or_else(|| "—".into(), |d| d.to_string())
                    );
                    println!(
                        "  seen:    first {}, last {} (report {}), occurrences {}",
                        s.first_seen, s.last_seen, s.last_report, s.occurrences
                    );
                    if let Some((report, day)) = &s.closed_by {
                        println!("  closed:  {day} by re-check report {report}");
                    }
                }
                None => println!("  status:  closed before this month"),
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
            let mut store = Store::open_existing(&dir)?;
            let targets: Vec<RegistryEntry> = match &args.id {
                Some(id) => vec![one_finding(&store, id)?],
                None => {
                    let asset_keys = resolve_asset(&store, args.asset.as_deref())?;
                    let mut out = Vec::new();
                    for key in &asset_keys {
                        out.extend(store.registry_matching(key.as_deref(), args.check.as_deref())?);
                    }
                    out
                }
            };
            let action = Action {
                at: chrono::Local::now().fixed_offset(),
                by: args.by.clone(),
                status: args.status,
                reason: args.reason.clone(),
                measure: args.measure.clone(),
                mitigation: args.mitigation.clone(),
                owner: args.owner.clone(),
                approver: args.approver.clone(),
                until: args.until,
            };
            if let Some(problem) = action.problem() {
                bail!("{problem}");
            }
            let states = current_states(&mut store, &config)?;
            let mut changed = 0;
            let mut skipped = Vec::new();
            for entry in &targets {
                let Some(state) = states.get(&entry.fingerprint) else {
                    skipped.push(format!("{}: closed before this month", entry.finding_no));
                    continue;
                };
                if let Err(why) = may_set(state.status, action.status) {
                    if args.id.is_some() {
                        bail!("{}: {why}", entry.finding_no);
                    }
                    skipped.push(format!("{}: {why}", entry.finding_no));
                    continue;
                }
                let seq = store.record_action(&entry.fingerprint, &action)?;
                println!(
                    "{}: {} -> {} (history entry {seq})",
                    entry.finding_no, state.status, action.status
                );
                changed += 1;
            }
            for s in &skipped {
                eprintln!("skipped {s}");
            }
            if changed == 0 {
                bail!("no finding was changed");
            }
            println!("{changed} finding(s) set to {}", action.status);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Asset keys an `--asset` value names: an asset key, a host name, or a
/// registry asset name (all of its hosts). `[None]` without `--asset`.
fn resolve_asset(store: &Store, asset: Option<&str>) -> Result<Vec<Option<String>>> {
    let Some(name) = asset else {
        return Ok(vec![None]);
    };
    let reports = store.reports(None)?;
    let mut keys: Vec<String> = reports
        .iter()
        .filter(|r| r.asset_key == name || r.hostname.eq_ignore_ascii_case(name))
        .map(|r| r.asset_key.clone())
        .collect();
    let assets = store.assets()?;
    let registry = selfcheck_ledger::assets::AssetIndex::new(&assets);
    for r in &reports {
        if registry
            .find(r.machine_id.as_deref(), &r.hostname, &r.ip_addresses)
            .is_some_and(|a| a.asset_name == name)
        {
            keys.push(r.asset_key.clone());
        }
    }
    keys.push(format!("asset:{name}"));
    keys.sort();
    keys.dedup();
    Ok(keys.into_iter().map(Some).collect())
}

/// Every finding's state today, from the engine over everything stored
/// (findings closed before this month are not in it).
fn current_states(
    store: &mut Store,
    config: &CollectorConfig,
) -> Result<
    std::collections::HashMap<
        selfcheck_report::Fingerprint,
        selfcheck_ledger::engine::FindingState,
    >,
> {
    let now = chrono::Local::now();
    let period = selfcheck_report::Period::of(&now);
    let input = store.ledger_input(period)?;
    let month = selfcheck_ledger::engine::build(
        &input,
        period,
        now.date_naive(),
        Rules {
            policy: &config.deadlines,
            calendar: &config.calendar,
        },
    );
    Ok(month
        .rows
        .into_iter()
        .map(|r| (r.fingerprint, r.state))
        .collect())
}

/// Run a `history` subcommand.
pub fn run_history(global: &GlobalArgs, cmd: HistoryCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let store = Store::open_existing(&dir)?;
    match cmd {
        HistoryCommand::Verify { json } => {
            let v = store.verify_history()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if v.is_intact() {
                println!("history intact: {} entries, head {}", v.entries, v.head);
            } else {
                for p in &v.problems {
                    println!("{p}");
                }
                println!(
                    "history BROKEN: {} problem(s) in {} entries",
                    v.problems.len(),
                    v.entries
                );
            }
            Ok(if v.is_intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        HistoryCommand::List { finding, json } => {
            let fp = finding
                .as_deref()
                .map(|id| one_finding(&store, id).map(|e| e.fingerprint))
                .transpose()?;
            let entries: Vec<_> = store
                .history(None)
                .context("cannot read the history")?
                .into_iter()
                .filter(|e| {
                    fp.as_ref()
                        .is_none_or(|fp| e.fingerprint.as_deref() == Some(fp.as_str()))
                })
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for e in &entries {
                    println!(
                        "{:>6} {} {:<20} {:<16} {} {}",
                        e.seq,
                        e.at,
                        e.kind,
                        e.actor,
                        e.fingerprint.as_deref().unwrap_or("-"),
                        e.digest
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
