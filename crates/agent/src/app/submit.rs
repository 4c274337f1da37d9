//! Delivery to the collector (`submit`, `run --submit`): the settings and
//! TLS files checked before anything is sent, reports added to the spool,
//! the outbox delivered, the spool listed, the connection checked.

use crate::config::AgentConfig;
use crate::state::StateDir;
use crate::submit::answer::Failure;
use crate::submit::client::Collector;
use crate::submit::endpoint::CollectorUrl;
use crate::submit::spool::{AddedFile, Spool, SpoolError, SpoolListing};
use crate::submit::{Delivery, Event, SubmitSettings, deliver};
use anyhow::{Context, Result, anyhow};
use selfcheck_report::{Report, SignedReport};
use std::path::{Path, PathBuf};

/// Exit status of `submit` (and of `run --submit`) when reports still wait in the spool.
pub const EXIT_WAITING: u8 = 3;

/// Exit status of `run --submit` when the collector refused a report
/// (`submit` uses 1, which `run` already uses for findings).
pub const EXIT_RUN_REFUSED: u8 = 4;

/// Collector settings and a checked client, made before a `run --submit`
/// audit so that a missing URL or a bad key fails fast.
#[derive(Debug)]
pub struct Prepared {
    settings: SubmitSettings,
    collector: Collector,
}

/// Resolve the settings (`url` and `enrolled` over the `[submit]` section of
/// the configuration at `config`) and check the TLS files.
pub fn prepare(
    config: Option<&Path>,
    url: Option<&str>,
    enrolled: Option<&Path>,
) -> Result<Prepared> {
    let config = AgentConfig::load(config)?;
    let settings =
        SubmitSettings::resolve(&config.submit, url, enrolled).map_err(|e| anyhow!(e))?;
    let collector = settings.collector()?;
    Ok(Prepared {
        settings,
        collector,
    })
}

impl Prepared {
    /// What the operator should know about the TLS files (say, a certificate
    /// that expires soon), though they work.
    pub fn warnings(&self) -> &[String] {
        self.collector.warnings()
    }

    /// The collector's URL.
    pub fn url(&self) -> &CollectorUrl {
        self.collector.url()
    }

    /// Send the outbox, oldest first; `on_event` hears of each report as it
    /// is done and of each retry.
    pub fn deliver(
        &self,
        spool: &Spool,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Delivery, SpoolError> {
        deliver(spool, &self.collector, &self.settings, on_event)
    }

    /// Mutual TLS and `GET /api/v1/health`: the collector's answer, or why it failed.
    pub fn health(&self) -> Result<String, Failure> {
        self.collector.health()
    }
}

/// `run --submit`: put the report just written into the spool of `state_dir`.
pub fn spool_report(state_dir: &Path, file_bytes: &[u8], report: &Report) -> Result<Spool> {
    let spool = Spool::open(&StateDir::open(state_dir)?)?;
    spool.add_verified(file_bytes, report)?;
    Ok(spool)
}

/// `submit FILE...`: verify every file first (one bad file stops everything
/// and nothing is added), then add each to the spool of `state_dir`;
/// `on_added` hears of each as it is added.
pub fn spool_files(
    state_dir: &Path,
    files: &[PathBuf],
    on_added: &mut dyn FnMut(&AddedFile),
) -> Result<(Spool, Vec<AddedFile>)> {
    let mut verified = Vec::new();
    for path in files {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read report file {}", path.display()))?;
        let v = SignedReport::verify_bytes(&bytes).map_err(|error| {
            anyhow!(SpoolError::NotAReport {
                path: path.clone(),
                error
            })
            .context("nothing was added to the spool")
        })?;
        verified.push((path, bytes, v.signed.report));
    }
    let spool = Spool::open(&StateDir::open(state_dir)?)?;
    let mut added = Vec::new();
    for (path, bytes, report) in &verified {
        let a = AddedFile {
            file: (*path).clone(),
            added: spool.add_verified(bytes, report)?,
        };
        on_added(&a);
        added.push(a);
    }
    Ok((spool, added))
}

/// `submit --list`: the reports waiting in the outbox of `state_dir` and the refused ones.
pub fn list(state_dir: &Path) -> Result<SpoolListing> {
    let spool = Spool::open(&StateDir::open(state_dir)?)?;
    Ok(spool.listing()?)
}
