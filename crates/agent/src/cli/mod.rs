//! Command-line interface of `selfcheck-agent` (also embedded as `selfcheck agent`).
//! It only parses flags ([`args`]), calls the library, and picks a presenter;
//! [`fim`], [`fim_verify`] and [`submit`] run their subcommands.

pub mod args;
pub mod fim;
pub mod fim_verify;
pub mod submit;

pub use args::{
    AgentCli, AgentCommand, BaselineArgs, ChecksCommand, CommonArgs, FailOn, FimCommand,
    OutputFormat, RunArgs, SubmitArgs, VerifyArgs, parse_fail_on, parse_lang,
};

use crate::app::run::{RunOptions, open_root, run_audit};
use crate::present;
use anyhow::{Context, Result, bail};
use clap::Parser;
use selfcheck_catalog::Catalog;
use std::process::ExitCode;

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
                Some(url) => Some(submit::prepare(
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
            match common.format {
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
                            common.lang,
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
                    common.format,
                    status,
                ),
                None => Ok(ExitCode::from(status)),
            }
        }
        AgentCommand::Ports => {
            let root = open_root(common.root.as_deref())?;
            let sockets =
                crate::areas::ports::collect_listening_sockets(&root).with_context(|| {
                    format!(
                        "cannot list listening sockets under {}",
                        root.dir().display()
                    )
                })?;
            match common.format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&sockets)?),
                OutputFormat::Table => print!("{}", present::sockets_table(&sockets, common.lang)),
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
            match common.format {
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
            let root = open_root(common.root.as_deref())?;
            let host = crate::host::read_identity(&root)?;
            let inventory =
                selfcheck_pkgdb::inventory::read_inventory(&root, &host.os).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot compute pending updates under {}: {e}",
                        root.dir().display()
                    )
                })?;
            match common.format {
                OutputFormat::Json => println!("{}", serde_json::to_string(&inventory)?),
                OutputFormat::Table => {
                    print!("{}", present::upgradable_table(&inventory, common.lang))
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AgentCommand::Fim(FimCommand::VerifyPackages(args)) => fim_verify::run(common, args),
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
                        let list: Vec<_> = catalog
                            .iter()
                            .filter(|c| area.as_deref().is_none_or(|a| c.area == a))
                            .map(check_json)
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&list)?);
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
    fn fail_on_accepts_levels_and_none() {
        assert_eq!(parse_fail_on("none"), Ok(FailOn(None)));
        assert_eq!(parse_fail_on("medium"), Ok(FailOn(Some(Severity::Medium))));
        assert!(parse_fail_on("urgent").is_err());
    }
}
