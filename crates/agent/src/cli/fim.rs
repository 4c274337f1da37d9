//! `selfcheck-agent fim init|check|accept`: the file-integrity baseline from
//! the command line (`fim verify-packages` is [`super::fim_verify`]). Each
//! subcommand calls its use case in [`crate::app::fim`] and prints with
//! [`crate::present::fim`].

use super::args::{CommonArgs, FimCommand, OutputFormat};
use crate::app::fim::{AcceptOptions, CheckOptions, FimTarget, InitOptions, accept, check, init};
use crate::areas::fim::scan::ScanProgress;
use crate::present::fim::{FimCheckView, accept_text, check_text, init_line};
use crate::present::json_document;
use crate::progress::ScanBar;
use anyhow::Result;
use std::process::ExitCode;
use std::sync::Arc;

/// Counters for a scan and the progress bar that follows them on a terminal.
fn progress_bar(what: &str) -> (Option<Arc<ScanProgress>>, ScanBar) {
    let progress = Arc::new(ScanProgress::default());
    let bar = ScanBar::start(what, progress.clone());
    (Some(progress), bar)
}

/// Run a `fim` subcommand (`fim verify-packages` goes to [`super::fim_verify::run`]).
pub fn run(common: &CommonArgs, cmd: FimCommand) -> Result<ExitCode> {
    let state_dir = common.state_dir();
    let target = FimTarget {
        root: common.root.as_deref(),
        checks_dir: common.checks.as_deref(),
        config: common.config.as_deref(),
        state_dir: &state_dir,
    };
    match cmd {
        FimCommand::VerifyPackages(args) => super::fim_verify::run(common, args),
        FimCommand::Init {
            hashing,
            set_aside_invalid,
            digest,
        } => {
            let (progress, bar) = progress_bar("fim init");
            let result = init(
                &target,
                InitOptions {
                    threads: hashing.threads,
                    set_aside_invalid,
                    digest,
                    progress,
                },
            );
            drop(bar);
            let done = result?;
            if let Some(moved) = &done.set_aside {
                eprintln!("the invalid baseline was moved to {}", moved.display());
            }
            println!(
                "{}",
                init_line(done.entries, &done.stats, done.digest, &done.manifest_path)
            );
            Ok(ExitCode::SUCCESS)
        }
        FimCommand::Check { hashing, digest } => {
            let (progress, bar) = progress_bar("fim check");
            let result = check(
                &target,
                CheckOptions {
                    threads: hashing.threads,
                    digest,
                    progress,
                },
            );
            drop(bar);
            let done = result?;
            let (out, integrity) = (&done.output, done.integrity.as_ref());
            match common.format {
                OutputFormat::Json => println!(
                    "{}",
                    json_document(&FimCheckView {
                        checks: &out.checks,
                        file_integrity: integrity,
                        findings: &out.findings,
                    })?
                ),
                OutputFormat::Table => print!("{}", check_text(out, integrity, common.lang)),
            }
            Ok(if out.findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        FimCommand::Accept {
            all,
            paths,
            reason,
            hashing,
        } => {
            let (progress, bar) = progress_bar("fim accept");
            let result = accept(
                &target,
                AcceptOptions {
                    all,
                    paths,
                    reason,
                    threads: hashing.threads,
                    progress,
                },
            );
            drop(bar);
            let done = result?;
            print!(
                "{}",
                accept_text(
                    done.changes
                        .iter()
                        .map(|c| (c.path.as_str(), c.what.as_str())),
                    done.accepted,
                    &done.manifest_path
                )
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
