//! The `[patches]` section of agent.toml: the vulnerability feed and the
//! age limits of the patch checks.

use serde::Deserialize;
use std::path::PathBuf;

/// Settings of the patch audit. Unset limits fall back to the catalog's
/// `params.max_days` of the check.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchesConfig {
    /// Offline OSV vulnerability feed: a directory or zip of OSV JSON (`--vuln-db` wins).
    pub vuln_db: Option<PathBuf>,
    /// OSV ecosystem to match, for OSes that have none of their own (Kylin, UOS).
    pub vuln_ecosystem: Option<String>,
    /// Days without any package change before `patches.no-recent-updates`.
    pub max_days_without_update: Option<u32>,
    /// Age in days of the package lists before `patches.stale-package-lists`.
    pub max_list_age_days: Option<u32>,
    /// Age in days of the newest advisory before `patches.vuln-feed-stale`.
    pub max_feed_age_days: Option<u32>,
}
