//! Command-line interface of `selfcheck-collector` (also embedded in the
//! umbrella `selfcheck` binary). It only parses flags, calls the library and
//! picks a presenter.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_documents::present::{self, Format};
use selfcheck_documents::sheets::{self, LedgerLayout};
use selfcheck_documents::{Documents, csv, html, trend, xlsx};
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::import::{ImportOptions, import_paths};
use selfcheck_ledger::ledger::Ledger;
use selfcheck_ledger::store::Store;
use selfcheck_report::Period;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options every collector subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The collector's data directory, holding collector.sqlite3
    /// [default: /var/lib/selfcheck/collector as root, else
    /// $XDG_DATA_HOME/selfcheck/collector or ~/.local/share/selfcheck/collector]
    #[arg(long, global = true, value_name = "DIR", env = "SELFCHECK_DATA")]
    pub data: Option<PathBuf>,

    /// Use the check catalog in DIR (*.toml) instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    pub checks: Option<PathBuf>,

    /// Collector configuration (deadlines per risk level, holiday files)
    /// [default: DATA/collector.toml when it exists]
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "SELFCHECK_COLLECTOR_CONFIG"
    )]
    pub config: Option<PathBuf>,
}

impl GlobalArgs {
    /// The data directory to use: `--data`, `SELFCHECK_DATA`, or [`default_data_dir`].
    pub fn data_dir(&self) -> Result<PathBuf> {
        match &self.data {
            Some(d) => Ok(d.clone()),
            None => default_data_dir().context(
                "cannot tell where the collector keeps its data (HOME is not set); pass --data DIR or set SELFCHECK_DATA",
            ),
        }
    }

    /// The catalog to use: `--checks DIR`, or the built-in one.
    pub fn catalog(&self) -> Result<Catalog> {
        Catalog::embedded_or_dir(self.checks.as_deref()).context("cannot load the check catalog")
    }
}

/// Where the collector keeps its store unless told otherwise: the system
/// location for root, the user's XDG data directory for anyone else. `None`
/// when neither `XDG_DATA_HOME` nor a home directory is known.
pub fn default_data_dir() -> Option<PathBuf> {
    if nix::unistd::geteuid().is_root() {
        return Some(PathBuf::from("/var/lib/selfcheck/collector"));
    }
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = match xdg {
        Some(p) => p,
        None => std::env::home_dir()
            .filter(|h| h.is_absolute())?
            .join(".local/share"),
    };
    Some(base.join("selfcheck/collector"))
}

/// `selfcheck-collector`: stores signed agent reports and produces the monthly ledger.
#[derive(Debug, Parser)]
#[command(
    name = "selfcheck-collector",
    version,
    about = "Store signed agent reports and produce the monthly inspection and rectification ledger (检查整改台账)",
    long_about = "Store signed agent reports and produce the monthly inspection and rectification \
ledger (检查整改台账).\n\nEvery report is verified (format version, Ed25519 signature, content \
rules, check ids known to the catalog, the host's pinned agent key) before anything of it is \
stored; a refused file changes nothing. Each report is stored once, however often it is imported.",
    after_help = "Examples:\n  selfcheck-collector import /media/usb/reports/          import every *.json in the folder\n  selfcheck-collector ledger --month 2026-11               the month's ledger as a table\n  selfcheck-collector ledger --month 2026-11 --format csv --out 台账-2026-11.csv\n  selfcheck-collector reports --month 2026-11              which reports are stored"
)]
pub struct CollectorCli {
    /// Options shared by all subcommands.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: CollectorCommand,
}

