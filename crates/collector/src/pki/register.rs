//! The store's register of certificates as the PKI uses it: recording what
//! the CA issued, revoking, and the set of revoked serials `serve` checks at
//! every TLS handshake. The table itself is the store's
//! ([`Store::certificates`]); issuing and revoking are history entries too.

use super::authority::IssuedCert;
use chrono::{DateTime, FixedOffset};
use selfcheck_ledger::store::{NewCert, RevokeTarget, Store, StoreError};
use std::collections::HashSet;
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

/// The serials `serve` refuses, shared between the TLS handshake and the
/// task that re-reads them from the store, so a revocation takes effect on
/// the next handshake without a restart.
#[derive(Debug, Clone, Default)]
pub struct RevokedSerials {
    serials: Arc<RwLock<HashSet<String>>>,
}

impl RevokedSerials {
    /// Read the revoked serials from the store.
    pub fn load(store: &Store) -> Result<RevokedSerials, StoreError> {
        let set = RevokedSerials::default();
        set.refresh(store)?;
        Ok(set)
    }

    /// Re-read them; returns how many there are.
    pub fn refresh(&self, store: &Store) -> Result<usize, StoreError> {
        let fresh: HashSet<String> = store.revoked_serials()?;
        let n = fresh.len();
        match self.serials.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(n)
    }

    /// Whether the serial (lowercase hex) is revoked.
    pub fn contains(&self, serial: &str) -> bool {
        match self.serials.read() {
            Ok(guard) => guard.contains(serial),
            // A panic while holding the lock left a complete set behind.
            Err(poisoned) => poisoned.into_inner().contains(serial),
        }
    }
}
