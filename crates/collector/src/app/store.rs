//! The store and the collector key together: every use case that writes the
//! history opens the store through here, so each entry it appends is sealed
//! with the collector key (`DATA/collector-key.pem`, created on first use),
//! and a store made before sealing is bound on that first use. Also `store
//! verify` (the store proves its ledger) and `store seal`.

use crate::evidence::{self, EvidenceError, load_or_create_collector_key};
use anyhow::{Context, Result, bail};
use selfcheck_ledger::history::HistoryEntry;
use selfcheck_ledger::store::{Store, StoreAudit, StoreCheck};
use std::path::Path;

/// `store` with the collector key in `dir` attached as its history sealer.
/// A store made before sealing is bound now (one `history_sealed` entry).
pub fn seal_with_collector_key(store: Store, dir: &Path) -> Result<Store> {
    Ok(attach(store, dir)?.0)
}

fn attach(mut store: Store, dir: &Path) -> Result<(Store, Option<HistoryEntry>)> {
    let key = load_or_create_collector_key(dir)?;
    let bound = store.attach_sealer(Box::new(key)).with_context(|| {
        format!(
            "cannot seal the history of the collector store in {}",
            dir.display()
        )
    })?;
    Ok((store, bound))
}

/// Open the existing store in `dir` for a use case that writes the history
/// (a status change, a certificate, the evidence package's record).
pub fn open_sealed(dir: &Path) -> Result<Store> {
    seal_with_collector_key(Store::open_existing(dir)?, dir)
}

/// The collector's public key in `dir`, 64 hex digits; `None` when no key
/// was ever made there (a read-only check never creates one).
pub fn collector_public_key(dir: &Path) -> Result<Option<String>> {
    let path = dir.join(evidence::COLLECTOR_KEY_FILE);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => {
            let key: Result<_, EvidenceError> = load_or_create_collector_key(dir);
            Ok(Some(key?.public_key_hex()))
        }
    }
}

/// Bind a store made before sealing to the collector key (`store seal`):
/// the `history_sealed` entry recorded, or `None` when it was bound already.
pub fn seal(dir: &Path) -> Result<Option<HistoryEntry>> {
    Ok(attach(Store::open_existing(dir)?, dir)?.1)
}

/// A history head handed over before: `SEQ:DIGEST` (`--expect-head`).
pub fn parse_head(value: &str) -> Result<(u64, String)> {
    let Some((seq, digest)) = value.split_once(':') else {
        bail!("--expect-head {value:?} is not SEQ:DIGEST (e.g. 42:sm3:0a1b…)");
    };
    let seq: u64 = seq
        .parse()
        .with_context(|| format!("--expect-head {value:?}: {seq:?} is not an entry number"))?;
    let hex_part = digest.strip_prefix("sm3:").unwrap_or_default();
    if hex_part.len() != 64 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "--expect-head {value:?}: {digest:?} is not a history digest (sm3: and 64 hex digits)"
        );
    }
    Ok((seq, digest.to_ascii_lowercase()))
}

/// Check that the store in `dir` proves its ledger (see
/// [`Store::verify_store`]): with the collector key's seals when a key
/// exists, and the head handed over before when one is given.
pub fn verify(dir: &Path, expect_head: Option<(u64, String)>) -> Result<StoreAudit> {
    let store = Store::open_existing(dir)?;
    let check = StoreCheck {
        public_key_hex: collector_public_key(dir)?,
        expect_head,
    };
    Ok(store.verify_store(&check)?)
}

/// The store `evidence` is about to sign, checked first: an error naming
/// the first differences and the command that lists them all.
pub fn refuse_unless_consistent(store: &Store, key: &selfcheck_report::AgentKey) -> Result<()> {
    let audit = store.verify_store(&StoreCheck {
        public_key_hex: Some(key.public_key_hex()),
        expect_head: None,
    })?;
    if audit.is_consistent() {
        return Ok(());
    }
    let first: Vec<String> = audit
        .problems
        .iter()
        .take(3)
        .map(|p| format!("  {p}"))
        .collect();
    bail!(
        "refusing to sign: the store does not prove its ledger ({} difference(s) between the stored rows, the signed reports and the history), e.g.\n{}\nrun `selfcheck-collector store verify` to see every one; restore the store from a backup, or re-import the reports into a new data directory",
        audit.problems.len(),
        first.join("\n")
    )
}
