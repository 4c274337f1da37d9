//! Every flag of `selfcheck-collector`: the options all subcommands share
//! ([`GlobalArgs`], global), the flags several subcommands share with one
//! meaning, each defined once and flattened where it applies
//! ([`MonthArg`], [`ListFormatArg`], [`ActorArg`], [`ReasonArg`],
//! [`ServerNamesArg`]), and each subcommand's own options. A spelling that
//! means something else per subcommand stays with its subcommand: `--format`
//! offers other values for `ledger` and `assets list`, `--out` is a file or
//! folder, a zip, or an enrollment folder, and `--days` defaults differ. The runners
//! in the sibling modules read these; none of them defines a flag.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_documents::assets::AssetsFormat;
use selfcheck_documents::present::Format;
use selfcheck_ledger::engine::Status;
use selfcheck_report::Period;
use selfcheck_term::color::ColorWhen;
use std::net::SocketAddr;
use std::path::PathBuf;

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

    /// Colour risk levels and overdue rows: auto (on a terminal, unless
    /// NO_COLOR is set), always, never. `serve` colours its log only when
    /// standard error is a terminal.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Language of tables, messages and documents: zh or en.
    #[arg(long, global = true, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
}

impl GlobalArgs {
    /// The defaults of every global option, with `--data DIR`: for programs
    /// (and tests) that run a command on one data directory.
    pub fn for_data(dir: impl Into<PathBuf>) -> GlobalArgs {
        GlobalArgs {
            data: Some(dir.into()),
            checks: None,
            config: None,
            color: ColorWhen::Never,
            lang: Lang::Zh,
        }
    }

    /// The data directory to use: `--data`, `SELFCHECK_DATA`, or [`crate::app::default_data_dir`].
    pub fn data_dir(&self) -> Result<PathBuf> {
        match &self.data {
            Some(d) => Ok(d.clone()),
            None => crate::app::default_data_dir().context(
                "cannot tell where the collector keeps its data (HOME is not set); pass --data DIR or set SELFCHECK_DATA",
            ),
        }
    }

    /// The catalog to use: `--checks DIR`, or the built-in one.
    pub fn catalog(&self) -> Result<Catalog> {
        Catalog::embedded_or_dir(self.checks.as_deref()).context("cannot load the check catalog")
    }
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
    Assets(AssetsCommand),
    /// Show a finding, or set its rectification status (整改状态).
    #[command(subcommand)]
    Finding(FindingCommand),
    /// The hash-chained history of status changes and imports.
    #[command(subcommand)]
    History(HistoryCommand),
    /// The store proves its ledger: `store verify` re-derives it from the signed reports.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Write the month's signed evidence package (ledger documents, raw reports, history, manifest).
    Evidence(EvidenceArgs),
    /// Check an evidence package offline (no store needed): every digest and signature.
    Verify(VerifyArgs),
    /// The collector's certificate authority for agents' client certificates.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Issue a client certificate for one agent host (mTLS uploads).
    Enroll(EnrollArgs),
    /// Revoke a host's client certificates; `serve` refuses them at once.
    Revoke(RevokeArgs),
    /// The register of issued certificates.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Receive agents' reports over HTTPS with mutual TLS.
    Serve(ServeArgs),
}

