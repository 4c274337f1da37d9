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

use anyhow::{Context, Result, bail};
use selfcheck_catalog::Catalog;
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::import::{ImportOptions, ImportOutcome, import_paths};
use selfcheck_ledger::store::{Store, StoredReport};
use selfcheck_report::Period;
use std::path::{Path, PathBuf};

/// Where the collector keeps its store unless told otherwise: the system
/// location for root, the user's XDG data directory for anyone else. `None`
/// The person running the command, for the history (`--by`'s default): the
/// person behind `sudo`, else the login user (blank values skipped), else the uid.
pub fn default_actor() -> String {
    ["SUDO_USER", "USER"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
        .unwrap_or_else(|| format!("uid {}", nix::unistd::geteuid()))
}

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

/// Open (or create) the store in `dir`, for the commands that may be the
/// first to write to it (`import`, `assets import`, `ca init`, `selfcheck
/// run`), with the collector key sealing its history ([`store::open_sealed`]).
///
/// A store is created only where `dir` does not exist yet or is empty, and
/// that is said on standard error: a mistyped `--data` naming some other
/// directory is refused instead of quietly growing a second, empty store.
pub fn open_or_create_store(dir: &Path) -> Result<Store> {
    let db = dir.join(selfcheck_ledger::store::DB_FILE);
    let created = !db.exists();
    if created && !is_new_dir(dir)? {
        bail!(
            "{} holds files but no collector store ({}); is --data (or SELFCHECK_DATA) right? \
A new store is only made in a directory that does not exist yet or holds only collector.toml, collector-key.pem or pki/",
            dir.display(),
            selfcheck_ledger::store::DB_FILE
        );
    }
    let store = Store::open(dir)
        .with_context(|| format!("cannot open the collector store in {}", dir.display()))?;
    if created {
        eprintln!("note: created a new collector store in {}", dir.display());
    }
    store::seal_with_collector_key(store, dir)
}

/// What may already be in a data directory before its store is made: the
/// configuration, the collector key and the CA, placed there first on purpose.
const ALLOWED_BEFORE_STORE: [&str; 3] = ["collector.toml", "collector-key.pem", "pki"];

/// Whether `dir` does not exist, or holds nothing but [`ALLOWED_BEFORE_STORE`].
fn is_new_dir(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries.flatten().all(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| ALLOWED_BEFORE_STORE.contains(&n))
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(anyhow::Error::new(e)
            .context(format!("cannot read the data directory {}", dir.display()))),
    }
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
