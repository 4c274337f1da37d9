//! rpm's record of installed files: the file tags of each package header
//! (BASENAMES, DIRNAMES, DIRINDEXES, FILEDIGESTS, FILEDIGESTALGO, FILEFLAGS,
//! FILEMODES, FILESTATES, FILEVERIFYFLAGS). `rpmdb.sqlite` is read directly;
//! a Berkeley DB or ndb database through the rpm binary of the machine running
//! the agent, on a copy of the database so nothing in the image is written.

use super::{Builder, PackageFiles, PkgDigestAlg, decode_hex};
use crate::rpm::header::{
    Header, HeaderError, TAG_ARCH, TAG_BASENAMES, TAG_DIRINDEXES, TAG_DIRNAMES, TAG_FILEDIGESTALGO,
    TAG_FILEDIGESTS, TAG_FILEFLAGS, TAG_FILEMODES, TAG_FILESTATES, TAG_FILEVERIFYFLAGS, TAG_NAME,
    TAG_RELEASE, TAG_VERSION,
};
use crate::rpm::rpmdb::{DB_DIRS, find_rpm_binary};
use crate::rpm::rpmdb::{ScratchDir, copy_db_files};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_hostfs::sqlite::{SqliteFile, Value};
use std::path::Path;
use std::process::Command;

/// `RPMFILE_CONFIG`.
const FILE_CONFIG: u32 = 1;
/// `RPMFILE_MISSINGOK`.
const FILE_MISSINGOK: u32 = 8;
/// `RPMFILE_GHOST`.
const FILE_GHOST: u32 = 64;
/// `RPMVERIFY_FILEDIGEST`.
const VERIFY_DIGEST: u32 = 1;
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;

/// The database files in the order rpm prefers them.
const DB_FILES: [&str; 3] = ["rpmdb.sqlite", "Packages.db", "Packages"];

/// Read rpm's file database below the root; `None` when there is none.
pub fn load(root: &HostRoot) -> Result<Option<PackageFiles>, String> {
    let found = DB_DIRS.iter().find_map(|dir| {
        DB_FILES.iter().find_map(|name| {
            let host = format!("{dir}/{name}");
            if !root.is_file(&host) {
                return None;
            }
            Some((root.resolve(dir).ok()?, *name, root.resolve(&host).ok()?))
        })
    });
    let Some((dir, name, file)) = found else {
        return Ok(None);
    };
    if name == "rpmdb.sqlite" {
        return read_sqlite(&file).map(Some);
    }
    let rpm = find_rpm_binary().ok_or_else(|| {
        format!(
            "{} is a {name} rpm database, which only rpm itself can read, and the machine \
             running the agent has no rpm binary",
            file.display()
        )
    })?;
    query_on_copy(&rpm, &dir).map(Some)
}

/// One file of a package, as its header records it.
struct RpmFile<'a> {
    path: Vec<u8>,
    digest_hex: &'a [u8],
    flags: u32,
    mode: u32,
    state: u8,
    verify: u32,
}

/// Record one package's files.
fn push_files<'a>(
    b: &mut Builder,
    package: &str,
    alg: Option<PkgDigestAlg>,
    files: impl Iterator<Item = RpmFile<'a>>,
) {
    let pkg = b.package(package);
    let mut bad = 0usize;
    for f in files {
        // FILESTATES: 1 replaced, 4 wrong color: rpm only checks existence;
        // 2 not installed, 3 netshared, 255 missing: not there by design.
        let not_installed = matches!(f.state, 2 | 3 | 255);
        let optional = f.flags & (FILE_GHOST | FILE_MISSINGOK) != 0 || not_installed;
        let wants_digest = f.mode & S_IFMT == S_IFREG
            && f.flags & FILE_GHOST == 0
            && f.verify & VERIFY_DIGEST != 0
            && f.state == 0
            && !f.digest_hex.is_empty();
        let digest = match (wants_digest, alg) {
            (true, Some(alg)) => match decode_hex(f.digest_hex, alg) {
                Some(d) => Some((alg, d)),
                None => {
                    bad += 1;
                    None
                }
            },
            _ => None,
        };
        let digest = digest.as_ref().map(|(a, d)| (*a, d.as_slice()));
        b.push(pkg, &f.path, digest, f.flags & FILE_CONFIG != 0, optional);
    }
    if bad > 0 {
        b.warn(format!(
            "{package}: {bad} file digests are not {} hex; those files are only checked to exist",
            alg.map_or("?", PkgDigestAlg::name)
        ));
    }
}

