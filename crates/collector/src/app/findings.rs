//! People's actions on findings and the hash-chained history they go into:
//! show a finding, set the status of one or many, check and list the history.

use anyhow::{Context, Result, bail};
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::engine::{Action, FindingState, Rules, Status, may_set};
use selfcheck_ledger::history::{HistoryEntry, Verification};
use selfcheck_ledger::store::{RegistryEntry, Store};
use selfcheck_report::{Fingerprint, Period};
use std::collections::HashMap;
use std::path::Path;

/// One finding as `finding show` presents it.
#[derive(Debug, Clone)]
pub struct FindingView {
    /// Its registry entry: number, fingerprint, asset, check, first sighting.
    pub entry: RegistryEntry,
    /// Its state today; `None` when it was closed before this month.
    pub state: Option<FindingState>,
    /// Every action people recorded on it, in history order.
    pub actions: Vec<Action>,
    /// The host as its latest report names it: host name and addresses.
    pub host: Option<(String, Vec<String>)>,
    /// The asset's name in the registry, when it is registered.
    pub asset_name: Option<String>,
    /// The evidence of its latest sighting.
    pub evidence: Vec<String>,
}

/// The finding with ledger number or fingerprint (or a unique prefix) `id`.
pub fn show(dir: &Path, config: &CollectorConfig, id: &str) -> Result<FindingView> {
    let mut store = Store::open_existing(dir)?;
    let entry = one_finding(&store, id)?;
    let state = current_states(&mut store, config)?.remove(&entry.fingerprint);
    let actions = store.actions_of(&entry.fingerprint)?;
    let latest = store
        .reports(None)?
        .into_iter()
        .filter(|r| r.asset_key == entry.asset_key)
        .max_by_key(|r| r.finished_at);
    let asset_name = match &latest {
        Some(r) => {
            let assets = store.assets()?;
            selfcheck_ledger::assets::AssetIndex::new(&assets)
                .find(r.machine_id.as_deref(), &r.hostname, &r.ip_addresses)
                .map(|a| a.asset_name.clone())
        }
        None => None,
    };
    let evidence = match &state {
        Some(st) => store
            .finding_evidence(&[(st.last_report.clone(), entry.fingerprint.clone())])?
            .into_values()
            .next()
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(FindingView {
        entry,
        state,
        actions,
        host: latest.map(|r| (r.hostname, r.ip_addresses)),
        asset_name,
        evidence,
    })
}

/// Which findings `finding set` changes.
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a> {
    /// One finding, by ledger number or fingerprint; a refused change is an error.
    One(&'a str),
    /// Every not-closed finding of an asset and/or a check; refused changes are skipped.
    Matching {
        /// An asset key, host name or registry asset name.
        asset: Option<&'a str>,
        /// A check id.
        check: Option<&'a str>,
    },
}

/// One change [`set`] recorded.
#[derive(Debug, Clone)]
pub struct Change {
    /// The finding.
    pub entry: RegistryEntry,
    /// Its status before.
    pub from: Status,
    /// Its status now.
    pub to: Status,
    /// The history entry that records it.
    pub seq: i64,
}

/// What [`set`] did besides the changes it reported.
#[derive(Debug, Clone, Default)]
pub struct SetOutcome {
    /// How many findings were changed.
    pub changed: usize,
    /// Findings left as they were, each with why.
    pub skipped: Vec<String>,
}

/// Record `action` on the findings `targets` names, each change appended to
/// the history (dated when it is recorded) and handed to `on_change` as it
/// is made.
pub fn set(
    dir: &Path,
    config: &CollectorConfig,
    targets: Targets<'_>,
    action: &Action,
    mut on_change: impl FnMut(&Change),
) -> Result<SetOutcome> {
    let mut store = super::store::open_sealed(dir)?;
    let entries: Vec<RegistryEntry> = match targets {
        Targets::One(id) => vec![one_finding(&store, id)?],
        Targets::Matching { asset, check } => {
            let asset_keys = resolve_asset(&store, asset)?;
            let mut out = Vec::new();
            for key in &asset_keys {
                out.extend(store.registry_matching(key.as_deref(), check)?);
            }
            out
        }
    };
    if let Some(problem) = action.problem() {
        bail!("{problem}");
    }
    let states = current_states(&mut store, config)?;
    let mut outcome = SetOutcome::default();
    for entry in entries {
        let Some(state) = states.get(&entry.fingerprint) else {
            outcome
                .skipped
                .push(format!("{}: closed before this month", entry.finding_no));
            continue;
        };
        if let Err(why) = may_set(state.status, action.status) {
            if matches!(targets, Targets::One(_)) {
                bail!("{}: {why}", entry.finding_no);
            }
            outcome.skipped.push(format!("{}: {why}", entry.finding_no));
            continue;
        }
        // Dated when recorded (under the store's write lock), so an import
        // committed meanwhile never makes it look back-dated.
        let (seq, _) = store.record_action_now(&entry.fingerprint, action)?;
        on_change(&Change {
            from: state.status,
            to: action.status,
            seq,
            entry,
        });
        outcome.changed += 1;
    }
    Ok(outcome)
}

/// Check the history's hash chain, and every entry's seal with the
/// collector key when the data directory holds one.
pub fn verify_history(dir: &Path) -> Result<Verification> {
    let store = Store::open_existing(dir)?;
    Ok(match super::store::collector_public_key(dir)? {
        Some(public) => store.verify_history_sealed(&public)?,
        None => {
            let mut v = store.verify_history()?;
            if let Some(sealed) = store.history(None)?.iter().find(|e| e.seal.is_some()) {
                v.problems.push(format!(
                    "entry {} and others are sealed, but the data directory holds no collector key to check the seals with; restore DATA/collector-key.pem from its backup",
                    sealed.seq
                ));
            }
            v
        }
    })
}

/// The history's entries, all or those of one finding (number or fingerprint).
pub fn history(dir: &Path, finding: Option<&str>) -> Result<Vec<HistoryEntry>> {
    let store = Store::open_existing(dir)?;
    let fp = finding
        .map(|id| one_finding(&store, id).map(|e| e.fingerprint))
        .transpose()?;
    Ok(store
        .history(None)
        .context("cannot read the history")?
        .into_iter()
        .filter(|e| {
            fp.as_ref()
                .is_none_or(|fp| e.fingerprint.as_deref() == Some(fp.as_str()))
        })
        .collect())
}

fn one_finding(store: &Store, id: &str) -> Result<RegistryEntry> {
    let found = store.find_finding(id)?;
    match found.len() {
        0 => bail!(
            "no finding has the number or fingerprint {id:?}; see `selfcheck-collector ledger`"
        ),
        1 => Ok(found.into_iter().next().expect("one entry")),
        _ => bail!(
            "{id:?} matches several findings ({}); give more of the fingerprint",
            found
                .iter()
                .map(|e| e.finding_no.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Asset keys an `--asset` value names: an asset key, a host name, or a
/// registry asset name (all of its hosts). `[None]` without `--asset`.
fn resolve_asset(store: &Store, asset: Option<&str>) -> Result<Vec<Option<String>>> {
    let Some(name) = asset else {
        return Ok(vec![None]);
    };
    let reports = store.reports(None)?;
    let mut keys: Vec<String> = reports
        .iter()
        .filter(|r| r.asset_key == name || r.hostname.eq_ignore_ascii_case(name))
        .map(|r| r.asset_key.clone())
        .collect();
    let assets = store.assets()?;
    let registry = selfcheck_ledger::assets::AssetIndex::new(&assets);
    for r in &reports {
        if registry
            .find(r.machine_id.as_deref(), &r.hostname, &r.ip_addresses)
            .is_some_and(|a| a.asset_name == name)
        {
            keys.push(r.asset_key.clone());
        }
    }
    keys.push(format!("asset:{name}"));
    keys.sort();
    keys.dedup();
    Ok(keys.into_iter().map(Some).collect())
}

/// Every finding's state today, from the engine over everything stored
/// (findings closed before this month are not in it).
fn current_states(
    store: &mut Store,
    config: &CollectorConfig,
) -> Result<HashMap<Fingerprint, FindingState>> {
    let now = chrono::Local::now();
    let period = Period::of(&now);
    let input = store.ledger_input(period)?;
    let month = selfcheck_ledger::engine::build(
        &input,
        period,
        now.date_naive(),
        Rules {
            policy: &config.deadlines,
            calendar: &config.calendar,
        },
    );
    Ok(month
        .rows
        .into_iter()
        .map(|r| (r.fingerprint, r.state))
        .collect())
}
