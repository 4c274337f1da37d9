//! Command-line interface of `selfcheck-agent` (also embedded as `selfcheck agent`).
//! It only parses flags, calls the library, and picks a presenter.

use crate::app::run::{RunOptions, open_root, run_audit};
use crate::present;
use crate::state::default_state_dir;
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_report::{Period, Severity};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options every agent subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Audit the host whose files are below DIR (a mounted image or a test
    /// fixture) instead of this machine. Host name, machine id, OS and sockets
    /// all come from DIR's own files.
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// The agent's own directory for its key and reports, the only place it
    /// writes [default: /var/lib/selfcheck/agent as root, else
    /// ~/.local/state/selfcheck/agent]
    #[arg(long, global = true, value_name = "DIR", env = "SELFCHECK_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// Use the check catalog in DIR (*.toml) instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    pub checks: Option<PathBuf>,

    /// Agent configuration file (allowlists, collector settings) [default: /etc/selfcheck/agent.toml when it exists]
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "SELFCHECK_AGENT_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// Stay out of the way of the host's own work: lowest CPU priority
    /// (nice 19) and the idle I/O class for the whole audit.
    #[arg(long, global = true)]
    pub nice: bool,
}

impl CommonArgs {
    /// The state directory to use.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(default_state_dir)
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tables for people.
    Table,
    /// JSON for programs.
    Json,
}

/// `selfcheck-agent`: a read-only, offline audit of this host that writes a signed report.
#[derive(Debug, Parser)]
#[command(
    name = "selfcheck-agent",
    version,
    about = "Audit this host read-only and offline, and write a signed report for the monthly security ledger",
    long_about = "Audit this host read-only and offline, and write a signed report for the monthly \
security ledger (检查整改台账).\n\nThe agent never changes the host: it only writes its own state \
directory (its Ed25519 key and the reports it made). Hand the report to selfcheck-collector \
(`selfcheck-collector import REPORT.json`) or send it over mutual TLS (`run --submit`, `submit`).",
    after_help = "Examples:\n  selfcheck-agent run                      audit this host, print a summary, write the signed report\n  selfcheck-agent run --format json --out report.json\n  selfcheck-agent run --root /mnt/image    audit a mounted disk image\n  selfcheck-agent ports                    list listening sockets (like ss -tulpn)\n  selfcheck-agent packages                 list pending updates (like apt list --upgradable)\n  selfcheck-agent run --vuln-db Debian-all.zip   also match an offline OSV feed\n  selfcheck-agent checks show ports.telnet\n  selfcheck-agent fim init                 sign a file-integrity baseline; later runs compare against it\n  selfcheck-agent run --submit             also send the report to the collector ([submit] in agent.toml)\n  selfcheck-agent submit --list            reports waiting for the collector, and refused ones"
)]
pub struct AgentCli {
    /// Options shared by all subcommands.
    #[command(flatten)]
    pub common: CommonArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: AgentCommand,
}

