//! The `[fim]` section of agent.toml: this host's additions to the
//! file-integrity scope and the digest of new baselines. Plain data: the
//! scope checks it (`FimConfig::validate`, in [`super::scope`]) when the
//! configuration loads.

use serde::Deserialize;

/// This host's changes to the file-integrity scope of `checks/fim.toml`, and its settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FimConfig {
    /// Digest of new baselines, `sha256` or `sm3` (`--digest` wins).
    pub digest: Option<String>,
    /// More paths to watch; a rule for a path the catalog has replaces the catalog's rule.
    #[serde(default)]
    pub rules: Vec<FimRuleConfig>,
    /// More exclusion patterns.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Take changes the package manager's digests explain into the baseline
    /// automatically (default true); false keeps reporting them at info level.
    pub accept_package_changes: Option<bool>,
}

/// One host rule, as in `checks/fim.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FimRuleConfig {
    /// Absolute host path.
    pub path: String,
    /// `"full"`, `"content+perms"` or a list of attribute names.
    pub attrs: toml::Value,
    /// Walk the tree (default true).
    pub recurse: Option<bool>,
    /// Descend into file systems mounted below the path (default false).
    pub cross_fs: Option<bool>,
}
