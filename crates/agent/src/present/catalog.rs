//! The check catalog for people (`checks list`, `checks show`).

use super::{risk_label, table};
use selfcheck_catalog::{Catalog, CheckDef, Lang, LocalText};
use selfcheck_report::{CheckId, ProtectionLevel, Severity};
use serde::Serialize;
use std::fmt::Write as _;

/// `checks list`: one row per check.
/// A column of protection levels appears when a listed check has them (baseline checks).
pub fn checks_list(catalog: &Catalog, area: Option<&str>, lang: Lang) -> String {
    let listed = listed(catalog, area);
    let with_levels = listed.iter().any(|c| !c.levels.is_empty());
    let mut header = vec![
        "id",
        lang.pick("类别", "area"),
        lang.pick("风险", "risk"),
        lang.pick("标题", "title"),
        lang.pick("依据", "references"),
    ];
    if with_levels {
        header.push(lang.pick("适用等级", "levels"));
    }
    let mut t = table(header);
    for c in listed {
        let mut row = vec![
            c.id.to_string(),
            c.area.to_string(),
            risk_label(c.risk, lang).to_string(),
            c.title.get(lang).to_string(),
            c.references.join("\n"),
        ];
        if with_levels {
            row.push(levels_text(&c.levels));
        }
        t.add_row(row);
    }
    t.to_string()
}

/// `2, 3` for the levels a check applies to.
fn levels_text(levels: &[ProtectionLevel]) -> String {
    levels
        .iter()
        .map(ProtectionLevel::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `checks show ID`: everything the catalog says about one check.
pub fn check_details(c: &CheckDef, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  [{}] {}",
        c.id,
        risk_label(c.risk, lang),
        c.title.get(lang)
    );
    let sections = [
        (
            lang.pick("检查内容", "What it checks"),
            c.description.get(lang),
        ),
        (lang.pick("风险说明", "Why it matters"), c.why.get(lang)),
        (lang.pick("整改措施", "How to fix"), c.remediation.get(lang)),
    ];
    for (head, body) in sections {
        let _ = writeln!(out, "\n{head}\n  {body}");
    }
    let _ = writeln!(out, "\n{}", lang.pick("依据", "References"));
    for r in &c.references {
        let _ = writeln!(out, "  {r}");
    }
    if !c.clauses.is_empty() {
        let _ = writeln!(
            out,
            "\n{}: GB/T 22239-2019 {}",
            lang.pick("对应条款", "Clauses"),
            c.clauses.join(", ")
        );
    }
    if !c.levels.is_empty() {
        let _ = writeln!(
            out,
            "{}: {}",
            lang.pick("适用等级", "Levels"),
            levels_text(&c.levels)
        );
    }
    let _ = writeln!(
        out,
        "\n{}: {}  ·  {}: {}",
        lang.pick("类别", "area"),
        c.area,
        lang.pick("定义于", "defined in"),
        c.file
    );
    out
}

/// One check of `checks list --format json` and `checks show --format json`.
#[derive(Debug, Serialize)]
pub struct CheckView<'a> {
    /// The catalog area.
    pub area: &'a selfcheck_catalog::Area,
    /// GB/T 22239-2019 clauses.
    pub clauses: &'a [String],
    /// What it checks.
    pub description: &'a LocalText,
    /// The catalog file that defines it.
    pub file: &'a str,
    /// The check id.
    pub id: &'a CheckId,
    /// Protection levels it applies to (empty: all).
    pub levels: &'a [ProtectionLevel],
    /// Standards and guides.
    pub references: &'a [String],
    /// How to fix it.
    pub remediation: &'a LocalText,
    /// Its risk level.
    pub risk: Severity,
    /// Its title.
    pub title: &'a LocalText,
    /// Why it matters.
    pub why: &'a LocalText,
}

impl<'a> From<&'a CheckDef> for CheckView<'a> {
    fn from(c: &'a CheckDef) -> CheckView<'a> {
        CheckView {
            area: &c.area,
            clauses: &c.clauses,
            description: &c.description,
            file: &c.file,
            id: &c.id,
            levels: &c.levels,
            references: &c.references,
            remediation: &c.remediation,
            risk: c.risk,
            title: &c.title,
            why: &c.why,
        }
    }
}

/// The checks `checks list` shows: all, or those of `area`.
pub fn listed<'a>(catalog: &'a Catalog, area: Option<&str>) -> Vec<&'a CheckDef> {
    catalog
        .iter()
        .filter(|c| area.is_none_or(|a| c.area == a))
        .collect()
}