/// Options of `import`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Verify report files and store them, each once.\n\nEach file is checked before \
anything of it is stored: it must be a regular file no larger than 32 MiB, a selfcheck report of \
format version 1 or 2 with a valid Ed25519 signature (a UTF-8 byte-order mark is skipped), name \
only checks this collector's catalog knows, be signed by the agent key first seen for its host \
(the key is pinned per machine id), and have a plausible audit time: started at most 1 day after \
the import, at most 7 days before its period's first day, and finished at most 400 days before \
the import. A directory means every *.json file directly inside it, in name order \
(subdirectories are not searched). Files with the same signed content (re-indented, members \
reordered, a byte-order mark) are the same report.\n\nOne line is printed per file (stored / \
already stored / refused / not stored, with the reason), then a summary; --json prints the same \
as JSON. A file said stored is in the store; a file said not stored is not, and importing it \
again stores it once the store can be written. Exit status: 0 when every file was stored or \
already stored, 1 when any was refused or not stored, 2 on error.",
    after_help = "Examples:\n  selfcheck-collector import web-01-2026-11.json\n  selfcheck-collector import /media/usb/reports/ more/db-01.json\n  selfcheck-collector import --accept-new-key web-01 /media/usb/reports/   after reinstalling the agent on web-01\n  selfcheck-collector import --accept-clock-skew old-db-01.json old-db-01.json   a report whose dates are wanted as they are"
)]
pub struct ImportArgs {
    /// Accept reports of HOST (host name or machine id) signed by a new agent
    /// key although its old key is pinned (the agent was reinstalled), pin the
    /// new key and record the change in the history. Once per host; new keys
    /// of other hosts are still refused.
    #[arg(long, value_name = "HOST")]
    pub accept_new_key: Vec<String>,
    /// Store this report (report id, file path as given, or file name) even
    /// though its audit time fails the clock checks; it then counts at its
    /// import time. Once per report.
    #[arg(long, value_name = "REPORT_ID|FILE")]
    pub accept_clock_skew: Vec<String>,
    /// table or json.
    #[command(flatten)]
    pub format: ListFormatArg,
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
finding of their own (collector.not-inspected, 未检查). The JSON is described in docs/ledger.md (section JSON).",
    after_help = "Examples:\n  selfcheck-collector ledger                                   this month, as a table\n  selfcheck-collector ledger --month 2026-11 --format xlsx --out 台账-2026-11.xlsx\n  selfcheck-collector ledger --month 2026-11 --format xlsx --preset short --out 台账-2026-11.xlsx\n  selfcheck-collector ledger --month 2026-11 --format csv --out 台账/          台账/检查整改台账-2026-11-整改台账.csv, …\n  selfcheck-collector ledger --month 2026-11 --format json --lang en"
)]
pub struct LedgerArgs {
    /// The inspection month.
    #[command(flatten)]
    pub month: MonthArg,
    /// table for the terminal; csv for Excel (UTF-8 with BOM): the 24-column
    /// list on standard output, or one file per sheet with --out DIR or
    /// --out FILE.csv; json for programs; xlsx (needs --out) with the sheets
    /// 整改台账, 明细, 检查记录, 统计.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Columns of 整改台账: full (24), short (11), or an office's preset
    /// from [ledger.presets.NAME] in collector.toml [default for files:
    /// [ledger] in collector.toml, else full; on a terminal: the columns that
    /// fit its width, 6 below 120 columns, else 9].
    #[arg(long, value_name = "NAME", conflicts_with = "columns")]
    pub preset: Option<String>,
    /// Columns of 整改台账, comma-separated, by header or key (e.g.
    /// 问题编号,资产名称,风险等级,整改状态 or finding_no,asset_name,risk,status).
    #[arg(long, value_name = "COL,COL,...", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Write to FILE instead of standard output (csv: to DIR, or next to
    /// FILE.csv, one file per sheet: NAME-整改台账.csv, NAME-明细.csv, …).
    #[arg(long, value_name = "FILE|DIR")]
    pub out: Option<PathBuf>,
    /// Judge statuses (overdue, expired acceptances) and count people's
    /// actions up to this day [default: the month's last day, or today while the month runs].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
}

/// `--format` of every command whose output is text for people or JSON for
/// programs (`ledger` and `assets list` offer more formats of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Tables and lines for people (`text` is accepted too).
    #[value(alias = "text")]
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
    /// Only reports of this month [default: every month].
    #[command(flatten)]
    pub month: MonthArg,
    /// table or json.
    #[command(flatten)]
    pub format: ListFormatArg,
}

