//! The patch audit: package inventory, pending updates and known
//! vulnerabilities turned into the `patches.*` checks of the catalog.
//!
//! Every check ends as passed, findings, or "could not run" with the reason:
//! a host without a package database, an unreadable status file, missing apt
//! lists or no vulnerability feed is said so, never read as "no problem".

use super::cfg::PatchesConfig;
use crate::audit::{AuditOutput, CheckCollector};
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::checks::{
    PATCHES_BROKEN_PACKAGES, PATCHES_KNOWN_VULNERABILITY, PATCHES_NO_RECENT_UPDATES,
    PATCHES_PENDING_UPDATES, PATCHES_REBOOT_REQUIRED, PATCHES_SECURITY_UPDATES,
    PATCHES_STALE_PACKAGE_LISTS, PATCHES_VULN_FEED_STALE,
};
use selfcheck_catalog::{Catalog, CatalogError, CheckDef, KnownCheck};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::backend::{compare_versions, scan, version_order};
use selfcheck_pkgdb::osv::{FeedMatch, VulnMatch, ecosystem_for, load_and_match};
use selfcheck_report::{
    InstalledPackage, OsRelease, PackageFamily, PackageInventory, PendingUpdate, Severity,
    VulnerabilityFeed,
};
use std::path::Path;

/// The catalog area whose checks [`audit`] runs.
pub const AREA: selfcheck_catalog::Area = selfcheck_catalog::Area::Patches;

/// What the patch audit hands back to the run.
#[derive(Debug, Default)]
pub struct PatchAudit {
    /// Checks, findings.
    pub output: AuditOutput,
    /// Installed packages and pending updates, when the package database could be read.
    pub inventory: Option<PackageInventory>,
    /// The vulnerability feed used, when one was loaded.
    pub feed: Option<VulnerabilityFeed>,
}

/// Inputs of the patch audit besides the root and catalog.
#[derive(Debug, Clone, Copy)]
pub struct PatchOptions<'a> {
    /// `--vuln-db`, which wins over the configuration's `vuln_db`.
    pub vuln_db: Option<&'a Path>,
    /// The `[patches]` configuration.
    pub config: &'a PatchesConfig,
    /// The audited host's OS (for its OSV ecosystem).
    pub os: &'a OsRelease,
    /// The asset key used in fingerprints.
    pub asset_key: &'a str,
    /// The time findings are stamped with and ages are measured from.
    pub now: DateTime<FixedOffset>,
}

fn max_days(def: Option<&CheckDef>, configured: Option<u32>) -> Result<i64, CatalogError> {
    if let Some(d) = configured {
        return Ok(i64::from(d));
    }
    let Some(def) = def else { return Ok(35) };
    match def.params.get("max_days") {
        None => Ok(35),
        Some(toml::Value::Integer(n)) if *n > 0 => Ok(*n),
        Some(_) => {
            Err(def.param_error("max_days", "must be a whole number of days greater than 0"))
        }
    }
}

