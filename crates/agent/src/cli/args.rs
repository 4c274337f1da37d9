//! Every flag of `selfcheck-agent`, each defined once: the options all
//! subcommands share (among them the global `--format` and `--lang`), then each
//! subcommand's own. The runners in the sibling modules read these types and
//! nothing else of each other.

use crate::areas::fim::DigestAlg;
pub use crate::present::OutputFormat;
use crate::state::default_state_dir;
use clap::{Args, Parser, Subcommand};
use selfcheck_catalog::Lang;
use selfcheck_report::{Period, ProtectionLevel, Severity};
pub use selfcheck_term::color::ColorWhen;
use std::path::PathBuf;

/// Options every agent subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Audit the host whose files are below DIR (a mounted image or a test
    /// fixture) instead of this machine. Host name, machine id, OS and sockets
    /// all come from DIR's own files.
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// The agent's own directory for its key and reports, the only place it
    /// writes [default: /var/lib/selfcheck/agent as root, else
    /// ~/.local/state/selfcheck/agent]
    #[arg(long, global = true, value_name = "DIR", env = "SELFCHECK_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// Use the check catalog in DIR (*.toml) instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    pub checks: Option<PathBuf>,

    /// Agent configuration file (allowlists, collector settings) [default: /etc/selfcheck/agent.toml when it exists]
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "SELFCHECK_AGENT_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// Stay out of the way of the host's own work: lowest CPU priority
    /// (nice 19) and the idle I/O class for the whole audit.
    #[arg(long, global = true)]
    pub nice: bool,

    /// Output format: table for people, json for programs (with `run`, json is
    /// the signed report itself; with `baseline`, {"level", "checks", "findings", "clauses"}).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Language of tables and texts: zh or en.
    #[arg(long, global = true, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,

    /// Colour risk levels: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

impl CommonArgs {
    /// The state directory to use.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(default_state_dir)
    }
}

/// `selfcheck-agent`: a read-only, offline audit of this host that writes a signed report.
#[derive(Debug, Parser)]
#[command(
    name = "selfcheck-agent",
    version,
    about = "Audit this host read-only and offline, and write a signed report for the monthly security ledger",
    long_about = "Audit this host read-only and offline, and write a signed report for the monthly \
security ledger (检查整改台账).\n\nThe agent never changes the host: it only writes its own state \
directory (its Ed25519 key and the reports it made). Hand the report to selfcheck-collector \
(`selfcheck-collector import REPORT.json`) or send it over mutual TLS (`run --submit`, `submit`).",
    after_help = "Examples:\n  selfcheck-agent run                      audit this host, print a summary, write the signed report\n  selfcheck-agent run --format json --out report.json\n  selfcheck-agent run --root /mnt/image    audit a mounted disk image\n  selfcheck-agent ports                    list listening sockets (like ss -tulpn)\n  selfcheck-agent packages                 list pending updates (like apt list --upgradable)\n  selfcheck-agent run --vuln-db Debian-all.zip   also match an offline OSV feed\n  selfcheck-agent checks show ports.telnet\n  selfcheck-agent fim init                 sign a file-integrity baseline; later runs compare against it\n  selfcheck-agent run --submit             also send the report to the collector ([submit] in agent.toml)\n  selfcheck-agent submit --list            reports waiting for the collector, and refused ones"
)]
pub struct AgentCli {
    /// Options shared by all subcommands.
    #[command(flatten)]
    pub common: CommonArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: AgentCommand,
}

