//! The offline OSV vulnerability feed: load it, match the installed packages
//! against it, and grade each match's risk.
//!
//! # Feed
//!
//! A feed is a directory tree of OSV JSON records (every `*.json` below it)
//! or a zip of them, as osv.dev exports one per ecosystem
//! (`https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip`,
//! `.../Ubuntu/all.zip`). Records are parsed by two threads, one at a time,
//! into just the fields matching needs; nothing else of the feed stays in
//! memory. A record that is not valid JSON or has no `id` is skipped and named
//! in [`VulnerabilityFeed::skipped`] (the first 20, then a count), never
//! silently. Only a feed that cannot be read at all is an [`OsvError`].
//!
//! # Ecosystems
//!
//! OSV names a distribution release as `<Family>:<RELEASE>` (osv-schema,
//! "Defined ecosystems"): `Debian:12` (the `VERSION_ID` number), and
//! `Ubuntu:22.04:LTS` (`YY.MM`, with a mandatory `:LTS` suffix for LTS
//! releases); Ubuntu Pro (ESM) fixes are published under
//! `Ubuntu:Pro:18.04:LTS` and are not matched for a plain release.
//! [`ecosystem_for`] derives the name from `os-release`; only `ID=debian` and
//! `ID=ubuntu` have one (Kylin, UOS and other derivatives have no OSV
//! ecosystem, even when `ID_LIKE` names Debian). Records are matched only when
//! `affected[].package.ecosystem` equals that name exactly: the published
//! Debian and Ubuntu records always carry the release, and a bare `Debian`
//! would mix fixes of different releases.
//!
//! # Matching
//!
//! `affected[].package.name` is a source package; every installed binary
//! package built from it (its `source_name`, packages in state
//! `config-files` left out) is judged by its source version, so a binNMU
//! `5.2.15-2+b8` of source `5.2.15-2` is judged as `5.2.15-2`. A version is
//! affected, per the schema's evaluation algorithm, when it lies in an
//! `ECOSYSTEM` range (events sorted by version; `introduced: "0"` is before
//! every version; `fixed` excluded, `last_affected` included; a range with
//! `limit` events only covers versions below one of them) or equals a version
//! of `affected[].versions` under the ecosystem's ordering. Withdrawn records
//! are read but never match. One [`VulnMatch`] is reported per binary package
//! and record; its `fixed_version` is the smallest `fixed` above the installed
//! version in the matching ranges.
//!
//! # Risk
//!
//! | Source in the record | Value | Risk |
//! |---|---|---|
//! | `CVSS_V3` / `CVSS_V4` vector, base score | ≥ 9.0 / ≥ 7.0 / ≥ 4.0 / > 0 / 0 | critical / high / medium / low / info |
//! | Ubuntu priority (`severity[]` type `Ubuntu`, or `ecosystem_specific.ubuntu_priority`) | critical / high / medium / low / negligible | critical / high / medium / low / info |
//! | Debian urgency (`ecosystem_specific.urgency`) | high / medium / low / unimportant / not yet assigned / end-of-life | high / medium / low / info / high / high |
//! | `CVSS_V2` vector, base score, when none of the above | ≥ 7.0 / ≥ 4.0 / > 0 / 0 | high / medium / low / info |
//! | none | | high ("no severity in advisory: high by default") |
//!
//! A CVSS v3/v4 score wins over the distribution's grade (the highest score
//! when there are several vectors); the record's top-level `severity[]` and
//! the matching entry's own `severity[]` both count. Unknown severity is
//! graded high because an unpatched vulnerability must not be under-rated.
//! [`VulnMatch::severity_basis`] says which source decided.

mod feed;
mod matching;
mod severity;

pub use severity::{
    DEFAULT_BASIS, Grade, SeveritySources, grade, risk_from_cvss_score, risk_from_debian_urgency,
    risk_from_ubuntu_priority,
};

use chrono::{DateTime, FixedOffset};
use selfcheck_report::{InstalledPackage, OsRelease, Severity, VulnerabilityFeed};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Orders versions of one ecosystem (Debian ordering, or RPM ordering in `packages::rpm::version`).
pub trait VersionOrder: Sync {
    /// Compare two versions of the ecosystem.
    fn compare(&self, a: &str, b: &str) -> Ordering;
}

/// Debian ordering (`dpkg --compare-versions`), for the Debian and Ubuntu ecosystems.
#[derive(Debug, Clone, Copy, Default)]
pub struct DebianOrder;

impl VersionOrder for DebianOrder {
    fn compare(&self, a: &str, b: &str) -> Ordering {
        crate::debian::version::compare(a, b)
    }
}

