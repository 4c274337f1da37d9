//! `assets import` and `assets list`: the asset registry (资产台账) from a CSV
//! or XLSX file, and the stored registry as a table, CSV or JSON.

use super::args::{AssetsCommand, GlobalArgs};
use crate::app;
use anyhow::Result;
use selfcheck_documents::assets::{import_summary, render};
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
