//! `selfcheck-collector assets`: import the asset registry (资产台账) from a
//! CSV or XLSX file, replacing the stored one, and list it as a table, CSV or
//! JSON. Parsing and checking are in [`selfcheck_ledger::assets`], storing in [`selfcheck_ledger::store`].

use crate::cli::{GlobalArgs, parse_lang};
use anyhow::{Context, Result};
use clap::Subcommand;
use selfcheck_catalog::Lang;
pub use selfcheck_documents::assets::{AssetsFormat, render};
use selfcheck_ledger::assets::{self, Asset};
use selfcheck_ledger::store::Store;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// `assets` subcommands.
#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// Replace the asset registry with the assets in FILE (.csv or .xlsx).
    #[command(
        long_about = "Replace the asset registry (资产台账) with the assets in FILE (.csv in UTF-8 \
or GBK, or the first worksheet of an .xlsx).\n\nColumns are found by their header, in any order: \
资产名称 (asset_name, required), 主机名 (hostname), 机器ID (machine_id), IP地址 (ip) - at least \
one of these three per row - and 单位/部门, 资产类型, 操作系统, 等保级别, 责任单位, 整改责任人, \
联系方式. The whole file is checked first: an unknown column with data, a missing or repeated \
asset name, a host name or machine id used twice, a malformed IP or protection level each refuse \
the file, naming the row and column, and the stored registry stays as it was. An accepted file \
replaces the registry whole and is recorded in the history.",
        after_help = "Examples:\n  selfcheck-collector assets import 资产台账.xlsx\n  selfcheck-collector assets import assets.csv --by 张工\n\nTemplate: reports/asset-registry-template.csv (or .xlsx)"
    )]
    Import {
        /// The registry file (.csv or .xlsx).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Who is importing, for the history [default: $SUDO_USER, else $USER].
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// List the asset registry.
    #[command(
        after_help = "Examples:\n  selfcheck-collector assets list\n  selfcheck-collector assets list --format csv > 资产台账.csv\n  selfcheck-collector assets list --format json --lang en"
    )]
    List {
        /// table for the terminal, csv (UTF-8 with BOM, importable again), json for programs.
        #[arg(long, value_enum, default_value_t = AssetsFormat::Table)]
        format: AssetsFormat,
        /// Language of the headers: zh or en.
        #[arg(long, default_value = "zh", value_parser = parse_lang)]
        lang: Lang,
    },
}

/// Run an `assets` subcommand.
pub fn run(global: &GlobalArgs, cmd: AssetsCommand) -> Result<ExitCode> {
    match cmd {
        AssetsCommand::Import { file, by } => {
            let assets = assets::read_file(&file)?;
            let dir = global.data_dir()?;
            let mut store = Store::open(&dir)
                .with_context(|| format!("cannot open the collector store in {}", dir.display()))?;
            let before = store.assets()?;
            let actor = by
                .or_else(default_actor)
                .unwrap_or_else(|| "unknown".to_string());
            store.replace_assets(&assets, &file.display().to_string(), &actor)?;
            println!(
                "{}",
                import_summary(&file.display().to_string(), &before, &assets)
            );
            Ok(ExitCode::SUCCESS)
        }
        AssetsCommand::List { format, lang } => {
            let store = Store::open_existing(&global.data_dir()?)?;
            print!("{}", render(&store.assets()?, format, lang));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Who runs the command: the person behind `sudo`, else the login user.
fn default_actor() -> Option<String> {
    ["SUDO_USER", "USER"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
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

    fn sample() -> Vec<Asset> {
        assets::parse_csv(
            "资产名称,主机名,IP地址,等保级别,联系方式\n门户,web-01,10.0.0.1,三级,\"010-1234, 转 8\"\n数据库,db-01,,,\n"
                .as_bytes(),
            "a.csv",
        )
        .unwrap()
    }

    #[test]
    fn import_summary_counts_by_name() {
        let s = sample();
        let line = import_summary("b.csv", &s, &s[1..]);
        assert!(line.contains("imported 1 asset(s) from b.csv"), "{line}");
        assert!(line.contains("0 added, 1 removed, 1 kept"), "{line}");
    }
}
