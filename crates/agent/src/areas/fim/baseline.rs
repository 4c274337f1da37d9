//! FIM baselines: the entries of an accepted scan, stored signed and chained in the state directory.
//!
//! A baseline is two files below `STATE/fim/`:
//!
//! - `baseline.bin`, the body: every [`Entry`] field and its bytes (path,
//!   symlink target, capability value, digest) in the binary encoding below;
//! - `baseline.json`, the [`Manifest`] (entry count, SHA-256 of the body, the
//!   digest of the previous baseline, the acceptances that led to it, the
//!   agent's key) and an Ed25519 signature over its canonical JSON bytes made
//!   with [`AgentKey::sign_detached`] in the context [`SIGNING_CONTEXT`].
//!
//! Writing a new baseline moves the current pair to
//! `fim/history/<created_at>-<digest8>.{bin,json}` and records the digest of
//! that manifest in the new one's `previous`, so the baselines form a chain.
//! [`load_baseline`] refuses a baseline whose body digest, signature (checked
//! with the agent's own current key), format version or chain link fails:
//! such a baseline is never used silently.
//!
//! # Body encoding (version 1)
//!
//! All integers little-endian. The body is `MAGIC` (`b"SCFIMBL"`), one
//! version byte (`1`), the entry count (`u64`), then per entry, in path order
//! (strictly ascending bytes):
//!
//! | field | encoding |
//! |---|---|
//! | kind | `u8`: 0 file, 1 dir, 2 symlink, 3 fifo, 4 socket, 5 char, 6 block, 7 vanished, 8 replaced, 9 unreadable |
//! | errno | `i32` (0 unless unreadable) |
//! | attrs | `u16` ([`Attrs`] bits) |
//! | size, ino, dev | `u64` each |
//! | mtime sec, nsec | `i64`, `u32` |
//! | ctime sec, nsec | `i64`, `u32` |
//! | mode, uid, gid, nlink | `u32` each |
//! | digest | `u8` algorithm (0 none, 1 SHA-256, 2 SM3; bit 7 set: a package owned the path), then 32 bytes unless the algorithm is 0 |
//! | path | `u32` length, bytes |
//! | target, caps | `u32` length or `0xFFFF_FFFF` for none, bytes |
//!
//! Nothing follows the last entry; trailing bytes are an error.

use super::attrs::Attrs;
use super::entry::{DigestAlg, Entries, Entry, Kind};
use crate::state::{StateDir, StateError, write_file_atomically};
use chrono::{DateTime, SecondsFormat, Utc};
use selfcheck_report::canonical::to_canonical_bytes;
use selfcheck_report::{AgentKey, verify_detached};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The `format` of a manifest.
pub const FORMAT: &str = "selfcheck-fim-baseline";
/// The manifest and body version this code writes and reads.
pub const VERSION: u8 = 1;
/// The context of the manifest signature.
pub const SIGNING_CONTEXT: &str = "selfcheck-fim-baseline-v1";
/// The first bytes of a body.
pub const MAGIC: &[u8; 7] = b"SCFIMBL";
const NONE_LEN: u32 = u32::MAX;

