//! apt 2.6's policy: the priority of each package file and version, and the
//! candidate version (`pkgPolicy::GetCandidateVer`).
//!
//! A package file starts at 500; the status file at 100; a suite marked
//! `ButAutomaticUpgrades: yes` at 100, one marked `NotAutomatic: yes` at 1.
//! Then the generic pins (`Package: *`, with `APT::Default-Release` first at
//! 990) set the priority of the files they match: the first match wins, except
//! that `never` always wins. A version's priority is that of its first
//! matching specific pin, else the highest of its files (a status-file entry
//! that is not the installed version counts -1). The candidate is the highest
//! version of the highest priority above 0, where versions older than the
//! installed one need at least 1000.

use super::pin_release::ReleaseSpec;
use super::preferences::{NEVER, PackagePattern, Pin, PinKind, expression_matches};
use super::release::ReleaseInfo;
use super::version;
use std::cmp::Ordering;

/// One package file in the policy's eyes.
#[derive(Debug, Clone, Default)]
pub struct PkgFile {
    /// The release file of its suite; `None` only for dpkg's status file.
    /// (A list without a release file still has one, with nothing set.)
    pub release: Option<ReleaseInfo>,
    /// The host of the source URI (`Pin: origin`).
    pub site: String,
    /// The component (`c=`); `now` for the status file.
    pub component: Option<String>,
    /// The architecture of the list (`b=`).
    pub arch: Option<String>,
}

impl PkgFile {
    /// dpkg's status file: archive `now`, priority 100.
    pub fn status() -> PkgFile {
        PkgFile {
            component: Some("now".into()),
            ..PkgFile::default()
        }
    }

    fn default_priority(&self) -> i32 {
        match &self.release {
            None => 100,
            Some(r) if r.but_automatic_upgrades => 100,
            Some(r) if r.not_automatic => 1,
            Some(_) => 500,
        }
    }
}

fn matches(pattern: &Option<String>, value: &Option<String>) -> bool {
    match (pattern, value) {
        (None, _) => true,
        (Some(p), Some(v)) => expression_matches(p, v),
        (Some(_), None) => false,
    }
}

/// apt's `pkgVersionMatch::FileMatch` for `release` and `origin` pins.
pub fn file_matches(kind: &PinKind, file: &PkgFile) -> bool {
    match kind {
        PinKind::Version(_) => false,
        PinKind::Origin(site) => file.release.is_some() && expression_matches(site, &file.site),
        PinKind::Release(spec) => release_matches(spec, file),
    }
}

fn release_matches(spec: &ReleaseSpec, file: &PkgFile) -> bool {
    match &file.release {
        Some(r) => {
            if spec.match_all {
                return true;
            }
            if *spec == ReleaseSpec::default() {
                return false;
            }
            if let Some((v, prefix)) = &spec.version {
                let ok = r
                    .version
                    .as_deref()
                    .is_some_and(|rv| match_version(rv, v, *prefix) || expression_matches(v, rv));
                if !ok {
                    return false;
                }
            }
            let release_ok = spec.release.is_none()
                || matches(&spec.release, &r.suite)
                || matches(&spec.release, &r.codename);
            if !(matches(&spec.origin, &r.origin)
                && matches(&spec.archive, &r.suite)
                && matches(&spec.codename, &r.codename)
                && release_ok
                && matches(&spec.label, &r.label))
            {
                return false;
            }
        }
        None => {
            // The status file: its component stands for the archive, `now`.
            if !matches(&spec.archive, &file.component) || !matches(&spec.release, &file.component)
            {
                return false;
            }
            if spec.origin.is_some()
                || spec.label.is_some()
                || spec.version.is_some()
                || spec.codename.is_some()
            {
                return false;
            }
        }
    }
    spec.match_all
        || (matches(&spec.component, &file.component) && matches(&spec.architecture, &file.arch))
}

/// apt's `MatchVer`: equal, or a prefix when the pattern ended in `*`,
/// ignoring case.
fn match_version(v: &str, pattern: &str, prefix: bool) -> bool {
    if prefix {
        v.len() >= pattern.len()
            && v.as_bytes()[..pattern.len()].eq_ignore_ascii_case(pattern.as_bytes())
    } else {
        v.eq_ignore_ascii_case(pattern)
    }
}

/// The priority of every file: defaults, then the generic pins in order.
pub fn file_priorities(files: &[PkgFile], generic: &[Pin]) -> Vec<i32> {
    let mut prio: Vec<i32> = files.iter().map(PkgFile::default_priority).collect();
    let mut fixed = vec![false; files.len()];
    for pin in generic {
        for (i, file) in files.iter().enumerate() {
            if (!fixed[i] || pin.priority == NEVER)
                && prio[i] != NEVER
                && file_matches(&pin.kind, file)
            {
                prio[i] = pin.priority;
                fixed[i] = true;
            }
        }
    }
    prio
}