/// Collector subcommands.
#[derive(Debug, Subcommand)]
pub enum CollectorCommand {
    /// Verify report files and store them, each once.
    Import(ImportArgs),
    /// Print or write the month's inspection and rectification ledger.
    Ledger(LedgerArgs),
    /// List the stored reports.
    Reports(ReportsArgs),
    /// The asset registry (资产台账): import it from CSV or xlsx, list it.
    #[command(subcommand)]
    Assets(crate::assets_cli::AssetsCommand),
    /// Show a finding, or set its rectification status (整改状态).
    #[command(subcommand)]
    Finding(crate::finding_cli::FindingCommand),
    /// The hash-chained history of status changes and imports.
    #[command(subcommand)]
    History(crate::finding_cli::HistoryCommand),
    /// Write the month's signed evidence package (ledger documents, raw reports, history, manifest).
    Evidence(crate::evidence_cli::EvidenceArgs),
    /// Check an evidence package offline (no store needed): every digest and signature.
    Verify(crate::evidence_cli::VerifyArgs),
    /// The collector's certificate authority for agents' client certificates.
    #[command(subcommand)]
    Ca(crate::pki_cli::CaCommand),
    /// Issue a client certificate for one agent host (mTLS uploads).
    Enroll(crate::pki_cli::EnrollArgs),
    /// Revoke a host's client certificates; `serve` refuses them at once.
    Revoke(crate::pki_cli::RevokeArgs),
    /// The register of issued certificates.
    #[command(subcommand)]
    Certs(crate::pki_cli::CertsCommand),
    /// Receive agents' reports over HTTPS with mutual TLS.
    Serve(crate::serve_cli::ServeArgs),
}

/// Options of `import`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Verify report files and store them, each once.\n\nEach file is checked before \
anything of it is stored: it must be a regular file no larger than 32 MiB, a selfcheck report of \
format version 1 with a valid Ed25519 signature, name only checks this collector's catalog knows, \
and be signed by the agent key first seen for its host (the key is pinned per machine id). A \
directory means every *.json file directly inside it, in name order (subdirectories are not \
searched).\n\nOne line is printed per file (stored / already stored / refused, with the reason), \
then a summary. Exit status: 0 when every file was stored or already stored, 1 when any was \
refused, 2 on error.",
    after_help = "Examples:\n  selfcheck-collector import web-01-2026-11.json\n  selfcheck-collector import /media/usb/reports/ more/db-01.json\n  selfcheck-collector import --accept-new-key web-01-2026-11.json   after reinstalling the agent on web-01"
)]
pub struct ImportArgs {
    /// Accept reports signed by a new agent key for a host whose old key is
    /// pinned (the agent was reinstalled), and pin the new key.
    #[arg(long)]
    pub accept_new_key: bool,
    /// Report files, or directories of *.json report files.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
}

/// Options of `ledger`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Print or write the month's inspection and rectification ledger (检查整改台账).\n\n\
Rectification list: one row per finding seen this month, closed this month, or still open from \
earlier months, with its status at the month's end (待整改, 整改中, 已整改待复查, 已销号, 风险接受, \
误报, 复发; 逾期 when past its deadline), deadline by risk level, owner, first seen, re-check report \
and date. Columns: 序号, 问题编号 (stable across months), 检查时间/批次, 检查类型, 问题来源, \
单位（部门）, 资产名称, 资产类型, IP地址, 操作系统及版本, 检查项（对应条款）, 问题描述, 风险等级, \
佐证材料编号, 整改措施, 临时缓解措施, 责任单位, 整改责任人, 发现时间, 整改时限, 整改状态, 完成时间, \
复查情况, 备注.\n\nThe table and JSON also carry the inspection record (per asset: inspected or \
not, checks run, could not run, findings per level) and the summary (assets expected/inspected, \
new, carried over, closed, overdue per level, 整改率). Registered assets without a report get a \
finding of their own (collector.not-inspected, 未检查). The JSON is described in docs/ledger-json.md.",
    after_help = "Examples:\n  selfcheck-collector ledger                                   this month, as a table\n  selfcheck-collector ledger --month 2026-11 --format xlsx --out 台账-2026-11.xlsx\n  selfcheck-collector ledger --month 2026-11 --format xlsx --preset short --out 台账-2026-11.xlsx\n  selfcheck-collector ledger --month 2026-11 --format csv --out 台账/          台账/检查整改台账-2026-11-整改台账.csv, …\n  selfcheck-collector ledger --month 2026-11 --format json --lang en"
)]
pub struct LedgerArgs {
    /// The inspection month [default: the current month].
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Period>,
    /// table for the terminal; csv for Excel (UTF-8 with BOM): the 24-column
    /// list on standard output, or one file per sheet with --out DIR or
    /// --out FILE.csv; json for programs; xlsx (needs --out) with the sheets
    /// 整改台账, 明细, 检查记录, 统计.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Columns of 整改台账 in the xlsx and csv files: full (24), short (11),
    /// or an office's preset from [ledger.presets.NAME] in collector.toml
    /// [default: [ledger] in collector.toml, else full].
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Language of headers and texts: zh or en.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
    /// Write to FILE instead of standard output (csv: to DIR, or next to
    /// FILE.csv, one file per sheet: NAME-整改台账.csv, NAME-明细.csv, …).
    #[arg(long, value_name = "FILE|DIR")]
    pub out: Option<PathBuf>,
    /// Judge statuses (overdue, expired acceptances) and count people's
    /// actions up to this day [default: the month's last day, or today while the month runs].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
}

