//! What `dnf check-update` (or `yum check-update`) lists, computed offline
//! from the package manager's cached repository metadata below a root, with
//! each update's advisories from the repositories' `updateinfo.xml`.
//!
//! The pieces: [`super::repos`] gives the enabled repositories, their
//! excludes and priorities, and their cache directories; [`super::repodata`]
//! reads each cache's `repomd.xml` and `primary.xml`; [`super::updateinfo`]
//! its advisories. The candidate follows dnf 4's `check-update`
//! (`dnf/base.py` `_do_package_lists`: `upgrades_by_priority`, then
//! `latest()` per name and architecture): for each installed name and
//! architecture, among the packages of that name not excluded, only those of
//! the repositories with the best (lowest) `priority` for that name count,
//! and the newest of the same architecture by rpm's EVR order is the
//! candidate when it is newer than the newest installed version (several
//! installed versions, as of `kernel`, give one row). An advisory belongs to
//! an update when it ships that name and architecture at a version above
//! the installed one and not above the candidate (libdnf
//! `Query::getAdvisoryPkgs` matches name and architecture exactly).
//!
//! Not handled: obsoletes (`dnf check-update` lists them apart, as
//! "Obsoleting Packages"), architecture changes (dnf's `what_upgrades` also
//! lets a `noarch` package replace an arch-specific one and back; here
//! `noarch` and each architecture are kept apart), module stream filtering
//! (RHEL 8 family AppStream: a warning names each repository with modular
//! metadata), `disable_excludes`, dnf variables in option values, versionlock,
//! and metadata cached only as SQLite (yum's default), bzip2 or zchunk (each
//! reported as a warning naming the files).

use super::repodata::{self, Located, PrimaryPackage, RepoMd};
use super::repos::{self, CacheDir, RepoConfig};
use super::updateinfo::{self, Advisory, UpdateInfo};
use super::version::compare_evr;
use chrono::{DateTime, FixedOffset, Utc};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::PendingUpdate;
use selfcheck_report::packages::UpdateAdvisory;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The pending updates of an RPM host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmUpdates {
    /// Installed packages with a newer candidate, sorted by name and
    /// architecture. `installed` and `candidate` are `[epoch:]version-release`;
    /// `suites` are the repository ids offering the candidate (in the order
    /// dnf reads the configuration); `advisories`
    /// are every advisory listed for a version above the installed one and
    /// not above the candidate (sorted by id), and `security` is whether one
    /// of them is of type `security`.
    pub upgradable: Vec<PendingUpdate>,
    /// The newest generation time (`repomd.xml` `<revision>`/`<timestamp>`)
    /// of the enabled repositories' caches, else the newest modification time
    /// of their `repomd.xml`.
    pub metadata_updated_at: Option<DateTime<FixedOffset>>,
    /// Enabled repository ids whose cached package list was read.
    pub repos: Vec<String>,
    /// Problems of single files that were skipped, each naming the file.
    pub warnings: Vec<String>,
}

/// Why the pending updates cannot be computed at all.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No enabled repository in the configuration.
    #[error(
        "no enabled package repository is configured (looked at {}): this is not a dnf/yum host, or --root points to the wrong directory",
        paths(.looked_at)
    )]
    NoRepos {
        /// The configuration files and directories looked at.
        looked_at: Vec<PathBuf>,
    },
    /// Enabled repositories, but none has cached metadata.
    #[error(
        "none of the enabled repositories ({}) has cached metadata in {}: run `dnf makecache` (or `yum makecache`) on the host, then audit again",
        .repos.join(", "),
        paths(.looked_at)
    )]
    NoCache {
        /// The enabled repository ids.
        repos: Vec<String>,
        /// The cache directories looked at.
        looked_at: Vec<PathBuf>,
    },
    /// Caches, but no package list could be read from any of them.
    #[error(
        "no repository's cached package list could be read: {}; run `dnf makecache` on the host, then audit again",
        .problems.join("; ")
    )]
    Unreadable {
        /// What went wrong with each, naming the files.
        problems: Vec<String>,
    },
}