/// Agent subcommands.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Audit the host and write a signed report (and, with --submit, send it to the collector).
    ///
    /// Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 on error.
    /// With --submit the delivery wins over the findings: 3 when the report (or an older
    /// one) still waits in the spool because the collector could not be reached, 4 when
    /// the collector refused a report; 0 or 1 only when everything was delivered.
    #[command(
        after_help = "Examples:\n  selfcheck-agent run                                  audit, print a summary, keep the signed report\n  selfcheck-agent run --out report.json --fail-on medium\n  selfcheck-agent run --submit                         also send it to the collector in [submit] url of agent.toml\n  selfcheck-agent run --submit https://collector.unit.local:8443 --enrolled /etc/selfcheck\n\nWith --submit the report goes into STATE/spool/outbox first and the whole outbox is sent, \
oldest first; what cannot be sent now stays there for the next run (see `selfcheck-agent submit --help`). \
A line per report follows the summary; with --format json, stdout stays the signed report and those lines go to stderr."
    )]
    Run(RunArgs),
    /// List listening TCP sockets and bound UDP sockets with their processes (what `ss -tulpn` shows).
    Ports,
    /// List the updates the package manager would install (what `apt list --upgradable` or
    /// `dnf check-update` shows), computed offline.
    Packages,
    /// Run only the configuration-baseline checks (GB/T 22239-2019 host controls) and
    /// print each check's outcome and findings; no report is written.
    #[command(
        after_help = "Examples:\n  selfcheck-agent baseline                     level 3 (or baseline.level in agent.toml), in Chinese\n  selfcheck-agent baseline --level 2 --lang en the level-2 profile: 7.1.4.x clauses, level-3-only checks not applicable\n  selfcheck-agent baseline --format json       {\"level\", \"checks\", \"findings\", \"clauses\"} for programs\n  selfcheck-agent --root /mnt/image baseline   a mounted disk image\n\nExceptions approved for this host go in agent.toml as [[baseline.exception]] with check, reason,\napprover and expires; see docs/config-baseline.md. The exit status is 0 whatever is found; use\n`selfcheck-agent run --fail-on LEVEL` to fail on findings."
    )]
    Baseline(BaselineArgs),
    /// Show the check catalog.
    #[command(subcommand)]
    Checks(ChecksCommand),
    /// File integrity: make, check and update the signed baseline.
    #[command(subcommand)]
    Fim(FimCommand),
    /// Send signed reports to the collector over mutual TLS, through the spool
    /// (STATE/spool/outbox); list the spool; check the connection.
    ///
    /// Reports are sent oldest first as POST /api/v1/reports. One leaves the outbox only
    /// when the collector confirmed it (201 stored, 200 already stored) or refused it for
    /// good (400, 403, 409, 413, 415, 422: moved to STATE/spool/refused/ with a .reason
    /// file, never deleted). Anything else (no connection, timeouts, TLS errors, 408, 429,
    /// 5xx) keeps it for the next run, after up to submit.max_attempts tries (agent config).
    Submit(SubmitArgs),
}

/// The audit's own options, shared by `selfcheck-agent run` and `selfcheck run`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Exit with status 1 when a finding is at or above this level (critical,
    /// high, medium, low, info, or none). `high` suits scripts that act on the
    /// result; a monthly timer keeps the default, so its service is not shown
    /// as failed every month.
    #[arg(long, value_name = "LEVEL", default_value = "none", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// The inspection month the report counts for [default: the current month].
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<Period>,
    /// Offline OSV vulnerability feed to match installed packages against: a
    /// directory or zip of OSV JSON, e.g. Debian/all.zip from osv.dev [default: patches.vuln_db in the agent config]
    #[arg(long, value_name = "PATH")]
    pub vuln_db: Option<PathBuf>,
    /// `--threads`.
    #[command(flatten)]
    pub hashing: HashThreads,
    /// The host's protection level (等保级别) for the configuration baseline: 2 or 3
    /// [default: baseline.level in the agent config, else 3]
    #[arg(long, value_name = "2|3", value_parser = parse_level)]
    pub level: Option<ProtectionLevel>,
    /// Print every finding (with its evidence) and every check that could not
    /// run, grouped by reason, before the summary.
    #[arg(long)]
    pub details: bool,
    /// When there is no file-integrity baseline yet, leave it so (the five
    /// file-integrity checks then cannot run) instead of taking it in this run.
    #[arg(long)]
    pub no_fim_init: bool,
}

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also write the signed report to FILE (it is always kept in the state directory).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What the audit does and how it ends.
    #[command(flatten)]
    pub audit: AuditArgs,
    /// After writing the report, put it in the spool and send the spool to the
    /// collector at URL over mutual TLS [default: submit.url in the agent config]
    #[arg(long, value_name = "URL")]
    pub submit: Option<Option<String>>,
    /// With --submit: use DIR/ca.pem, DIR/client.pem and DIR/client-key.pem
    /// (what `selfcheck-collector enroll --out DIR` writes) [default: submit.ca/cert/key
    /// in the agent config, else /etc/selfcheck]
    #[arg(long, value_name = "DIR", requires = "submit")]
    pub enrolled: Option<PathBuf>,
}

/// Options of `baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The host's protection level (等保级别): 2 reads the 7.1.4.x clauses and leaves
    /// level-3-only checks out, 3 the 8.1.4.x clauses [default: baseline.level in the
    /// agent config, else 3]
    #[arg(long, value_name = "2|3", value_parser = parse_level)]
    pub level: Option<ProtectionLevel>,
}

/// `checks` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// List every check: id, area, risk level, title, references.
    List {
        /// Only checks of this area (e.g. ports).
        #[arg(long)]
        area: Option<String>,
    },
    /// Show one check: what it checks, why it matters, how to fix it, references.
    Show {
        /// Check id, e.g. ports.telnet.
        id: String,
    },
}

/// The `--fail-on` threshold; `None` never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn(pub Option<Severity>);

/// Parse a `--fail-on` value.
pub fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s == "none" {
        return Ok(FailOn(None));
    }
    s.parse::<Severity>()
        .map(|l| FailOn(Some(l)))
        .map_err(|e| e.to_string())
}