/// Output format of `reports`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Table,
    /// JSON for programs.
    Json,
}

/// Options of `reports`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "List the stored reports: period, host, report id, finish time, how many checks \
ran and could not run, findings, and the file each came from.",
    after_help = "Examples:\n  selfcheck-collector reports\n  selfcheck-collector reports --month 2026-11 --format json"
)]
pub struct ReportsArgs {
    /// Only reports of this month.
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Period>,
    /// table or json.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Language of the table header: zh or en.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
}

/// Parse a `--lang` value.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// Run a parsed command line.
pub fn run(cli: CollectorCli) -> Result<ExitCode> {
    run_command(&cli.global, cli.command)
}

/// Run one subcommand with the given global options (for binaries that embed
/// [`CollectorCommand`] under their own top level).
pub fn run_command(global: &GlobalArgs, command: CollectorCommand) -> Result<ExitCode> {
    match command {
        CollectorCommand::Import(args) => run_import(global, &args),
        CollectorCommand::Ledger(args) => run_ledger(global, &args),
        CollectorCommand::Reports(args) => run_reports(global, &args),
        CollectorCommand::Assets(cmd) => crate::assets_cli::run(global, cmd),
        CollectorCommand::Finding(cmd) => crate::finding_cli::run_finding(global, cmd),
        CollectorCommand::History(cmd) => crate::finding_cli::run_history(global, cmd),
        CollectorCommand::Evidence(args) => run_evidence(global, &args),
        CollectorCommand::Verify(args) => crate::evidence_cli::run_verify(&args),
        CollectorCommand::Ca(cmd) => crate::pki_cli::run_ca(global, cmd),
        CollectorCommand::Enroll(args) => crate::pki_cli::run_enroll(global, &args),
        CollectorCommand::Revoke(args) => crate::pki_cli::run_revoke(global, &args),
        CollectorCommand::Certs(cmd) => crate::pki_cli::run_certs(global, cmd),
        CollectorCommand::Serve(args) => crate::serve_cli::run_serve(global, &args),
    }
}

fn open_store(dir: &Path) -> Result<Store> {
    Store::open(dir)
        .with_context(|| format!("cannot open the collector store in {}", dir.display()))
}

