//! What `apt list --upgradable` prints, computed offline from the files below
//! a root: for each installed package, apt's candidate version, and the
//! packages whose candidate is newer than what is installed.
//!
//! The pieces follow apt 2.6 (each checked against apt itself, see
//! `tests/apt_fixture.rs` and `tests/apt_live.rs`): [`super::sources`] gives the
//! active sources and their list-file names, [`super::release`] what each
//! suite's release file says, [`super::preferences`] the pins,
//! [`super::lists`] the entries of installed names in the `Packages` lists, and
//! [`super::policy`] the priorities and the candidate. Held packages are listed
//! like apt lists them (a hold stops `apt upgrade`, not the listing).
//!
//! Not supported: the audited host's `APT_CONFIG` and `-o` options, apt.conf
//! settings other than `APT::Default-Release` (such as `Dir::*` or
//! `APT::Architectures`: the architectures are dpkg's), `#include` in
//! apt.conf, phased updates (apt 2.6 ignores them for the candidate too),
//! bzip2-compressed lists (reported as a warning), and versions that compare
//! equal but differ in their metadata (apt keeps them apart; here they are one).

use super::lists::{self, Compression};
use super::pin_release::ReleaseSpec;
use super::policy::{self, Package, PkgFile};
use super::preferences::{self, Pin, PinKind, expression_matches};
use super::release::{self, ReleaseInfo};
use super::sources::{self, SourceEntry};
use super::status::DpkgStatus;
use super::version;
use chrono::{DateTime, FixedOffset, Utc};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{InstalledPackage, PackageState, PendingUpdate};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::PathBuf;

/// What apt would upgrade, computed from the files below the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptView {
    /// Packages whose candidate is newer than the installed version, sorted by
    /// name and architecture (the installed version's, as `apt list` shows it:
    /// `all` for an `Architecture: all` package). `suites` are the suites
    /// offering the candidate: each file's Release `Suite:` (what `apt list`
    /// prints), else its `Codename:`, else the suite named in the sources;
    /// `security` is whether one of them is a security suite: Suite, Codename or
    /// the sources' suite ends in `-security` or `/updates`, or the Label is
    /// `Debian-Security`.
    pub upgradable: Vec<PendingUpdate>,
    /// The newest `Date:` of the release files of the active sources, else the
    /// newest modification time of their list files.
    pub lists_updated_at: Option<DateTime<FixedOffset>>,
    /// Problems of single files that were skipped or read in part, each naming
    /// the file.
    pub warnings: Vec<String>,
    /// Active `deb` sources: distinct (URI, suite) pairs.
    pub sources: usize,
    /// `Packages` lists read.
    pub package_files: usize,
}

/// Why apt's view cannot be computed (apt itself would fail or know nothing).
#[derive(Debug, thiserror::Error)]
pub enum AptError {
    /// No dpkg status file below the root.
    #[error(
        "{0}: dpkg's status file is missing; this is not a dpkg-based system, or --root points to the wrong directory"
    )]
    StatusMissing(PathBuf),
    /// The status file has no `dpkg` entry to tell the architecture.
    #[error(
        "the native architecture is unknown: the dpkg status file has no installed dpkg package"
    )]
    NativeArchUnknown,
    /// A sources file apt cannot parse.
    #[error(
        "apt cannot read its sources: {0}; fix or remove that entry (apt refuses to run with it)"
    )]
    Sources(#[from] sources::SourcesError),
    /// No `deb` source at all.
    #[error(
        "no apt sources are configured in {0}/sources.list or {0}/sources.list.d: add the distribution's sources, then run apt-get update"
    )]
    NoSources(String),
    /// No lists directory.
    #[error("{0}: apt's lists directory is missing: run apt-get update")]
    ListsMissing(PathBuf),
    /// Sources, but none of their lists.
    #[error("none of the {0} configured apt sources has package lists in {1}: run apt-get update")]
    NoLists(usize, PathBuf),
    /// A preferences record apt refuses.
    #[error("apt refuses its preferences: {0}; fix that record")]
    Preferences(#[from] preferences::PreferencesError),
    /// `APT::Default-Release` names no release of the sources.
    #[error(
        "APT::Default-Release \"{0}\" (set in {1}) names no release of the sources, so apt refuses to run: fix it or run apt-get update"
    )]
    DefaultRelease(String, PathBuf),
}

/// apt's lists directory (`Dir::State::Lists`).
const LISTS: &str = "var/lib/apt/lists";

/// One suite (URI and suite) and what its release file says.
struct Suite {
    dist: String,
    release: ReleaseInfo,
}