/// Why a baseline could not be written or loaded.
///
/// Everything but [`BaselineError::Io`] and [`BaselineError::State`] means the
/// stored baseline cannot be trusted ([`BaselineError::is_invalid`]); callers
/// report that as the critical finding `fim.baseline-invalid`.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// A file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The state directory failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A file does not parse.
    #[error("baseline {path} is malformed: {problem}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The format or version is not this program's.
    #[error(
        "baseline {path} has format {format:?} version {version}; this agent reads {FORMAT:?} version {VERSION}"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The format found.
        format: String,
        /// The version found.
        version: u64,
    },
    /// The manifest was signed by another key, or its signature does not verify.
    #[error(
        "baseline {path} signature is invalid: {problem}; the baseline or its manifest was altered or made by another key, so it is not used"
    )]
    Signature {
        /// The manifest file.
        path: PathBuf,
        /// What failed.
        problem: String,
    },
    /// The body is not the one the manifest signs.
    #[error(
        "baseline body {path} has SHA-256 {found}, but the signed manifest says {expected}; the body was altered"
    )]
    BodyDigest {
        /// The body file.
        path: PathBuf,
        /// From the manifest.
        expected: String,
        /// Of the file.
        found: String,
    },
    /// The chain to the previous baseline is broken.
    #[error("baseline {path} chain is broken: {problem}")]
    Chain {
        /// The manifest file.
        path: PathBuf,
        /// What does not link.
        problem: String,
    },
    /// One file of the pair is missing.
    #[error(
        "baseline is incomplete: {present} exists but {missing} does not; it was deleted or a write was interrupted"
    )]
    Incomplete {
        /// The file that exists.
        present: PathBuf,
        /// The file that is missing.
        missing: PathBuf,
    },
    /// A new baseline was asked for while the current one fails verification.
    #[error(
        "the current baseline fails verification ({0}); it is not replaced silently: keep it as evidence (see fim::baseline::set_aside) before writing a new one"
    )]
    CurrentInvalid(Box<BaselineError>),
}

impl BaselineError {
    /// Whether the stored baseline is untrustworthy (as opposed to unreadable for an I/O reason).
    pub fn is_invalid(&self) -> bool {
        !matches!(self, BaselineError::Io { .. } | BaselineError::State(_))
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BaselineError {
    let path = path.to_path_buf();
    move |source| BaselineError::Io {
        action,
        path,
        source,
    }
}

/// A path named in an acceptance: readable text and the exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedPath {
    /// The path as text (invalid UTF-8 replaced by U+FFFD).
    pub display: String,
    /// The path bytes in hex.
    pub hex: String,
}

impl AcceptedPath {
    /// The record of a host path.
    pub fn new(path: &[u8]) -> AcceptedPath {
        AcceptedPath {
            display: String::from_utf8_lossy(path).into_owned(),
            hex: hex::encode(path),
        }
    }
}

/// Changes someone accepted into the baseline, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// The paths accepted (empty: every change).
    pub paths: Vec<AcceptedPath>,
    /// Why (a change ticket, "package update", ...).
    pub reason: String,
    /// Who: `$SUDO_USER`, else `$USER`, else `uid N`.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
}

impl Acceptance {
    /// An acceptance of `paths` now by the user running the agent.
    pub fn new(paths: &[Vec<u8>], reason: impl Into<String>) -> Acceptance {
        Acceptance {
            paths: paths.iter().map(|p| AcceptedPath::new(p)).collect(),
            reason: reason.into(),
            by: current_user(),
            at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }
}

/// The user behind this run: `$SUDO_USER`, else `$USER`, else `uid N`.
pub fn current_user() -> String {
    ["SUDO_USER", "USER"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| format!("uid {}", nix::unistd::getuid().as_raw()))
}

/// What a baseline is, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u64,
    /// When the baseline was written (RFC 3339, UTC, microseconds; strictly increasing along the chain).
    pub created_at: String,
    /// Number of entries in the body.
    pub entries: u64,
    /// Hex SHA-256 of `baseline.bin`.
    pub body_sha256: String,
    /// `sha256:` + hex SHA-256 of the previous baseline's canonical manifest bytes.
    pub previous: Option<String>,
    /// The acceptances this baseline records.
    pub accepted: Vec<Acceptance>,
    /// Fingerprint of the agent key that signed it.
    pub key_fingerprint: String,
    /// That key's public key (hex).
    pub public_key: String,
}

/// A baseline just written.
#[derive(Debug, Clone)]
pub struct BaselineInfo {
    /// `fim/baseline.bin`.
    pub body_path: PathBuf,
    /// `fim/baseline.json`.
    pub manifest_path: PathBuf,
    /// The manifest written.
    pub manifest: Manifest,
    /// `sha256:` + hex of its canonical bytes (what the next baseline's `previous` will be).
    pub digest: String,
    /// Where the replaced baseline's manifest went, when there was one.
    pub archived: Option<PathBuf>,
}