/// Agent subcommands.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Audit the host and write a signed report (and, with --submit, send it to the collector).
    ///
    /// Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 on error.
    /// With --submit the delivery wins over the findings: 3 when the report (or an older
    /// one) still waits in the spool because the collector could not be reached, 4 when
    /// the collector refused a report; 0 or 1 only when everything was delivered.
    #[command(
        after_help = "Examples:\n  selfcheck-agent run                                  audit, print a summary, keep the signed report\n  selfcheck-agent run --out report.json --fail-on medium\n  selfcheck-agent run --submit                         also send it to the collector in [submit] url of agent.toml\n  selfcheck-agent run --submit https://collector.unit.local:8443 --enrolled /etc/selfcheck\n\nWith --submit the report goes into STATE/spool/outbox first and the whole outbox is sent, \
oldest first; what cannot be sent now stays there for the next run (see `selfcheck-agent submit --help`). \
A line per report follows the summary; with --format json, stdout stays the signed report and those lines go to stderr."
    )]
    Run(RunArgs),
    /// List listening TCP sockets and bound UDP sockets with their processes (what `ss -tulpn` shows).
    Ports(PortsArgs),
    /// List the updates the package manager would install (what `apt list --upgradable` or
    /// `dnf check-update` shows), computed offline.
    Packages(PackagesArgs),
    /// Run only the configuration-baseline checks (GB/T 22239-2019 host controls) and
    /// print each check's outcome and findings; no report is written.
    #[command(
        after_help = "Examples:\n  selfcheck-agent baseline                     level 3 (or baseline.level in agent.toml), in Chinese\n  selfcheck-agent baseline --level 2 --lang en the level-2 profile: 7.1.4.x clauses, level-3-only checks not applicable\n  selfcheck-agent baseline --format json       {\"level\", \"checks\", \"findings\", \"clauses\"} for programs\n  selfcheck-agent --root /mnt/image baseline   a mounted disk image\n\nExceptions approved for this host go in agent.toml as [[baseline.exception]] with check, reason,\napprover and expires; see docs/config-baseline.md. The exit status is 0 whatever is found; use\n`selfcheck-agent run --fail-on LEVEL` to fail on findings."
    )]
    Baseline(BaselineArgs),
    /// Show the check catalog.
    #[command(subcommand)]
    Checks(ChecksCommand),
    /// File integrity: make, check and update the signed baseline.
    #[command(subcommand)]
    Fim(crate::fim_cli::FimCommand),
    /// Send signed reports to the collector over mutual TLS, through the spool
    /// (STATE/spool/outbox); list the spool; check the connection.
    ///
    /// Reports are sent oldest first as POST /api/v1/reports. One leaves the outbox only
    /// when the collector confirmed it (201 stored, 200 already stored) or refused it for
    /// good (400, 403, 409, 413, 415, 422: moved to STATE/spool/refused/ with a .reason
    /// file, never deleted). Anything else (no connection, timeouts, TLS errors, 408, 429,
    /// 5xx) keeps it for the next run, after up to submit.max_attempts tries (agent config).
    Submit(crate::submit_cli::SubmitArgs),
}

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also write the signed report to FILE (it is always kept in the state directory).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// table: a summary for people; json: the signed report itself.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Exit with status 1 when a finding is at or above this level (critical, high, medium, low, info, or none).
    #[arg(long, value_name = "LEVEL", default_value = "high", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// The inspection month the report counts for [default: the current month].
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<Period>,
    /// Language of the summary table.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
    /// Offline OSV vulnerability feed to match installed packages against: a
    /// directory or zip of OSV JSON, e.g. Debian/all.zip from osv.dev [default: patches.vuln_db in the agent config]
    #[arg(long, value_name = "PATH")]
    pub vuln_db: Option<PathBuf>,
    /// Threads for hashing files in the file-integrity check; 0 uses every core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// The host's protection level (等保级别) for the configuration baseline: 2 or 3
    /// [default: baseline.level in the agent config, else 3]
    #[arg(long, value_name = "2|3", value_parser = clap::value_parser!(u8).range(2..=3))]
    pub level: Option<u8>,
    /// After writing the report, put it in the spool and send the spool to the
    /// collector at URL over mutual TLS [default: submit.url in the agent config]
    #[arg(long, value_name = "URL")]
    pub submit: Option<Option<String>>,
    /// With --submit: use DIR/ca.pem, DIR/client.pem and DIR/client-key.pem
    /// (what `selfcheck-collector enroll --out DIR` writes) [default: submit.ca/cert/key
    /// in the agent config, else /etc/selfcheck]
    #[arg(long, value_name = "DIR", requires = "submit")]
    pub enrolled: Option<PathBuf>,
}

/// Options of `baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// table: each check's outcome, then the compliance view per GB/T 22239-2019 clause;
    /// json: {"level", "checks", "findings", "clauses"}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Language of the table.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
    /// The host's protection level (等保级别): 2 reads the 7.1.4.x clauses and leaves
    /// level-3-only checks out, 3 the 8.1.4.x clauses [default: baseline.level in the
    /// agent config, else 3]
    #[arg(long, value_name = "2|3", value_parser = clap::value_parser!(u8).range(2..=3))]
    pub level: Option<u8>,
}

