//! The certificates table: every certificate the collector's CA issued and
//! which are revoked, each issue and revocation with its history entry in the
//! same transaction.

use super::{Store, StoreError};
use crate::history::{NewEntry, kind};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use rusqlite::{Connection, params};

/// One certificate of the register.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertRecord {
    /// Serial number, lowercase hex.
    pub serial: String,
    /// `client` or `server`.
    pub role: String,
    /// Common name: the agent's host name.
    pub name: String,
    /// SHA-256 of the certificate's DER.
    pub sha256: String,
    /// Valid from (RFC 3339).
    pub not_before: String,
    /// Valid until (RFC 3339).
    pub not_after: String,
    /// When it was issued.
    pub issued_at: String,
    /// Who issued it.
    pub issued_by: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// Why.
    pub revoke_reason: Option<String>,
}

impl CertRecord {
    /// `valid`, `revoked`, `expired` or `not yet valid` at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok();
        if self.revoked_at.is_some() {
            "revoked"
        } else if parse(&self.not_after).is_some_and(|t| t < now) {
            "expired"
        } else if parse(&self.not_before).is_some_and(|t| t > now) {
            "not yet valid"
        } else {
            "valid"
        }
    }
}

/// A certificate the CA just issued, as the register records it.
#[derive(Debug, Clone, Copy)]
pub struct NewCert<'a> {
    /// `client` or `server`.
    pub role: &'a str,
    /// Common name: the agent's host name, or the server's name.
    pub name: &'a str,
    /// Serial number, lowercase hex.
    pub serial: &'a str,
    /// SHA-256 of the certificate's DER.
    pub sha256: &'a str,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// The certificate, PEM.
    pub cert_pem: &'a str,
}

/// Which certificates to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeTarget<'a> {
    /// Every unrevoked client certificate of this host.
    Host(&'a str),
    /// The certificate with this serial (lowercase hex without separators).
    Serial(&'a str),
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Record an issued certificate (and a history entry) in one transaction.
    pub fn record_cert_issued(
        &mut self,
        cert: NewCert<'_>,
        by: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        let result = (|| {
            tx.execute(
                "INSERT INTO certificates (serial, role, name, sha256, not_before, not_after, issued_at, issued_by, pem)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    cert.serial,
                    cert.role,
                    cert.name,
                    cert.sha256,
                    rfc3339(cert.not_before),
                    rfc3339(cert.not_after),
                    at.to_rfc3339_opts(SecondsFormat::Secs, false),
                    by,
                    cert.cert_pem,
                ],
            )?;
            super::history::append(
                &tx,
                &NewEntry {
                    actor: by,
                    kind: kind::CERT_ISSUED,
                    fingerprint: None,
                    body: serde_json::json!({
                        "role": cert.role,
                        "name": cert.name,
                        "serial": cert.serial,
                        "sha256": cert.sha256,
                        "not_before": rfc3339(cert.not_before),
                        "not_after": rfc3339(cert.not_after),
                    }),
                },
                at,
                self.sealer(),
            )?;
            tx.commit()
        })();
        result.map_err(|e| self.err(e))
    }

    /// Revoke certificates (with a history entry each), in one transaction.
    /// Returns the ones revoked now; already revoked ones are left as they are.
    pub fn revoke_certs(
        &mut self,
        target: RevokeTarget<'_>,
        by: &str,
        reason: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<Vec<CertRecord>, StoreError> {
        let tx = self.write_tx()?;
        let result = (|| {
            let matching: Vec<CertRecord> = list(&tx)?
                .into_iter()
                .filter(|c| c.revoked_at.is_none())
                .filter(|c| match target {
                    RevokeTarget::Host(h) => c.role == "client" && c.name == h,
                    RevokeTarget::Serial(s) => c.serial == s,
                })
                .collect();
            let when = at.to_rfc3339_opts(SecondsFormat::Secs, false);
            let mut revoked = Vec::new();
            for mut cert in matching {
                tx.execute(
                    "UPDATE certificates SET revoked_at = ?1, revoked_by = ?2, revoke_reason = ?3 WHERE serial = ?4",
                    params![when, by, reason, cert.serial],
                )?;
                super::history::append(
                    &tx,
                    &NewEntry {
                        actor: by,
                        kind: kind::CERT_REVOKED,
                        fingerprint: None,
                        body: serde_json::json!({
                            "serial": cert.serial,
                            "name": cert.name,
                            "role": cert.role,
                            "reason": reason,
                        }),
                    },
                    at,
                    self.sealer(),
                )?;
                cert.revoked_at = Some(when.clone());
                cert.revoked_by = Some(by.to_string());
                cert.revoke_reason = Some(reason.to_string());
                revoked.push(cert);
            }
            tx.commit()?;
            Ok(revoked)
        })();
        result.map_err(|e: rusqlite::Error| self.err(e))
    }

    /// Every certificate of the register, oldest first.
    pub fn certificates(&self) -> Result<Vec<CertRecord>, StoreError> {
        list(&self.conn).map_err(|e| self.err(e))
    }

    /// Every client certificate of the register with what `serve` compares
    /// a presented certificate against: serial, SHA-256 of the DER, host name,
    /// and whether it is revoked. `serve` admits only a certificate found here
    /// unrevoked with the same digest.
    pub fn client_cert_register(&self) -> Result<Vec<RegisteredClientCert>, StoreError> {
        let read = || -> rusqlite::Result<Vec<RegisteredClientCert>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT serial, sha256, name, revoked_at IS NOT NULL FROM certificates WHERE role = 'client'",
            )?;
            stmt.query_map([], |r| {
                Ok(RegisteredClientCert {
                    serial: r.get(0)?,
                    sha256: r.get(1)?,
                    name: r.get(2)?,
                    revoked: r.get(3)?,
                })
            })?
            .collect()
        };
        read().map_err(|e| self.err(e))
    }
}

/// A client certificate as `serve` checks it against the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClientCert {
    /// Serial number, lowercase hex.
    pub serial: String,
    /// SHA-256 of the certificate's DER, lowercase hex.
    pub sha256: String,
    /// Common name: the agent's host name.
    pub name: String,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// Every certificate of the register, oldest first.
fn list(conn: &Connection) -> rusqlite::Result<Vec<CertRecord>> {
    let mut stmt = conn.prepare(
        "SELECT serial, role, name, sha256, not_before, not_after, issued_at, issued_by, revoked_at, revoked_by, revoke_reason
         FROM certificates ORDER BY issued_at, rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(CertRecord {
            serial: r.get(0)?,
            role: r.get(1)?,
            name: r.get(2)?,
            sha256: r.get(3)?,
            not_before: r.get(4)?,
            not_after: r.get(5)?,
            issued_at: r.get(6)?,
            issued_by: r.get(7)?,
            revoked_at: r.get(8)?,
            revoked_by: r.get(9)?,
            revoke_reason: r.get(10)?,
        })
    })?;
    rows.collect()
}