/// The files of the baselines in a state directory.
struct Paths {
    dir: PathBuf,
    body: PathBuf,
    manifest: PathBuf,
    history: PathBuf,
}

impl Paths {
    fn of(state: &StateDir) -> Paths {
        let dir = state.path().join("fim");
        Paths {
            body: dir.join("baseline.bin"),
            manifest: dir.join("baseline.json"),
            history: dir.join("history"),
            dir,
        }
    }
}

fn mkdir(dir: &Path) -> Result<(), BaselineError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("cannot create", dir))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, BaselineError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("cannot read", path)(e)),
    }
}

/// `sha256:` + hex SHA-256.
fn sha256_tagged(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A manifest file as written: the manifest and the signature over its
/// canonical bytes (written canonically, so its keys come out sorted).
#[derive(Serialize)]
struct ManifestFile<'a> {
    manifest: &'a serde_json::Value,
    signature: ManifestSignature,
}

/// The detached signature of a manifest file.
#[derive(Serialize)]
struct ManifestSignature {
    algorithm: &'static str,
    context: &'static str,
    value: String,
}

/// Parse a manifest file into its raw manifest value and signature hex.
fn parse_manifest_file(
    path: &Path,
    bytes: &[u8],
) -> Result<(serde_json::Value, String), BaselineError> {
    let malformed = |problem: String| BaselineError::Malformed {
        path: path.to_path_buf(),
        problem,
    };
    let mut v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let manifest = v
        .get_mut("manifest")
        .map(serde_json::Value::take)
        .ok_or_else(|| malformed("no \"manifest\" object".into()))?;
    let sig = v
        .get("signature")
        .and_then(|s| s.get("value"))
        .and_then(|s| s.as_str())
        .ok_or_else(|| malformed("no \"signature\".\"value\" string".into()))?
        .to_string();
    Ok((manifest, sig))
}

/// Check a manifest file (format, version, own-key signature) and return the manifest and its digest.
fn verify_manifest(
    path: &Path,
    bytes: &[u8],
    key: &AgentKey,
) -> Result<(Manifest, String), BaselineError> {
    let (raw, sig) = parse_manifest_file(path, bytes)?;
    let format = raw.get("format").and_then(|f| f.as_str()).unwrap_or("");
    let version = raw.get("version").and_then(|f| f.as_u64()).unwrap_or(0);
    if format != FORMAT || version != u64::from(VERSION) {
        return Err(BaselineError::Version {
            path: path.to_path_buf(),
            format: format.to_string(),
            version,
        });
    }
    let canonical = to_canonical_bytes(&raw);
    let own = key.public_key_hex();
    verify_detached(&own, SIGNING_CONTEXT, &canonical, &sig).map_err(|e| {
        let signer = raw.get("key_fingerprint").and_then(|f| f.as_str());
        let problem = match signer {
            Some(fp) if fp != key.fingerprint() => format!(
                "it names key {fp}, not this agent's key {} ({e})",
                key.fingerprint()
            ),
            _ => e.to_string(),
        };
        BaselineError::Signature {
            path: path.to_path_buf(),
            problem,
        }
    })?;
    let manifest: Manifest = serde_json::from_value(raw).map_err(|e| BaselineError::Malformed {
        path: path.to_path_buf(),
        problem: format!("signed manifest has unexpected fields: {e}"),
    })?;
    Ok((manifest, sha256_tagged(&canonical)))
}

/// The newest history manifest (by name: `<created_at>-<digest8>.json` sorts by time).
fn newest_history(history: &Path) -> Result<Option<PathBuf>, BaselineError> {
    let rd = match fs::read_dir(history) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("cannot list", history)(e)),
    };
    let mut newest: Option<PathBuf> = None;
    for ent in rd {
        let p = ent.map_err(io("cannot list", history))?.path();
        if p.extension().is_some_and(|x| x == "json")
            && newest
                .as_ref()
                .is_none_or(|n| p.file_name() > n.file_name())
        {
            newest = Some(p);
        }
    }
    Ok(newest)
}