fn paths(list: &[PathBuf]) -> String {
    if list.is_empty() {
        return "nothing".to_string();
    }
    list.iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compute what `dnf check-update` would list for this root. `installed` are
/// the installed packages as (name, arch, evr), EVR as `[epoch:]version-release`.
pub fn pending_updates(
    root: &HostRoot,
    installed: &[(String, String, String)],
) -> Result<RpmUpdates, RepoError> {
    let setup = repos::read_repos(root);
    let mut warnings = setup.warnings.clone();
    let enabled: Vec<&RepoConfig> = setup.repos.iter().filter(|r| r.enabled).collect();
    if enabled.is_empty() {
        return Err(RepoError::NoRepos {
            looked_at: setup.looked_at,
        });
    }
    let (caches, cache_dirs) = repos::find_caches(root, &setup.main);
    let mut used: Vec<(&RepoConfig, CacheDir)> = Vec::new();
    for repo in &enabled {
        match caches.get(&repo.id) {
            Some(c) => used.push((repo, c.clone())),
            None => warnings.push(format!(
                "{}: repository [{}] is enabled but has no cached metadata in {} (run `dnf makecache`)",
                repo.file.display(),
                repo.id,
                paths(&cache_dirs)
            )),
        }
    }
    if used.is_empty() {
        return Err(RepoError::NoCache {
            repos: enabled.iter().map(|r| r.id.clone()).collect(),
            looked_at: cache_dirs,
        });
    }

    // Installed names, numbered: the metadata readers keep only these.
    let mut wanted: HashMap<String, u32> = HashMap::with_capacity(installed.len());
    let mut names: Vec<&str> = Vec::new();
    for (name, _, _) in installed {
        let next = wanted.len() as u32;
        if *wanted.entry(name.clone()).or_insert(next) == next {
            names.push(name);
        }
    }

    // Each repository's repomd.xml, then its primary and updateinfo files.
    let mut repos: Vec<Repo> = Vec::new();
    let mut jobs: Vec<(usize, Kind, PathBuf)> = Vec::new();
    let mut problems = Vec::new();
    for (config, cache) in used {
        let md = match repodata::read_repomd(&cache.repomd) {
            Ok(md) => md,
            Err(e) => {
                let w = format!(
                    "{}: {e}; repository [{}] is not used",
                    cache.repomd.display(),
                    config.id
                );
                problems.push(w.clone());
                warnings.push(w);
                continue;
            }
        };
        let index = repos.len();
        match repodata::locate(root, &cache, &md, "primary") {
            Located::Found(p) => jobs.push((index, Kind::Primary, p)),
            other => {
                let w = not_readable(&other, &cache, &config.id, "package list");
                problems.push(w.clone());
                warnings.push(w);
            }
        }
        match repodata::locate(root, &cache, &md, "updateinfo") {
            Located::Found(p) => jobs.push((index, Kind::UpdateInfo, p)),
            Located::Missing if md.entry("updateinfo").is_none() => {}
            other => warnings.push(not_readable(&other, &cache, &config.id, "advisory list")),
        }
        if md.entry("modules").is_some() {
            warnings.push(format!(
                "{}: repository [{}] has module metadata; module stream filtering is not applied, so a candidate from a stream that is not enabled may be listed",
                cache.repomd.display(),
                config.id
            ));
        }
        repos.push(Repo {
            config,
            cache,
            md,
            packages: None,
            info: None,
        });
    }

    for ((index, _, path), parsed) in jobs.iter().zip(parse_all(&jobs, &wanted)) {
        let repo = &mut repos[*index];
        match parsed {
            Parsed::Primary(Ok(p)) => repo.packages = Some(p),
            Parsed::UpdateInfo(Ok(i)) => repo.info = Some(i),
            Parsed::Primary(Err(e)) => {
                let w = format!(
                    "{}: {e}; repository [{}] is not used",
                    path.display(),
                    repo.config.id
                );
                problems.push(w.clone());
                warnings.push(w);
            }
            Parsed::UpdateInfo(Err(e)) => warnings.push(format!(
                "{}: {e}; the advisories of repository [{}] are not used",
                path.display(),
                repo.config.id
            )),
        }
    }
    let read: Vec<&Repo> = repos.iter().filter(|r| r.packages.is_some()).collect();
    if read.is_empty() {
        return Err(RepoError::Unreadable { problems });
    }

    let upgradable = compute(&read, &setup.main, installed, &wanted, &names);
    Ok(RpmUpdates {
        upgradable,
        metadata_updated_at: updated_at(&repos),
        repos: read.iter().map(|r| r.config.id.clone()).collect(),
        warnings,
    })
}

/// One enabled repository with a cache, and what was read from it.
struct Repo<'a> {
    config: &'a RepoConfig,
    cache: CacheDir,
    md: RepoMd,
    packages: Option<Vec<PrimaryPackage>>,
    info: Option<UpdateInfo>,
}

