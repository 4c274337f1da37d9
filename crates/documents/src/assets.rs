//! The asset registry (资产台账) as a table for the terminal, CSV for Excel
//! (which `assets import` reads back) or JSON.

use clap::ValueEnum;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use selfcheck_catalog::Lang;
use selfcheck_ledger::assets::{Asset, Field};
use serde::Serialize;
use std::collections::BTreeSet;

/// How `assets list` writes the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AssetsFormat {
    /// A table for the terminal, with the row each asset had in its file.
    #[default]
    Table,
    /// CSV with the import columns, UTF-8 with a byte-order mark (opens in
    /// Excel and WPS, and can be imported again).
    Csv,
    /// JSON: every column under its English name, plus the numeric `level`.
    Json,
}

/// The registry as a table, CSV or JSON.
pub fn render(assets: &[Asset], format: AssetsFormat, lang: Lang) -> String {
    match format {
        AssetsFormat::Table => table(assets, lang),
        AssetsFormat::Csv => csv_text(assets, lang),
        AssetsFormat::Json => json(assets),
    }
}

fn table(assets: &[Asset], lang: Lang) -> String {
    if assets.is_empty() {
        return match lang {
            Lang::Zh => "资产台账为空。用 assets import FILE 导入（模板：reports/asset-registry-template.csv）。\n",
            Lang::En => "The asset registry is empty. Import one with assets import FILE (template: reports/asset-registry-template.csv).\n",
        }
        .to_string();
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    if let Some(w) =
        width.or_else(|| (!std::io::IsTerminal::is_terminal(&std::io::stdout())).then_some(200))
    {
        t.set_width(w);
    }
    let row_header = match lang {
        Lang::Zh => "行号",
        Lang::En => "row",
    };
    t.set_header(std::iter::once(row_header).chain(Field::ALL.iter().map(|f| f.header(lang))));
    for a in assets {
        t.add_row(
            std::iter::once(a.row_no.to_string()).chain(
                Field::ALL
                    .iter()
                    .map(|&f| a.get(f).unwrap_or("").to_string()),
            ),
        );
    }
    let total = match lang {
        Lang::Zh => format!("共 {} 项资产", assets.len()),
        Lang::En => format!("{} asset(s)", assets.len()),
    };
    format!("{t}\n{total}\n")
}

fn csv_text(assets: &[Asset], lang: Lang) -> String {
    let header = Field::ALL.iter().map(|f| f.header(lang));
    let rows = assets
        .iter()
        .map(|a| Field::ALL.iter().map(|&f| a.get(f).unwrap_or("")));
    crate::csv::csv_text(header, rows)
}

#[derive(Serialize)]
struct JsonAsset<'a> {
    #[serde(flatten)]
    asset: &'a Asset,
    level: Option<selfcheck_report::ProtectionLevel>,
}

fn json(assets: &[Asset]) -> String {
    let rows: Vec<JsonAsset<'_>> = assets
        .iter()
        .map(|asset| JsonAsset {
            asset,
            level: asset.level(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
    text.push('\n');
    text
}

/// What an import did, compared with the registry before it (by asset name).
pub fn import_summary(file: &str, before: &[Asset], after: &[Asset]) -> String {
    let old: BTreeSet<&str> = before.iter().map(|a| a.asset_name.as_str()).collect();
    let new: BTreeSet<&str> = after.iter().map(|a| a.asset_name.as_str()).collect();
    let added = new.difference(&old).count();
    let removed = old.difference(&new).count();
    let kept = new.intersection(&old).count();
    format!(
        "imported {} asset(s) from {file}; the asset registry was replaced (before: {} asset(s); {added} added, {removed} removed, {kept} kept by name)",
        after.len(),
        before.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use selfcheck_ledger::assets;

    fn sample() -> Vec<Asset> {
        assets::parse_csv(
            "资产名称,主机名,IP地址,等保级别,联系方式\n门户,web-01,10.0.0.1,三级,\"010-1234, 转 8\"\n数据库,db-01,,,\n"
                .as_bytes(),
            "a.csv",
        )
        .unwrap()
    }

    #[test]
    fn csv_output_can_be_imported_again() {
        for lang in [Lang::Zh, Lang::En] {
            let text = render(&sample(), AssetsFormat::Csv, lang);
            assert!(text.starts_with('\u{feff}'));
            assert_eq!(
                assets::parse_csv(text.as_bytes(), "out.csv").unwrap(),
                sample()
            );
        }
    }

    #[test]
    fn json_output_has_english_names_and_the_level() {
        let v: serde_json::Value =
            serde_json::from_str(&render(&sample(), AssetsFormat::Json, Lang::Zh)).unwrap();
        assert_eq!(v[0]["asset_name"], "门户");
        assert_eq!(v[0]["protection_level"], "三级");
        assert_eq!(v[0]["level"], 3);
        assert_eq!(v[1]["level"], serde_json::Value::Null);
    }

    #[test]
    fn table_has_chinese_headers_by_default() {
        let text = render(&sample(), AssetsFormat::Table, Lang::Zh);
        assert!(
            text.contains("资产名称") && text.contains("行号") && text.contains("共 2 项资产"),
            "{text}"
        );
        let text = render(&[], AssetsFormat::Table, Lang::En);
        assert!(text.contains("empty"), "{text}");
    }

    #[test]
    fn import_summary_counts_by_name() {
        let s = sample();
        let line = import_summary("b.csv", &s, &s[1..]);
        assert!(line.contains("imported 1 asset(s) from b.csv"), "{line}");
        assert!(line.contains("0 added, 1 removed, 1 kept"), "{line}");
    }
}
