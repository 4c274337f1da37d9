//! The collector's certificate authority as use cases: create it, show it,
//! renew the server certificate, enroll an agent host, revoke, and the
//! register of issued certificates. Each issue and revocation is recorded in
//! the register and the history.

use crate::pki::register::{self, RevokeWhich};
use crate::pki::{Authority, CaOptions, CertRecord, CertRequest, IssuedCert, PkiError};
use anyhow::{Context, Result, bail};
use selfcheck_ledger::store::Store;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// File names `enroll` writes into `--out`, which the agent's `[submit]` defaults expect.
pub mod enrolled {
    /// The collector CA certificate.
    pub const CA: &str = "ca.pem";
    /// The host's client certificate.
    pub const CERT: &str = "client.pem";
    /// The host's private key (mode 0600).
    pub const KEY: &str = "client-key.pem";
}

/// The enrolled file paths in a folder (for tests and the agent's `--enrolled`).
pub fn enrolled_paths(dir: &Path) -> [PathBuf; 3] {
    [enrolled::CA, enrolled::CERT, enrolled::KEY].map(|n| dir.join(n))
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Create the CA and its server certificate in `DATA/pki/` (once).
pub fn init(dir: &Path, options: &CaOptions) -> Result<(Authority, IssuedCert)> {
    let mut store = super::open_or_create_store(dir)?;
    let (ca, server) = Authority::init(dir, options)?;
    register::record_issued(&mut store, &server, &super::default_actor(), now())?;
    Ok((ca, server))
}

/// The collector's CA, as `ca init` made it.
pub fn authority(dir: &Path) -> Result<Authority> {
    Ok(Authority::open(dir)?)
}

/// Issue and install a new server certificate for `server_names`, with the
/// CA key from `ca_key` when it is kept offline.
pub fn server_cert(
    dir: &Path,
    server_names: &[String],
    days: u32,
    ca_key: Option<&Path>,
    by: &str,
) -> Result<IssuedCert> {
    let mut store = super::store::open_sealed(dir)?;
    let ca = Authority::open_with_key(dir, ca_key)?;
    let cert = ca.issue(&CertRequest::server(server_names, days))?;
    ca.install_server_cert(&cert)?;
    register::record_issued(&mut store, &cert, by, now())?;
    Ok(cert)
}

/// Issue a client certificate for `host` and write the CA certificate, the
/// host's certificate and its key into `out` (created, mode 0700); existing
/// files are never overwritten. `ca_key` is the CA key when it is kept offline.
pub fn enroll(
    dir: &Path,
    host: &str,
    out: &Path,
    days: u32,
    ca_key: Option<&Path>,
    by: &str,
) -> Result<IssuedCert> {
    let ca = Authority::open_with_key(dir, ca_key)?;
    if !ca.has_key() {
        return Err(PkiError::KeyOffline {
            dir: ca.dir().to_path_buf(),
        }
        .into());
    }
    let mut store = super::store::open_sealed(dir)?;
    let paths = enrolled_paths(out);
    for p in &paths {
        if p.exists() {
            return Err(PkiError::OutputExists { path: p.clone() }.into());
        }
    }
    let cert = ca.issue(&CertRequest::client(host, days))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(out)
        .with_context(|| format!("cannot create {}", out.display()))?;
    crate::pki::authority::write_public(&paths[0], ca.ca_pem().as_bytes())?;
    crate::pki::authority::write_public(&paths[1], cert.cert_pem.as_bytes())?;
    crate::pki::authority::write_private(&paths[2], cert.key_pem.as_bytes())?;
    register::record_issued(&mut store, &cert, by, now())?;
    Ok(cert)
}

/// Revoke the unrevoked client certificates of `host`, or the one with
/// `serial`; an error when nothing matches.
pub fn revoke(
    dir: &Path,
    host: Option<&str>,
    serial: Option<&str>,
    by: &str,
    reason: &str,
) -> Result<Vec<CertRecord>> {
    let mut store = super::store::open_sealed(dir)?;
    let target = match (host, serial) {
        (_, Some(serial)) => RevokeWhich::Serial(serial),
        (Some(host), None) => RevokeWhich::Host(host),
        (None, None) => bail!("name a host or --serial"),
    };
    let revoked = register::revoke(&mut store, target.clone(), by, reason, now())?;
    if revoked.is_empty() {
        bail!(
            "nothing to revoke: no unrevoked certificate matches {}; `certs list` shows the register",
            match target {
                RevokeWhich::Host(h) => format!("host {h:?}"),
                RevokeWhich::Serial(s) => format!("serial {s}"),
            }
        );
    }
    Ok(revoked)
}

/// The register of issued certificates.
pub fn certificates(dir: &Path) -> Result<Vec<CertRecord>> {
    let store = Store::open_existing(dir)?;
    Ok(store.certificates()?)
}