/// The digest of a history manifest (its canonical manifest bytes; the link a chain records).
fn history_digest(path: &Path) -> Result<String, BaselineError> {
    let bytes = fs::read(path).map_err(io("cannot read", path))?;
    let (raw, _) = parse_manifest_file(path, &bytes)?;
    Ok(sha256_tagged(&to_canonical_bytes(&raw)))
}

/// Load and verify the current baseline; `Ok(None)` when none was ever written.
///
/// Refused (an error for which [`BaselineError::is_invalid`] holds): a
/// manifest of another format or version, a signature that does not verify
/// with `key` (the agent's own current key), a body whose SHA-256 differs from
/// the manifest's, a body that does not decode to the manifest's entry count,
/// a `previous` that is not the digest of the newest history manifest (when
/// history exists), and a missing current pair while history exists.
pub fn load_baseline(
    state: &StateDir,
    key: &AgentKey,
) -> Result<Option<(Entries, Manifest)>, BaselineError> {
    load(&Paths::of(state), key).map(|o| o.map(|(e, m, _)| (e, m)))
}

fn load(p: &Paths, key: &AgentKey) -> Result<Option<(Entries, Manifest, String)>, BaselineError> {
    let manifest_bytes = read_optional(&p.manifest)?;
    let body_exists = p.body.exists();
    let manifest_bytes = match (manifest_bytes, body_exists) {
        (Some(m), true) => m,
        (Some(_), false) => {
            return Err(BaselineError::Incomplete {
                present: p.manifest.clone(),
                missing: p.body.clone(),
            });
        }
        (None, true) => {
            return Err(BaselineError::Incomplete {
                present: p.body.clone(),
                missing: p.manifest.clone(),
            });
        }
        (None, false) => {
            return match newest_history(&p.history)? {
                None => Ok(None),
                Some(h) => Err(BaselineError::Incomplete {
                    present: h,
                    missing: p.manifest.clone(),
                }),
            };
        }
    };
    let (manifest, digest) = verify_manifest(&p.manifest, &manifest_bytes, key)?;
    let body = fs::read(&p.body).map_err(io("cannot read", &p.body))?;
    let found = hex::encode(Sha256::digest(&body));
    if found != manifest.body_sha256 {
        return Err(BaselineError::BodyDigest {
            path: p.body.clone(),
            expected: manifest.body_sha256.clone(),
            found,
        });
    }
    let entries = decode(&body).map_err(|problem| BaselineError::Malformed {
        path: p.body.clone(),
        problem,
    })?;
    if entries.len() as u64 != manifest.entries {
        return Err(BaselineError::Malformed {
            path: p.body.clone(),
            problem: format!(
                "it holds {} entries, the manifest says {}",
                entries.len(),
                manifest.entries
            ),
        });
    }
    if let Some(h) = newest_history(&p.history)? {
        let link = history_digest(&h)?;
        if manifest.previous.as_deref() != Some(link.as_str()) {
            return Err(BaselineError::Chain {
                path: p.manifest.clone(),
                problem: format!(
                    "it names previous baseline {}, but the newest history entry {} has digest {link}; a baseline was removed, replaced or inserted",
                    manifest.previous.as_deref().unwrap_or("none"),
                    h.display()
                ),
            });
        }
    }
    Ok(Some((entries, manifest, digest)))
}

