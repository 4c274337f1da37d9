//! The installed packages of an RPM host, from its rpm database.
//!
//! The database lives in `var/lib/rpm/` or `usr/lib/sysimage/rpm/` as
//! `rpmdb.sqlite` (rpm ≥ 4.16: openEuler, RHEL 9, Fedora), `Packages.db`
//! (ndb: SUSE) or `Packages` (Berkeley DB: CentOS 7, Kylin V10). On the live
//! host the host's own `rpm -qa` lists it. Under `--root`, `rpmdb.sqlite` is
//! read directly ([`super::sqlite`], [`super::header`]), and the older formats
//! through the rpm binary of the machine running the agent, run on a copy of
//! the database so that nothing in the image is written (rpm creates missing
//! database files and Berkeley DB environment files even for a query).
//!
//! `gpg-pubkey` entries, the signing keys rpm keeps as pseudo-packages, are not
//! installed software and are left out on every path.

use super::header::{
    Header, HeaderError, TAG_ARCH, TAG_EPOCH, TAG_INSTALLTIME, TAG_NAME, TAG_RELEASE,
    TAG_SOURCERPM, TAG_VERSION,
};
use super::version::compare_evr;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_hostfs::sqlite::{SqliteError, SqliteFile, Value, WalState};
use selfcheck_report::{InstalledPackage, PackageState};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One installed RPM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    /// Package name.
    pub name: String,
    /// Epoch, when the package sets one.
    pub epoch: Option<u32>,
    /// Upstream version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Architecture (`x86_64`, `aarch64`, `noarch`, ...); empty when the header has none.
    pub arch: String,
    /// File name of the source package (`NAME-VERSION-RELEASE.src.rpm`).
    pub source_rpm: Option<String>,
    /// When it was installed (seconds since the Unix epoch).
    pub install_time: Option<i64>,
}

impl RpmPackage {
    /// `[epoch:]version-release`, the form compare_evr takes.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// As the shared inventory type: version = evr(); source_name/source_version
    /// from the source rpm file name `NAME-VERSION-RELEASE.src.rpm`
    /// (source_version = `[epoch:]VERSION-RELEASE` with the binary's epoch),
    /// else the binary's own; state Installed.
    pub fn to_installed(&self) -> InstalledPackage {
        let evr = self.evr();
        let (source_name, source_version) =
            match self.source_rpm.as_deref().and_then(split_source_rpm) {
                Some((name, version, release)) => {
                    let v = match self.epoch {
                        Some(e) => format!("{e}:{version}-{release}"),
                        None => format!("{version}-{release}"),
                    };
                    (name.to_string(), v)
                }
                None => (self.name.clone(), evr.clone()),
            };
        InstalledPackage {
            name: self.name.clone(),
            version: evr,
            arch: self.arch.clone(),
            source_name,
            source_version,
            state: PackageState::Installed,
            reinstall_required: false,
        }
    }
}

/// `NAME-VERSION-RELEASE.src.rpm` (or `.nosrc.rpm`) split into its parts.
pub fn split_source_rpm(file: &str) -> Option<(&str, &str, &str)> {
    let nvr = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    [name, version, release]
        .iter()
        .all(|s| !s.is_empty())
        .then_some((name, version, release))
}

/// The installed packages and how they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmDatabase {
    /// Installed packages, sorted by name, arch and EVR.
    pub packages: Vec<RpmPackage>,
    /// How the list was obtained, e.g. `/var/lib/rpm/rpmdb.sqlite read directly`.
    pub source: String,
    /// Entries skipped and other doubts about completeness, each with its reason.
    pub warnings: Vec<String>,
}