/// The warning for a metadata type that cannot be read from a cache.
fn not_readable(found: &Located, cache: &CacheDir, id: &str, what: &str) -> String {
    match found {
        Located::Unsupported(files) => {
            let name = files[0].file_name().and_then(|n| n.to_str()).unwrap_or("");
            format!(
                "{}: {}; the {what} of repository [{id}] is not used",
                paths(files),
                repodata::unsupported_form(name)
            )
        }
        _ => format!(
            "{}: the {what} named in {} is not in the cache; the {what} of repository [{id}] is not used (run `dnf makecache`)",
            cache.dir.display(),
            cache.repomd.display()
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Primary,
    UpdateInfo,
}

enum Parsed {
    Primary(Result<Vec<PrimaryPackage>, String>),
    UpdateInfo(Result<UpdateInfo, String>),
}

/// Parse the metadata files, one thread per CPU; results in job order.
fn parse_all(jobs: &[(usize, Kind, PathBuf)], wanted: &HashMap<String, u32>) -> Vec<Parsed> {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let parse = |kind: Kind, path: &Path| -> Parsed {
        let input = repodata::open(path).map_err(|e| format!("cannot read: {e}"));
        match kind {
            Kind::Primary => Parsed::Primary(input.and_then(|r| repodata::read_primary(r, wanted))),
            Kind::UpdateInfo => {
                Parsed::UpdateInfo(input.and_then(|r| updateinfo::read_updateinfo(r, wanted)))
            }
        }
    };
    let done: Vec<(usize, Parsed)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        let Some((_, kind, path)) = jobs.get(i) else {
                            return out;
                        };
                        out.push((i, parse(*kind, path)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let mut results: Vec<Option<Parsed>> = (0..jobs.len()).map(|_| None).collect();
    for (i, p) in done {
        results[i] = Some(p);
    }
    // A job whose thread died has no result: report it as that file's problem.
    results
        .into_iter()
        .zip(jobs)
        .map(|(r, (_, kind, _))| {
            r.unwrap_or_else(|| {
                let e = "the parser stopped unexpectedly".to_string();
                match kind {
                    Kind::Primary => Parsed::Primary(Err(e)),
                    Kind::UpdateInfo => Parsed::UpdateInfo(Err(e)),
                }
            })
        })
        .collect()
}

/// The pending updates from the packages and advisories read.
fn compute(
    repos: &[&Repo],
    main: &repos::MainConfig,
    installed: &[(String, String, String)],
    wanted: &HashMap<String, u32>,
    names: &[&str],
) -> Vec<PendingUpdate> {
    // Offers that survive the excludes, and the best priority per name.
    let mut offers: Vec<(usize, &PrimaryPackage)> = Vec::new();
    let mut best: HashMap<u32, i64> = HashMap::new();
    for (r, repo) in repos.iter().enumerate() {
        let config = repo.config;
        for p in repo.packages.iter().flatten() {
            let name = names[p.name as usize];
            let evr = (p.epoch.as_str(), p.version.as_str(), p.release.as_str());
            let excluded = repos::matches_any(&main.excludes, name, &p.arch, evr)
                || repos::matches_any(&config.excludes, name, &p.arch, evr)
                || (!main.includes.is_empty()
                    && !repos::matches_any(&main.includes, name, &p.arch, evr))
                || (!config.includes.is_empty()
                    && !repos::matches_any(&config.includes, name, &p.arch, evr));
            if excluded {
                continue;
            }
            let b = best.entry(p.name).or_insert(config.priority);
            *b = (*b).min(config.priority);
            offers.push((r, p));
        }
    }
    // The newest offer per (name, arch) among the best-priority repositories,
    // with the repositories offering that version.
    let mut candidates: HashMap<(u32, &str), (String, Vec<usize>)> = HashMap::new();
    for (r, p) in offers {
        if repos[r].config.priority != best[&p.name] {
            continue;
        }
        let evr = p.evr();
        match candidates.entry((p.name, p.arch.as_str())) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((evr, vec![r]));
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let c = o.get_mut();
                match compare_evr(&evr, &c.0) {
                    Ordering::Greater => *c = (evr, vec![r]),
                    Ordering::Equal if !c.1.contains(&r) => c.1.push(r),
                    _ => {}
                }
            }
        }
    }
    // Advisories by id (the first repository's copy wins), and the versions
    // they ship by (name, arch).
    let mut advisories: Vec<&Advisory> = Vec::new();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut shipped: HashMap<(u32, &str), Vec<(&str, usize)>> = HashMap::new();
    for repo in repos {
        let Some(info) = &repo.info else { continue };
        for p in &info.packages {
            let adv = &info.advisories[p.advisory];
            let next = advisories.len();
            let a = *by_id.entry(adv.id.as_str()).or_insert(next);
            if a == next {
                advisories.push(adv);
            }
            shipped
                .entry((p.name, p.arch.as_str()))
                .or_default()
                .push((p.evr.as_str(), a));
        }
    }
    // The newest installed version per (name, arch).
    let mut newest: HashMap<(u32, &str), &(String, String, String)> = HashMap::new();
    for row in installed {
        let key = (wanted[&row.0], row.1.as_str());
        let e = newest.entry(key).or_insert(row);
        if compare_evr(&row.2, &e.2) == Ordering::Greater {
            *e = row;
        }
    }
    let mut out = Vec::new();
    for (key, row) in newest {
        let Some((candidate, offering)) = candidates.get(&key) else {
            continue;
        };
        if compare_evr(candidate, &row.2) != Ordering::Greater {
            continue;
        }
        let mut ids: Vec<usize> = shipped
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|(evr, _)| {
                compare_evr(evr, &row.2) == Ordering::Greater
                    && compare_evr(evr, candidate) != Ordering::Greater
            })
            .map(|&(_, a)| a)
            .collect();
        ids.sort_by(|a, b| advisories[*a].id.cmp(&advisories[*b].id));
        ids.dedup();
        let listed: Vec<UpdateAdvisory> = ids
            .iter()
            .map(|&a| UpdateAdvisory {
                id: advisories[a].id.clone(),
                kind: advisories[a].kind.clone(),
                risk: advisories[a].risk(),
            })
            .collect();
        let mut suites: Vec<usize> = offering.clone();
        suites.sort_unstable();
        out.push(PendingUpdate {
            name: row.0.clone(),
            arch: row.1.clone(),
            installed: row.2.clone(),
            candidate: candidate.clone(),
            suites: suites.iter().map(|&r| repos[r].config.id.clone()).collect(),
            security: ids.iter().any(|&a| advisories[a].is_security()),
            advisories: listed,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.arch.cmp(&b.arch)));
    out
}

/// The newest generation time of the caches read, else the newest
/// modification time of their `repomd.xml`.
fn updated_at(repos: &[Repo]) -> Option<DateTime<FixedOffset>> {
    if let Some(t) = repos.iter().filter_map(|r| r.md.generated_at()).max() {
        return DateTime::from_timestamp(t, 0).map(|d| d.fixed_offset());
    }
    repos
        .iter()
        .filter_map(|r| {
            std::fs::metadata(&r.cache.repomd)
                .and_then(|m| m.modified())
                .ok()
        })
        .max()
        .map(|t| DateTime::<Utc>::from(t).fixed_offset())
}
