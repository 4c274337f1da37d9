//! `selfcheck`: the agent and the collector in one binary, plus `selfcheck run`,
//! the one command that audits this host, stores the report and prints this
//! month's rectification ledger.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use selfcheck_agent::app::run::{RunOptions, run_audit};
use selfcheck_agent::cli::{FailOn, parse_fail_on, parse_lang, parse_level};
use selfcheck_agent::present::{exit_status, run_summary};
use selfcheck_agent::state::default_state_dir;
use selfcheck_catalog::Lang;
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::ledger::Ledger;
use selfcheck_collector::present::{Format, import_line, render};
use selfcheck_report::{Period, ProtectionLevel};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "selfcheck",
    version,
    about = "Monthly network-security self-check: audit hosts, keep the rectification ledger (检查整改台账)",
    long_about = "Monthly network-security self-check: audit hosts, keep the rectification ledger (检查整改台账).\n\n\
`selfcheck run` does the whole month on this host: audit (read-only), signed report, store, ledger.\n\
`selfcheck agent ...` and `selfcheck collector ...` are the same as the selfcheck-agent and \
selfcheck-collector programs.",
    after_help = "Examples:\n  selfcheck run                         audit this host and print this month's ledger\n  selfcheck run --lang en --fail-on high\n  selfcheck agent checks list\n  selfcheck collector ledger --month 2026-11 --format csv --out ledger.csv"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audit this host, store the signed report in the local collector store, print this month's ledger.
    Run(RunArgs),
    /// The host agent (same as `selfcheck-agent`).
    Agent(selfcheck_agent::cli::AgentCli),
    /// The collector (same as `selfcheck-collector`).
    Collector(selfcheck_collector::cli::CollectorCli),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Audit the host whose files are below DIR instead of this machine.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The agent's state directory (key and reports) [default: /var/lib/selfcheck/agent as root, else ~/.local/state/selfcheck/agent]
    #[arg(long, value_name = "DIR", env = "SELFCHECK_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// The collector's data directory [default: /var/lib/selfcheck/collector as root, else ~/.local/share/selfcheck/collector]
    #[arg(long, value_name = "DIR", env = "SELFCHECK_DATA")]
    data: Option<PathBuf>,
    /// Use the check catalog in DIR instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    checks: Option<PathBuf>,
    /// Agent configuration file (allowlists) [default: /etc/selfcheck/agent.toml when it exists]
    #[arg(long, value_name = "FILE", env = "SELFCHECK_AGENT_CONFIG")]
    config: Option<PathBuf>,
    /// The inspection month [default: the current month].
    #[arg(long, value_name = "YYYY-MM")]
    period: Option<Period>,
    /// Offline OSV vulnerability feed (a directory or zip of OSV JSON) [default: patches.vuln_db in the agent config]
    #[arg(long, value_name = "PATH")]
    vuln_db: Option<PathBuf>,
    /// The host's protection level (等保级别) for the configuration baseline: 2 or 3
    /// [default: baseline.level in the agent config, else 3]
    #[arg(long, value_name = "2|3", value_parser = parse_level)]
    level: Option<ProtectionLevel>,
    /// Language of the output.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    lang: Lang,
    /// Exit with status 1 when a finding is at or above this level (critical, high, medium, low, info, none).
    #[arg(long, value_name = "LEVEL", default_value = "none", value_parser = parse_fail_on)]
    fail_on: FailOn,
}

fn run(args: RunArgs) -> Result<ExitCode> {
    let result = run_audit(&RunOptions {
        root: args.root.clone(),
        state_dir: args.state_dir.clone().unwrap_or_else(default_state_dir),
        checks_dir: args.checks.clone(),
        config: args.config.clone(),
        out: None,
        period: args.period,
        vuln_db: args.vuln_db.clone(),
        threads: 0,
        fim_progress: None,
        level: args.level,
        clock: &selfcheck_agent::audit::SystemClock,
    })?;
    for note in &result.notes {
        eprintln!("note: {note}");
    }
    let report = &result.signed.report;
    let catalog = &result.catalog;
    print!(
        "{}",
        run_summary(report, catalog, args.lang, &result.stored_at)
    );

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
    println!("\n{}", import_line(&result.stored_at, &outcome));
    if let ImportOutcome::Refused { error } = outcome {
        bail!("the report was written to {source} but the local store refused it: {error}");
    }

    let config = CollectorConfig::load(None, &data)?;
    let ledger = Ledger::for_month(&mut store, report.period, catalog, &config, None)?;
    let heading = match args.lang {
        Lang::Zh => format!("\n{} 月度检查整改台账（{}）", report.period, data.display()),
        Lang::En => format!(
            "\nRectification ledger for {} ({})",
            report.period,
            data.display()
        ),
    };
    println!("{heading}");
    print!("{}", render(&ledger, Format::Table, args.lang));
    Ok(ExitCode::from(exit_status(report, args.fail_on.0)))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Agent(cli) => selfcheck_agent::cli::run(cli),
        Command::Collector(cli) => selfcheck_collector::cli::run(cli),
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