/// Write `entries` as the new baseline, signed with `key`.
///
/// The current baseline, when there is one, must verify ([`load_baseline`]);
/// it moves to `fim/history/` and the new manifest's `previous` names it. A
/// current baseline that fails verification is not replaced
/// ([`BaselineError::CurrentInvalid`]); [`set_aside`] moves it away first.
pub fn write_baseline(
    state: &StateDir,
    key: &AgentKey,
    entries: &Entries,
    accepted: Vec<Acceptance>,
) -> Result<BaselineInfo, BaselineError> {
    let p = Paths::of(state);
    mkdir(&p.dir)?;
    let current = match load(&p, key) {
        Ok(c) => c,
        // Interrupted between archiving and writing: chain to the newest history entry.
        Err(BaselineError::Incomplete { present, .. })
            if present.starts_with(&p.history) && !p.manifest.exists() && !p.body.exists() =>
        {
            None
        }
        Err(e) if e.is_invalid() => return Err(BaselineError::CurrentInvalid(Box::new(e))),
        Err(e) => return Err(e),
    };
    let mut created = Utc::now();
    let mut archived = None;
    if let Some((_, m, digest)) = &current {
        if let Ok(prev) = DateTime::parse_from_rfc3339(&m.created_at) {
            let floor = prev.with_timezone(&Utc) + chrono::Duration::microseconds(1);
            created = created.max(floor);
        }
        mkdir(&p.history)?;
        let stem = format!(
            "{}-{}",
            m.created_at,
            digest.trim_start_matches("sha256:").get(..8).unwrap_or("")
        );
        let hist_body = p.history.join(format!("{stem}.bin"));
        let hist_manifest = p.history.join(format!("{stem}.json"));
        fs::rename(&p.body, &hist_body).map_err(io("cannot archive", &p.body))?;
        fs::rename(&p.manifest, &hist_manifest).map_err(io("cannot archive", &p.manifest))?;
        archived = Some(hist_manifest);
    }
    let previous = match newest_history(&p.history)? {
        Some(h) => Some(history_digest(&h)?),
        None => None,
    };
    let body = encode(entries);
    let manifest = Manifest {
        format: FORMAT.into(),
        version: u64::from(VERSION),
        created_at: created.to_rfc3339_opts(SecondsFormat::Micros, true),
        entries: entries.len() as u64,
        body_sha256: hex::encode(Sha256::digest(&body)),
        previous,
        accepted,
        key_fingerprint: key.fingerprint(),
        public_key: key.public_key_hex(),
    };
    let raw = serde_json::to_value(&manifest).map_err(|e| BaselineError::Malformed {
        path: p.manifest.clone(),
        problem: format!("cannot serialise manifest: {e}"),
    })?;
    let canonical = to_canonical_bytes(&raw);
    let file = ManifestFile {
        manifest: &raw,
        signature: ManifestSignature {
            algorithm: "ed25519",
            context: SIGNING_CONTEXT,
            value: key.sign_detached(SIGNING_CONTEXT, &canonical),
        },
    };
    let file = serde_json::to_value(&file).map_err(|e| BaselineError::Malformed {
        path: p.manifest.clone(),
        problem: format!("cannot serialise manifest file: {e}"),
    })?;
    let mut file_bytes = to_canonical_bytes(&file);
    file_bytes.push(b'\n');
    write_file_atomically(&p.body, &body, 0o600)?;
    write_file_atomically(&p.manifest, &file_bytes, 0o600)?;
    Ok(BaselineInfo {
        body_path: p.body,
        manifest_path: p.manifest,
        manifest,
        digest: sha256_tagged(&canonical),
        archived,
    })
}

/// Move the whole baseline store (`fim/baseline.*` and `fim/history/`) to
/// `fim/set-aside-<time>/`, keeping it as evidence, so a new chain can start.
/// Returns that directory.
pub fn set_aside(state: &StateDir) -> Result<PathBuf, BaselineError> {
    let p = Paths::of(state);
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let dest = p.dir.join(format!("set-aside-{stamp}"));
    mkdir(&dest)?;
    for src in [&p.body, &p.manifest, &p.history] {
        if let Some(name) = src.file_name()
            && fs::symlink_metadata(src).is_ok()
        {
            fs::rename(src, dest.join(name)).map_err(io("cannot move", src))?;
        }
    }
    Ok(dest)
}

fn put_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            // Arena spans are at most 16 MiB, so the length fits.
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        None => out.extend_from_slice(&NONE_LEN.to_le_bytes()),
    }
}