fn run_import(global: &GlobalArgs, args: &ImportArgs) -> Result<ExitCode> {
    let catalog = global.catalog()?;
    let mut store = open_store(&global.data_dir()?)?;
    let options = ImportOptions {
        accept_new_key: args.accept_new_key,
    };
    let results = import_paths(&mut store, &args.paths, &catalog, options);
    for (path, outcome) in &results {
        println!("{}", present::import_line(path, outcome));
    }
    println!("{}", present::import_summary(&results));
    Ok(if results.iter().any(|(_, o)| o.is_refused()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_ledger(global: &GlobalArgs, args: &LedgerArgs) -> Result<ExitCode> {
    if args.format.is_binary() && args.out.is_none() {
        anyhow::bail!(
            "--format {0} writes a binary file, not text for the terminal: add --out FILE.{0}",
            args.format.name()
        );
    }
    let catalog = global.catalog()?;
    let dir = global.data_dir()?;
    let config = CollectorConfig::load(global.config.as_deref(), &dir)?;
    let layout = LedgerLayout::from_config(&config.ledger, args.preset.as_deref())?;
    let mut store = Store::open_existing(&dir)?;
    let period = args
        .month
        .unwrap_or_else(|| Period::of(&chrono::Local::now()));
    let ledger = Ledger::for_month(&mut store, period, &catalog, &config, args.as_of)
        .with_context(|| format!("cannot read the ledger of {period}"))?;
    if args.format == Format::Html {
        let (trend, previous) = month_context(&mut store, period, &catalog, &config, &ledger)?;
        let docs = Documents {
            ledger: &ledger,
            trend,
            previous: previous.as_ref(),
        };
        let text = html::monthly_report_html(&docs, args.lang, &html::ReportInfo::default());
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
    if let (Format::Xlsx | Format::Csv, Some(out)) = (args.format, &args.out) {
        let (trend, _) = month_context(&mut store, period, &catalog, &config, &ledger)?;
        let docs = Documents {
            ledger: &ledger,
            trend,
            previous: None,
        };
        let sheets = sheets::sheets(&docs, args.lang, &layout);
        let written = if args.format == Format::Xlsx {
            let bytes = xlsx::write_xlsx(&sheets).context("cannot lay out the xlsx workbook")?;
            std::fs::write(out, bytes)
                .with_context(|| format!("cannot write the ledger to {}", out.display()))?;
            vec![out.clone()]
        } else {
            write_sheet_csvs(&sheets, out, period, args.lang)?
        };
        println!(
            "ledger {period}: {} row(s) from {} host(s) written to {}",
            ledger.rows.len(),
            ledger.hosts.len(),
            written
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.format == Format::Json {
        // Streamed: a month of 10,000 hosts is hundreds of megabytes of JSON.
        match &args.out {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                present::write_json(&ledger, args.lang, file)
                    .with_context(|| format!("cannot write the ledger to {}", path.display()))?;
                println!(
                    "ledger {period}: {} row(s) from {} host(s) written to {}",
                    ledger.rows.len(),
                    ledger.hosts.len(),
                    path.display()
                );
            }
            None => present::write_json(&ledger, args.lang, std::io::stdout().lock())
                .context("cannot write the ledger to standard output")?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let text = present::render(&ledger, args.format, args.lang);
    match &args.out {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write the ledger to {}", path.display()))?;
            println!(
                "ledger {period}: {} row(s) from {} host(s) written to {}",
                ledger.rows.len(),
                ledger.hosts.len(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The month's documents as evidence-package members: the xlsx workbook, one
/// csv per sheet and the printable html report. Each is rendered into a file
/// in `dir` (a temporary directory the caller removes), so the package copies
/// them a piece at a time and the ledger is out of memory by then.
pub fn month_documents(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
    lang: Lang,
    dir: &Path,
) -> Result<Vec<crate::evidence::Member>> {
    use crate::evidence::Member;
    let layout = LedgerLayout::from_config(&config.ledger, None)?;
    let ledger = Ledger::for_month(store, period, catalog, config, None)
        .with_context(|| format!("cannot read the ledger of {period}"))?;
    let trend = month_trend(store, period, catalog, config, &ledger)?;
    // The html report first, with last month's ledger (nothing else needs
    // it), then the sheets: the two ledgers and the sheets are never in memory
    // at once. The JSON (hundreds of MB for a large unit) is left out: the
    // xlsx and csv are the ledger people hand over, and the raw reports are
    // in the package.
    let previous = previous_ledger(store, period, catalog, config)?;
    let docs = Documents {
        ledger: &ledger,
        trend,
        previous: previous.as_ref(),
    };
    let html = html_member(&docs, period, lang, dir)?;
    let docs = Documents {
        ledger: &ledger,
        trend: docs.trend,
        previous: None,
    };
    drop(previous);
    let base = match lang {
        Lang::Zh => format!("检查整改台账-{period}"),
        Lang::En => format!("ledger-{period}"),
    };
    let sheets = sheets::sheets(&docs, lang, &layout);
    let xlsx_path = dir.join("ledger.xlsx");
    let xlsx_bytes = xlsx::write_xlsx(&sheets).context("cannot lay out the xlsx workbook")?;
    std::fs::write(&xlsx_path, xlsx_bytes)
        .with_context(|| format!("cannot write {}", xlsx_path.display()))?;
    let mut members = vec![html, Member::file(format!("ledger/{base}.xlsx"), xlsx_path)];
    for (i, sheet) in sheets.iter().enumerate() {
        let suffix = match lang {
            Lang::Zh => sheet.title.clone(),
            Lang::En => sheet.key.to_string(),
        };
        let path = dir.join(format!("sheet-{i}.csv"));
        std::fs::File::create(&path)
            .and_then(|f| csv::write_sheet_csv(sheet, std::io::BufWriter::new(f)))
            .with_context(|| format!("cannot write {}", path.display()))?;
        members.push(Member::file(format!("ledger/{base}-{suffix}.csv"), path));
    }
    Ok(members)
}

/// The printable monthly report as a package member, rendered into `dir`.
fn html_member(
    docs: &Documents<'_>,
    period: Period,
    lang: Lang,
    dir: &Path,
) -> Result<crate::evidence::Member> {
    let name = match lang {
        Lang::Zh => format!("report/月度网络安全自查报告-{period}.html"),
        Lang::En => format!("report/monthly-self-inspection-{period}.html"),
    };
    let path = dir.join("report.html");
    let html = html::monthly_report_html(docs, lang, &html::ReportInfo::default());
    std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(crate::evidence::Member::file(name, path))
}

/// The 12-month trend up to `period` (this month as `ledger` judged it) and
/// last month's ledger, when it has anything.
fn month_context(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
    ledger: &Ledger,
) -> Result<(Vec<selfcheck_documents::TrendPoint>, Option<Ledger>)> {
    let trend = month_trend(store, period, catalog, config, ledger)?;
    Ok((trend, previous_ledger(store, period, catalog, config)?))
}

/// The 12-month trend up to `period`, this month as `ledger` judged it.
fn month_trend(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
    ledger: &Ledger,
) -> Result<Vec<selfcheck_documents::TrendPoint>> {
    let mut trend = trend::trend(store, period, config, catalog)
        .with_context(|| format!("cannot read the 12 months up to {period}"))?;
    // The month itself as the ledger judged it (--as-of may differ from the month's end).
    if let Some(last) = trend.last_mut().filter(|p| p.period == period) {
        last.summary = ledger.summary.clone();
    }
    Ok(trend)
}

/// Last month's ledger, when it has anything.
fn previous_ledger(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
) -> Result<Option<Ledger>> {
    let previous = Ledger::for_month(store, period.previous(), catalog, config, None)
        .with_context(|| format!("cannot read the ledger of {}", period.previous()))?;
    Ok((!previous.rows.is_empty() || !previous.hosts.is_empty()).then_some(previous))
}

fn run_evidence(global: &GlobalArgs, args: &crate::evidence_cli::EvidenceArgs) -> Result<ExitCode> {
    crate::evidence_cli::run_evidence(global, args)
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

fn run_reports(global: &GlobalArgs, args: &ReportsArgs) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let store = Store::open_existing(&dir)?;
    let reports = store.reports(args.month)?;
    match args.format {
        ListFormat::Table => print!("{}", present::reports_table(&reports, args.lang)),
        ListFormat::Json => print!("{}", present::reports_json(&reports)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Entry point of the `selfcheck-collector` binary: parse, run, report errors.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    finish(run(CollectorCli::parse_from(args)))
}

/// Print an error with its whole chain of causes as `error: ...`; exit status 2.
pub fn finish(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        CollectorCli::command().debug_assert();
    }

    #[test]
    fn month_must_be_a_real_month() {
        assert!(CollectorCli::try_parse_from(["x", "ledger", "--month", "2026-13"]).is_err());
        let cli = CollectorCli::try_parse_from(["x", "ledger", "--month", "2026-11"]).unwrap();
        let CollectorCommand::Ledger(args) = cli.command else {
            panic!("not ledger")
        };
        assert_eq!(
            args.month.map(|p| p.to_string()).as_deref(),
            Some("2026-11")
        );
    }
}