/// Parse a `--lang` value.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// `--month`, for the subcommands about one inspection month.
#[derive(Debug, Clone, Copy, Args)]
pub struct MonthArg {
    /// The inspection month [default: the current month; for `reports`, every month].
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Period>,
}

impl MonthArg {
    /// The month given, else the current month.
    pub fn or_current(self) -> Period {
        crate::app::month_or_current(self.month)
    }
}

/// `--format table|json`, for every subcommand that prints text for people
/// or JSON for programs; `--json` is the spelling of earlier releases, kept
/// hidden for scripts that use it.
#[derive(Debug, Clone, Copy, Args)]
pub struct ListFormatArg {
    /// table for people, json for programs.
    #[arg(long, value_enum, value_name = "table|json", default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// The same as --format json (the spelling of earlier releases).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
}

impl ListFormatArg {
    /// Whether JSON was asked for (`--format json`, or the old `--json`).
    pub fn is_json(self) -> bool {
        self.json || self.format == ListFormat::Json
    }
}

/// `--by`, for every change recorded in the history with who made it
/// (`finding set`, `assets import`, `enroll`, `revoke`, `ca server-cert`).
#[derive(Debug, Clone, Args)]
pub struct ActorArg {
    /// Who is doing this, as the history records it [default: $SUDO_USER, else $USER].
    #[arg(long, value_name = "NAME", default_value_t = crate::app::default_actor(), hide_default_value = true)]
    pub by: String,
}

/// `--reason`, for the changes recorded in the history with why.
#[derive(Debug, Clone, Args)]
pub struct ReasonArg {
    /// Why (recorded in the history).
    #[arg(long)]
    pub reason: String,
}

/// `--server-name`, the names the collector's server certificate is issued for.
#[derive(Debug, Clone, Args)]
pub struct ServerNamesArg {
    /// A DNS name or IP address agents use to reach the collector (repeat for several).
    #[arg(long = "server-name", value_name = "NAME|IP")]
    pub server_names: Vec<String>,
}

/// `assets` subcommands.
#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// Load the asset registry from FILE (.csv or .xlsx): show what changes, then replace it.
    Import(AssetsImportArgs),
    /// List the asset registry.
    #[command(
        after_help = "Examples:\n  selfcheck-collector assets list\n  selfcheck-collector assets list --format csv > 资产台账.csv\n  selfcheck-collector assets list --format json --lang en"
    )]
    List {
        /// table for the terminal, csv (UTF-8 with BOM, importable again), json for programs.
        #[arg(long, value_enum, default_value_t = AssetsFormat::Table)]
        format: AssetsFormat,
    },
}

/// Options of `assets import`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Load the asset registry (资产台账) from FILE (.csv in UTF-8 or GBK, or the \
first worksheet of an .xlsx) and replace the stored registry with it.\n\nColumns are found by \
their header, in any order: 资产名称 (asset_name, required), 主机名 (hostname), 机器ID \
(machine_id), IP地址 (ip) - at least one of these three per row - and 单位/部门, 资产类型, \
操作系统, 等保级别, 责任单位, 整改责任人, 联系方式. The whole file is checked first and every \
problem is listed with its row and column (an unknown column with data, a missing or repeated \
asset name, a host name or machine id used twice, a malformed IP or protection level, the \
template's example rows 示例-…); a file with any problem changes nothing.\n\nThe file is then \
compared with the registered assets by asset name, and what changes is shown: added (+), \
removed (-) and changed (~) assets. A file that leaves out registered assets is refused unless \
--replace is given, so a partial file cannot drop assets by accident. --dry-run shows the \
changes and stores nothing. An accepted import replaces the registry whole and is recorded in \
the history. The first import creates the store when the data directory is new.",
    after_help = "Examples:\n  selfcheck-collector assets import 资产台账.xlsx --dry-run   what would change\n  selfcheck-collector assets import 资产台账.xlsx\n  selfcheck-collector assets import assets.csv --replace --by 张工   also remove assets the file leaves out\n\nTemplate: reports/asset-registry-template.csv (or .xlsx); delete its 示例 rows first."
)]
pub struct AssetsImportArgs {
    /// The registry file (.csv or .xlsx).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also remove registered assets the file leaves out (else such a file is refused).
    #[arg(long)]
    pub replace: bool,
    /// Show what would change; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Who is importing.
    #[command(flatten)]
    pub by: ActorArg,
}

