//! Command-line interface of `selfcheck-agent` (also embedded as `selfcheck agent`).
//! It only parses flags ([`args`]), calls the library, and picks a presenter;
//! [`fim`], [`fim_verify`] and [`submit`] run their subcommands.

pub mod args;
pub mod fim;
pub mod fim_verify;
pub mod submit;

pub use args::{
    AgentCli, AgentCommand, AuditArgs, BaselineArgs, ChecksCommand, CommonArgs, FailOn, FimCommand,
    HashThreads, OutputFormat, RunArgs, SubmitArgs, VerifyArgs, parse_fail_on, parse_lang,
    parse_level,
};

use crate::app::baseline::{BaselineOptions, run_baseline};
use crate::app::run::{RunOptions, run_audit};
use crate::areas::fim::scan::ScanProgress;
use crate::audit::SystemClock;
use crate::present;
use crate::present::catalog::{CheckView, listed};
use crate::present::json_document;
use crate::progress::ScanBar;
use anyhow::{Result, bail};
use clap::Parser;
use selfcheck_catalog::Catalog;
use std::process::ExitCode;
use std::sync::Arc;

/// Run a parsed command line.
pub fn run(cli: AgentCli) -> Result<ExitCode> {
    let common = &cli.common;
    // A closed pipe (`| head`) ends the command quietly; see selfcheck_term::pipe.
    selfcheck_term::pipe::end_quietly_on_closed_stdout();
    selfcheck_term::color::init(common.color);
    if common.nice
        && let Err(e) = crate::nice::lower_priority()
    {
        eprintln!("warning: --nice: could not lower {e}");
    }
    match cli.command {
        AgentCommand::Run(args) => run_command(common, &args),
        AgentCommand::Ports => {
            let sockets = crate::app::ports::listening_sockets(common.root.as_deref())?;
            match common.format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&sockets)?),
                OutputFormat::Table => print!("{}", present::sockets_table(&sockets, common.lang)),
            }
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Baseline(args) => {
            let result = run_baseline(&BaselineOptions {
                root: common.root.clone(),
                checks_dir: common.checks.clone(),
                config: common.config.clone(),
                level: args.level,
                clock: &SystemClock,
            })?;
            for note in &result.notes {
                eprintln!("note: {note}");
            }
            let (catalog, out, level) = (&result.catalog, &result.output, result.level);
            match common.format {
                OutputFormat::Json => {
                    println!("{}", present::baseline::baseline_json(out, catalog, level)?)
                }
                OutputFormat::Table => {
                    print!("{}", present::baseline_table(out, catalog, common.lang));
                    print!(
                        "{}",
                        present::clause_table(&out.checks, catalog, level, common.lang)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Packages => {
            let inventory = crate::app::packages::pending_updates(common.root.as_deref())?;
            match common.format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&inventory)?),
                OutputFormat::Table => {
                    print!("{}", present::upgradable_table(&inventory, common.lang))
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Fim(cmd) => fim::run(common, cmd),
        AgentCommand::Submit(args) => submit::run(common, args),
        AgentCommand::Checks(cmd) => {
            let catalog = Catalog::embedded_or_dir(common.checks.as_deref())?;
            match cmd {
                ChecksCommand::List { area } => match common.format {
                    OutputFormat::Table => {
                        print!(
                            "{}",
                            present::checks_list(&catalog, area.as_deref(), common.lang)
                        )
                    }
                    OutputFormat::Json => {
                        let list: Vec<CheckView<'_>> = listed(&catalog, area.as_deref())
                            .into_iter()
                            .map(CheckView::from)
                            .collect();
                        println!("{}", json_document(&list)?);
                    }
                },
                ChecksCommand::Show { id } => {
                    let Some(check) = catalog.get_str(&id) else {
                        bail!(
                            "no check with id {id:?} in the catalog; `selfcheck-agent checks list` shows the ids"
                        );
                    };
                    match common.format {
                        OutputFormat::Table => {
                            print!("{}", present::check_details(check, common.lang))
                        }
                        OutputFormat::Json => {
                            println!("{}", json_document(&CheckView::from(check))?)
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `run`: the audit with a progress bar, the report or its summary, and,
/// with `--submit`, the delivery.
fn run_command(common: &CommonArgs, args: &RunArgs) -> Result<ExitCode> {
    // Check the collector settings and TLS files before a long audit.
    let prepared = match &args.submit {
        Some(url) => Some(submit::prepare(
            common,
            url.as_deref(),
            args.enrolled.as_deref(),
        )?),
        None => None,
    };
    let progress = Arc::new(ScanProgress::default());
    let opts = RunOptions {
        root: common.root.clone(),
        state_dir: common.state_dir(),
        checks_dir: common.checks.clone(),
        config: common.config.clone(),
        out: args.out.clone(),
        period: args.audit.period,
        vuln_db: args.audit.vuln_db.clone(),
        threads: args.audit.hashing.threads,
        fim_progress: Some(progress.clone()),
        level: args.audit.level,
        fim_init: !args.audit.no_fim_init,
        clock: &SystemClock,
    };
    let bar = ScanBar::start("file integrity", progress);
    let result = run_audit(&opts);
    drop(bar);
    let result = result?;
    for note in &result.notes {
        eprintln!("note: {note}");
    }
    let report = &result.signed.report;
    match common.format {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&result.signed)?);
        }
        OutputFormat::Table => {
            if args.audit.details {
                print!(
                    "{}",
                    present::run_details(report, &result.catalog, common.lang)
                );
            }
            print!(
                "{}",
                present::run_summary(
                    report,
                    &result.catalog,
                    common.lang,
                    &result.stored_at,
                    args.audit.details
                )
            );
        }
    }
    let status = present::exit_status(report, args.audit.fail_on.0);
    match prepared {
        Some(prepared) => submit::after_run(
            &prepared,
            &common.state_dir(),
            &result.file_bytes,
            report,
            common.format,
            status,
        ),
        None => Ok(ExitCode::from(status)),
    }
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
    use selfcheck_report::Severity;

    #[test]
    fn cli_definition_is_consistent() {
        AgentCli::command().debug_assert();
    }

    #[test]
    fn format_and_lang_are_global() {
        let cli = AgentCli::parse_from(["a", "--format", "json", "checks", "list", "--lang", "en"]);
        assert_eq!(cli.common.format, OutputFormat::Json);
        assert_eq!(cli.common.lang, selfcheck_catalog::Lang::En);
        let cli = AgentCli::parse_from(["a", "fim", "check", "--format", "json"]);
        assert_eq!(cli.common.format, OutputFormat::Json);
    }

    #[test]
    fn level_is_two_or_three_with_clap_range_messages() {
        use selfcheck_report::ProtectionLevel;
        assert_eq!(parse_level("2"), Ok(ProtectionLevel::TWO));
        assert_eq!(parse_level("3"), Ok(ProtectionLevel::THREE));
        assert_eq!(parse_level("4"), Err("4 is not in 2..=3".to_string()));
        assert_eq!(parse_level("300"), Err("300 is not in 2..=3".to_string()));
        assert_eq!(
            parse_level("x"),
            Err("invalid digit found in string".to_string())
        );
    }

    #[test]
    fn fail_on_accepts_levels_and_none() {
        assert_eq!(parse_fail_on("none"), Ok(FailOn(None)));
        assert_eq!(parse_fail_on("medium"), Ok(FailOn(Some(Severity::Medium))));
        assert!(parse_fail_on("urgent").is_err());
    }
}
