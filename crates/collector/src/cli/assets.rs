//! `assets import` and `assets list`: the asset registry (资产台账) from a CSV
//! or XLSX file, and the stored registry as a table, CSV or JSON.

use super::args::{AssetsCommand, GlobalArgs};
use crate::app;
use anyhow::Result;
use selfcheck_documents::assets::{AssetsFormat, import_text, render};
use selfcheck_term::escape_lines;
use std::process::ExitCode;

/// Run an `assets` subcommand.
pub fn run(global: &GlobalArgs, cmd: AssetsCommand) -> Result<ExitCode> {
    match cmd {
        AssetsCommand::Import(args) => {
            let assets = app::assets::read(&args.file)?;
            let mode = app::assets::ImportMode {
                replace: args.replace,
                dry_run: args.dry_run,
            };
            let done =
                app::assets::import(&global.data_dir()?, &args.file, assets, mode, &args.by.by)?;
            print!(
                "{}",
                escape_lines(&import_text(
                    &args.file.display().to_string(),
                    done.assets,
                    &done.diff,
                    done.stored,
                    args.dry_run,
                    global.lang,
                ))
            );
            Ok(ExitCode::SUCCESS)
        }
        AssetsCommand::List { format } => {
            let assets = app::assets::list(&global.data_dir()?)?;
            let text = render(&assets, format, global.lang);
            match format {
                // The table for the terminal; csv and json keep the data exact.
                AssetsFormat::Table => print!("{}", escape_lines(&text)),
                AssetsFormat::Csv | AssetsFormat::Json => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
