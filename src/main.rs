//! `selfcheck`: the agent and the collector in one binary, plus `selfcheck run`,
//! the one command that audits this host, stores the report and prints this
//! month's rectification ledger.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use selfcheck_agent::app::run::{RunOptions, run_audit};
use selfcheck_agent::areas::fim::scan::ScanProgress;
use selfcheck_agent::cli::{AuditArgs, CommonArgs, OutputFormat};
use selfcheck_agent::present::{exit_status, run_details, run_summary};
use selfcheck_agent::progress::ScanBar;
use selfcheck_catalog::Lang;
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::ledger::Ledger;
use selfcheck_collector::present::{Format, import_line, render};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "selfcheck",
    version,
    about = "Monthly network-security self-check: audit hosts, keep the rectification ledger (检查整改台账)",
    long_about = "Monthly network-security self-check: audit hosts, keep the rectification ledger (检查整改台账).\n\n\
`selfcheck run` does the whole month on this host: audit (read-only), signed report, store, ledger.\n\
`selfcheck agent ...` and `selfcheck collector ...` are the same as the selfcheck-agent and \
selfcheck-collector programs.",
    after_help = "Examples:\n  selfcheck run                         audit this host and print this month's ledger\n  selfcheck run --details               every finding with its evidence, then the summary
  selfcheck run --lang en --fail-on high\n  selfcheck agent checks list\n  selfcheck collector ledger --month 2026-11 --format csv --out ledger.csv"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

mod demo;

#[derive(Debug, Subcommand)]
enum Command {
    /// Audit this host, store the signed report in the local collector store, print this month's ledger.
    Run(RunArgs),
    /// The host agent (same as `selfcheck-agent`).
    Agent(selfcheck_agent::cli::AgentCli),
    /// The collector (same as `selfcheck-collector`).
    Collector(selfcheck_collector::cli::CollectorCli),
    /// Fill a fresh store with a realistic year of a 30-host unit, to look at before you have a fleet.
    Demo(demo::DemoArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The options the agent's commands share (--root, --state-dir, --checks,
    /// --config, --nice, --format, --lang, --color).
    #[command(flatten)]
    common: CommonArgs,
    /// What the audit does and how it ends.
    #[command(flatten)]
    audit: AuditArgs,
    /// The collector's data directory [default: /var/lib/selfcheck/collector as root, else ~/.local/share/selfcheck/collector]
    #[arg(long, value_name = "DIR", env = "SELFCHECK_DATA")]
    data: Option<PathBuf>,
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let common = &args.common;
    selfcheck_term::pipe::end_quietly_on_closed_stdout();
    selfcheck_term::color::init(common.color);
    if common.nice
        && let Err(e) = selfcheck_agent::nice::lower_priority()
    {
        eprintln!("warning: --nice: could not lower {e}");
    }
    let lang = common.lang;
    let progress = Arc::new(ScanProgress::default());
    let bar = ScanBar::start("file integrity", progress.clone());
    let result = run_audit(&RunOptions {
        root: common.root.clone(),
        state_dir: common.state_dir(),
        checks_dir: common.checks.clone(),
        config: common.config.clone(),
        out: None,
        period: args.audit.period,
        vuln_db: args.audit.vuln_db.clone(),
        threads: args.audit.hashing.threads,
        fim_progress: Some(progress),
        level: args.audit.level,
        fim_init: !args.audit.no_fim_init,
        clock: &selfcheck_agent::audit::SystemClock,
    });
    drop(bar);
    let result = result?;
    for note in &result.notes {
        eprintln!("note: {note}");
    }
    let report = &result.signed.report;
    let catalog = &result.catalog;
    let json = common.format == OutputFormat::Json;

    let data = match args.data.clone() {
        Some(d) => d,
        None => selfcheck_collector::cli::default_data_dir().context(
            "cannot tell where to keep the collector store (HOME is not set); pass --data DIR",
        )?,
    };
    let mut store = selfcheck_collector::app::open_or_create_store(&data)?;
    let source = result.stored_at.display().to_string();
    let outcome = import_bytes(
        &mut store,
        &result.file_bytes,
        &source,
        catalog,
        ImportOptions::default(),
    );
    if let ImportOutcome::Refused { error } = outcome {
        bail!("the report was written to {source} but the local store refused it: {error}");
    }
    let config = CollectorConfig::load(None, &data)?;
    let ledger = Ledger::for_month(&mut store, report.period, catalog, &config, None)?;
    if json {
        // For programs: the month's ledger, as `collector ledger --format json` prints it.
        print!("{}", render(&ledger, Format::Json, lang));
        return Ok(ExitCode::from(exit_status(report, args.audit.fail_on.0)));
    }
    if args.audit.details {
        print!("{}", run_details(report, catalog, lang));
        print!("{}", render(&ledger, Format::Table, lang));
        println!();
    }
    print!(
        "{}",
        run_summary(report, catalog, lang, &result.stored_at, args.audit.details)
    );
    println!("{}", import_line(&result.stored_at, &outcome, lang));
    print!("{}", month_line(&ledger, &data, lang));
    Ok(ExitCode::from(exit_status(report, args.audit.fail_on.0)))
}

/// The last lines of `selfcheck run`: the month in the store, and where to look next.
fn month_line(ledger: &Ledger, data: &std::path::Path, lang: Lang) -> String {
    let s = &ledger.summary;
    let open: u64 = s.by_level.iter().map(|(_, c)| c.pending as u64).sum();
    let overdue: u64 = s.by_level.iter().map(|(_, c)| c.overdue as u64).sum();
    let rate = s
        .rectification_rate
        .map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0));
    let data = selfcheck_term::escape(&data.display().to_string()).into_owned();
    match lang {
        Lang::Zh => format!(
            "{} 月台账（{data}）：{} 个问题，待整改 {open}，逾期 {overdue}，整改率 {rate}\n查看台账：selfcheck collector ledger --data {data}\n",
            ledger.period,
            ledger.rows.len(),
        ),
        Lang::En => format!(
            "Ledger for {} ({data}): {} rows, {open} pending, {overdue} overdue, rectification rate {rate}\nSee it: selfcheck collector ledger --data {data}\n",
            ledger.period,
            ledger.rows.len(),
        ),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Agent(cli) => selfcheck_agent::cli::run(cli),
        Command::Collector(cli) => selfcheck_collector::cli::run(cli),
        Command::Demo(args) => demo::run(&args).map(|()| ExitCode::SUCCESS),
    };
    selfcheck_agent::cli::finish(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