/// `finding` subcommands.
#[derive(Debug, Subcommand)]
pub enum FindingCommand {
    /// Show one finding: where it was seen, its status, deadline and every action on it.
    Show {
        /// Ledger number (2026-11-H-003) or fingerprint (or a unique prefix of one).
        id: String,
        /// table or json.
        #[command(flatten)]
        format: ListFormatArg,
    },
    /// Set the status of findings (recorded in the history with who and why).
    Set(SetArgs),
}

/// Options of `finding set`.
#[derive(Debug, Args)]
#[command(
    long_about = "Set the rectification status of one finding, or of every open finding of an \
asset or a check.\n\nStatuses a person sets: in_progress (整改中; needs --measure and --owner), \
fixed_pending_recheck (已整改待复查; the next report that ran the check closes it, or reopens it), \
risk_accepted (风险接受; needs --approver and --until), false_positive (误报), open (待整改; e.g. to \
revoke an acceptance). closed (已销号) and reopened (复发) come only from reports.\n\nEvery change \
is appended to the hash-chained history; nothing is changed in place.",
    after_help = "Examples:\n  selfcheck-collector finding set 2026-11-H-003 --status in_progress --by 张工 --reason \"patch window Fri\" --measure \"apt upgrade openssl\" --owner 张工\n  selfcheck-collector finding set 2026-11-H-003 --status fixed_pending_recheck --by 张工 --reason \"upgraded 2026-11-20\"\n  selfcheck-collector finding set --asset web-01 --check patches.security-updates --status in_progress --by 张工 --reason \"monthly patching\" --measure \"apt upgrade\" --owner 张工\n  selfcheck-collector finding set 2026-11-M-007 --status risk_accepted --by 李工 --reason \"legacy app needs TLS 1.0\" --approver 王处 --until 2027-03-31"
)]
pub struct SetArgs {
    /// Ledger number or fingerprint of one finding.
    #[arg(required_unless_present_any = ["asset", "check"])]
    pub id: Option<String>,
    /// Every not-closed finding of this asset (asset key, host name or registry asset name).
    #[arg(long, conflicts_with = "id")]
    pub asset: Option<String>,
    /// Every not-closed finding of this check (with --asset: of that asset only).
    #[arg(long, conflicts_with = "id")]
    pub check: Option<String>,
    /// The new status.
    #[arg(long)]
    pub status: Status,
    /// Who makes the change.
    #[command(flatten)]
    pub by: ActorArg,
    /// Why.
    #[command(flatten)]
    pub reason: ReasonArg,
    /// 整改措施: what is done about it.
    #[arg(long)]
    pub measure: Option<String>,
    /// 临时缓解措施: what limits the risk meanwhile.
    #[arg(long)]
    pub mitigation: Option<String>,
    /// 整改责任人.
    #[arg(long)]
    pub owner: Option<String>,
    /// Who approved a risk acceptance.
    #[arg(long)]
    pub approver: Option<String>,
    /// Last day a risk acceptance holds (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub until: Option<NaiveDate>,
}

/// `history` subcommands.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Check the hash chain: every entry's digest and link. Exit status 1 when broken.
    Verify {
        /// table or json.
        #[command(flatten)]
        format: ListFormatArg,
    },
    /// List history entries.
    List {
        /// Only entries of this finding (ledger number or fingerprint).
        #[arg(long)]
        finding: Option<String>,
        /// table or json.
        #[command(flatten)]
        format: ListFormatArg,
    },
}