/// One version of a package (equal versions from several files are one).
#[derive(Debug, Clone)]
pub struct Version {
    /// The version string (as first seen).
    pub version: String,
    /// The files offering it, in apt's order (file 0 is the status file).
    pub files: Vec<usize>,
    /// Source package names of its entries (for `src:` pins).
    pub sources: Vec<String>,
}

/// A package: a name and architecture (`all` entries count as native).
#[derive(Debug, Clone)]
pub struct Package<'a> {
    /// Name.
    pub name: &'a str,
    /// Architecture apt keys it under (never `all`).
    pub arch: &'a str,
    /// Versions, newest first.
    pub versions: Vec<Version>,
    /// Index of the installed version in `versions`.
    pub installed: Option<usize>,
}

impl Package<'_> {
    /// Add an entry of `version` offered by `file`.
    pub fn offer(&mut self, version: &str, file: usize, source: &str) {
        let mut at = self.versions.len();
        for (i, v) in self.versions.iter_mut().enumerate() {
            match version::compare(version, &v.version) {
                Ordering::Equal => {
                    if !v.files.contains(&file) {
                        v.files.push(file);
                    }
                    if !v.sources.iter().any(|s| s == source) {
                        v.sources.push(source.to_string());
                    }
                    return;
                }
                Ordering::Greater => {
                    at = i;
                    break;
                }
                Ordering::Less => {}
            }
        }
        self.versions.insert(
            at,
            Version {
                version: version.to_string(),
                files: vec![file],
                sources: vec![source.to_string()],
            },
        );
    }
}

/// Whether a pin's architecture qualifier (none: native) covers `arch`, as
/// `PackageArchitectureMatchesSpecification` does for the usual forms
/// (`amd64`, `any`, `linux-any`, `any-amd64`).
fn arch_matches(spec: Option<&str>, arch: &str, native: &str) -> bool {
    let spec = spec.unwrap_or(native);
    if spec == arch || spec == "any" {
        return true;
    }
    let tuple = |a: &str| match a.split_once('-') {
        Some((os, cpu)) => (os.to_string(), cpu.to_string()),
        None => ("linux".to_string(), a.to_string()),
    };
    let ((sos, scpu), (os, cpu)) = (tuple(spec), tuple(arch));
    (sos == "any" || sos == os) && (scpu == "any" || scpu == cpu) && (sos == "any" || scpu == "any")
}

/// The specific pin (priority) of each version, from the records in order:
/// the first record that matches a version rules it.
pub fn version_pins(
    pkg: &Package<'_>,
    native: &str,
    specific: &[(Vec<PackagePattern>, Pin)],
    files: &[PkgFile],
) -> Vec<Option<i32>> {
    let mut pins = vec![None; pkg.versions.len()];
    for (patterns, pin) in specific {
        for pattern in patterns {
            if !arch_matches(pattern.arch.as_deref(), pkg.arch, native) {
                continue;
            }
            if !pattern.source && !pattern.matches_name(pkg.name) {
                continue;
            }
            for (i, v) in pkg.versions.iter().enumerate() {
                if pins[i].is_some() {
                    continue;
                }
                if pattern.source && !v.sources.iter().any(|s| pattern.matches_name(s)) {
                    continue;
                }
                let hit = match &pin.kind {
                    // apt strips a trailing `*` (prefix match) before both tests.
                    PinKind::Version(p) => {
                        let (p, prefix) = match p.strip_suffix('*') {
                            Some(q) => (q, true),
                            None => (p.as_str(), false),
                        };
                        match_version(&v.version, p, prefix) || expression_matches(p, &v.version)
                    }
                    kind => v.files.iter().any(|&f| file_matches(kind, &files[f])),
                };
                if hit {
                    pins[i] = Some(pin.priority);
                }
            }
        }
    }
    pins
}

/// apt's `GetPriority(Ver, ConsiderFiles = true)`.
pub fn version_priority(pkg: &Package<'_>, v: usize, pin: Option<i32>, file_prio: &[i32]) -> i32 {
    let ver = &pkg.versions[v];
    if let Some(p) = pin {
        if p == NEVER {
            return NEVER;
        }
        if ver.files.iter().any(|&f| file_prio[f] != NEVER) {
            return p;
        }
    }
    let installed = pkg.installed == Some(v);
    ver.files
        .iter()
        .map(|&f| {
            if f == 0 && !installed {
                -1
            } else {
                file_prio[f]
            }
        })
        .max()
        .unwrap_or(0)
}

