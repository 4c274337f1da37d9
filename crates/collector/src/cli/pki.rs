//! `ca`, `enroll`, `revoke` and `certs`: the collector's CA, a client
//! certificate per agent host, revocation, and the register.

use super::args::{CaCommand, CertsCommand, EnrollArgs, GlobalArgs, RevokeArgs};
use crate::app;
use crate::app::pki::enrolled;
use crate::pki::{CA_CERT_FILE, CA_KEY_FILE, CaOptions, SERVER_CERT_FILE};
use anyhow::Result;
use std::process::ExitCode;

/// Run a `ca` subcommand.
pub fn run_ca(global: &GlobalArgs, command: CaCommand) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    match command {
        CaCommand::Init(args) => {
            let options = CaOptions {
                name: args.name,
                server_names: args.server_names.server_names,
                ca_days: args.days,
                server_days: args.server_days,
                offline_key: args.offline_key.clone(),
            };
            let (ca, server) = app::pki::init(&dir, &options)?;
            println!("CA created in {}", ca.dir().display());
            println!(
                "  CA certificate:     {} ({})",
                ca.dir().join(CA_CERT_FILE).display(),
                ca.ca_fingerprint()
            );
            println!(
                "  server certificate: {} for {}",
                ca.dir().join(SERVER_CERT_FILE).display(),
                server.alt_names.join(", ")
            );
            match &args.offline_key {
                Some(key) => println!(
                    "The CA key is in {} only, not in the data directory: keep it offline; enroll agents with `selfcheck-collector enroll --host NAME --out DIR --ca-key {}`.",
                    key.display(),
                    key.display()
                ),
                None => println!(
                    "Back up {} offline; enroll agents with `selfcheck-collector enroll --host NAME --out DIR`.",
                    ca.dir().join(CA_KEY_FILE).display()
                ),
            }
        }
        CaCommand::Show => {
            let ca = app::pki::authority(&dir)?;
            println!(
                "CA: {} ({})",
                ca.dir().join(CA_CERT_FILE).display(),
                ca.ca_fingerprint()
            );
            if !ca.has_key() {
                println!("CA key: kept offline (enroll and ca server-cert need --ca-key FILE)");
            }
            let certs = app::pki::certificates(&dir)?;
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
            let cert = app::pki::server_cert(
                &dir,
                &args.server_names.server_names,
                args.days,
                args.ca_key.ca_key.as_deref(),
                &args.by.by,
            )?;
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
    let cert = app::pki::enroll(
        &dir,
        &args.host,
        &args.out,
        args.days,
        args.ca_key.ca_key.as_deref(),
        &args.by.by,
    )?;
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

/// Run `revoke`.
pub fn run_revoke(global: &GlobalArgs, args: &RevokeArgs) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let revoked = app::pki::revoke(
        &dir,
        args.host.as_deref(),
        args.serial.as_deref(),
        &args.by.by,
        &args.reason.reason,
    )?;
    for c in &revoked {
        println!("revoked {} certificate {} of {}", c.role, c.serial, c.name);
    }
    Ok(ExitCode::SUCCESS)
}

/// Run a `certs` subcommand.
pub fn run_certs(global: &GlobalArgs, command: CertsCommand) -> Result<ExitCode> {
    let CertsCommand::List(args) = command;
    let certs = app::pki::certificates(&global.data_dir()?)?;
    let now = chrono::Utc::now();
    if args.format.is_json() {
        print!("{}", selfcheck_documents::certs::certs_json(&certs, now));
    } else {
        print!(
            "{}",
            selfcheck_term::escape_lines(&selfcheck_documents::certs::certs_table(
                &certs,
                now,
                global.lang
            ))
        );
    }
    Ok(ExitCode::SUCCESS)
}