/// `store` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Re-derive the ledger's rows from the stored signed reports and the history; name every difference.
    Verify(StoreVerifyArgs),
    /// Bind a store made before history sealing to the collector key (recorded in the history).
    #[command(
        long_about = "Bind the history of a store made before history sealing to the collector \
key (DATA/collector-key.pem, created on first use): every existing entry gets its seal, and a \
history_sealed entry records the range, the head and the key. Every writing command (import, \
finding set, assets import, evidence, ...) does the same on its first run; this command does \
only that. A history whose chain is already broken is not bound (the error says so), and a store \
that is bound already is left as it is."
    )]
    Seal,
}

/// Options of `store verify`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Check that the store proves its ledger: every stored report file is read \
back, its SHA-256 and its own Ed25519 signature checked again, and its check runs, findings and \
suppressed findings derived again and compared with the stored rows, naming every row that \
differs, is missing or is extra; every report must have its report_imported history entry and \
every such entry its report; the history chain is walked and every entry's seal checked with the \
collector key. With --previous (last month's evidence package) or --expect-head, the history \
must still hold the head that package carried.\n\n`evidence` refuses to sign a store that fails \
this check.\n\nExit status: 0 when the store proves its ledger, 1 when anything differs, 2 when \
the check cannot run.",
    after_help = "Examples:\n  selfcheck-collector store verify\n  selfcheck-collector store verify --format json\n  selfcheck-collector store verify --previous 佐证材料-2026-11.zip\n  selfcheck-collector store verify --expect-head 1520:sm3:5be1…"
)]
pub struct StoreVerifyArgs {
    /// text for people, json for programs.
    #[command(flatten)]
    pub format: ListFormatArg,
    /// Last month's evidence package: the store's history must still hold its head.
    #[arg(long, value_name = "FILE.zip", conflicts_with = "expect_head")]
    pub previous: Option<PathBuf>,
    /// A history head kept from before (SEQ:DIGEST, as `evidence` prints it).
    #[arg(long, value_name = "SEQ:DIGEST")]
    pub expect_head: Option<String>,
}

/// Options of `evidence`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Write the month's evidence package (佐证材料包): one zip holding the ledger \
documents, every raw signed agent report of the month exactly as imported, the month's run of \
the hash-chained history, the collector's public key (collector-public-key.pem) and \
manifest.json, which lists every member with its size, SHA-256 and SM3 digest and is signed \
with the collector's Ed25519 key (manifest.sig).\n\nThe collector key is DATA/collector-key.pem, \
created (mode 0600) on first use. Give the office its fingerprint, printed here, so they can \
check packages with `verify --expect-key`.\n\nWith an SM2 key (--sm2 FILE, or sm2_key in the \
[evidence] section of collector.toml), the manifest is also signed with SM2 (GB/T 32918, SM3, \
distinguishing identifier 1234567812345678): manifest.sm2.sig, verifiable with openssl alone, \
and the SM2 public key as collector-sm2-public-key.pem. Make the key with `openssl genpkey \
-algorithm SM2 -out sm2.pem` and `chmod 600 sm2.pem`; the collector never makes one.\n\nThe \
package is written through a temporary file next to FILE.zip and renamed when complete. The \
layout is described in docs/evidence-package.md.",
    after_help = "Examples:\n  selfcheck-collector evidence --month 2026-11 --out 佐证材料-2026-11.zip\n  selfcheck-collector evidence --month 2026-11 --out 佐证材料-2026-11.zip --sm2 /etc/selfcheck/sm2.pem\n  selfcheck-collector verify --expect-key sha256:3f1c… 佐证材料-2026-11.zip"
)]
pub struct EvidenceArgs {
    /// The inspection month.
    #[command(flatten)]
    pub month: MonthArg,
    /// Where to write the zip.
    #[arg(long, value_name = "FILE.zip")]
    pub out: PathBuf,
    /// Also sign the manifest with this SM2 private key (PEM, PKCS#8 or SEC1,
    /// mode 0600) [default: sm2_key in the [evidence] section of collector.toml].
    #[arg(long, value_name = "KEY.pem")]
    pub sm2: Option<PathBuf>,
}

