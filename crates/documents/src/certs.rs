//! The register of issued certificates (`certs list`) as a table or JSON.

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use selfcheck_catalog::Lang;
use selfcheck_ledger::store::CertRecord;

/// The certificates as a table for the terminal, their state judged at `now`,
/// with the count under it.
pub fn certs_table(certs: &[CertRecord], now: DateTime<Utc>, lang: Lang) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(match lang {
        Lang::Zh => [
            "名称",
            "用途",
            "序列号",
            "有效期至",
            "状态",
            "签发人",
            "吊销",
        ],
        Lang::En => [
            "name",
            "role",
            "serial",
            "valid until",
            "state",
            "issued by",
            "revoked",
        ],
    });
    for c in certs {
        table.add_row([
            c.name.clone(),
            match (lang, c.role.as_str()) {
                (Lang::Zh, "client") => "客户端".to_string(),
                (Lang::Zh, "server") => "服务端".to_string(),
                (_, role) => role.to_string(),
            },
            c.serial.clone(),
            c.not_after.clone(),
            match (lang, c.state(now)) {
                (Lang::Zh, "valid") => "有效".to_string(),
                (Lang::Zh, "expired") => "已过期".to_string(),
                (Lang::Zh, "revoked") => "已吊销".to_string(),
                (_, state) => state.to_string(),
            },
            c.issued_by.clone(),
            match (&c.revoked_at, &c.revoke_reason) {
                (Some(at), Some(why)) => format!("{at}: {why}"),
                (Some(at), None) => at.clone(),
                _ => String::new(),
            },
        ]);
    }
    match lang {
        Lang::Zh => format!("{table}\n共 {} 张证书\n", certs.len()),
        Lang::En => format!("{table}\n{} certificate(s)\n", certs.len()),
    }
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