/// Run every `patches` check of the catalog.
pub fn audit(
    root: &HostRoot,
    catalog: &Catalog,
    opts: PatchOptions<'_>,
) -> Result<PatchAudit, CatalogError> {
    let defs: Vec<&CheckDef> = catalog.area(AREA).collect();
    let def = |id: KnownCheck| defs.iter().copied().find(|d| d.id == id);
    let limits = (
        max_days(
            def(PATCHES_NO_RECENT_UPDATES),
            opts.config.max_days_without_update,
        )?,
        max_days(
            def(PATCHES_STALE_PACKAGE_LISTS),
            opts.config.max_list_age_days,
        )?,
        max_days(def(PATCHES_VULN_FEED_STALE), opts.config.max_feed_age_days)?,
    );
    let mut o = CheckCollector::new(&defs, opts.asset_key, opts.now);
    let mut result = PatchAudit::default();
    let all: Vec<&str> = defs.iter().map(|d| d.id.as_str()).collect();

    let family = match selfcheck_pkgdb::os::package_family(opts.os, root) {
        Ok(f) => f,
        Err(reason) => {
            o.could_not_run(&all, &reason);
            result.output = o.finish();
            return Ok(result);
        }
    };
    let host = match scan(family, root) {
        Ok(h) => h,
        Err(e) => {
            o.could_not_run(&all, &e.to_string());
            result.output = o.finish();
            return Ok(result);
        }
    };
    let mut inventory = PackageInventory {
        family,
        installed: host.installed.clone(),
        upgradable: Vec::new(),
        indexes_updated_at: None,
        warnings: host.warnings.clone(),
    };

    for p in host
        .installed
        .iter()
        .filter(|p| p.state.is_broken() || p.reinstall_required)
    {
        let flag = if p.reinstall_required {
            ", reinstall required"
        } else {
            ""
        };
        let state = serde_json::to_value(p.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        o.finding(
            PATCHES_BROKEN_PACKAGES,
            format!("{}:{}", p.name, p.arch),
            None,
            vec![format!("{} {} is {state}{flag}", p.name, p.version)],
        );
    }

    let feed = vulnerability_feed(&mut o, opts, family, &host.installed, limits.2);
    match &host.updates {
        Err(missing) if missing.indexes_missing => {
            // No indexes at all: the host cannot see a single patch.
            o.could_not_run(
                &[PATCHES_SECURITY_UPDATES, PATCHES_PENDING_UPDATES],
                &missing.reason,
            );
            o.finding(
                PATCHES_STALE_PACKAGE_LISTS,
                "package-indexes".into(),
                None,
                vec![missing.reason.clone()],
            );
        }
        Err(missing) => o.could_not_run(
            &[
                PATCHES_SECURITY_UPDATES,
                PATCHES_PENDING_UPDATES,
                PATCHES_STALE_PACKAGE_LISTS,
            ],
            &missing.reason,
        ),
        Ok(updates) => {
            pending_updates(
                &mut o,
                family,
                &updates.upgradable,
                feed.as_ref().map(|f| f.matches.as_slice()),
            );
            match updates.indexes_updated_at {
                Some(t) => {
                    let age = (opts.now - t).num_days();
                    if age > limits.1 {
                        o.finding(
                            PATCHES_STALE_PACKAGE_LISTS,
                            "package-indexes".into(),
                            None,
                            vec![format!(
                                "newest {} dated {} ({age} days ago; limit {} days)",
                                updates.indexes_name,
                                t.format("%Y-%m-%d %H:%M %:z"),
                                limits.1
                            )],
                        );
                    }
                }
                None => o.could_not_run(
                    &[PATCHES_STALE_PACKAGE_LISTS],
                    &format!("the {} carry no date", updates.indexes_name),
                ),
            }
            inventory.upgradable = updates.upgradable.clone();
            inventory.indexes_updated_at = updates.indexes_updated_at;
        }
    }

    if !host.reboot.is_empty() {
        o.finding(
            PATCHES_REBOOT_REQUIRED,
            "reboot".into(),
            None,
            host.reboot.clone(),
        );
    }

    match &host.last_change {
        Ok(t) => {
            let age = (opts.now - *t).num_days();
            if age > limits.0 {
                o.finding(PATCHES_NO_RECENT_UPDATES, "package-changes".into(), None, vec![format!(
                    "last package install, upgrade or removal {} ({age} days ago; limit {} days)",
                    t.format("%Y-%m-%d %H:%M"),
                    limits.0
                )]);
            }
        }
        Err(reason) => o.could_not_run(&[PATCHES_NO_RECENT_UPDATES], reason),
    }

    result.feed = feed.map(|f| f.feed);
    result.inventory = Some(inventory);
    result.output = o.finish();
    Ok(result)
}

/// Load and match the feed; sets the outcomes of the two feed checks.
fn vulnerability_feed(
    o: &mut CheckCollector<'_>,
    opts: PatchOptions<'_>,
    family: PackageFamily,
    installed: &[InstalledPackage],
    max_age: i64,
) -> Option<FeedMatch> {
    let Some(path) = opts.vuln_db.or(opts.config.vuln_db.as_deref()) else {
        o.could_not_run(
            &[PATCHES_KNOWN_VULNERABILITY, PATCHES_VULN_FEED_STALE],
            "no vulnerability feed given: pass --vuln-db PATH (an OSV directory or zip such as Debian/all.zip) or set patches.vuln_db in the agent config",
        );
        return None;
    };
    let Some(ecosystem) = opts
        .config
        .vuln_ecosystem
        .clone()
        .or_else(|| ecosystem_for(opts.os))
    else {
        let os = opts.os.id.as_deref().unwrap_or("unknown");
        o.could_not_run(
            &[PATCHES_KNOWN_VULNERABILITY, PATCHES_VULN_FEED_STALE],
            &format!("OSV has no ecosystem for OS id {os:?}; set patches.vuln_ecosystem in the agent config (e.g. \"Debian:10\" for a Debian-based release)"),
        );
        return None;
    };
    let matched = match load_and_match(path, &ecosystem, installed, version_order(family)) {
        Ok(m) => m,
        Err(e) => {
            o.could_not_run(
                &[PATCHES_KNOWN_VULNERABILITY, PATCHES_VULN_FEED_STALE],
                &format!("cannot use vulnerability feed {}: {e}", path.display()),
            );
            return None;
        }
    };
    for m in &matched.matches {
        o.finding(
            PATCHES_KNOWN_VULNERABILITY,
            format!("{}:{} {}", m.package, m.arch, m.advisory_id),
            Some(m.risk),
            vuln_evidence(m),
        );
    }
    match matched.feed.newest_modified {
        Some(t) if (opts.now - t).num_days() > max_age => {
            o.finding(
                PATCHES_VULN_FEED_STALE,
                "vulnerability-feed".into(),
                None,
                vec![format!(
                    "newest advisory in {} modified {} ({} days ago; limit {max_age} days)",
                    matched.feed.source,
                    t.format("%Y-%m-%d"),
                    (opts.now - t).num_days()
                )],
            );
        }
        Some(_) => {}
        None => o.could_not_run(
            &[PATCHES_VULN_FEED_STALE],
            "the feed has no advisory with a modified date",
        ),
    }
    Some(matched)
}

fn vuln_evidence(m: &VulnMatch) -> Vec<String> {
    let mut ev = vec![format!(
        "{}:{} from source {} {}",
        m.package, m.arch, m.source_name, m.installed_version
    )];
    match (&m.fixed_version, &m.last_affected) {
        (Some(f), _) => ev.push(format!("fixed in {f}")),
        (None, Some(l)) => ev.push(format!(
            "affected up to and including {l}; no fixed version"
        )),
        (None, None) => ev.push("no fixed version yet".into()),
    }
    if !m.aliases.is_empty() {
        ev.push(format!("aliases: {}", m.aliases.join(", ")));
    }
    ev.push(format!("severity: {}", m.severity_basis));
    if !m.summary.is_empty() {
        ev.push(m.summary.clone());
    }
    ev
}

/// Security updates one finding per package; ordinary updates one finding per host.
///
/// A security update's risk is the highest of the risks the repository's own
/// advisories give it (RPM `updateinfo.xml`) and of the feed's advisories the
/// candidate fixes (same binary package, fixed at or below the candidate);
/// high when neither knows it.
fn pending_updates(
    o: &mut CheckCollector<'_>,
    family: PackageFamily,
    upgradable: &[PendingUpdate],
    vulns: Option<&[VulnMatch]>,
) {
    let graded = vulns.is_some();
    let vulns = vulns.unwrap_or(&[]);
    let mut ordinary = Vec::new();
    for u in upgradable {
        let line = update_line(u);
        if !u.security {
            ordinary.push(line);
            continue;
        }
        let fixed: Vec<&VulnMatch> = vulns
            .iter()
            .filter(|m| m.package == u.name && m.arch == u.arch)
            .filter(|m| {
                m.fixed_version
                    .as_deref()
                    .is_some_and(|f| compare_versions(family, f, &u.candidate).is_le())
            })
            .collect();
        let repo_risk = u.advisories.iter().filter_map(|a| a.risk).max();
        let feed_risk = fixed.iter().map(|m| m.risk).max();
        let risk = repo_risk.max(feed_risk);
        let mut evidence = vec![line];
        if !u.advisories.is_empty() {
            let ids: Vec<String> = u
                .advisories
                .iter()
                .map(|a| match a.risk {
                    Some(r) => format!("{} ({}, {r})", a.id, a.kind),
                    None => format!("{} ({})", a.id, a.kind),
                })
                .collect();
            evidence.push(format!("repository advisories: {}", ids.join(", ")));
        }
        if !fixed.is_empty() {
            let ids: Vec<String> = fixed
                .iter()
                .map(|m| format!("{} ({})", m.advisory_id, m.risk))
                .collect();
            evidence.push(format!("fixes {}", ids.join(", ")));
        }
        if risk.is_none() {
            evidence.push(if graded {
                "severity: not in the vulnerability feed; high by default".into()
            } else {
                "severity: no vulnerability feed to grade it; high by default".into()
            });
        }
        o.finding(
            PATCHES_SECURITY_UPDATES,
            format!("{}:{}", u.name, u.arch),
            risk.or(Some(Severity::High)),
            evidence,
        );
    }
    if !ordinary.is_empty() {
        let mut evidence = vec![format!("{} package(s) can be upgraded", ordinary.len())];
        evidence.extend(ordinary);
        o.finding(PATCHES_PENDING_UPDATES, "upgradable".into(), None, evidence);
    }
}

fn update_line(u: &PendingUpdate) -> String {
    format!(
        "{}:{} {} -> {} ({})",
        u.name,
        u.arch,
        u.installed,
        u.candidate,
        u.suites.join(", ")
    )
}