/// The rpm database cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RpmDbError {
    /// None of the database files exists.
    #[error(
        "no rpm database found: looked for rpmdb.sqlite, Packages.db and Packages in {}",
        .looked.join(" and ")
    )]
    NoDatabase {
        /// The directories looked in.
        looked: Vec<String>,
    },
    /// A Berkeley DB or ndb database, and no rpm binary to read it.
    #[error(
        "{path} is an rpm database in {kind} format, which only rpm itself can read, \
         and the machine running the agent has no rpm binary (looked for {})",
        RPM_BINARIES.join(", ")
    )]
    NoRpmBinary {
        /// The database file.
        path: String,
        /// Its format.
        kind: DbKind,
    },
    /// The SQLite file is corrupt or unreadable.
    #[error(transparent)]
    Sqlite(#[from] SqliteError),
    /// A database that lists no package at all.
    #[error(
        "{path} lists no installed package: an rpm host always has at least rpm itself installed, so the database is damaged or was emptied; rebuild it (rpmdb --rebuilddb) and audit again"
    )]
    Empty {
        /// The database file.
        path: String,
    },
    /// An SQLite file without rpm's table.
    #[error("{path} has no Packages table: it is not an rpm database")]
    NoPackagesTable {
        /// The file.
        path: String,
    },
    /// rpm could not be started.
    #[error("cannot run `{command}`: {source}")]
    RpmSpawn {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// rpm exited with an error.
    #[error("`{command}` failed ({status}): {stderr}")]
    RpmFailed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on standard error.
        stderr: String,
    },
    /// rpm printed something other than the requested format.
    #[error("`{command}` output line {line}: {what}")]
    RpmOutput {
        /// The command line.
        command: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// Copying the database for rpm failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// The on-disk format of an rpm database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// `rpmdb.sqlite`.
    Sqlite,
    /// `Packages.db`.
    Ndb,
    /// `Packages`.
    BerkeleyDb,
}

impl DbKind {
    /// The main file of the format, in the order rpm prefers them.
    const ALL: [(DbKind, &'static str); 3] = [
        (DbKind::Sqlite, "rpmdb.sqlite"),
        (DbKind::Ndb, "Packages.db"),
        (DbKind::BerkeleyDb, "Packages"),
    ];
}

impl std::fmt::Display for DbKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DbKind::Sqlite => "SQLite",
            DbKind::Ndb => "ndb",
            DbKind::BerkeleyDb => "Berkeley DB",
        })
    }
}

/// Where rpm keeps its database, old and new location.
pub const DB_DIRS: [&str; 2] = ["var/lib/rpm", "usr/lib/sysimage/rpm"];
/// Where the agent looks for an rpm binary (fixed paths: no PATH search).
pub const RPM_BINARIES: [&str; 3] = ["/usr/bin/rpm", "/bin/rpm", "/usr/local/bin/rpm"];

/// Live host with an `rpm` binary: `rpm -qa --queryformat`. Under --root:
/// `rpmdb.sqlite` read directly; a Berkeley DB or ndb database through the
/// rpm binary of the machine running the agent; otherwise an error that says so.
pub fn read_installed(root: &HostRoot) -> Result<RpmDatabase, RpmDbError> {
    read_installed_using(root, find_rpm_binary().as_deref())
}

/// [`read_installed`] with the rpm binary chosen by the caller (`None`: there is none).
pub fn read_installed_using(
    root: &HostRoot,
    rpm: Option<&Path>,
) -> Result<RpmDatabase, RpmDbError> {
    let mut notes = Vec::new();
    let (dir, kind, file) = locate(root, &mut notes)?;
    let no_rpm = || RpmDbError::NoRpmBinary {
        path: file.display().to_string(),
        kind,
    };
    let mut db = match (root.is_live(), kind, rpm) {
        (true, _, Some(rpm)) => match query_rpm(rpm, None, &dir) {
            Ok(db) => db,
            Err(e) if kind == DbKind::Sqlite => {
                let mut db = read_sqlite(&file)?;
                db.warnings
                    .push(format!("{e}; read the file directly instead"));
                db
            }
            Err(e) => return Err(e),
        },
        (_, DbKind::Sqlite, _) => read_sqlite(&file)?,
        (false, _, Some(rpm)) => query_rpm_on_copy(rpm, &dir, kind)?,
        (_, _, None) => return Err(no_rpm()),
    };
    if db.packages.is_empty() {
        // rpm itself is a package: a database without any is damaged or emptied.
        return Err(RpmDbError::Empty {
            path: file.display().to_string(),
        });
    }
    notes.append(&mut db.warnings);
    db.warnings = notes;
    Ok(db)
}