/// Options of `verify`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Check an evidence package offline; no collector store is needed.\n\nChecked: \
the zip itself (no absolute or `..` names, no duplicate names, size and compression limits), \
the manifest's Ed25519 signature against the collector key in the package (and against the key \
you expect, with --expect-key), its SM2 signature when the manifest names an SM2 key, every \
member's size, SHA-256 and SM3 against the manifest, missing and extra members, every agent \
report's own Ed25519 signature and content rules, and the history run's hash chain and every \
entry's seal (the collector key's signature). The zip is read a member at a time.\n\nA valid \
signature only says someone signed the package: who, is checked against the key you expect \
(--expect-key, or the key of last month's package with --previous). Without either, the result \
is \"signature valid, signer not checked\" and exit status 3. With --previous LAST_MONTH.zip \
(itself checked first) or --expect-head SEQ:DIGEST, this package's history must also extend the \
head the earlier one carried: still hold that entry with that digest. A history rewritten or cut \
after last month's package was handed over fails.\n\nOne line per problem, naming the member. \
Exit status: 0 when the package is intact and signed by the expected key, 1 when anything is \
wrong, 2 when the file cannot be read, 3 when intact but the signer was not checked.",
    after_help = "Examples:\n  selfcheck-collector verify --expect-key sha256:3f1c…  佐证材料-2026-11.zip\n  selfcheck-collector verify --expect-key sha256:3f1c… --expect-key sm3:9a0b… 佐证材料-2026-11.zip\n  selfcheck-collector verify --expect-key unit-collector.pub.pem --json 佐证材料-2026-11.zip\n  selfcheck-collector verify --previous 佐证材料-2026-11.zip 佐证材料-2026-12.zip\n\nThe SM2 signature with openssl alone (OpenSSL 3), after unzipping:\n  openssl pkeyutl -verify -in manifest.json -rawin -digest sm3 -pubin -inkey collector-sm2-public-key.pem -sigfile manifest.sm2.sig -pkeyopt distid:1234567812345678"
)]
pub struct VerifyArgs {
    /// The evidence package.
    #[arg(value_name = "FILE.zip")]
    pub file: PathBuf,
    /// A key the package must be signed with: the collector key's fingerprint
    /// (sha256:HEX, as `evidence` prints it), the SM2 key's (sm3:HEX), or a
    /// PEM public key file of either. Give it twice to pin both keys.
    #[arg(long, value_name = "FINGERPRINT|FILE")]
    pub expect_key: Vec<String>,
    /// Last month's evidence package: its collector key is the expected key
    /// (unless --expect-key names one), and this package's history must
    /// extend the history head it carried.
    #[arg(long, value_name = "LAST_MONTH.zip", conflicts_with = "expect_head")]
    pub previous: Option<PathBuf>,
    /// A history head kept from before (SEQ:DIGEST, as `evidence` prints
    /// it) that this package's history must extend.
    #[arg(long, value_name = "SEQ:DIGEST")]
    pub expect_head: Option<String>,
    /// table or json.
    #[command(flatten)]
    pub format: ListFormatArg,
}

/// `ca` subcommands.
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create the collector's CA and its server certificate (once).
    #[command(
        long_about = "Create the collector's private certificate authority in DATA/pki/: \
ca-key.pem (ECDSA P-256, mode 0600), ca.pem (the certificate agents trust), and the \
collector's TLS identity server.pem / server-key.pem, issued by the CA for the names agents \
reach the collector by (--server-name; localhost, 127.0.0.1 and ::1 are always included).\n\n\
The CA is made once: it signed every enrolled agent's certificate, so `ca init` refuses to \
replace it. Keep a backup of ca-key.pem somewhere safe and offline.",
        after_help = "Examples:\n  selfcheck-collector ca init --name \"某某局 selfcheck CA\" --server-name collector.unit.local --server-name 10.1.2.3\n  selfcheck-collector ca show"
    )]
    Init(CaInitArgs),
    /// Show the CA and server certificate: paths and fingerprints.
    Show,
    /// Issue a new server certificate (new names, or before the old one expires).
    #[command(
        after_help = "Example:\n  selfcheck-collector ca server-cert --server-name collector.unit.local --server-name 10.1.2.3\n\nRestart `serve` to use it."
    )]
    ServerCert(ServerCertArgs),
}