/// Compute what `apt list --upgradable` would print for this root.
pub fn upgradable(root: &HostRoot, status: &DpkgStatus) -> Result<AptView, AptError> {
    if !root.is_file("var/lib/dpkg/status") {
        return Err(AptError::StatusMissing(root.join("var/lib/dpkg/status")));
    }
    let native = status
        .native_arch()
        .ok_or(AptError::NativeArchUnknown)?
        .to_string();
    let archs = configured_archs(root, &native);
    let srcs = sources::read_sources(root, &archs)?;
    if srcs.entries.is_empty() {
        return Err(AptError::NoSources(
            root.join("etc/apt").display().to_string(),
        ));
    }
    let lists_dir = root.join(LISTS);
    if !root.is_dir(LISTS) {
        return Err(AptError::ListsMissing(lists_dir));
    }
    let prefs = preferences::read_preferences(root)?;
    let mut warnings = prefs.warnings.clone();

    // Files: the status file first, then each suite's lists in apt's order.
    let (suites, files, list_paths, file_suite) = collect_files(root, &srcs.entries, &mut warnings);
    if list_paths.is_empty() {
        return Err(AptError::NoLists(suites.len(), lists_dir));
    }

    let mut generic: Vec<Pin> = Vec::new();
    if let Some((value, file)) = release::default_release(root) {
        if !default_release_exists(&value, &files) {
            return Err(AptError::DefaultRelease(value, file));
        }
        generic.push(Pin {
            kind: PinKind::Release(ReleaseSpec::parse(&value)),
            priority: 990,
            place: file.display().to_string(),
        });
    }
    generic.extend(prefs.generic.iter().cloned());
    let file_prio = policy::file_priorities(&files, &generic);

    let mut installed = Installed::index(status, &archs, &native);
    let scans = lists::scan_all(&list_paths, &installed.names);
    for (i, scan) in scans.iter().enumerate() {
        warnings.extend(scan.problem.iter().cloned());
        for offer in &scan.offers {
            installed.offer(offer, i + 1, &native);
        }
    }

    let mut upgradable = Vec::new();
    for (pkg, inst) in installed.packages.iter_mut().zip(&installed.rows) {
        pkg.installed = pkg
            .versions
            .iter()
            .position(|v| version::compare(&v.version, &inst.version) == Ordering::Equal);
        let pins = if prefs.specific.is_empty() {
            vec![None; pkg.versions.len()]
        } else {
            policy::version_pins(pkg, &native, &prefs.specific, &files)
        };
        let Some(c) = policy::candidate(pkg, &pins, &file_prio) else {
            continue;
        };
        let cand = &pkg.versions[c];
        if version::compare(&cand.version, &inst.version) == Ordering::Greater {
            let offering: Vec<&Suite> = cand
                .files
                .iter()
                .filter(|&&f| f > 0)
                .map(|&f| &suites[file_suite[f]])
                .collect();
            upgradable.push(PendingUpdate {
                name: inst.name.clone(),
                arch: inst.arch.clone(),
                installed: inst.version.clone(),
                candidate: cand.version.clone(),
                suites: suite_names(&offering),
                security: offering.iter().any(|s| is_security(s)),
                advisories: Vec::new(),
            });
        }
    }
    upgradable.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.arch.cmp(&b.arch)));

    Ok(AptView {
        upgradable,
        lists_updated_at: updated_at(&suites, &list_paths),
        warnings,
        sources: suites.len(),
        package_files: list_paths.len(),
    })
}

/// The installed packages apt knows (all but removed ones with only their
/// configuration left), keyed by name and architecture (`all` is native),
/// with the versions the lists offer for them.
struct Installed<'a> {
    /// The status entries, one per package.
    rows: Vec<&'a InstalledPackage>,
    /// Installed names (for the scan) and their ids.
    names: HashMap<&'a [u8], u32>,
    /// (name id, architecture) to package index.
    keys: HashMap<(u32, &'a str), usize>,
    /// The packages, each with the installed version from the status file.
    packages: Vec<Package<'a>>,
}

impl<'a> Installed<'a> {
    fn index(status: &'a DpkgStatus, archs: &[String], native: &'a str) -> Installed<'a> {
        let rows: Vec<&InstalledPackage> = status
            .packages
            .iter()
            .filter(|p| p.state != PackageState::ConfigFiles)
            .filter(|p| p.arch == "all" || archs.contains(&p.arch))
            .collect();
        let mut index = Installed {
            names: HashMap::with_capacity(rows.len()),
            keys: HashMap::with_capacity(rows.len()),
            packages: Vec::with_capacity(rows.len()),
            rows: Vec::new(),
        };
        for p in &rows {
            let next = index.names.len() as u32;
            let id = *index.names.entry(p.name.as_bytes()).or_insert(next);
            let arch = if p.arch == "all" {
                native
            } else {
                p.arch.as_str()
            };
            index.keys.insert((id, arch), index.packages.len());
            let mut pkg = Package {
                name: &p.name,
                arch,
                versions: Vec::new(),
                installed: None,
            };
            pkg.offer(&p.version, 0, &p.source_name);
            index.packages.push(pkg);
        }
        index.rows = rows;
        index
    }

    /// Add a list entry (from policy file `file`) to its package, if installed.
    fn offer(&mut self, offer: &lists::Offer, file: usize, native: &str) {
        let arch = if offer.arch == "all" {
            native
        } else {
            offer.arch.as_str()
        };
        if let Some(&k) = self.keys.get(&(offer.name, arch)) {
            let pkg = &mut self.packages[k];
            let source = offer.source.as_deref().unwrap_or(pkg.name);
            pkg.offer(&offer.version, file, source);
        }
    }
}

