//! The `ca`, `enroll`, `revoke` and `certs` subcommands: the collector's CA,
//! a client certificate per agent host, revocation, and the register.

use crate::cli::{GlobalArgs, ListFormat};
use crate::pki::register::{self, RevokeWhich};
use crate::pki::{Authority, CaOptions, CertRequest, PkiError};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use selfcheck_ledger::store::Store;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// File names `enroll` writes into `--out`, which the agent's `[submit]` defaults expect.
pub mod enrolled {
    /// The collector CA certificate.
    pub const CA: &str = "ca.pem";
    /// The host's client certificate.
    pub const CERT: &str = "client.pem";
    /// The host's private key (mode 0600).
    pub const KEY: &str = "client-key.pem";
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
    /// A DNS name or IP address agents use to reach the collector (repeat for several).
    #[arg(long = "server-name", value_name = "NAME|IP")]
    pub server_names: Vec<String>,
    /// Validity of the CA certificate, in days.
    #[arg(long, default_value_t = 3650)]
    pub days: u32,
    /// Validity of the server certificate, in days.
    #[arg(long, default_value_t = 825)]
    pub server_days: u32,
}

/// Options of `ca server-cert`.
#[derive(Debug, Args)]
pub struct ServerCertArgs {
    /// A DNS name or IP address agents use to reach the collector (repeat for several).
    #[arg(long = "server-name", value_name = "NAME|IP")]
    pub server_names: Vec<String>,
    /// Validity in days.
    #[arg(long, default_value_t = 825)]
    pub days: u32,
    /// Who is doing this (recorded in the history).
    #[arg(long, default_value_t = default_actor())]
    pub by: String,
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
in the register (`certs list`) and the history.",
    after_help = "Examples:\n  selfcheck-collector enroll --host web-01 --out enroll/web-01\n  scp enroll/web-01/* root@web-01:/etc/selfcheck/"
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
    /// Who is doing this (recorded in the register and the history).
    #[arg(long, default_value_t = default_actor())]
    pub by: String,
}

