//! The register of issued certificates (`certs list`) as a table or JSON.

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use selfcheck_ledger::store::CertRecord;

/// The certificates as a table for the terminal, their state judged at `now`,
/// with the count under it.
pub fn certs_table(certs: &[CertRecord], now: DateTime<Utc>) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header([
        "name",
        "role",
        "serial",
        "valid until",
        "state",
        "issued by",
        "revoked",
    ]);
    for c in certs {
        table.add_row([
            c.name.clone(),
            c.role.clone(),
            c.serial.clone(),
            c.not_after.clone(),
            c.state(now).to_string(),
            c.issued_by.clone(),
            match (&c.revoked_at, &c.revoke_reason) {
                (Some(at), Some(why)) => format!("{at}: {why}"),
                (Some(at), None) => at.clone(),
                _ => String::new(),
            },
        ]);
    }
    format!("{table}\n{} certificate(s)\n", certs.len())
}

/// The certificates as pretty JSON, each with its `state` at `now`.
pub fn certs_json(certs: &[CertRecord], now: DateTime<Utc>) -> String {
    let rows: Vec<serde_json::Value> = certs
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["state"] = c.state(now).into();
            v
        })
        .collect();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&rows).unwrap_or_default()
    )
}