/// The first rpm binary of [`RPM_BINARIES`] that exists and is executable.
pub fn find_rpm_binary() -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    RPM_BINARIES.iter().map(PathBuf::from).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// The database directory (resolved below the root), its format and main
/// file. Other databases found are named in `notes`.
fn locate(
    root: &HostRoot,
    notes: &mut Vec<String>,
) -> Result<(PathBuf, DbKind, PathBuf), RpmDbError> {
    let mut found: Vec<(PathBuf, DbKind, PathBuf)> = Vec::new();
    let mut seen = Vec::new();
    for host_dir in DB_DIRS {
        for (kind, name) in DbKind::ALL {
            let host = format!("{host_dir}/{name}");
            if !root.is_file(&host) {
                continue;
            }
            let (Ok(dir), Ok(file)) = (root.resolve(host_dir), root.resolve(&host)) else {
                continue;
            };
            // One database reached through both directories (a link between
            // them) counts once. Below a root, resolve left no link to follow.
            let real = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            if !seen.contains(&real) {
                seen.push(real);
                found.push((dir.clone(), kind, file));
            }
        }
    }
    let mut found = found.into_iter();
    let Some(chosen) = found.next() else {
        return Err(RpmDbError::NoDatabase {
            looked: DB_DIRS
                .iter()
                .map(|d| root.join(d).display().to_string())
                .collect(),
        });
    };
    for (_, kind, file) in found {
        notes.push(format!(
            "{} ({kind}) ignored: {} ({}) is read instead",
            file.display(),
            chosen.2.display(),
            chosen.1
        ));
    }
    Ok(chosen)
}

/// Read `rpmdb.sqlite` directly, with its write-ahead log applied.
pub fn read_sqlite(path: &Path) -> Result<RpmDatabase, RpmDbError> {
    let name = path.display().to_string();
    let db = SqliteFile::open(path)?;
    let table = db
        .table_root("Packages")?
        .ok_or_else(|| RpmDbError::NoPackagesTable { path: name.clone() })?;
    let (mut packages, mut warnings) = (Vec::new(), Vec::new());
    db.for_each_row(table, |hnum, cols| {
        let blob = match cols.get(1) {
            Some(Value::Blob(b) | Value::Text(b)) => b,
            _ => {
                warnings.push(format!(
                    "{name}: package {hnum} has no header blob; skipped"
                ));
                return Ok(());
            }
        };
        match package_from_header(blob) {
            Ok(Some(p)) => packages.push(p),
            Ok(None) => {}
            Err(e) => warnings.push(format!("{name}: package {hnum}: {e}; skipped")),
        }
        Ok(())
    })?;
    let mut source = format!("{name} read directly");
    match db.wal_state() {
        WalState::None => {}
        WalState::Applied { frames, pages } => source.push_str(&format!(
            ", with {frames} committed frames ({pages} pages) of its -wal log applied"
        )),
        WalState::NothingCommitted => {
            source.push_str(", its -wal log holding no committed transaction")
        }
        WalState::Unusable(why) => warnings.push(format!(
            "{name}-wal not applied ({why}): the newest package changes may be missing"
        )),
    }
    let journal = PathBuf::from(format!("{name}-journal"));
    if std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0) {
        warnings.push(format!(
            "{} exists: a transaction was interrupted and the database may hold \
             half-written changes",
            journal.display()
        ));
    }
    sort(&mut packages);
    Ok(RpmDatabase {
        packages,
        source,
        warnings,
    })
}

/// The package a header blob describes; `None` for a `gpg-pubkey` pseudo-package.
pub fn package_from_header(blob: &[u8]) -> Result<Option<RpmPackage>, HeaderError> {
    let h = Header::parse(blob)?;
    let need = |tag, what| {
        h.string(tag)?
            .ok_or_else(|| HeaderError(format!("no {what} tag")))
    };
    let name = need(TAG_NAME, "NAME")?;
    if name == "gpg-pubkey" {
        return Ok(None);
    }
    Ok(Some(RpmPackage {
        name,
        epoch: h.int32(TAG_EPOCH)?,
        version: need(TAG_VERSION, "VERSION")?,
        release: need(TAG_RELEASE, "RELEASE")?,
        arch: h.string(TAG_ARCH)?.unwrap_or_default(),
        source_rpm: h.string(TAG_SOURCERPM)?,
        install_time: h.int32(TAG_INSTALLTIME)?.map(i64::from),
    }))
}

