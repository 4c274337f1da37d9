//! Which package repositories dnf (or yum) would use, and where their cached
//! metadata lies below the root.
//!
//! Configuration, as dnf.conf(5) describes it: the `[main]` section of
//! `etc/dnf/dnf.conf` (`etc/yum.conf` on a yum host without dnf), and the
//! repository sections of every `*.repo` file in the `reposdir` directories
//! (default `etc/yum.repos.d`, `etc/yum/repos.d`, `etc/distro.repos.d`; repository
//! sections in the main file count too). A repository is used when `enabled`
//! is true (the default); `exclude`/`excludepkgs` (in `[main]` for every
//! repository, in a repository section for that one) and `includepkgs` filter
//! its packages; `priority` (default 99, lower wins) is kept for the candidate
//! choice. Like dnf, the first section of a repository id wins.
//!
//! Caches: dnf keeps each repository in `<cachedir>/<repoid>-<16 hex>/repodata/`
//! (libdnf `Repo::Impl::getCachedir`: the hex is the start of a SHA-256 of the
//! metalink, mirrorlist or first baseurl; `cachedir` defaults to
//! `var/cache/dnf`, dnf5 uses `var/cache/libdnf5`); yum keeps it in
//! `<cachedir>/<repoid>/` with `cachedir=/var/cache/yum/$basearch/$releasever`.
//! The URL hash is not recomputed here (that needs dnf's variable
//! substitution): a directory is matched by its repository id, and when a
//! repository has several (its URL changed), the one with the newest
//! `repomd.xml` is used.

use selfcheck_hostfs::root::{HostRoot, MAX_TEXT_BYTES};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// dnf's default `priority`.
pub const DEFAULT_PRIORITY: i64 = 99;

/// dnf's default `reposdir`.
const DEFAULT_REPOSDIRS: [&str; 3] = ["etc/yum.repos.d", "etc/yum/repos.d", "etc/distro.repos.d"];

/// One repository section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoConfig {
    /// The section name: the repository id.
    pub id: String,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `priority` (default 99; a lower value wins).
    pub priority: i64,
    /// `exclude` and `excludepkgs` patterns of this repository.
    pub excludes: Vec<String>,
    /// `includepkgs` patterns of this repository (empty: everything).
    pub includes: Vec<String>,
    /// The file that defines it (a path below the root).
    pub file: PathBuf,
}

/// The `[main]` options that matter here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MainConfig {
    /// The main configuration file read, if any.
    pub file: Option<PathBuf>,
    /// `exclude` and `excludepkgs`: excluded from every repository.
    pub excludes: Vec<String>,
    /// `includepkgs`: when set, only these are taken from any repository.
    pub includes: Vec<String>,
    /// `cachedir`, as written (may hold `$basearch`, `$releasever`).
    pub cachedir: Option<String>,
    /// `reposdir` directories (host paths).
    pub reposdirs: Vec<String>,
}

/// The repository configuration of a host.
#[derive(Debug, Clone, Default)]
pub struct RepoSetup {
    /// `[main]`.
    pub main: MainConfig,
    /// Every repository section, enabled or not, in dnf's reading order.
    pub repos: Vec<RepoConfig>,
    /// Problems in the configuration, each naming its file.
    pub warnings: Vec<String>,
    /// The files and directories looked at (for error messages).
    pub looked_at: Vec<PathBuf>,
}

/// How a repository cache is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// dnf/dnf5: `<dir>/repodata/repomd.xml`, metadata as `<dir>/<href>`.
    Dnf,
    /// yum: `<dir>/repomd.xml`, metadata as `<dir>/<basename of href>`.
    Yum,
}

/// One repository's cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheDir {
    /// The directory as the audited host names it (`/var/cache/dnf/OS-...`);
    /// files in it are opened through [`HostRoot::resolve`].
    pub host: PathBuf,
    /// The directory below the root, links resolved.
    pub dir: PathBuf,
    /// Its layout.
    pub layout: Layout,
    /// Its `repomd.xml`.
    pub repomd: PathBuf,
}