/// Options of `ca init`.
#[derive(Debug, Args)]
pub struct CaInitArgs {
    /// The CA's name (its certificate's common name).
    #[arg(long, default_value = "selfcheck collector CA")]
    pub name: String,
    /// The names agents reach the collector by.
    #[command(flatten)]
    pub server_names: ServerNamesArg,
    /// Validity of the CA certificate, in days.
    #[arg(long, default_value_t = 3650)]
    pub days: u32,
    /// Validity of the server certificate, in days.
    #[arg(long, default_value_t = 825)]
    pub server_days: u32,
    /// Keep the CA key offline: write it to FILE (a new file, e.g. on removable
    /// media) instead of DATA/pki/ca-key.pem; `enroll` and `ca server-cert`
    /// then need `--ca-key FILE`.
    #[arg(long, value_name = "FILE")]
    pub offline_key: Option<PathBuf>,
}

/// The CA key, when it is kept offline.
#[derive(Debug, Args)]
pub struct CaKeyArg {
    /// The CA key file, when `ca init --offline-key` kept it out of DATA/pki/.
    #[arg(long, value_name = "FILE")]
    pub ca_key: Option<PathBuf>,
}

/// Options of `ca server-cert`.
#[derive(Debug, Args)]
pub struct ServerCertArgs {
    /// The names agents reach the collector by.
    #[command(flatten)]
    pub server_names: ServerNamesArg,
    /// Validity in days.
    #[arg(long, default_value_t = 825)]
    pub days: u32,
    /// The CA key, when kept offline.
    #[command(flatten)]
    pub ca_key: CaKeyArg,
    /// Who is doing this.
    #[command(flatten)]
    pub by: ActorArg,
}

/// Options of `enroll`.
#[derive(Debug, Args)]
#[command(
    long_about = "Issue a client certificate for one agent host and write what the agent needs \
into --out: ca.pem (the collector CA, which the agent trusts instead of the system roots), \
client.pem (the host's certificate; its common name is the host name, which must equal the \
host name in the agent's reports) and client-key.pem (mode 0600). Existing files are never \
overwritten.\n\nCopy the three files to the host's /etc/selfcheck/ (the agent's [submit] \
defaults) or point the agent at the folder with --enrolled DIR. The certificate is recorded \
in the register (`certs list`) and the history; `serve` admits only certificates of the \
register.\n\nWith a CA key kept offline (`ca init --offline-key`), give it with --ca-key FILE.",
    after_help = "Examples:\n  selfcheck-collector enroll --host web-01 --out enroll/web-01\n  selfcheck-collector enroll --host web-02 --out enroll/web-02 --ca-key /media/usb/ca-key.pem\n  scp enroll/web-01/* root@web-01:/etc/selfcheck/"
)]
pub struct EnrollArgs {
    /// The agent host's name, as its reports give it (`hostname`).
    #[arg(long)]
    pub host: String,
    /// The folder to write ca.pem, client.pem and client-key.pem into (created, mode 0700).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Validity in days.
    #[arg(long, default_value_t = 825)]
    pub days: u32,
    /// The CA key, when kept offline.
    #[command(flatten)]
    pub ca_key: CaKeyArg,
    /// Who is doing this.
    #[command(flatten)]
    pub by: ActorArg,
}

