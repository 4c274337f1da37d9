//! Reading one catalog file, key by key, so every fault names its place.

use crate::{CatalogError, CheckDef, LocalText};
use selfcheck_report::{CheckId, Severity};
use toml::{Table, Value};

const KEYS: &[&str] = &[
    "id",
    "area",
    "risk",
    "title",
    "description",
    "why",
    "remediation",
    "references",
    "params",
];

/// The checks of one file.
pub(crate) fn parse_file(file: &str, text: &str) -> Result<Vec<CheckDef>, CatalogError> {
    let err = |check: Option<String>, key: Option<&str>, message: String| CatalogError {
        file: file.to_string(),
        check,
        key: key.map(str::to_string),
        message,
    };
    let doc: Table = text.parse().map_err(|e: toml::de::Error| {
        err(
            None,
            None,
            format!("not valid TOML: {}", e.to_string().trim_end()),
        )
    })?;
    for key in doc.keys() {
        if key != "check" {
            return Err(err(
                None,
                Some(key),
                "unknown top-level key; a catalog file holds only [[check]] tables".into(),
            ));
        }
    }
    let Some(list) = doc.get("check") else {
        return Ok(Vec::new());
    };
    let Value::Array(list) = list else {
        return Err(err(
            None,
            Some("check"),
            "must be an array of tables, written [[check]]".into(),
        ));
    };
    let mut out = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let Value::Table(t) = item else {
            return Err(err(
                None,
                Some("check"),
                format!("entry {} is not a table", index + 1),
            ));
        };
        let id_text = match t.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(err(
                    Some(format!("#{}", index + 1)),
                    Some("id"),
                    "must be a string".into(),
                ));
            }
            None => {
                return Err(err(
                    Some(format!("#{}", index + 1)),
                    Some("id"),
                    "missing; every check needs an id".into(),
                ));
            }
        };
        let check = Some(id_text.clone());
        let id: CheckId = id_text.parse().map_err(|e: selfcheck_report::IdError| {
            err(check.clone(), Some("id"), e.to_string())
        })?;
        for key in t.keys() {
            if !KEYS.contains(&key.as_str()) {
                return Err(err(
                    check.clone(),
                    Some(key),
                    format!("unknown key; the keys of a check are {}", KEYS.join(", ")),
                ));
            }
        }
        let string = |key: &str| -> Result<String, CatalogError> {
            match t.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
                Some(Value::String(_)) => {
                    Err(err(check.clone(), Some(key), "must not be empty".into()))
                }
                Some(_) => Err(err(check.clone(), Some(key), "must be a string".into())),
                None => Err(err(check.clone(), Some(key), "missing".into())),
            }
        };
        let text = |key: &str| -> Result<LocalText, CatalogError> {
            let Some(Value::Table(tt)) = t.get(key) else {
                return Err(err(
                    check.clone(),
                    Some(key),
                    "missing or not a table; write it as { zh = \"…\", en = \"…\" }".into(),
                ));
            };
            let lang = |l: &str| -> Result<String, CatalogError> {
                match tt.get(l) {
                    Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                    _ => Err(err(
                        check.clone(),
                        Some(&format!("{key}.{l}")),
                        "missing or empty; both zh and en are required".into(),
                    )),
                }
            };
            if let Some(extra) = tt.keys().find(|k| *k != "zh" && *k != "en") {
                return Err(err(
                    check.clone(),
                    Some(&format!("{key}.{extra}")),
                    "unknown language; use zh and en".into(),
                ));
            }
            Ok(LocalText {
                zh: lang("zh")?,
                en: lang("en")?,
            })
        };
        let area = string("area")?;
        let risk: Severity = string("risk")?
            .parse()
            .map_err(|e: selfcheck_report::IdError| {
                err(check.clone(), Some("risk"), e.to_string())
            })?;
        let references = match t.get("references") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(err(
                        check.clone(),
                        Some("references"),
                        "must be a list of strings".into(),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(err(
                    check.clone(),
                    Some("references"),
                    "must be a list of strings".into(),
                ));
            }
            None => Vec::new(),
        };
        let params = match t.get("params") {
            Some(Value::Table(p)) => p.clone(),
            Some(_) => return Err(err(check.clone(), Some("params"), "must be a table".into())),
            None => Table::new(),
        };
        out.push(CheckDef {
            id,
            area,
            risk,
            title: text("title")?,
            description: text("description")?,
            why: text("why")?,
            remediation: text("remediation")?,
            references,
            params,
            file: file.to_string(),
        });
    }
    Ok(out)
}