/// Options of `revoke`.
#[derive(Debug, Args)]
#[command(
    long_about = "Revoke a host's client certificates (all unrevoked ones of that host), or one \
certificate by --serial. A running `serve` refuses them at the next TLS handshake (it re-reads \
the register every second). Revocation is recorded in the register and the history.",
    after_help = "Examples:\n  selfcheck-collector revoke web-01 --reason \"host decommissioned\"\n  selfcheck-collector revoke --serial 1f3a…  --reason \"key copied to a laptop\""
)]
pub struct RevokeArgs {
    /// The host whose client certificates to revoke.
    #[arg(required_unless_present = "serial", conflicts_with = "serial")]
    pub host: Option<String>,
    /// Revoke only the certificate with this serial number (hex, as `certs list` shows it).
    #[arg(long)]
    pub serial: Option<String>,
    /// Why (recorded).
    #[arg(long)]
    pub reason: String,
    /// Who is doing this.
    #[arg(long, default_value_t = default_actor())]
    pub by: String,
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
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// The person running the command, for the history: `$SUDO_USER`, `$USER`, or the uid.
pub fn default_actor() -> String {
    std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("uid {}", nix::unistd::geteuid()))
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Run a `ca` subcommand.
pub fn run_ca(global: &GlobalArgs, command: CaCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    match command {
        CaCommand::Init(args) => {
            let mut store = Store::open(&dir)?;
            let options = CaOptions {
                name: args.name,
                server_names: args.server_names,
                ca_days: args.days,
                server_days: args.server_days,
            };
            let (ca, server) = Authority::init(&dir, &options)?;
            register::record_issued(&mut store, &server, &default_actor(), now())?;
            println!("CA created in {}", ca.dir().display());
            println!(
                "  CA certificate:     {} ({})",
                ca.dir().join(crate::pki::CA_CERT_FILE).display(),
                ca.ca_fingerprint()
            );
            println!(
                "  server certificate: {} for {}",
                ca.dir().join(crate::pki::SERVER_CERT_FILE).display(),
                server.alt_names.join(", ")
            );
            println!(
                "Back up {} offline; enroll agents with `selfcheck-collector enroll --host NAME --out DIR`.",
                ca.dir().join(crate::pki::CA_KEY_FILE).display()
            );
        }
        CaCommand::Show => {
            let ca = Authority::open(&dir)?;
            println!(
                "CA: {} ({})",
                ca.dir().join(crate::pki::CA_CERT_FILE).display(),
                ca.ca_fingerprint()
            );
            let store = Store::open_existing(&dir)?;
            let certs = store.certificates()?;
            let now = chrono::Utc::now();
            for c in certs.iter().filter(|c| c.role == "server") {
                println!(
                    "server certificate {} valid {} .. {} ({})",
                    c.serial,
                    c.not_before,
                    c.not_after,
                    c.state(now)
                );
            }
            let clients = certs
                .iter()
                .filter(|c| c.role == "client" && c.state(now) == "valid")
                .count();
            println!("{clients} valid client certificate(s); `certs list` shows them");
        }
        CaCommand::ServerCert(args) => {
            let mut store = Store::open_existing(&dir)?;
            let ca = Authority::open(&dir)?;
            let cert = ca.issue(&CertRequest::server(&args.server_names, args.days))?;
            ca.install_server_cert(&cert)?;
            register::record_issued(&mut store, &cert, &args.by, now())?;
            println!(
                "new server certificate {} for {}; restart `serve` to use it",
                cert.serial,
                cert.alt_names.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `enroll`.
pub fn run_enroll(global: &GlobalArgs, args: &EnrollArgs) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let ca = Authority::open(&dir)?;
    let mut store = Store::open_existing(&dir)?;
    let paths = [enrolled::CA, enrolled::CERT, enrolled::KEY].map(|n| args.out.join(n));
    for p in &paths {
        if p.exists() {
            return Err(PkiError::OutputExists { path: p.clone() }.into());
        }
    }
    let cert = ca.issue(&CertRequest::client(&args.host, args.days))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_enrolled(&paths, ca.ca_pem(), &cert.cert_pem, &cert.key_pem)?;
    register::record_issued(&mut store, &cert, &args.by, now())?;
    println!(
        "enrolled {}: certificate {} valid until {}, written to {}",
        args.host,
        cert.serial,
        cert.not_after.format("%Y-%m-%d"),
        args.out.display()
    );
    println!(
        "copy {} to the host's /etc/selfcheck/ (or use --enrolled DIR on the agent)",
        [enrolled::CA, enrolled::CERT, enrolled::KEY].join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn write_enrolled(paths: &[PathBuf; 3], ca: &str, cert: &str, key: &str) -> Result<()> {
    crate::pki::authority::write_public(&paths[0], ca.as_bytes())?;
    crate::pki::authority::write_public(&paths[1], cert.as_bytes())?;
    crate::pki::authority::write_private(&paths[2], key.as_bytes())?;
    Ok(())
}

/// Run `revoke`.
pub fn run_revoke(global: &GlobalArgs, args: &RevokeArgs) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let mut store = Store::open_existing(&dir)?;
    let target = match (&args.host, &args.serial) {
        (_, Some(serial)) => RevokeWhich::Serial(serial),
        (Some(host), None) => RevokeWhich::Host(host),
        (None, None) => bail!("name a host or --serial"),
    };
    let revoked = register::revoke(&mut store, target.clone(), &args.by, &args.reason, now())?;
    if revoked.is_empty() {
        bail!(
            "nothing to revoke: no unrevoked certificate matches {}; `certs list` shows the register",
            match target {
                RevokeWhich::Host(h) => format!("host {h:?}"),
                RevokeWhich::Serial(s) => format!("serial {s}"),
            }
        );
    }
    for c in &revoked {
        println!("revoked {} certificate {} of {}", c.role, c.serial, c.name);
    }
    Ok(ExitCode::SUCCESS)
}

/// Run a `certs` subcommand.
pub fn run_certs(global: &GlobalArgs, command: CertsCommand) -> Result<ExitCode> {
    let CertsCommand::List(args) = command;
    let dir = global.data_dir()?;
    let store = Store::open_existing(&dir)?;
    let certs = store.certificates()?;
    let now = chrono::Utc::now();
    match args.format {
        ListFormat::Json => print!("{}", selfcheck_documents::certs::certs_json(&certs, now)),
        ListFormat::Table => print!("{}", selfcheck_documents::certs::certs_table(&certs, now)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The enrolled file paths in a folder (for tests and the agent's `--enrolled`).
pub fn enrolled_paths(dir: &Path) -> [PathBuf; 3] {
    [enrolled::CA, enrolled::CERT, enrolled::KEY].map(|n| dir.join(n))
}