/// The OSV ecosystem of a host: `Debian:<VERSION_ID major>` (e.g. `Debian:12`),
/// `Ubuntu:<VERSION_ID>` plus `:LTS` for LTS releases (e.g. `Ubuntu:22.04:LTS`),
/// `openEuler:<VERSION_ID>-<LTS stream>` (e.g. `openEuler:22.03-LTS-SP1`, from
/// `PRETTY_NAME="openEuler 22.03 (LTS-SP1)"`), `Rocky Linux:<major>`,
/// `AlmaLinux:<major>`; `None` for every other system (Kylin, UOS, Anolis,
/// CentOS; RHEL's OSV streams are CPE-scoped and must be configured), and for
/// Debian testing/unstable, which have no `VERSION_ID`.
///
/// An Ubuntu release is LTS when it is the April release of an even year
/// (every one since 6.06 is), or when `PRETTY_NAME` says so (`Ubuntu 22.04.4 LTS`).
pub fn ecosystem_for(os: &OsRelease) -> Option<String> {
    let id = os.id.as_deref()?.trim().to_ascii_lowercase();
    let version = os
        .version_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())?;
    match id.as_str() {
        "debian" => {
            let major = version.split('.').next()?;
            major
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| format!("Debian:{major}"))
        }
        "ubuntu" => {
            let april_of_even_year = version
                .split_once('.')
                .and_then(|(y, m)| Some((y.parse::<u32>().ok()?, m)))
                .is_some_and(|(y, m)| y % 2 == 0 && m == "04");
            let says_lts = os
                .pretty_name
                .as_deref()
                .is_some_and(|p| p.split_whitespace().any(|w| w == "LTS"));
            let lts = april_of_even_year || says_lts;
            Some(if lts {
                format!("Ubuntu:{version}:LTS")
            } else {
                format!("Ubuntu:{version}")
            })
        }
        // openEuler: "openEuler:22.03-LTS-SP1" from VERSION_ID and the
        // "(LTS-SP1)" of the release name; innovation releases have no advisories.
        "openeuler" => {
            let pretty = os.pretty_name.as_deref().unwrap_or("");
            let stream = pretty
                .split_once('(')
                .and_then(|(_, r)| r.split_once(')'))
                .map(|(s, _)| s.trim())?;
            stream
                .starts_with("LTS")
                .then(|| format!("openEuler:{version}-{stream}"))
        }
        "rocky" => Some(format!("Rocky Linux:{}", version.split('.').next()?)),
        "almalinux" => Some(format!("AlmaLinux:{}", version.split('.').next()?)),
        _ => None,
    }
}

/// The feed as read, and what it says about the installed packages.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMatch {
    /// Where the feed came from, how many records it had, which were
    /// skipped, and how fresh it is.
    pub feed: VulnerabilityFeed,
    /// Affected installed packages, sorted by package, architecture and advisory id.
    pub matches: Vec<VulnMatch>,
}

/// One installed binary package affected by one advisory.
#[derive(Debug, Clone, PartialEq)]
pub struct VulnMatch {
    /// The record's `id`, e.g. `DSA-5678-1`, `DEBIAN-CVE-2024-0727`, `UBUNTU-CVE-2024-0727`.
    pub advisory_id: String,
    /// The record's `aliases` followed by its `upstream` ids (Debian and
    /// Ubuntu records name their CVE under `upstream`), without repeats.
    pub aliases: Vec<String>,
    /// The record's `summary`, or the first line of its `details`.
    pub summary: String,
    /// Binary package name.
    pub package: String,
    /// Binary package architecture.
    pub arch: String,
    /// Source package name, as the record names it.
    pub source_name: String,
    /// The source version that was compared.
    pub installed_version: String,
    /// The smallest fixed version above the installed one, if the record has one.
    pub fixed_version: Option<String>,
    /// The smallest `last_affected` at or above the installed version, if any.
    pub last_affected: Option<String>,
    /// Risk level, graded as the module docs describe.
    pub risk: Severity,
    /// What decided the risk, e.g. `CVSS:3.1 base 9.8`, `Ubuntu priority high`,
    /// `Debian urgency medium`, `no severity in advisory: high by default`.
    pub severity_basis: String,
    /// The record's `modified` time.
    pub modified: Option<DateTime<FixedOffset>>,
}

/// A feed that cannot be read at all. A single bad record is not an error:
/// it is skipped and listed in [`VulnerabilityFeed::skipped`].
#[derive(Debug, thiserror::Error)]
pub enum OsvError {
    /// The path does not exist or cannot be read.
    #[error(
        "vulnerability feed {path}: cannot read it: {source}; give a directory of OSV JSON files or an OSV zip export (e.g. osv.dev's Debian/all.zip)"
    )]
    Unreadable {
        /// The feed path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The path is a file that is not a zip archive.
    #[error(
        "vulnerability feed {path} is neither a directory nor a zip archive; give a directory of OSV JSON files or an OSV zip export (e.g. osv.dev's Debian/all.zip)"
    )]
    NotDirOrZip {
        /// The feed path given.
        path: PathBuf,
    },
    /// The zip archive's directory cannot be read: the whole archive is unusable.
    #[error("vulnerability feed {path} is a damaged zip archive: {source}; download it again")]
    CorruptZip {
        /// The feed path given.
        path: PathBuf,
        /// What the zip reader found.
        source: zip::result::ZipError,
    },
}

/// Load every `*.json` record of the feed at `path` (a directory, read
/// recursively, or a zip), keep the `affected[]` entries of `ecosystem` whose
/// package is the source of an installed package, and match them; see the
/// module docs for the rules.
pub fn load_and_match(
    path: &Path,
    ecosystem: &str,
    installed: &[InstalledPackage],
    order: &dyn VersionOrder,
) -> Result<FeedMatch, OsvError> {
    feed::load_and_match(path, ecosystem, installed, order)
}