/// The suites offering a candidate, once each: Suite, else Codename, else the
/// suite the sources name.
fn suite_names(offering: &[&Suite]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in offering {
        let r = &s.release;
        let name = r.suite.as_ref().or(r.codename.as_ref()).unwrap_or(&s.dist);
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The native architecture, then dpkg's foreign ones (`var/lib/dpkg/arch`),
/// what `dpkg --print-foreign-architectures` gives apt.
fn configured_archs(root: &HostRoot, native: &str) -> Vec<String> {
    let mut archs = vec![native.to_string()];
    if let Ok(Some(text)) = root.read_optional("var/lib/dpkg/arch") {
        for a in text.split_whitespace() {
            if !archs.iter().any(|x| x == a) {
                archs.push(a.to_string());
            }
        }
    }
    archs
}

type Files = (
    Vec<Suite>,
    Vec<PkgFile>,
    Vec<(PathBuf, Compression)>,
    Vec<usize>,
);

/// Group the entries by (URI, suite) as apt does, read each suite's release
/// file, and find the lists that exist. Returns the suites, the policy files
/// (status first), the list paths (file i + 1) and each file's suite.
fn collect_files(root: &HostRoot, entries: &[SourceEntry], warnings: &mut Vec<String>) -> Files {
    let mut groups: Vec<(&str, &str, Vec<&SourceEntry>)> = Vec::new();
    for e in entries {
        match groups.iter_mut().find(|g| g.0 == e.uri && g.1 == e.suite) {
            Some(g) => g.2.push(e),
            None => groups.push((&e.uri, &e.suite, vec![e])),
        }
    }
    let mut suites = Vec::new();
    let mut files = vec![PkgFile::status()];
    let mut paths = Vec::new();
    let mut file_suite = vec![usize::MAX];
    let mut seen = std::collections::HashSet::new();
    for (_, dist, group) in groups {
        let first = group[0];
        let info = match release::read_release(
            root,
            LISTS,
            &first.release_file_name("InRelease"),
            &first.release_file_name("Release"),
        ) {
            Ok(Some(info)) => info,
            Ok(None) => ReleaseInfo::default(),
            Err(problem) => {
                warnings.push(problem);
                ReleaseInfo::default()
            }
        };
        let before = paths.len();
        for entry in &group {
            for (base, component, arch) in entry.packages_file_names() {
                if !seen.insert(base.clone()) {
                    continue;
                }
                let Some(found) = lists::find_list_file(root, LISTS, &base) else {
                    continue;
                };
                paths.push(found);
                file_suite.push(suites.len());
                files.push(PkgFile {
                    release: Some(info.clone()),
                    site: first.site(),
                    component: (!component.is_empty()).then_some(component),
                    arch: (!arch.is_empty()).then_some(arch),
                });
            }
        }
        if paths.len() == before {
            warnings.push(format!(
                "{}: no package list in {} for {}{} (run apt-get update)",
                first.place,
                root.join(LISTS).display(),
                first.uri,
                dist
            ));
        }
        suites.push(Suite {
            dist: dist.to_string(),
            release: info,
        });
    }
    (suites, files, paths, file_suite)
}

/// apt's check of `APT::Default-Release`: some package file's suite,
/// codename or version matches it, or it is in `x=...` form.
fn default_release_exists(value: &str, files: &[PkgFile]) -> bool {
    if value.len() > 2 && value.as_bytes()[1] == b'=' || expression_matches(value, "now") {
        return true;
    }
    files.iter().filter_map(|f| f.release.as_ref()).any(|r| {
        [&r.suite, &r.codename, &r.version]
            .into_iter()
            .any(|field| {
                field
                    .as_deref()
                    .is_some_and(|v| expression_matches(value, v))
            })
    })
}

fn is_security(s: &Suite) -> bool {
    let sec = |v: &str| v.ends_with("-security") || v.ends_with("/updates");
    let r = &s.release;
    r.suite.as_deref().is_some_and(sec)
        || r.codename.as_deref().is_some_and(sec)
        || sec(s.dist.trim_end_matches('/'))
        || r.label.as_deref() == Some("Debian-Security")
}

fn updated_at(suites: &[Suite], lists: &[(PathBuf, Compression)]) -> Option<DateTime<FixedOffset>> {
    if let Some(date) = suites.iter().filter_map(|s| s.release.date).max() {
        return Some(date);
    }
    let release_files = suites
        .iter()
        .map(|s| s.release.file.clone())
        .filter(|f| !f.as_os_str().is_empty());
    lists
        .iter()
        .map(|(p, _)| p.clone())
        .chain(release_files)
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max()
        .map(|t| DateTime::<Utc>::from(t).fixed_offset())
}
