//! `selfcheck-agent fim init|check|accept`: the file-integrity baseline from the command line.

use crate::app::run::open_root;
use crate::areas::fim::audit::{
    FimOptions, accepted_baseline, audit, baseline_digest, describe, scan_host, to_report,
};
use crate::areas::fim::baseline::{Acceptance, load_baseline, set_aside, write_baseline};
use crate::areas::fim::scan::ScanProgress;
use crate::areas::fim::{DigestAlg, apply_accepted, compare};
use crate::cli::{CommonArgs, OutputFormat};
use crate::config::AgentConfig;
use crate::progress::ScanBar;
use crate::state::StateDir;
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use selfcheck_catalog::Catalog;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// `fim` subcommands.
#[derive(Debug, Subcommand)]
pub enum FimCommand {
    /// Scan the scope in checks/fim.toml and write the signed baseline into the
    /// state directory (chained to the current one, which must verify).
    Init {
        /// Hashing threads; 0 uses every core.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// When the current baseline fails verification, keep it aside as
        /// evidence (fim/set-aside-TIME/) and start a new chain.
        #[arg(long)]
        set_aside_invalid: bool,
        /// Content digest of the baseline [default: fim.digest in the agent config, else sha256]
        #[arg(long, value_name = "sha256|sm3", value_parser = parse_digest)]
        digest: Option<DigestAlg>,
    },
    /// Compare the host with the accepted baseline. Exit status 1 when anything differs.
    Check {
        /// Hashing threads; 0 uses every core.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// table or json.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Refuse to compare unless the baseline uses this digest.
        #[arg(long, value_name = "sha256|sm3", value_parser = parse_digest)]
        digest: Option<DigestAlg>,
    },
    /// Take reviewed changes into the baseline; the new baseline records who
    /// accepted which paths and why.
    Accept {
        /// Accept every change.
        #[arg(long, conflicts_with = "paths")]
        all: bool,
        /// Paths (as the host names them, e.g. /etc/ssh/sshd_config) whose changes are accepted.
        paths: Vec<PathBuf>,
        /// Why the changes are acceptable (ticket, change request, who approved).
        #[arg(long)]
        reason: String,
        /// Hashing threads; 0 uses every core.
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Check every file a package installed against the digest the package
    /// manager recorded (like debsums or `rpm -Va`); needs no baseline.
    /// Exit status 1 when a file differs, is missing or unreadable.
    VerifyPackages(crate::fim_verify_cli::VerifyArgs),
}

fn parse_digest(s: &str) -> Result<DigestAlg, String> {
    DigestAlg::from_name(s)
}

/// A progress bar on a terminal for the scan `opts` will run.
fn with_bar(opts: &mut FimOptions<'_>, what: &str) -> ScanBar {
    let progress = Arc::new(ScanProgress::default());
    opts.progress = Some(progress.clone());
    ScanBar::start(what, progress)
}

/// Run a `fim` subcommand.
pub fn run(common: &CommonArgs, cmd: FimCommand) -> Result<ExitCode> {
    if let FimCommand::VerifyPackages(args) = cmd {
        return crate::fim_verify_cli::run(common, args);
    }
    let root = open_root(common.root.as_deref())?;
    let catalog = Catalog::embedded_or_dir(common.checks.as_deref())?;
    let config = AgentConfig::load(common.config.as_deref())?;
    let state = StateDir::open(&common.state_dir())?;
    let key = state.load_or_create_key()?;
    let options = |threads: usize, digest: Option<DigestAlg>| FimOptions {
        threads,
        digest,
        config: Some(&config.fim),
        progress: None,
    };
    match cmd {
        FimCommand::VerifyPackages(_) => unreachable!("handled above"),
        FimCommand::Init {
            threads,
            set_aside_invalid,
            digest,
        } => {
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
            let mut opts = options(threads, digest);
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
        FimCommand::Check {
            threads,
            format,
            digest,
        } => {
            let host = crate::host::read_identity(&root)?;
            let now = chrono::Local::now().fixed_offset();
            let mut opts = options(threads, digest);
            let bar = with_bar(&mut opts, "fim check");
            let (out, integrity) =
                audit(&root, &catalog, &state, &key, &host.asset_key(), now, &opts)?;
            drop(bar);
            match format {
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
            if reason.trim().is_empty() {
                bail!("--reason must say why the changes are acceptable");
            }
            if !all && paths.is_empty() {
                bail!("name the paths to accept, or --all to accept every change");
            }
            let baseline = accepted_baseline(&state, &key).map_err(|e| anyhow!(e))?;
            let mut opts = options(threads, None);
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
