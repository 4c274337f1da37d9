//! The asset registry's table: replaced whole by each import, in one
//! transaction with its history entry, and read back in file order.

use super::{Store, StoreError};
use crate::assets::Asset;
use crate::history::{self, NewEntry};
use rusqlite::{Transaction, params};
use selfcheck_report::canonical::to_canonical_bytes;
use serde_json::json;
use sha2::{Digest, Sha256};

impl Store {
    /// Replace the whole registry with `assets` and record it in the history
    /// (`assets_imported`: source, row count, SHA-256 of the assets' canonical
    /// JSON, and the assets themselves), all in one transaction: on any error
    /// the previous registry stays as it was.
    pub fn replace_assets(
        &mut self,
        assets: &[Asset],
        source_name: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        let now = chrono::Local::now().fixed_offset();
        self.replace_assets_at(assets, source_name, actor, now)
    }

    /// [`Store::replace_assets`] with the import time given: a registry imported at `at`
    /// lists its assets as expected from that month on (tests and back-dated imports).
    pub fn replace_assets_at(
        &mut self,
        assets: &[Asset],
        source_name: &str,
        actor: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<(), StoreError> {
        let tx = self.write_tx()?;
        let result = replace_in(&tx, assets, source_name, actor, at, self.sealer())
            .and_then(|()| tx.commit());
        result.map_err(|e| self.err(e))
    }

    /// The registry, ordered by row number (empty before the first import).
    pub fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT row_no, asset_name, hostname, machine_id, ip, unit, asset_type, os,
                        protection_level, responsible_unit, responsible_person, contact
                 FROM assets ORDER BY row_no",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(Asset {
                row_no: r.get(0)?,
                asset_name: r.get(1)?,
                hostname: r.get(2)?,
                machine_id: r.get(3)?,
                ip: r.get(4)?,
                unit: r.get(5)?,
                asset_type: r.get(6)?,
                os: r.get(7)?,
                protection_level: r.get(8)?,
                responsible_unit: r.get(9)?,
                responsible_person: r.get(10)?,
                contact: r.get(11)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.err(e))
    }
}

/// The hex SHA-256 of the assets' canonical JSON (what the history records).
#[cfg(test)]
pub(crate) fn assets_sha256(assets: &[Asset]) -> String {
    sha256_of(&assets_json(assets))
}

fn sha256_of(value: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(to_canonical_bytes(value)))
}

fn assets_json(assets: &[Asset]) -> serde_json::Value {
    // Plain strings and numbers always serialise.
    serde_json::to_value(assets).unwrap_or_default()
}

fn replace_in(
    tx: &Transaction<'_>,
    assets: &[Asset],
    source_name: &str,
    actor: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
    sealer: Option<&dyn history::HistorySealer>,
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM assets", [])?;
    let mut insert = tx.prepare(
        "INSERT INTO assets (row_no, asset_name, hostname, machine_id, ip, unit, asset_type, os,
                             protection_level, responsible_unit, responsible_person, contact)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for a in assets {
        insert.execute(params![
            a.row_no,
            a.asset_name,
            a.hostname,
            a.machine_id,
            a.ip,
            a.unit,
            a.asset_type,
            a.os,
            a.protection_level,
            a.responsible_unit,
            a.responsible_person,
            a.contact,
        ])?;
    }
    let listed = assets_json(assets);
    super::history::append(
        tx,
        &NewEntry {
            actor,
            kind: history::kind::ASSETS_IMPORTED,
            fingerprint: None,
            body: json!({
                "source": source_name,
                "rows": assets.len(),
                "sha256": sha256_of(&listed),
                "assets": listed,
            }),
        },
        now,
        sealer,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::parse_csv;

    fn sample() -> Vec<Asset> {
        parse_csv(
            "资产名称,主机名,IP地址,等保级别\n门户,web-01,10.0.0.1,三级\n数据库,db-01,,\n"
                .as_bytes(),
            "a.csv",
        )
        .unwrap()
    }

    #[test]
    fn replacing_stores_the_assets_and_one_history_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(tmp.path()).unwrap();
        assert!(store.assets().unwrap().is_empty());
        let assets = sample();
        store.replace_assets(&assets, "a.csv", "张工").unwrap();
        assert_eq!(store.assets().unwrap(), assets);
        store.replace_assets(&assets[..1], "b.csv", "李工").unwrap();
        assert_eq!(store.assets().unwrap(), assets[..1]);

        let entries = store.history(Some(history::kind::ASSETS_IMPORTED)).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].actor, "张工");
        assert_eq!(entries[0].body["rows"], 2);
        assert_eq!(entries[0].body["source"], "a.csv");
        assert_eq!(entries[0].body["sha256"], assets_sha256(&assets));
        assert_eq!(entries[0].body["assets"][0]["protection_level"], "三级");
        assert!(store.verify_history().unwrap().is_intact());
    }

    #[test]
    fn the_digest_depends_on_every_field() {
        let a = sample();
        let mut b = a.clone();
        b[1].contact = Some("x".into());
        assert_ne!(assets_sha256(&a), assets_sha256(&b));
        assert_eq!(assets_sha256(&a), assets_sha256(&a.clone()));
    }
}