/// Read dnf's (or yum's) configuration below the root.
pub fn read_repos(root: &HostRoot) -> RepoSetup {
    let mut setup = RepoSetup::default();
    let main_file = ["etc/dnf/dnf.conf", "etc/yum.conf"]
        .into_iter()
        .find(|f| root.is_file(f));
    let mut main_sections = Vec::new();
    for f in ["etc/dnf/dnf.conf", "etc/yum.conf"] {
        setup.looked_at.push(root.join(f));
    }
    if let Some(f) = main_file {
        match root.read_text(f, MAX_TEXT_BYTES) {
            Ok(text) => main_sections = parse_ini(&text),
            Err(e) => setup.warnings.push(format!("cannot read: {e}")),
        }
        setup.main.file = Some(root.join(f));
    }
    setup.main.reposdirs = DEFAULT_REPOSDIRS.iter().map(|s| s.to_string()).collect();
    for section in &main_sections {
        if section.name != "main" {
            continue;
        }
        for (key, value) in &section.entries {
            match key.as_str() {
                "exclude" | "excludepkgs" => setup.main.excludes.extend(split_list(value)),
                "includepkgs" => setup.main.includes.extend(split_list(value)),
                "cachedir" => setup.main.cachedir = Some(value.trim().to_string()),
                "reposdir" => setup.main.reposdirs = split_list(value),
                _ => {}
            }
        }
    }
    if let Some(file) = setup.main.file.clone() {
        add_repos(&mut setup, &main_sections, &file);
    }
    for dir in setup.main.reposdirs.clone() {
        setup.looked_at.push(root.join(&dir));
        let Ok(entries) = root.read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<std::ffi::OsString> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| Path::new(n).extension().is_some_and(|x| x == "repo"))
            .collect();
        names.sort();
        for name in names {
            // Each file's own link is resolved inside the root.
            let host = PathBuf::from(&dir).join(name);
            match root.read_text(&host, MAX_TEXT_BYTES) {
                Ok(text) => add_repos(&mut setup, &parse_ini(&text), &root.join(&host)),
                Err(e) => setup.warnings.push(format!("cannot read: {e}")),
            }
        }
    }
    setup
}

/// Add the repository sections of one file (all but `[main]`).
fn add_repos(setup: &mut RepoSetup, sections: &[Section], file: &std::path::Path) {
    for section in sections.iter().filter(|s| s.name != "main") {
        if setup.repos.iter().any(|r| r.id == section.name) {
            setup.warnings.push(format!(
                "{}: repository [{}] is defined again; dnf keeps the first definition",
                file.display(),
                section.name
            ));
            continue;
        }
        let mut repo = RepoConfig {
            id: section.name.clone(),
            enabled: true,
            priority: DEFAULT_PRIORITY,
            excludes: Vec::new(),
            includes: Vec::new(),
            file: file.to_path_buf(),
        };
        for (key, value) in &section.entries {
            match key.as_str() {
                "enabled" => match parse_bool(value) {
                    Some(b) => repo.enabled = b,
                    None => setup.warnings.push(format!(
                        "{}: [{}] enabled={value} is not a boolean; taken as enabled",
                        file.display(),
                        section.name
                    )),
                },
                "priority" => match value.trim().parse() {
                    Ok(p) => repo.priority = p,
                    Err(_) => setup.warnings.push(format!(
                        "{}: [{}] priority={value} is not a number; taken as {DEFAULT_PRIORITY}",
                        file.display(),
                        section.name
                    )),
                },
                "exclude" | "excludepkgs" => repo.excludes.extend(split_list(value)),
                "includepkgs" => repo.includes.extend(split_list(value)),
                _ => {}
            }
        }
        setup.repos.push(repo);
    }
}

/// One INI section: its name and its `key=value` entries in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name between the brackets.
    pub name: String,
    /// Keys (lowercase) and values; continuation lines are joined with `\n`.
    pub entries: Vec<(String, String)>,
}

