//! `assets import` and `assets list`: the asset registry (资产台账) from a CSV
//! or XLSX file, and the stored registry as a table, CSV or JSON.

use super::args::{AssetsCommand, GlobalArgs};
use crate::app;
use anyhow::Result;
use selfcheck_documents::assets::render;
use selfcheck_ledger::assets::Asset;
use std::collections::BTreeSet;
use std::process::ExitCode;

/// Run an `assets` subcommand.
pub fn run(global: &GlobalArgs, cmd: AssetsCommand) -> Result<ExitCode> {
    match cmd {
        AssetsCommand::Import { file, by } => {
            let assets = app::assets::read(&file)?;
            let done = app::assets::replace(&global.data_dir()?, &file, assets, by)?;
            println!(
                "{}",
                import_summary(&file.display().to_string(), &done.before, &done.after)
            );
            Ok(ExitCode::SUCCESS)
        }
        AssetsCommand::List { format, lang } => {
            let assets = app::assets::list(&global.data_dir()?)?;
            print!("{}", render(&assets, format, lang.lang));
            Ok(ExitCode::SUCCESS)
        }
    }
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
    fn import_summary_counts_by_name() {
        let s = sample();
        let line = import_summary("b.csv", &s, &s[1..]);
        assert!(line.contains("imported 1 asset(s) from b.csv"), "{line}");
        assert!(line.contains("0 added, 1 removed, 1 kept"), "{line}");
    }
}
