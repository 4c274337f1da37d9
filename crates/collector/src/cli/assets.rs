//! `assets import` and `assets list`: the asset registry (资产台账) from a CSV
//! or XLSX file, and the stored registry as a table, CSV or JSON.

use super::args::{AssetsCommand, GlobalArgs};
use crate::app;
use anyhow::Result;
use selfcheck_documents::assets::{AssetsFormat, import_summary, render};
use selfcheck_documents::terminal::escape_lines;
use std::process::ExitCode;

/// Run an `assets` subcommand.
pub fn run(global: &GlobalArgs, cmd: AssetsCommand) -> Result<ExitCode> {
    match cmd {
        AssetsCommand::Import { file, by } => {
            let assets = app::assets::read(&file)?;
            let done = app::assets::replace(&global.data_dir()?, &file, assets, by)?;
            super::say(&import_summary(
                &file.display().to_string(),
                &done.before,
                &done.after,
            ));
            Ok(ExitCode::SUCCESS)
        }
        AssetsCommand::List { format, lang } => {
            let assets = app::assets::list(&global.data_dir()?)?;
            let text = render(&assets, format, lang.lang);
            match format {
                // The table for the terminal; csv and json keep the data exact.
                AssetsFormat::Table => print!("{}", escape_lines(&text)),
                AssetsFormat::Csv | AssetsFormat::Json => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