/// The body bytes of `entries` (see the module documentation).
pub fn encode(entries: &Entries) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + entries.len() * 140);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for e in entries.iter() {
        let (code, errno) = e.kind().code();
        out.push(code);
        out.extend_from_slice(&errno.to_le_bytes());
        out.extend_from_slice(&e.attrs.0.to_le_bytes());
        for v in [e.size, e.ino, e.dev] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&e.mtime_sec.to_le_bytes());
        out.extend_from_slice(&e.mtime_nsec.to_le_bytes());
        out.extend_from_slice(&e.ctime_sec.to_le_bytes());
        out.extend_from_slice(&e.ctime_nsec.to_le_bytes());
        for v in [e.mode, e.uid, e.gid, e.nlink] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        // The digest byte: the algorithm (0 none, 1 SHA-256, 2 SM3) with bit 7
        // set when a package owned the path (body version 2).
        let owned = if e.package_owned() { 0x80 } else { 0 };
        match e.digest() {
            None => out.push(owned),
            Some((alg, d)) => {
                out.push(
                    owned
                        | match alg {
                            DigestAlg::Sha256 => 1,
                            DigestAlg::Sm3 => 2,
                        },
                );
                out.extend_from_slice(d);
            }
        }
        put_bytes(&mut out, Some(e.path()));
        put_bytes(&mut out, e.target());
        put_bytes(&mut out, e.caps());
    }
    out
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.arr::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.arr()?))
    }
    fn bytes(&mut self) -> Result<Option<&'a [u8]>, String> {
        match self.u32()? {
            NONE_LEN => Ok(None),
            n => self.take(n as usize).map(Some),
        }
    }
}

/// Entries from body bytes; the error says what is wrong and where.
pub fn decode(body: &[u8]) -> Result<Entries, String> {
    let mut r = Reader { buf: body, pos: 0 };
    if r.take(MAGIC.len()).ok() != Some(&MAGIC[..]) {
        return Err("it is not a selfcheck FIM baseline body (bad magic)".into());
    }
    let version = r.u8()?;
    if version != VERSION {
        return Err(format!(
            "body version {version}; this agent reads version {VERSION}"
        ));
    }
    let count = r.u64()?;
    // Each entry takes at least 75 bytes: refuse counts the body cannot hold before allocating.
    if count > (body.len() / 75) as u64 {
        return Err(format!("entry count {count} exceeds what the body holds"));
    }
    let mut entries = Entries::with_capacity(count as usize, body.len());
    let mut last: Option<&[u8]> = None;
    for i in 0..count {
        let at = r.pos;
        let (code, errno) = (r.u8()?, r.i32()?);
        let kind = Kind::try_from_code(code, errno)
            .ok_or_else(|| format!("entry {i} (byte {at}): unknown kind {code}"))?;
        let mut e = Entry::new(kind, Attrs(r.u16()?));
        e.size = r.u64()?;
        e.ino = r.u64()?;
        e.dev = r.u64()?;
        e.mtime_sec = r.i64()?;
        e.mtime_nsec = r.u32()?;
        e.ctime_sec = r.i64()?;
        e.ctime_nsec = r.u32()?;
        e.mode = r.u32()?;
        e.uid = r.u32()?;
        e.gid = r.u32()?;
        e.nlink = r.u32()?;
        let digest_byte = r.u8()?;
        e.set_package_owned(digest_byte & 0x80 != 0);
        match digest_byte & 0x7f {
            0 => {}
            a @ (1 | 2) => {
                let alg = if a == 1 {
                    DigestAlg::Sha256
                } else {
                    DigestAlg::Sm3
                };
                e.set_digest(alg, r.arr()?);
            }
            a => {
                return Err(format!(
                    "entry {i} (byte {at}): unknown digest algorithm {a}"
                ));
            }
        }
        let path = r
            .bytes()?
            .ok_or_else(|| format!("entry {i} (byte {at}): no path"))?;
        if last.is_some_and(|l| l >= path) {
            return Err(format!(
                "entry {i} (byte {at}): paths are not in strictly ascending order"
            ));
        }
        last = Some(path);
        let (target, caps) = (r.bytes()?, r.bytes()?);
        entries.push(e, path, target, caps);
    }
    if r.pos != body.len() {
        return Err(format!(
            "{} bytes follow the last entry",
            body.len() - r.pos
        ));
    }
    Ok(entries)
}
