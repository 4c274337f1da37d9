//! Package inventory sections: what is installed, what could be upgraded, and
//! which vulnerability feed the agent matched against.

use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which package manager's world a package belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PackageFamily {
    /// dpkg/apt (Debian, Ubuntu, Kylin desktop, UOS desktop).
    Deb,
    /// rpm/dnf/yum (openEuler, Kylin server, UOS server, Anolis, RHEL family).
    Rpm,
}

/// The state dpkg (or rpm) records for an installed package.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PackageState {
    /// Unpacked and configured: a normal installed package.
    Installed,
    /// Unpacked but not configured.
    Unpacked,
    /// Installation or removal started and did not finish.
    HalfInstalled,
    /// Configuration started and did not finish.
    HalfConfigured,
    /// Waiting for another package's trigger processing.
    TriggersAwaited,
    /// Triggers pending for this package.
    TriggersPending,
    /// Removed; only its configuration files remain.
    ConfigFiles,
}

impl PackageState {
    /// Whether the package is in a state an administrator must repair.
    pub fn is_broken(self) -> bool {
        matches!(
            self,
            PackageState::Unpacked
                | PackageState::HalfInstalled
                | PackageState::HalfConfigured
                | PackageState::TriggersAwaited
                | PackageState::TriggersPending
        )
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InstalledPackage {
    /// Binary package name.
    pub name: String,
    /// Installed version, as the package manager writes it (Debian: `[epoch:]upstream[-revision]`).
    pub version: String,
    /// Architecture (`amd64`, `all`, `x86_64`, `noarch`, ...).
    pub arch: String,
    /// Source package name (vulnerability feeds name source packages).
    pub source_name: String,
    /// Source package version.
    pub source_version: String,
    /// Package state.
    pub state: PackageState,
    /// dpkg's "reinstall required" flag (the package is broken and must be reinstalled).
    #[serde(default)]
    pub reinstall_required: bool,
}

/// Installed packages and the updates the package manager would install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackageInventory {
    /// Package family of the host.
    pub family: PackageFamily,
    /// Every package the package database lists, sorted by name and architecture.
    pub installed: Vec<InstalledPackage>,
    /// Packages whose candidate version is newer than the installed one, as
    /// `apt list --upgradable` (or `dnf check-update`) lists them.
    pub upgradable: Vec<PendingUpdate>,
    /// When the newest package index (apt list, repository metadata) was written.
    pub indexes_updated_at: Option<DateTime<FixedOffset>>,
    /// Files that were skipped (a corrupt list, an unreadable log), each named with the reason.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One package the package manager would upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PendingUpdate {
    /// Binary package name.
    pub name: String,
    /// Architecture.
    pub arch: String,
    /// Installed version.
    pub installed: String,
    /// Candidate version.
    pub candidate: String,
    /// Suites (Debian) or repositories (RPM) that offer the candidate, e.g. `bookworm-security`.
    pub suites: Vec<String>,
    /// Whether the candidate comes from a security suite or advisory.
    pub security: bool,
    /// Advisories the repository metadata says this update fixes (RPM
    /// `updateinfo.xml`: e.g. openEuler-SA-2024-1234, RHSA-2024:1234); empty for apt.
    #[serde(default)]
    pub advisories: Vec<UpdateAdvisory>,
}

/// An advisory attached to an update by the repository (RPM `updateinfo.xml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateAdvisory {
    /// Advisory id, e.g. `openEuler-SA-2024-1234` or `RHSA-2024:1234`.
    pub id: String,
    /// `security`, `bugfix`, `enhancement` or `newpackage`.
    pub kind: String,
    /// The advisory's severity mapped to a risk level (Critical/Important/Moderate/Low →
    /// critical/high/medium/low), when it has one.
    pub risk: Option<crate::ids::Severity>,
}

/// The offline vulnerability feed the packages were matched against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VulnerabilityFeed {
    /// Where it was loaded from (a directory or zip of OSV JSON).
    pub source: String,
    /// The OSV ecosystem matched, e.g. `Debian:12`.
    pub ecosystem: String,
    /// Advisories read from the feed (all ecosystems).
    pub advisories: u64,
    /// Advisories skipped because they could not be read, with the reason (first few).
    pub skipped: Vec<String>,
    /// The newest `modified` time of any advisory: how fresh the feed is.
    pub newest_modified: Option<DateTime<FixedOffset>>,
}