/// apt's `GetCandidateVer`: the index of the candidate version, if any.
pub fn candidate(pkg: &Package<'_>, pins: &[Option<i32>], file_prio: &[i32]) -> Option<usize> {
    let installed = pkg.installed.map(|i| pkg.versions[i].version.as_str());
    let mut cand = None;
    let mut cand_prio = -1;
    for (v, pin) in pins.iter().enumerate() {
        let p = version_priority(pkg, v, *pin, file_prio);
        if p == 0 || p <= cand_prio {
            continue;
        }
        let older = |inst| version::compare(&pkg.versions[v].version, inst) == Ordering::Less;
        if p < 1000 && installed.is_some_and(older) {
            continue;
        }
        cand = Some(v);
        cand_prio = p;
    }
    cand
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(suite: &str, not_auto: bool, but_auto: bool) -> PkgFile {
        PkgFile {
            release: Some(ReleaseInfo {
                suite: Some(suite.into()),
                codename: Some(format!("{suite}-code")),
                not_automatic: not_auto,
                but_automatic_upgrades: but_auto,
                ..ReleaseInfo::default()
            }),
            site: "deb.example".into(),
            component: Some("main".into()),
            arch: Some("amd64".into()),
        }
    }

    fn pin(kind: PinKind, priority: i32) -> Pin {
        Pin {
            kind,
            priority,
            place: "p:1".into(),
        }
    }

    fn pkg<'a>(offers: &[(&str, usize)], installed: &str) -> Package<'a> {
        let mut p = Package {
            name: "foo",
            arch: "amd64",
            versions: Vec::new(),
            installed: None,
        };
        p.offer(installed, 0, "foo");
        for (v, f) in offers {
            p.offer(v, *f, "foo");
        }
        p.installed = p.versions.iter().position(|v| v.version == installed);
        p
    }

    fn cand(
        p: &Package<'_>,
        files: &[PkgFile],
        generic: &[Pin],
        specific: &[(Vec<PackagePattern>, Pin)],
    ) -> String {
        let prio = file_priorities(files, generic);
        let pins = version_pins(p, "amd64", specific, files);
        candidate(p, &pins, &prio).map_or("none".into(), |i| p.versions[i].version.clone())
    }

    #[test]
    fn defaults_notautomatic_and_downgrades() {
        let files = [
            PkgFile::status(),
            list("stable", false, false),
            list("backports", true, true),
            list("experimental", true, false),
        ];
        assert_eq!(file_priorities(&files, &[]), [100, 500, 100, 1]);
        let p = pkg(&[("2.0", 1), ("3.0", 2), ("4.0", 3)], "1.0");
        assert_eq!(cand(&p, &files, &[], &[]), "2.0");
        let p = pkg(&[("0.5", 1)], "1.0");
        assert_eq!(cand(&p, &files, &[], &[]), "1.0");
        let force = pin(PinKind::Release(ReleaseSpec::parse("a=stable")), 1001);
        assert_eq!(cand(&p, &files, &[force], &[]), "0.5");
    }

    #[test]
    fn specific_pins_first_match_rules_and_never() {
        let files = [
            PkgFile::status(),
            list("stable", false, false),
            list("testing", false, false),
        ];
        let p = pkg(&[("2.0", 1), ("3.0", 2)], "1.0");
        let named = |kind, prio| {
            (
                vec![PackagePattern {
                    source: false,
                    name: "foo".into(),
                    arch: None,
                }],
                pin(kind, prio),
            )
        };
        let specific = [
            named(PinKind::Version("3.*".into()), -1),
            named(PinKind::Version("3.0".into()), 900),
        ];
        assert_eq!(cand(&p, &files, &[], &specific), "2.0");
        let never = pin(
            PinKind::Release(ReleaseSpec::parse("n=testing-code")),
            NEVER,
        );
        let up = [named(PinKind::Release(ReleaseSpec::parse("testing")), 990)];
        assert_eq!(cand(&p, &files, &[never], &up), "2.0");
        let origin = [named(PinKind::Origin("deb.example".into()), 50)];
        assert_eq!(cand(&p, &files, &[], &origin), "1.0");
    }

    #[test]
    fn status_file_matches_now_only() {
        let spec = ReleaseSpec::parse("a=now");
        assert!(release_matches(&spec, &PkgFile::status()));
        assert!(!release_matches(&spec, &list("stable", false, false)));
        assert!(!release_matches(
            &ReleaseSpec::parse("o=Debian"),
            &PkgFile::status()
        ));
        assert!(!file_matches(
            &PinKind::Origin(String::new()),
            &PkgFile::status()
        ));
        assert!(arch_matches(Some("linux-any"), "i386", "amd64"));
        assert!(!arch_matches(None, "i386", "amd64"));
    }

    #[test]
    fn release_specs() {
        let s = ReleaseSpec::parse("12");
        assert_eq!(s.version, Some(("12".into(), false)));
        let s = ReleaseSpec::parse("bookworm");
        assert_eq!(s.release.as_deref(), Some("bookworm"));
        let s = ReleaseSpec::parse("o=Debian,a=stable,A=testing, l=Debian-Security");
        assert_eq!(s.archive.as_deref(), Some("testing"));
        assert_eq!(s.label.as_deref(), Some("Debian-Security"));
        assert!(ReleaseSpec::parse("*").match_all);
    }
}