/// Parse a `--level` value: a protection level the baseline has a profile
/// for, 2 or 3 (with the messages clap gives for a number out of range).
pub fn parse_level(s: &str) -> Result<ProtectionLevel, String> {
    let n: i64 = s
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())?;
    u8::try_from(n)
        .ok()
        .and_then(ProtectionLevel::new)
        .filter(|l| l.has_baseline_profile())
        .ok_or_else(|| format!("{n} is not in 2..=3"))
}

/// Parse a `--lang` value.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// `fim` subcommands.
#[derive(Debug, Subcommand)]
pub enum FimCommand {
    /// Scan the scope in checks/fim.toml and write the signed baseline into the
    /// state directory (chained to the current one, which must verify).
    Init {
        /// `--threads`.
        #[command(flatten)]
        hashing: HashThreads,
        /// When the current baseline fails verification, keep it aside as
        /// evidence (fim/set-aside-TIME/) and start a new chain.
        #[arg(long)]
        set_aside_invalid: bool,
        /// Content digest of the baseline [default: fim.digest in the agent config, else sha256]
        #[arg(long, value_name = "sha256|sm3", value_parser = parse_digest)]
        digest: Option<DigestAlg>,
    },
    /// Compare the host with the accepted baseline. Exit status 1 when anything differs.
    Check {
        /// `--threads`.
        #[command(flatten)]
        hashing: HashThreads,
        /// Refuse to compare unless the baseline uses this digest.
        #[arg(long, value_name = "sha256|sm3", value_parser = parse_digest)]
        digest: Option<DigestAlg>,
    },
    /// Take reviewed changes into the baseline; the new baseline records who
    /// accepted which paths and why.
    Accept {
        /// Accept every change.
        #[arg(long, conflicts_with = "paths")]
        all: bool,
        /// Paths (as the host names them, e.g. /etc/ssh/sshd_config) whose changes are accepted.
        paths: Vec<PathBuf>,
        /// Why the changes are acceptable (ticket, change request, who approved).
        #[arg(long)]
        reason: String,
        /// `--threads`.
        #[command(flatten)]
        hashing: HashThreads,
    },
    /// Check every file a package installed against the digest the package
    /// manager recorded (like debsums or `rpm -Va`); needs no baseline.
    /// Exit status 1 when a file differs, is missing or unreadable.
    VerifyPackages(VerifyArgs),
}

/// `--threads`, shared by every command that hashes files (run, fim init,
/// check, accept, verify-packages).
#[derive(Debug, Clone, Copy, Args)]
pub struct HashThreads {
    /// Threads for hashing files; 0 uses every core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Parse a `--digest` value.
pub fn parse_digest(s: &str) -> Result<DigestAlg, String> {
    DigestAlg::from_name(s)
}

/// Options of `fim verify-packages`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// `--threads`.
    #[command(flatten)]
    pub hashing: HashThreads,
    /// Also list configuration files (dpkg conffiles, rpm %config), which are
    /// often changed on purpose; without it they are left out, like debsums without -a.
    #[arg(long)]
    pub include_config: bool,
}

/// Options of `submit`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  selfcheck-agent submit                         send what waits in the spool (url from [submit] in agent.toml)\n  selfcheck-agent submit --url https://collector.unit.local:8443 --enrolled /etc/selfcheck\n  selfcheck-agent submit report-2026-11.json     spool a copy of a signed report file, then send the spool\n  selfcheck-agent submit --list                  what waits, and what the collector refused and why\n  selfcheck-agent submit --check                 can this host reach the collector over mutual TLS?\n\nExit status: 0 every report confirmed (or nothing to send); 1 the collector refused a report \
(it is kept in STATE/spool/refused/ with a .reason file; this wins over 3); 3 reports still wait in \
the spool because the collector could not be reached or was busy (they go with the next run); \
2 on error (bad file given, unusable certificate or key, no URL)."
)]
pub struct SubmitArgs {
    /// Signed report files to add to the spool before sending (each is verified
    /// first; one bad file stops everything and nothing is added).
    #[arg(value_name = "FILE", conflicts_with_all = ["list", "check"])]
    pub files: Vec<PathBuf>,
    /// The collector, https://HOST:PORT [default: submit.url in the agent config]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Use DIR/ca.pem, DIR/client.pem and DIR/client-key.pem, as written by
    /// `selfcheck-collector enroll --out DIR` [default: submit.ca/cert/key in
    /// the agent config, else /etc/selfcheck]
    #[arg(long, value_name = "DIR")]
    pub enrolled: Option<PathBuf>,
    /// Only show the spool: reports waiting in the outbox, and refused ones with the reason.
    #[arg(long, conflicts_with = "check")]
    pub list: bool,
    /// Only check the connection: mutual TLS and GET /api/v1/health.
    #[arg(long)]
    pub check: bool,
}