/// Read the file tags of every header in `rpmdb.sqlite`.
fn read_sqlite(path: &Path) -> Result<PackageFiles, String> {
    let name = path.display().to_string();
    let db = SqliteFile::open(path).map_err(|e| e.to_string())?;
    let table = db
        .table_root("Packages")
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{name} has no Packages table: it is not an rpm database"))?;
    let mut b = Builder::new("rpm", format!("{name} read directly"));
    db.for_each_row(table, |hnum, cols| {
        let Some(Value::Blob(blob) | Value::Text(blob)) = cols.get(1) else {
            b.warn(format!(
                "{name}: package {hnum} has no header blob; skipped"
            ));
            return Ok(());
        };
        if let Err(e) = files_from_header(&mut b, blob) {
            b.warn(format!(
                "{name}: package {hnum}: {e}; its files are not known"
            ));
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(b.finish())
}

/// Record the files of one header blob (nothing for `gpg-pubkey`).
fn files_from_header(b: &mut Builder, blob: &[u8]) -> Result<(), HeaderError> {
    let h = Header::parse(blob)?;
    let name = h.string(TAG_NAME)?.unwrap_or_default();
    if name == "gpg-pubkey" {
        return Ok(());
    }
    let mut package = format!(
        "{name}-{}-{}",
        h.string(TAG_VERSION)?.unwrap_or_default(),
        h.string(TAG_RELEASE)?.unwrap_or_default()
    );
    if let Some(arch) = h.string(TAG_ARCH)? {
        package = format!("{package}.{arch}");
    }
    let Some(base) = h.string_array(TAG_BASENAMES)? else {
        return Ok(());
    };
    let n = base.len();
    let dirs = h.string_array(TAG_DIRNAMES)?.unwrap_or_default();
    let idx = h.int32_array(TAG_DIRINDEXES)?.unwrap_or_default();
    let digests = h.string_array(TAG_FILEDIGESTS)?.unwrap_or_default();
    let flags = h.int32_array(TAG_FILEFLAGS)?.unwrap_or_default();
    let modes = h.int16_array(TAG_FILEMODES)?.unwrap_or_default();
    let states = h.int8_array(TAG_FILESTATES)?.unwrap_or_default();
    let verify = h.int32_array(TAG_FILEVERIFYFLAGS)?.unwrap_or_default();
    if idx.len() != n {
        return Err(HeaderError(format!(
            "{n} BASENAMES but {} DIRINDEXES",
            idx.len()
        )));
    }
    let alg = PkgDigestAlg::from_pgp(h.int32(TAG_FILEDIGESTALGO)?.unwrap_or(1));
    let mut files = Vec::with_capacity(n);
    for (i, base) in base.iter().enumerate() {
        let dir = dirs
            .get(idx[i] as usize)
            .ok_or_else(|| HeaderError(format!("file {i}: dir index {} out of range", idx[i])))?;
        files.push(RpmFile {
            path: [*dir, *base].concat(),
            digest_hex: digests.get(i).copied().unwrap_or_default(),
            flags: flags.get(i).copied().unwrap_or(0),
            mode: u32::from(modes.get(i).copied().unwrap_or(0)),
            state: states.get(i).copied().unwrap_or(0),
            verify: verify.get(i).copied().unwrap_or(u32::MAX),
        });
    }
    push_files(b, &package, alg, files.into_iter());
    Ok(())
}

/// Per package: a 0x1e line with the package and digest algorithm, then one
/// line per file with its fields separated by 0x1f.
const FILES_FORMAT: &str = "\x1e%{NAME}-%{VERSION}-%{RELEASE}%|ARCH?{.%{ARCH}}:{}|\x1f\
    %|FILEDIGESTALGO?{%{FILEDIGESTALGO}}:{1}|\n\
    [%{FILENAMES}\x1f%{FILEDIGESTS}\x1f%{FILEFLAGS}\x1f%{FILEMODES}\x1f%{FILESTATES}\x1f\
    %{FILEVERIFYFLAGS}\n]";

/// `rpm --dbpath COPY -qa --queryformat ...` on a copy of the database
/// directory `db_dir` (the path for Berkeley DB and ndb databases; it reads
/// any format the rpm binary reads).
pub fn query_on_copy(rpm: &Path, db_dir: &Path) -> Result<PackageFiles, String> {
    let scratch = ScratchDir::new().map_err(|e| e.to_string())?;
    copy_db_files(db_dir, &scratch.0).map_err(|e| e.to_string())?;
    let command = format!(
        "{} --dbpath {} -qa --queryformat FORMAT",
        rpm.display(),
        scratch.0.display()
    );
    let out = Command::new(rpm)
        .arg("--dbpath")
        .arg(&scratch.0)
        .args(["-qa", "--queryformat", FILES_FORMAT])
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{command}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut b = Builder::new("rpm", format!("rpm -qa on a copy of {}", db_dir.display()));
    parse_query(&out.stdout, &mut b);
    for l in String::from_utf8_lossy(&out.stderr).lines() {
        if !l.trim().is_empty() {
            b.warn(format!("rpm: {l}"));
        }
    }
    Ok(b.finish())
}

/// Parse [`FILES_FORMAT`] output into the builder.
fn parse_query(out: &[u8], b: &mut Builder) {
    for pkg in out.split(|&c| c == 0x1e).filter(|p| !p.is_empty()) {
        let mut lines = pkg.split(|&c| c == b'\n');
        let head = lines.next().unwrap_or_default();
        let mut hf = head.split(|&c| c == 0x1f);
        let name = String::from_utf8_lossy(hf.next().unwrap_or_default()).into_owned();
        if name.starts_with("gpg-pubkey-") {
            continue;
        }
        let num = |s: &[u8]| {
            std::str::from_utf8(s)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
        };
        let alg = PkgDigestAlg::from_pgp(hf.next().and_then(num).unwrap_or(1) as u32);
        let mut files = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let f: Vec<&[u8]> = line.split(|&c| c == 0x1f).collect();
            let [path, digest, flags, mode, state, verify] = f[..] else {
                b.warn(format!(
                    "rpm output for {name}: {} fields, expected 6: {:?}; skipped",
                    f.len(),
                    String::from_utf8_lossy(line)
                ));
                continue;
            };
            // A package without files prints one line of "(none)".
            if path == b"(none)" {
                continue;
            }
            files.push(RpmFile {
                path: path.to_vec(),
                digest_hex: digest,
                flags: num(flags).unwrap_or(0) as u32,
                mode: num(mode).unwrap_or(0) as u32 & 0xffff,
                state: num(state).unwrap_or(0) as u8,
                verify: num(verify).map_or(u32::MAX, |v| v as u32),
            });
        }
        push_files(b, &name, alg, files.into_iter());
    }
}