/// Options of `revoke`.
#[derive(Debug, Args)]
#[command(
    long_about = "Revoke a host's client certificates (all unrevoked ones of that host), or one \
certificate by --serial. A running `serve` re-reads the register every second: a revoked \
certificate is refused at its next handshake or request, and its open connections are closed \
within 2 seconds. Revocation is recorded in the register and the history.",
    after_help = "Examples:\n  selfcheck-collector revoke web-01 --reason \"host decommissioned\"\n  selfcheck-collector revoke --serial 1f3a…  --reason \"key copied to a laptop\""
)]
pub struct RevokeArgs {
    /// The host whose client certificates to revoke.
    #[arg(required_unless_present = "serial", conflicts_with = "serial")]
    pub host: Option<String>,
    /// Revoke only the certificate with this serial number (hex, as `certs list` shows it).
    #[arg(long)]
    pub serial: Option<String>,
    /// Why.
    #[command(flatten)]
    pub reason: ReasonArg,
    /// Who is doing this.
    #[command(flatten)]
    pub by: ActorArg,
}

/// `certs` subcommands.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// List every certificate the CA issued, with its state (valid, expired, revoked).
    List(CertsListArgs),
}

/// Options of `certs list`.
#[derive(Debug, Args)]
pub struct CertsListArgs {
    /// table or json.
    #[command(flatten)]
    pub format: ListFormatArg,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Options of `serve`.
#[derive(Debug, Args)]
#[command(
    long_about = "Receive agents' signed reports over HTTPS with mutual TLS.\n\nThe server \
presents DATA/pki/server.pem and requires a client certificate issued by the collector's CA \
(`ca init`, `enroll`) and found in its register of issued certificates; unknown, \
unregistered (even if signed with the CA key), expired and revoked certificates are refused at \
the TLS handshake, and a certificate revoked while connected is refused on its next request and \
its connections are closed within 2 seconds. TLS 1.3 and 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305 only.\n\n\
POST /api/v1/reports takes a signed report file as the body (Content-Type: \
application/json). It is verified exactly as `import` verifies a file, its host must be the \
host the client certificate was issued to, and it is stored once: the same report again is \
answered 200 already_stored. 201 means it is on disk. GET /api/v1/health answers 200.\n\n\
Logs go to standard error (RUST_LOG sets the level, e.g. RUST_LOG=debug). SIGTERM or Ctrl-C \
stops accepting, finishes the requests in flight and exits 0.",
    after_help = "Examples:\n  selfcheck-collector serve --listen 0.0.0.0:8443\n  selfcheck-collector serve --listen 10.1.2.3:8443 --log-format json\n  curl --cert client.pem --key client-key.pem --cacert ca.pem https://collector.unit.local:8443/api/v1/health"
)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    /// Open connections with a verified client certificate, at most (more wait).
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Open connections without a verified client certificate yet, at most;
    /// beyond it the oldest that sent nothing for 1 s (or started its
    /// handshake 5 s ago) is cut for the new one.
    #[arg(long, default_value_t = 1024)]
    pub max_handshakes: usize,
    /// Seconds a client has for the TLS handshake.
    #[arg(long, default_value_t = 10)]
    pub handshake_timeout: u64,
    /// MiB of request bodies held at once (being received, checked or
    /// stored); uploads beyond it wait, then get 503 with Retry-After.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub body_memory_mib: usize,
    /// Requests per second per client certificate, on average (0: no limit).
    #[arg(long, default_value_t = 2.0)]
    pub rate_per_client: f64,
    /// Requests a client may send in a burst.
    #[arg(long, default_value_t = 20)]
    pub burst_per_client: u32,
    /// Seconds a client has for a request's head (also ends idle keep-alive connections).
    #[arg(long, default_value_t = 15)]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, default_value_t = 60)]
    pub body_timeout: u64,
    /// Seconds shutdown waits for requests in flight.
    #[arg(long, default_value_t = 30)]
    pub shutdown_grace: u64,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Seconds of the log limiter's window: of each kind of line about one
    /// peer or certificate (refused handshakes, refused certificates, ...)
    /// the first 5 of a window are written, the rest summarised at its end.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub log_window: u64,
}