/// The query format: one package a line, fields separated by 0x1f, a field
/// the header lacks left empty.
const QUERY_FORMAT: &str = "%{NAME}\x1f%|EPOCH?{%{EPOCH}}:{}|\x1f%{VERSION}\x1f%{RELEASE}\x1f\
    %|ARCH?{%{ARCH}}:{}|\x1f%|SOURCERPM?{%{SOURCERPM}}:{}|\x1f%|INSTALLTIME?{%{INSTALLTIME}}:{}|\n";

/// `rpm [--root ROOT] --dbpath DBPATH -qa --queryformat ...`: the live path
/// (`root` None, `dbpath` the host's database directory).
pub fn query_rpm(
    rpm: &Path,
    root: Option<&Path>,
    dbpath: &Path,
) -> Result<RpmDatabase, RpmDbError> {
    let mut cmd = Command::new(rpm);
    let mut shown = vec![rpm.display().to_string()];
    if let Some(r) = root {
        cmd.arg("--root").arg(r);
        shown.extend(["--root".to_string(), r.display().to_string()]);
    }
    cmd.arg("--dbpath").arg(dbpath);
    cmd.args(["-qa", "--queryformat", QUERY_FORMAT]);
    cmd.env("LC_ALL", "C").stdin(std::process::Stdio::null());
    shown.extend([
        "--dbpath".to_string(),
        dbpath.display().to_string(),
        "-qa --queryformat FORMAT".into(),
    ]);
    let command = shown.join(" ");
    let out = cmd.output().map_err(|source| RpmDbError::RpmSpawn {
        command: command.clone(),
        source,
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if !out.status.success() {
        return Err(RpmDbError::RpmFailed {
            command,
            status: out.status.to_string(),
            stderr,
        });
    }
    let mut packages = parse_query_output(&String::from_utf8_lossy(&out.stdout), &command)?;
    sort(&mut packages);
    let warnings = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("rpm: {l}"))
        .collect();
    Ok(RpmDatabase {
        packages,
        source: command,
        warnings,
    })
}

/// rpm on a copy of the database directory `db_dir` (the `--root` path for
/// Berkeley DB and ndb), so that rpm writes nothing into the image.
pub fn query_rpm_on_copy(
    rpm: &Path,
    db_dir: &Path,
    kind: DbKind,
) -> Result<RpmDatabase, RpmDbError> {
    let scratch = ScratchDir::new()?;
    copy_db_files(db_dir, &scratch.0)?;
    let mut db = query_rpm(rpm, None, &scratch.0)?;
    db.source = format!("rpm -qa on a copy of {} ({kind})", db_dir.display());
    Ok(db)
}

/// Copy the regular files of an rpm database directory, without lock,
/// Berkeley DB environment and SQLite shared-memory files.
pub(crate) fn copy_db_files(from: &Path, to: &Path) -> Result<(), RpmDbError> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| RpmDbError::Io { path, source }
    };
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name();
        let n = name.to_string_lossy();
        let skip = n.starts_with("__db.") || n.ends_with(".lock") || n.ends_with("-shm");
        let path = entry.path();
        // symlink_metadata: a link in an image must not lead out of it.
        if skip || !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        std::fs::copy(&path, to.join(&name)).map_err(io(&path))?;
    }
    Ok(())
}

/// A private temporary directory (mode 0700), removed when dropped.
pub(crate) struct ScratchDir(pub(crate) PathBuf);