/// Options of `packages`.
#[derive(Debug, Args)]
pub struct PackagesArgs {
    /// table: the pending updates; json: installed packages and pending updates.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Language of the table header.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
}

/// Options of `ports`.
#[derive(Debug, Args)]
pub struct PortsArgs {
    /// table or json.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Language of the table header.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
}

/// `checks` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// List every check: id, area, risk level, title, references.
    List {
        /// Only checks of this area (e.g. ports).
        #[arg(long)]
        area: Option<String>,
        /// table or json.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Language of the texts.
        #[arg(long, default_value = "zh", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Show one check: what it checks, why it matters, how to fix it, references.
    Show {
        /// Check id, e.g. ports.telnet.
        id: String,
        /// table or json.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Language of the texts.
        #[arg(long, default_value = "zh", value_parser = parse_lang)]
        lang: Lang,
    },
}

/// The `--fail-on` threshold; `None` never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn(pub Option<Severity>);

/// Parse a `--fail-on` value.
pub fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s == "none" {
        return Ok(FailOn(None));
    }
    s.parse::<Severity>()
        .map(|l| FailOn(Some(l)))
        .map_err(|e| e.to_string())
}

/// Parse a `--lang` value.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// Run a parsed command line.
pub fn run(cli: AgentCli) -> Result<ExitCode> {
    let common = &cli.common;
    if common.nice
        && let Err(e) = crate::nice::lower_priority()
    {
        eprintln!("warning: --nice: could not lower {e}");
    }
    match cli.command {
        AgentCommand::Run(args) => {
            // Check the collector settings and TLS files before a long audit.
            let submit = match &args.submit {
                Some(url) => Some(crate::submit_cli::prepare(
                    common,
                    url.as_deref(),
                    args.enrolled.as_deref(),
                )?),
                None => None,
            };
            let opts = RunOptions {
                root: common.root.clone(),
                state_dir: common.state_dir(),
                checks_dir: common.checks.clone(),
                config: common.config.clone(),
                out: args.out.clone(),
                period: args.period,
                vuln_db: args.vuln_db.clone(),
                threads: args.threads,
                fim_progress: None,
                level: args.level,
                clock: &crate::audit::SystemClock,
            };
            let mut opts = opts;
            let progress = std::sync::Arc::new(crate::areas::fim::scan::ScanProgress::default());
            opts.fim_progress = Some(progress.clone());
            let bar = crate::progress::ScanBar::start("file integrity", progress);
            let result = run_audit(&opts);
            drop(bar);
            let result = result?;
            for note in &result.notes {
                eprintln!("note: {note}");
            }
            match args.format {
                OutputFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&result.signed)?);
                }
                OutputFormat::Table => {
                    let catalog = Catalog::embedded_or_dir(common.checks.as_deref())?;
                    print!(
                        "{}",
                        present::run_summary(
                            &result.signed.report,
                            &catalog,
                            args.lang,
                            &result.stored_at
                        )
                    );
                }
            }
            let status = present::exit_status(&result.signed.report, args.fail_on.0);
            match submit {
                Some(prepared) => prepared.after_run(
                    &common.state_dir(),
                    &result.file_bytes,
                    &result.signed.report,
                    args.format,
                    status,
                ),
                None => Ok(ExitCode::from(status)),
            }
        }
        AgentCommand::Ports(args) => {
            let root = open_root(common.root.as_deref())?;
            let sockets =
                crate::areas::ports::collect_listening_sockets(&root).with_context(|| {
                    format!(
                        "cannot list listening sockets under {}",
                        root.dir().display()
                    )
                })?;
            match args.format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&sockets)?),
                OutputFormat::Table => print!("{}", present::sockets_table(&sockets, args.lang)),
            }
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Baseline(args) => {
            let result =
                crate::app::baseline::run_baseline(&crate::app::baseline::BaselineOptions {
                    root: common.root.clone(),
                    checks_dir: common.checks.clone(),
                    config: common.config.clone(),
                    level: args.level,
                    clock: &crate::audit::SystemClock,
                })?;
            for note in &result.notes {
                eprintln!("note: {note}");
            }
            let (catalog, out) = (&result.catalog, &result.output);
            let level = result.level;
            match args.format {
                OutputFormat::Json => {
                    let clauses: Vec<serde_json::Value> =
                        selfcheck_catalog::compliance::tally(catalog, level, &out.checks)
                            .iter()
                            .map(|c| {
                                serde_json::json!({
                                    "clause": c.clause,
                                    "control": selfcheck_catalog::compliance::control_name(&c.clause).map(|n| n.0),
                                    "verdict": c.verdict().as_str(),
                                    "passed": c.passed,
                                    "findings": c.findings,
                                    "could_not_run": c.could_not_run,
                                    "not_applicable": c.not_applicable,
                                    "checks": c.checks.iter().map(|(id, s)| serde_json::json!({"check_id": id, "status": s})).collect::<Vec<_>>(),
                                })
                            })
                            .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({
                            "level": level,
                            "checks": out.checks,
                            "findings": out.findings,
                            "clauses": clauses,
                        }))?
                    )
                }
                OutputFormat::Table => {
                    print!("{}", present::baseline_table(out, catalog, args.lang));
                    print!(
                        "{}",
                        present::clause_table(&out.checks, catalog, level, args.lang)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Packages(args) => {
            let root = open_root(common.root.as_deref())?;
            let host = crate::host::read_identity(&root)?;
            let inventory =
                selfcheck_pkgdb::inventory::read_inventory(&root, &host.os).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot compute pending updates under {}: {e}",
                        root.dir().display()
                    )
                })?;
            match args.format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&inventory)?),
                OutputFormat::Table => {
                    print!("{}", present::upgradable_table(&inventory, args.lang))
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Fim(cmd) => crate::fim_cli::run(common, cmd),
        AgentCommand::Submit(args) => crate::submit_cli::run(common, args),
        AgentCommand::Checks(cmd) => {
            let catalog = Catalog::embedded_or_dir(common.checks.as_deref())?;
            match cmd {
                ChecksCommand::List { area, format, lang } => match format {
                    OutputFormat::Table => {
                        print!("{}", present::checks_list(&catalog, area.as_deref(), lang))
                    }
                    OutputFormat::Json => {
                        let list: Vec<_> = catalog
                            .iter()
                            .filter(|c| area.as_deref().is_none_or(|a| c.area == a))
                            .map(check_json)
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&list)?);
                    }
                },
                ChecksCommand::Show { id, format, lang } => {
                    let Some(check) = catalog.get_str(&id) else {
                        bail!(
                            "no check with id {id:?} in the catalog; `selfcheck-agent checks list` shows the ids"
                        );
                    };
                    match format {
                        OutputFormat::Table => print!("{}", present::check_details(check, lang)),
                        OutputFormat::Json => {
                            println!("{}", serde_json::to_string_pretty(&check_json(check))?)
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check_json(c: &selfcheck_catalog::CheckDef) -> serde_json::Value {
    let text = |t: &selfcheck_catalog::LocalText| serde_json::json!({"zh": t.zh, "en": t.en});
    serde_json::json!({
        "id": c.id,
        "area": c.area,
        "risk": c.risk,
        "title": text(&c.title),
        "description": text(&c.description),
        "why": text(&c.why),
        "remediation": text(&c.remediation),
        "references": c.references,
        "clauses": c.clauses,
        "levels": c.levels,
        "file": c.file,
    })
}

/// Entry point shared by the `selfcheck-agent` binary: parse, run, report errors.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = AgentCli::parse_from(args);
    finish(run(cli))
}

/// Print an error with its causes and map it to exit status 2.
pub fn finish(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        AgentCli::command().debug_assert();
    }

    #[test]
    fn fail_on_accepts_levels_and_none() {
        assert_eq!(parse_fail_on("none"), Ok(FailOn(None)));
        assert_eq!(parse_fail_on("medium"), Ok(FailOn(Some(Severity::Medium))));
        assert!(parse_fail_on("urgent").is_err());
    }
}
