//! The store's register of certificates as the PKI uses it: recording what
//! the CA issued, revoking, and the [`ClientRegister`] `serve` checks at every
//! TLS handshake and every request: only certificates in the register, not
//! revoked, are admitted. The table itself is the store's
//! ([`Store::certificates`]); issuing and revoking are history entries too.

use super::authority::{IssuedCert, PeerIdentity};
use chrono::{DateTime, FixedOffset};
use selfcheck_ledger::store::{NewCert, RevokeTarget, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use selfcheck_ledger::store::CertRecord;

/// Record an issued certificate (and a history entry) in one transaction.
pub fn record_issued(
    store: &mut Store,
    cert: &IssuedCert,
    by: &str,
    at: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let new = NewCert {
        role: cert.role.as_str(),
        name: &cert.name,
        serial: &cert.serial,
        sha256: &cert.sha256,
        not_before: cert.not_before,
        not_after: cert.not_after,
        cert_pem: &cert.cert_pem,
    };
    store.record_cert_issued(new, by, at)
}

/// Which certificates to revoke, as typed on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeWhich<'a> {
    /// Every unrevoked client certificate of this host.
    Host(&'a str),
    /// The certificate with this serial (hex, with or without `:`).
    Serial(&'a str),
}

/// Revoke certificates (with a history entry each), in one transaction.
/// Returns the ones revoked now; already revoked ones are left as they are.
pub fn revoke(
    store: &mut Store,
    which: RevokeWhich<'_>,
    by: &str,
    reason: &str,
    at: DateTime<FixedOffset>,
) -> Result<Vec<CertRecord>, StoreError> {
    match which {
        RevokeWhich::Host(h) => store.revoke_certs(RevokeTarget::Host(h), by, reason, at),
        RevokeWhich::Serial(s) => {
            let serial = normalize_serial(s);
            store.revoke_certs(RevokeTarget::Serial(&serial), by, reason, at)
        }
    }
}

/// A serial as typed (`1F:02:…` as openssl prints it, or hex) in the
/// register's form: lowercase hex without separators or leading zero bytes.
pub fn normalize_serial(serial: &str) -> String {
    let mut hex: String = serial
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    if hex.len() % 2 == 1 {
        hex.insert(0, '0');
    }
    while hex.len() > 2 && hex.starts_with("00") {
        hex.drain(..2);
    }
    hex
}

/// Why `serve` refuses a client certificate that chains to its CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its serial is not in the register: it was never issued by `enroll`
    /// (made with the CA key some other way, or the register was edited).
    Unregistered,
    /// Its serial is registered, but for another certificate (another key).
    OtherCertificate,
    /// It was revoked.
    Revoked,
}

impl Refusal {
    /// A log line's words for it.
    pub fn explain(&self, peer: &PeerIdentity) -> String {
        match self {
            Refusal::Unregistered => format!(
                "client certificate serial {} (CN {:?}, sha256 {}) is signed by this collector's CA but is not in its register of issued certificates: refused. Certificates are valid only as issued by `selfcheck-collector enroll`; one made with the CA key any other way means the CA key was used outside the collector — enroll the host properly and keep the CA key offline (`ca init --offline-key`)",
                peer.serial, peer.host, peer.sha256
            ),
            Refusal::OtherCertificate => format!(
                "client certificate serial {} (CN {:?}, sha256 {}) reuses the serial of another registered certificate: refused (a certificate forged with the CA key)",
                peer.serial, peer.host, peer.sha256
            ),
            Refusal::Revoked => format!(
                "client certificate serial {} of {:?} is revoked: refused",
                peer.serial, peer.host
            ),
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Entry {
    sha256: String,
    revoked: bool,
}

/// The client certificates `serve` admits: the store's register of issued
/// certificates, shared between the TLS handshake, every request and the
/// thread that re-reads it, so a revocation (or a certificate never issued)
/// takes effect on open connections too, without a restart.
#[derive(Debug, Clone, Default)]
pub struct ClientRegister {
    certs: Arc<RwLock<HashMap<String, Entry>>>,
}

impl ClientRegister {
    /// Read the register from the store.
    pub fn load(store: &Store) -> Result<ClientRegister, StoreError> {
        let register = ClientRegister::default();
        register.refresh(store)?;
        Ok(register)
    }

    /// Re-read it; `true` when something changed (a certificate issued or revoked).
    pub fn refresh(&self, store: &Store) -> Result<bool, StoreError> {
        let fresh: HashMap<String, Entry> = store
            .client_cert_register()?
            .into_iter()
            .map(|c| {
                (
                    c.serial,
                    Entry {
                        sha256: c.sha256,
                        revoked: c.revoked,
                    },
                )
            })
            .collect();
        let mut guard = match self.certs.write() {
            Ok(g) => g,
            // A panic while holding the lock left a complete map behind.
            Err(poisoned) => poisoned.into_inner(),
        };
        let changed = *guard != fresh;
        *guard = fresh;
        Ok(changed)
    }

    /// Whether `peer` (a certificate that chains to the CA) is admitted now:
    /// its serial is registered for exactly this certificate and not revoked.
    pub fn admit(&self, peer: &PeerIdentity) -> Result<(), Refusal> {
        let guard = match self.certs.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        match guard.get(&peer.serial) {
            None => Err(Refusal::Unregistered),
            Some(e) if e.sha256 != peer.sha256 => Err(Refusal::OtherCertificate),
            Some(e) if e.revoked => Err(Refusal::Revoked),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_normalised_as_openssl_prints_them() {
        assert_eq!(normalize_serial("1F:02:0A"), "1f020a");
        assert_eq!(normalize_serial("00:1f"), "1f");
        assert_eq!(normalize_serial("abc"), "0abc");
    }
}
