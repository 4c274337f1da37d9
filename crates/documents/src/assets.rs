//! The asset registry (资产台账) as a table for the terminal, CSV for Excel
//! (which `assets import` reads back) or JSON.

use clap::ValueEnum;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use selfcheck_catalog::Lang;
use selfcheck_ledger::assets::{Asset, Field, RegistryDiff};
use serde::Serialize;

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
    t.set_width(selfcheck_term::width::output_width());
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

/// Lines of each kind (added, removed, changed) an import lists; the rest are counted.
const MAX_LISTED_CHANGES: usize = 50;

/// What `assets import` changed, or would change (`stored` false with
/// `dry_run`): the counts, then one line per added (+), removed (-) and
/// changed (~) asset, naming the columns that changed. Text for people;
/// the caller escapes it for the terminal.
pub fn import_text(
    file: &str,
    assets: usize,
    diff: &RegistryDiff,
    stored: bool,
    dry_run: bool,
    lang: Lang,
) -> String {
    let mut out = match lang {
        Lang::Zh => format!(
            "{file}：共 {assets} 项资产；与已登记的相比：新增 {}，删除 {}，变更 {}，未变 {}\n",
            diff.added.len(),
            diff.removed.len(),
            diff.changed.len(),
            diff.unchanged
        ),
        Lang::En => format!(
            "{file}: {assets} asset(s); against the registry: {} added, {} removed, {} changed, {} unchanged\n",
            diff.added.len(),
            diff.removed.len(),
            diff.changed.len(),
            diff.unchanged
        ),
    };
    let who = |a: &Asset| {
        let id = a
            .hostname
            .as_deref()
            .or(a.ip.as_deref())
            .or(a.machine_id.as_deref())
            .unwrap_or("");
        format!("{} ({id})", a.asset_name)
    };
    let more = |n: usize| match lang {
        Lang::Zh => format!("  …另有 {n} 项\n"),
        Lang::En => format!("  … and {n} more\n"),
    };
    for (sign, list) in [("+", &diff.added), ("-", &diff.removed)] {
        for a in list.iter().take(MAX_LISTED_CHANGES) {
            out.push_str(&format!("  {sign} {}\n", who(a)));
        }
        if list.len() > MAX_LISTED_CHANGES {
            out.push_str(&more(list.len() - MAX_LISTED_CHANGES));
        }
    }
    for (old, new, fields) in diff.changed.iter().take(MAX_LISTED_CHANGES) {
        let parts: Vec<String> = fields
            .iter()
            .map(|f| {
                format!(
                    "{} {} → {}",
                    f.header(lang),
                    old.get(*f).unwrap_or("—"),
                    new.get(*f).unwrap_or("—")
                )
            })
            .collect();
        out.push_str(&format!(
            "  ~ {}{}{}\n",
            new.asset_name,
            lang.pick("：", ": "),
            parts.join(lang.pick("；", "; "))
        ));
    }
    if diff.changed.len() > MAX_LISTED_CHANGES {
        out.push_str(&more(diff.changed.len() - MAX_LISTED_CHANGES));
    }
    out.push_str(match (dry_run, stored) {
        (true, _) => lang.pick(
            "演练（--dry-run）：未作任何改动；去掉 --dry-run 即按上述内容替换资产台账。\n",
            "Dry run (--dry-run): nothing was changed; without --dry-run the registry is replaced as shown.\n",
        ),
        (false, true) => lang.pick(
            "资产台账已替换，并已记入历史。\n",
            "The asset registry was replaced and the import recorded in the history.\n",
        ),
        (false, false) => lang.pick(
            "文件与已登记的资产台账相同，未作改动。\n",
            "The file holds the registered assets as they are; nothing was changed.\n",
        ),
    });
    out
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
    fn import_text_lists_what_changes() {
        let s = sample();
        let mut changed = s.clone();
        changed[0].ip = Some("10.0.0.9".into());
        let diff = RegistryDiff::between(&s, &changed[..1]);
        let text = import_text("b.csv", 1, &diff, false, true, Lang::En);
        assert!(
            text.contains("0 added, 1 removed, 1 changed, 0 unchanged"),
            "{text}"
        );
        assert!(text.contains("  - 数据库 (db-01)"), "{text}");
        assert!(text.contains("  ~ 门户: ip 10.0.0.1 → 10.0.0.9"), "{text}");
        assert!(text.contains("Dry run"), "{text}");
        let zh = import_text("b.csv", 1, &diff, true, false, Lang::Zh);
        assert!(
            zh.contains("新增 0，删除 1，变更 1") && zh.contains("已替换"),
            "{zh}"
        );
    }
}