/// Parse an INI file the way dnf's parser reads it: `[section]` headers,
/// `key = value` lines, full-line `#` and `;` comments, and continuation
/// lines (starting with white space) that extend the previous value.
pub fn parse_ini(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = sections.last_mut().and_then(|s| s.entries.last_mut()) {
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            sections.push(Section {
                name: name.trim().to_string(),
                entries: Vec::new(),
            });
            continue;
        }
        if let (Some((key, value)), Some(section)) = (trimmed.split_once('='), sections.last_mut())
        {
            section
                .entries
                .push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    sections
}

/// dnf's boolean option values.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// A list option: items separated by commas or white space.
fn split_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a package matches any of the patterns, as dnf matches a package
/// spec: the glob against the name, `name.arch`, `name-version`,
/// `name-version-release`, `name-version-release.arch` and
/// `name-epoch:version-release.arch`.
pub fn matches_any(patterns: &[String], name: &str, arch: &str, evr: (&str, &str, &str)) -> bool {
    if patterns.is_empty() {
        return false;
    }
    let (epoch, version, release) = evr;
    let epoch = if epoch.is_empty() { "0" } else { epoch };
    let forms = [
        name.to_string(),
        format!("{name}.{arch}"),
        format!("{name}-{version}"),
        format!("{name}-{version}-{release}"),
        format!("{name}-{version}-{release}.{arch}"),
        format!("{name}-{epoch}:{version}-{release}.{arch}"),
    ];
    patterns
        .iter()
        .any(|p| forms.iter().any(|f| glob_match(p.as_bytes(), f.as_bytes())))
}

/// fnmatch(3) without flags: `*`, `?`, and `[...]` classes (`!` or `^` negates).
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    backtrack = Some((p, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class_match(pattern, p, text[t]) {
                        if matched {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if text[t] == b'[' {
                        // An unclosed bracket is an ordinary character.
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                c if c == text[t] => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match backtrack {
            Some((bp, bt)) => {
                backtrack = Some((bp, bt + 1));
                p = bp + 1;
                t = bt + 1;
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Match `c` against the class starting at `pattern[start] == b'['`; returns
/// whether it matched and the index after the class, or `None` when the
/// class is not closed.
fn class_match(pattern: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(pattern.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() {
        let lo = pattern[i];
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&h| h != b']') {
            let hi = pattern[i + 2];
            matched |= lo <= c && c <= hi;
            i += 3;
        } else {
            matched |= lo == c;
            i += 1;
        }
    }
    None
}

/// Find the cache directory of each repository id below the root. Returns
/// the caches by id and the directories looked at.
pub fn find_caches(
    root: &HostRoot,
    main: &MainConfig,
) -> (HashMap<String, CacheDir>, Vec<PathBuf>) {
    let mut dnf_dirs = vec![
        "/var/cache/dnf".to_string(),
        "/var/cache/libdnf5".to_string(),
    ];
    let mut yum_dirs = vec!["/var/cache/yum/$basearch/$releasever".to_string()];
    if let Some(c) = &main.cachedir
        && !c.is_empty()
    {
        dnf_dirs.insert(0, c.clone());
        yum_dirs.insert(0, c.clone());
    }
    let mut found: HashMap<String, Vec<CacheDir>> = HashMap::new();
    let mut looked_at = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let cache = |host: PathBuf, layout: Layout, repomd: &str| -> Option<CacheDir> {
        let repomd_host = host.join(repomd);
        if !root.is_file(&repomd_host) {
            return None;
        }
        Some(CacheDir {
            dir: root.resolve(&host).ok()?,
            repomd: root.resolve(&repomd_host).ok()?,
            host,
            layout,
        })
    };
    for (patterns, layout) in [(&dnf_dirs, Layout::Dnf), (&yum_dirs, Layout::Yum)] {
        for pattern in patterns {
            for dir in expand(root, pattern) {
                if !seen.insert((dir.clone(), layout)) {
                    continue;
                }
                looked_at.push(root.join(&dir));
                for (name, sub) in subdirs(root, &dir) {
                    let (id, c) = match layout {
                        Layout::Dnf => match dnf_cache_repo_id(&name) {
                            Some(id) => (id.to_string(), cache(sub, layout, "repodata/repomd.xml")),
                            None => continue,
                        },
                        Layout::Yum => (name, cache(sub, layout, "repomd.xml")),
                    };
                    if let Some(c) = c {
                        found.entry(id).or_default().push(c);
                    }
                }
            }
        }
    }
    let newest = found
        .into_iter()
        .filter_map(|(id, dirs)| {
            dirs.into_iter()
                .max_by_key(|c| std::fs::metadata(&c.repomd).and_then(|m| m.modified()).ok())
                .map(|c| (id, c))
        })
        .collect();
    (newest, looked_at)
}

/// The repository id of a dnf cache directory name `<repoid>-<16 hex>`.
pub fn dnf_cache_repo_id(name: &str) -> Option<&str> {
    let (id, hash) = name.rsplit_once('-')?;
    (!id.is_empty() && hash.len() == 16 && hash.bytes().all(|c| c.is_ascii_hexdigit()))
        .then_some(id)
}

/// The existing directories (host paths) a cache directory pattern names:
/// components with a `$variable` match any subdirectory.
fn expand(root: &HostRoot, pattern: &str) -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/")];
    for part in pattern.split('/').filter(|p| !p.is_empty()) {
        dirs = if part.contains('$') {
            dirs.iter()
                .flat_map(|d| subdirs(root, d).into_iter().map(|(_, p)| p))
                .collect()
        } else {
            dirs.iter().map(|d| d.join(part)).collect()
        };
    }
    dirs.retain(|d| root.is_dir(d));
    dirs
}

/// The subdirectories of a host directory, by name (host paths), sorted.
pub(crate) fn subdirs(root: &HostRoot, dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = root.read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .map(|name| {
            let host = dir.join(&name);
            (name, host)
        })
        .filter(|(_, host)| root.is_dir(host))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_continuations_and_comments() {
        let s = parse_ini(
            "# c\n[main]\nexclude=kernel* ,foo\n  bar\n; x\n[base]\nname = Base\nenabled= 0\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].entries[0].1, "kernel* ,foo\nbar");
        assert_eq!(split_list(&s[0].entries[0].1), ["kernel*", "foo", "bar"]);
        assert_eq!(s[1].entries[1], ("enabled".into(), "0".into()));
    }

    #[test]
    fn globs_like_fnmatch() {
        assert!(glob_match(b"kernel*", b"kernel-core"));
        assert!(glob_match(b"*-devel", b"openssl-devel"));
        assert!(!glob_match(b"kernel", b"kernel-core"));
        assert!(glob_match(b"python3.?", b"python3.9"));
        assert!(glob_match(b"lib[a-c]x", b"libbx"));
        assert!(!glob_match(b"lib[!a-c]x", b"libbx"));
        assert!(glob_match(b"a[", b"a["));
        assert!(matches_any(
            &["openssl-1.1*".into()],
            "openssl",
            "x86_64",
            ("1", "1.1.1k", "5.el8")
        ));
        assert!(matches_any(
            &["*.i686".into()],
            "glibc",
            "i686",
            ("", "2.28", "1")
        ));
    }

    #[test]
    fn dnf_cache_names() {
        assert_eq!(dnf_cache_repo_id("OS-0123456789abcdef"), Some("OS"));
        assert_eq!(
            dnf_cache_repo_id("openEuler-update-a1b2c3d4e5f60718"),
            Some("openEuler-update")
        );
        assert_eq!(dnf_cache_repo_id("OS-0123"), None);
        assert_eq!(dnf_cache_repo_id("-0123456789abcdef"), None);
    }
}
