//! Reading one catalog file, key by key, so every fault names its place.

use crate::{Area, CatalogError, CheckDef, LocalText};
use selfcheck_report::{CheckId, ProtectionLevel, Severity};
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
    "clauses",
    "levels",
    "rule",
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
        let area: Area = string("area")?
            .parse()
            .map_err(|e: String| err(check.clone(), Some("area"), e))?;
        let risk: Severity = string("risk")?
            .parse()
            .map_err(|e: selfcheck_report::IdError| {
                err(check.clone(), Some("risk"), e.to_string())
            })?;
        let mut references = match t.get("references") {
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
        let clauses = match t.get("clauses") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) if is_clause(s) => Ok(s.clone()),
                    _ => Err(err(
                        check.clone(),
                        Some("clauses"),
                        "must list GB/T 22239-2019 clauses like \"8.1.4.1 a)\" or \"7.1.4.1 a)\""
                            .into(),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(err(
                    check.clone(),
                    Some("clauses"),
                    "must be a list of strings".into(),
                ));
            }
        };
        let levels = match t.get("levels") {
            None => Vec::new(),
            Some(Value::Array(a)) => {
                let mut levels = Vec::new();
                for v in a {
                    match v {
                        Value::Integer(n @ 2..=3)
                            if !levels
                                .iter()
                                .any(|l: &ProtectionLevel| i64::from(l.get()) == *n) =>
                        {
                            levels.extend(ProtectionLevel::new(*n as u8))
                        }
                        _ => {
                            return Err(err(
                                check.clone(),
                                Some("levels"),
                                "must list protection levels 2 and/or 3, each once, like [2, 3]"
                                    .into(),
                            ));
                        }
                    }
                }
                levels.sort_unstable();
                levels
            }
            Some(_) => {
                return Err(err(
                    check.clone(),
                    Some("levels"),
                    "must be a list like [2, 3]".into(),
                ));
            }
        };
        let rule = match t.get("rule") {
            None => None,
            Some(Value::Table(r)) => Some(
                crate::rule::parse_rule(r)
                    .map_err(|(k, m)| err(check.clone(), Some(&format!("rule.{k}")), m))?,
            ),
            Some(_) => {
                return Err(err(
                    check.clone(),
                    Some("rule"),
                    "must be a table, written [check.rule]".into(),
                ));
            }
        };
        // A clause is written once: it is also the check's first references.
        if let Some(dup) = references.iter().find(|r| {
            r.strip_prefix(CLAUSE_REFERENCE)
                .is_some_and(|c| clauses.iter().any(|k| k == c))
        }) {
            return Err(err(
                check.clone(),
                Some("references"),
                format!(
                    "{dup:?} repeats one of the clauses; every clause is already a reference, list only other references here"
                ),
            ));
        }
        references.splice(
            0..0,
            clauses.iter().map(|c| format!("{CLAUSE_REFERENCE}{c}")),
        );
        if area == Area::Baseline {
            if rule.is_none() {
                return Err(err(
                    check.clone(),
                    Some("rule"),
                    "missing; a baseline check needs a [check.rule] table".into(),
                ));
            }
            if levels.is_empty() || clauses.is_empty() {
                return Err(err(check.clone(), Some(if levels.is_empty() { "levels" } else { "clauses" }), "missing; a baseline check says which levels it applies to and which clauses it maps to".into()));
            }
        }
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
            clauses,
            levels,
            rule,
            file: file.to_string(),
        });
    }
    Ok(out)
}

/// How a clause reads as a reference.
const CLAUSE_REFERENCE: &str = "GB/T 22239-2019 ";

/// `8.1.4.1 a)` or `7.1.4.10 b)`: a clause of GB/T 22239-2019's computing-environment controls.
fn is_clause(s: &str) -> bool {
    let Some((num, item)) = s.split_once(' ') else {
        return false;
    };
    let parts: Vec<&str> = num.split('.').collect();
    let item = item.as_bytes();
    parts.len() == 4
        && (parts[0] == "7" || parts[0] == "8")
        && parts[1] == "1"
        && parts[2] == "4"
        && parts[3].parse::<u8>().is_ok_and(|n| (1..=11).contains(&n))
        && item.len() == 2
        && item[0].is_ascii_lowercase()
        && item[1] == b')'
}
