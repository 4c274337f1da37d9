//! `import`, `ledger` and `reports`: store report files, print or write the
//! month's ledger and its documents, list what is stored.

use super::args::{GlobalArgs, ImportArgs, LedgerArgs, ReportsArgs};
use super::say;
use crate::app;
use anyhow::{Context, Result};
use selfcheck_catalog::Lang;
use selfcheck_documents::present::{self, Format, TableLayout};
use selfcheck_documents::sheets::{self, LedgerLayout};
use selfcheck_documents::{Documents, csv, html, xlsx};
use selfcheck_ledger::import::ImportOptions;
use selfcheck_ledger::ledger::{Column, Ledger};
use selfcheck_ledger::store::Store;
use selfcheck_report::Period;
use selfcheck_term::escape_lines;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Run `import`: one line per file, then a summary (or the same as JSON);
/// exit 1 when any file was refused or not stored.
pub fn run_import(global: &GlobalArgs, args: &ImportArgs) -> Result<ExitCode> {
    let catalog = global.catalog()?;
    let options = ImportOptions {
        accept_new_key: args.accept_new_key.clone(),
        accept_clock_skew: args.accept_clock_skew.clone(),
        ..ImportOptions::default()
    };
    let results = app::import(&global.data_dir()?, &catalog, &args.paths, options)?;
    if args.format.is_json() {
        print!("{}", present::import_json(&results));
    } else {
        for (path, outcome) in &results {
            say(&present::import_line(path, outcome, global.lang));
        }
        say(&present::import_summary(&results, global.lang));
    }
    Ok(if results.iter().any(|(_, o)| o.is_refused()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Run `ledger`: the month's ledger as a table, csv, json, xlsx or the html report.
pub fn run_ledger(global: &GlobalArgs, args: &LedgerArgs) -> Result<ExitCode> {
    let (format, lang) = (args.format, global.lang);
    if format.is_binary() && args.out.is_none() {
        anyhow::bail!(
            "--format {0} writes a binary file, not text for the terminal: add --out FILE.{0}",
            format.name()
        );
    }
    let catalog = global.catalog()?;
    let dir = global.data_dir()?;
    let config = app::load_config(global.config.as_deref(), &dir)?;
    let mut layout = LedgerLayout::from_config(&config.ledger, args.preset.as_deref())?;
    if let Some(names) = &args.columns {
        layout.columns = parse_columns(names)?;
    }
    let mut store = Store::open_existing(&dir)?;
    let period = args.month.or_current();
    if format == Format::Html {
        let month = app::month::documents(&mut store, period, &catalog, &config, args.as_of)?;
        let docs = Documents {
            ledger: &month.ledger,
            trend: month.trend,
            previous: month.previous.as_ref(),
        };
        let text = html::monthly_report_html(&docs, lang, &html::ReportInfo::default());
        match &args.out {
            Some(out) => {
                std::fs::write(out, text)
                    .with_context(|| format!("cannot write the report to {}", out.display()))?;
                println!("monthly report {period} written to {}", out.display());
            }
            None => print!("{text}"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let (Format::Xlsx | Format::Csv, Some(out)) = (format, &args.out) {
        let month = app::month::documents(&mut store, period, &catalog, &config, args.as_of)?;
        let docs = Documents {
            ledger: &month.ledger,
            trend: month.trend,
            previous: None,
        };
        let sheets = sheets::sheets(&docs, lang, &layout);
        let written = if format == Format::Xlsx {
            let bytes = xlsx::write_xlsx(&sheets).context("cannot lay out the xlsx workbook")?;
            std::fs::write(out, bytes)
                .with_context(|| format!("cannot write the ledger to {}", out.display()))?;
            vec![out.clone()]
        } else {
            write_sheet_csvs(&sheets, out, period, lang)?
        };
        written_line(&month.ledger, &written);
        return Ok(ExitCode::SUCCESS);
    }
    let ledger = app::month::ledger(&mut store, period, &catalog, &config, args.as_of)?;
    if format == Format::Json {
        // Streamed: a month of 10,000 hosts is hundreds of megabytes of JSON.
        match &args.out {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                present::write_json(&ledger, lang, file)
                    .with_context(|| format!("cannot write the ledger to {}", path.display()))?;
                written_line(&ledger, std::slice::from_ref(path));
            }
            None => present::write_json(&ledger, lang, std::io::stdout().lock())
                .context("cannot write the ledger to standard output")?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let text = if format == Format::Table {
        // A terminal (or pipe) gets the columns that fit it, unless asked for
        // others; a file gets the configured layout, unwrapped.
        let table_layout = match (&args.out, args.preset.is_some() || args.columns.is_some()) {
            (Some(_), _) => TableLayout {
                width: None,
                columns: layout.columns.clone(),
            },
            (None, true) => TableLayout {
                width: Some(selfcheck_term::width::output_width()),
                columns: layout.columns.clone(),
            },
            (None, false) => TableLayout::for_width(selfcheck_term::width::output_width()),
        };
        present::table(&ledger, lang, &table_layout)
    } else {
        present::render(&ledger, format, lang)
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write the ledger to {}", path.display()))?;
            written_line(&ledger, std::slice::from_ref(path));
        }
        // The table escapes report text cell by cell (its colours must reach
        // the terminal); csv keeps the data exact.
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--columns`: each name a column's header or key, in the order given.
fn parse_columns(names: &[String]) -> Result<Vec<Column>> {
    names
        .iter()
        .map(|n| {
            Column::from_name(n).ok_or_else(|| {
                let known: Vec<&str> = Column::NAMEABLE.iter().map(|c| c.key()).collect();
                anyhow::anyhow!(
                    "--columns: no ledger column is called {n:?}; use a header of the office template (问题编号, 风险等级, ...) or one of: {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// The line `ledger --out` prints: what was written where.
fn written_line(ledger: &Ledger, written: &[PathBuf]) {
    println!(
        "ledger {}: {} row(s) from {} host(s) written to {}",
        ledger.period,
        ledger.rows.len(),
        ledger.hosts.len(),
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// One csv per sheet: into `out` when it is a directory (or has no `.csv`
/// extension; it is created), as `检查整改台账-PERIOD-整改台账.csv` etc.; next
/// to `out` when it is `NAME.csv`, as `NAME-整改台账.csv` etc. English file
/// names use the sheet's key (`NAME-rectification.csv`).
fn write_sheet_csvs(
    sheets: &[sheets::Sheet],
    out: &Path,
    period: Period,
    lang: Lang,
) -> Result<Vec<PathBuf>> {
    let is_csv_file = !out.is_dir()
        && out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (dir, prefix) = if is_csv_file {
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let stem = out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        (dir.to_path_buf(), stem)
    } else {
        std::fs::create_dir_all(out)
            .with_context(|| format!("cannot create the directory {}", out.display()))?;
        let name = match lang {
            Lang::Zh => format!("检查整改台账-{period}"),
            Lang::En => format!("ledger-{period}"),
        };
        (out.to_path_buf(), name)
    };
    let mut written = Vec::new();
    for sheet in sheets {
        let name = match lang {
            Lang::Zh => sheet.title.as_str(),
            Lang::En => sheet.key,
        };
        let path = dir.join(format!("{prefix}-{name}.csv"));
        std::fs::write(&path, csv::sheet_csv(sheet))
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Run `reports`: the stored reports as a table or JSON.
pub fn run_reports(global: &GlobalArgs, args: &ReportsArgs) -> Result<ExitCode> {
    let reports = app::reports(&global.data_dir()?, args.month.month)?;
    if args.format.is_json() {
        print!("{}", present::reports_json(&reports));
    } else {
        print!(
            "{}",
            escape_lines(&present::reports_table(&reports, global.lang))
        );
    }
    Ok(ExitCode::SUCCESS)
}
