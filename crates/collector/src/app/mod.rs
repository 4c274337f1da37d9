//! The collector's use cases, one function each, called by the command line
//! ([`crate::cli`]) and by binaries that embed the collector: importing
//! reports, the month's ledger and documents, the evidence package, people's
//! actions on findings, the asset registry, the certificate authority and the
//! upload server. Nothing here parses flags or prints; every function takes
//! plain values and returns what the caller shows.

pub mod assets;
pub mod evidence;
pub mod findings;
pub mod month;
pub mod pki;
pub mod serve;
pub mod store;

use anyhow::{Context, Result};
use selfcheck_catalog::Catalog;
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::import::{ImportOptions, ImportOutcome, import_paths};
use selfcheck_ledger::store::{Store, StoredReport};
use selfcheck_report::Period;
use std::path::{Path, PathBuf};

/// Where the collector keeps its store unless told otherwise: the system
/// location for root, the user's XDG data directory for anyone else. `None`
/// when neither `XDG_DATA_HOME` nor a home directory is known.
pub fn default_data_dir() -> Option<PathBuf> {
    if nix::unistd::geteuid().is_root() {
        return Some(PathBuf::from("/var/lib/selfcheck/collector"));
    }
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = match xdg {
        Some(p) => p,
        None => std::env::home_dir()
            .filter(|h| h.is_absolute())?
            .join(".local/share"),
    };
    Some(base.join("selfcheck/collector"))
}

/// The collector configuration: `explicit` (it must exist), else
/// `DATA/collector.toml` when it exists, else the defaults.
pub fn load_config(explicit: Option<&Path>, dir: &Path) -> Result<CollectorConfig> {
    Ok(CollectorConfig::load(explicit, dir)?)
}

/// Open (or create) the store in `dir`, for the use cases that may be the
/// first to write to it (import, the asset registry), with the collector key
/// sealing its history ([`store::open_sealed`]).
pub fn open_or_create_store(dir: &Path) -> Result<Store> {
    let store = Store::open(dir)
        .with_context(|| format!("cannot open the collector store in {}", dir.display()))?;
    store::seal_with_collector_key(store, dir)
}

/// Verify report files (or folders of them) and store each once; one outcome
/// per file, in the order given.
pub fn import(
    dir: &Path,
    catalog: &Catalog,
    paths: &[PathBuf],
    options: ImportOptions,
) -> Result<Vec<(PathBuf, ImportOutcome)>> {
    let mut store = open_or_create_store(dir)?;
    Ok(import_paths(&mut store, paths, catalog, options))
}

/// The stored reports, of one month or of all.
pub fn reports(dir: &Path, month: Option<Period>) -> Result<Vec<StoredReport>> {
    let store = Store::open_existing(dir)?;
    Ok(store.reports(month)?)
}

/// The month a command means: the one given, else the current month.
pub fn month_or_current(month: Option<Period>) -> Period {
    month.unwrap_or_else(|| Period::of(&chrono::Local::now()))
}

/// Who runs the command, for the history: the person behind `sudo`, else the
/// login user (blank values skipped); `None` when neither is set.
pub fn login_user() -> Option<String> {
    ["SUDO_USER", "USER"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
}
