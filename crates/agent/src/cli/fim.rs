//! `selfcheck-agent fim init|check|accept`: the file-integrity baseline from the command line.
//! (`fim verify-packages` is [`super::fim_verify`].)

use super::args::{CommonArgs, FimCommand, OutputFormat};
use crate::app::run::open_root;
use crate::areas::fim::audit::{
    FimOptions, accepted_baseline, audit, baseline_digest, describe, scan_host, to_report,
};
use crate::areas::fim::baseline::{Acceptance, load_baseline, set_aside, write_baseline};
use crate::areas::fim::scan::ScanProgress;
use crate::areas::fim::{DigestAlg, apply_accepted, compare};
use crate::config::AgentConfig;
use crate::progress::ScanBar;
use crate::state::StateDir;
use anyhow::{Result, anyhow, bail};
use selfcheck_catalog::Catalog;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::sync::Arc;

/// A progress bar on a terminal for the scan `opts` will run.
fn with_bar(opts: &mut FimOptions<'_>, what: &str) -> ScanBar {
    let progress = Arc::new(ScanProgress::default());
    opts.progress = Some(progress.clone());
    ScanBar::start(what, progress)
}

/// What every `fim` subcommand opens first.
struct Opened {
    root: selfcheck_hostfs::HostRoot,
    catalog: Catalog,
    config: AgentConfig,
    state: StateDir,
    key: selfcheck_report::AgentKey,
}

fn open(common: &CommonArgs) -> Result<Opened> {
    let root = open_root(common.root.as_deref())?;
    let catalog = Catalog::embedded_or_dir(common.checks.as_deref())?;
    let config = AgentConfig::load(common.config.as_deref())?;
    let state = StateDir::open(&common.state_dir())?;
    let key = state.load_or_create_key()?;
    Ok(Opened {
        root,
        catalog,
        config,
        state,
        key,
    })
}

/// The scan options of a `fim` subcommand: its flags over the `[fim]` section.
fn fim_options(config: &AgentConfig, threads: usize, digest: Option<DigestAlg>) -> FimOptions<'_> {
    FimOptions {
        threads,
        digest,
        config: Some(&config.fim),
        progress: None,
    }
}

/// Run a `fim` subcommand (`fim verify-packages` is [`super::fim_verify::run`]).
pub fn run(common: &CommonArgs, cmd: FimCommand) -> Result<ExitCode> {
    match cmd {
        FimCommand::VerifyPackages(args) => super::fim_verify::run(common, args),
        FimCommand::Init {
            threads,
            set_aside_invalid,
            digest,
        } => {
            let Opened {
                root,
                catalog,
                config,
                state,
                key,
            } = open(common)?;
            if let Err(e) = load_baseline(&state, &key)
                && e.is_invalid()
            {
                if !set_aside_invalid {
                    bail!(
                        "{e}\nthe current baseline is kept as evidence; rerun with --set-aside-invalid to move it aside and start a new chain"
                    );
                }
                let moved = set_aside(&state)?;
                eprintln!("the invalid baseline was moved to {}", moved.display());
            }
            let mut opts = fim_options(&config, threads, digest);
            let alg = opts.new_baseline_digest().map_err(|e| anyhow!(e))?;
            let bar = with_bar(&mut opts, "fim init");
            let scanned = scan_host(&root, &catalog, &opts, alg)?;
            drop(bar);
            let result = scanned.result;
            let info = write_baseline(&state, &key, &result.entries, Vec::new())?;
            let s = &result.stats;
            println!(
                "baseline written: {} entries ({} files, {} directories, {} bytes hashed with {} in {:.1} s, {} unreadable/vanished) -> {}",
                result.entries.len(),
                s.files,
                s.dirs,
                s.bytes_hashed,
                alg.name(),
                s.seconds,
                s.errors,
                info.manifest_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        FimCommand::Check { threads, digest } => {
            let Opened {
                root,
                catalog,
                config,
                state,
                key,
            } = open(common)?;
            let host = crate::host::read_identity(&root)?;
            let now = chrono::Local::now().fixed_offset();
            let mut opts = fim_options(&config, threads, digest);
            let bar = with_bar(&mut opts, "fim check");
            let (out, integrity) =
                audit(&root, &catalog, &state, &key, &host.asset_key(), now, &opts)?;
            drop(bar);
            match common.format {
                OutputFormat::Json => {
                    let v = serde_json::json!({"checks": out.checks, "findings": out.findings, "file_integrity": integrity});
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                OutputFormat::Table => {
                    for c in &out.checks {
                        if let selfcheck_report::CheckOutcome::CouldNotRun { reason } = &c.outcome {
                            println!("{}: could not run: {reason}", c.check_id);
                        }
                    }
                    for f in &out.findings {
                        println!(
                            "[{}] {} {}: {}",
                            f.risk,
                            f.check_id,
                            f.subject,
                            f.evidence.join("; ")
                        );
                    }
                    if let Some(i) = &integrity {
                        println!(
                            "{} change(s) against the baseline of {} ({} files, {} bytes hashed with {} in {} ms)",
                            i.changes.len(),
                            i.baseline_created_at,
                            i.files,
                            i.bytes_hashed,
                            i.digest,
                            i.scan_millis
                        );
                        if i.accepted_automatically > 0 {
                            println!(
                                "{} change(s) explained by package updates were taken into a new baseline",
                                i.accepted_automatically
                            );
                        }
                        if let Some(p) = &i.package_records {
                            println!("package records: {p}");
                        }
                    }
                }
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
            threads,
        } => {
            let Opened {
                root,
                catalog,
                config,
                state,
                key,
            } = open(common)?;
            if reason.trim().is_empty() {
                bail!("--reason must say why the changes are acceptable");
            }
            if !all && paths.is_empty() {
                bail!("name the paths to accept, or --all to accept every change");
            }
            let baseline = accepted_baseline(&state, &key).map_err(|e| anyhow!(e))?;
            let mut opts = fim_options(&config, threads, None);
            let bar = with_bar(&mut opts, "fim accept");
            let scanned = scan_host(&root, &catalog, &opts, baseline_digest(&baseline))?;
            drop(bar);
            let result = scanned.result;
            let changes = compare(&baseline, &result.entries);
            let wanted: Vec<Vec<u8>> = paths
                .iter()
                .map(|p| p.as_os_str().as_bytes().to_vec())
                .collect();
            let accepted: Vec<Vec<u8>> = if all {
                changes.iter().map(|c| c.path.clone()).collect()
            } else {
                for w in &wanted {
                    if !changes.iter().any(|c| &c.path == w) {
                        bail!(
                            "{} has not changed since the baseline; nothing to accept for it",
                            String::from_utf8_lossy(w)
                        );
                    }
                }
                wanted.clone()
            };
            let new = apply_accepted(
                &baseline,
                &result.entries,
                if all { None } else { Some(&wanted) },
            );
            let info =
                write_baseline(&state, &key, &new, vec![Acceptance::new(&accepted, reason)])?;
            for c in changes.iter().filter(|c| accepted.contains(&c.path)) {
                println!("accepted {}: {}", to_report(c, None).path, describe(c));
            }
            println!(
                "{} change(s) accepted into a new baseline -> {}",
                accepted.len(),
                info.manifest_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