impl ScratchDir {
    /// A new, empty directory under the system temporary directory.
    pub(crate) fn new() -> Result<ScratchDir, RpmDbError> {
        use std::os::unix::fs::DirBuilderExt;
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!("selfcheck-rpmdb-{}-{n}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(ScratchDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 10_000 => {}
                Err(source) => {
                    return Err(RpmDbError::Io {
                        path: dir.display().to_string(),
                        source,
                    });
                }
            }
        }
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Parse the lines [`QUERY_FORMAT`] makes; `command` is only used in messages.
fn parse_query_output(text: &str, command: &str) -> Result<Vec<RpmPackage>, RpmDbError> {
    let mut packages = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = |what: String| RpmDbError::RpmOutput {
            command: command.to_string(),
            line: i + 1,
            what,
        };
        let f: Vec<&str> = line.split('\x1f').collect();
        let [name, epoch, version, release, arch, source, time] = f[..] else {
            return Err(bad(format!("{} fields, expected 7: {line:?}", f.len())));
        };
        if name == "gpg-pubkey" {
            continue;
        }
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        packages.push(RpmPackage {
            name: name.to_string(),
            epoch: match epoch {
                "" => None,
                e => Some(
                    e.parse()
                        .map_err(|_| bad(format!("epoch {e:?} is not a number")))?,
                ),
            },
            version: version.to_string(),
            release: release.to_string(),
            arch: arch.to_string(),
            source_rpm: opt(source),
            install_time: match time {
                "" => None,
                t => Some(
                    t.parse()
                        .map_err(|_| bad(format!("install time {t:?} is not a number")))?,
                ),
            },
        });
    }
    Ok(packages)
}

fn sort(packages: &mut [RpmPackage]) {
    packages.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.arch.cmp(&b.arch))
            .then_with(|| compare_evr(&a.evr(), &b.evr()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, epoch: Option<u32>, src: Option<&str>) -> RpmPackage {
        RpmPackage {
            name: name.into(),
            epoch,
            version: "1.2".into(),
            release: "3.oe2203".into(),
            arch: "x86_64".into(),
            source_rpm: src.map(String::from),
            install_time: None,
        }
    }

    #[test]
    fn source_package_comes_from_the_source_rpm_name_with_the_binary_epoch() {
        let p = pkg(
            "openssl-libs",
            Some(1),
            Some("openssl-3.0.7-25.el9.src.rpm"),
        );
        assert_eq!(p.evr(), "1:1.2-3.oe2203");
        let i = p.to_installed();
        assert_eq!(
            (i.name.as_str(), i.version.as_str()),
            ("openssl-libs", "1:1.2-3.oe2203")
        );
        assert_eq!(
            (i.source_name.as_str(), i.source_version.as_str()),
            ("openssl", "1:3.0.7-25.el9")
        );
        assert_eq!(i.state, PackageState::Installed);
        let own = pkg("kernel", None, Some("garbage")).to_installed();
        assert_eq!(
            (own.source_name.as_str(), own.source_version.as_str()),
            ("kernel", "1.2-3.oe2203")
        );
        assert_eq!(
            split_source_rpm("a-b-c-1.0-2.nosrc.rpm"),
            Some(("a-b-c", "1.0", "2"))
        );
        assert_eq!(split_source_rpm("x-1.src.rpm"), None);
    }

    #[test]
    fn query_output_lines_become_packages_without_pubkeys() {
        let out = "bash\x1f\x1f5.1.8\x1f6.el9\x1fx86_64\x1fbash-5.1.8-6.el9.src.rpm\x1f1700000000\n\
                   gpg-pubkey\x1f\x1ffd431d51\x1f4ae0493b\x1f\x1f\x1f1700000001\n\
                   shadow\x1f2\x1f4.9\x1f1\x1faarch64\x1f\x1f\n";
        let p = parse_query_output(out, "rpm").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].install_time, Some(1_700_000_000));
        assert_eq!(
            (p[1].epoch, p[1].source_rpm.as_deref(), p[1].install_time),
            (Some(2), None, None)
        );
        let e = parse_query_output("a\x1fb\n", "rpm -qa").unwrap_err();
        assert!(e.to_string().contains("line 1: 2 fields"), "{e}");
        let e = parse_query_output("\na\x1fx\x1f1\x1f1\x1f\x1f\x1f\n", "rpm").unwrap_err();
        assert!(e.to_string().contains("line 2: epoch"), "{e}");
    }
}
