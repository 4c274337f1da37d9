//! Command-line interface of `selfcheck-collector` (also embedded in the
//! umbrella `selfcheck` binary). Every flag is in [`args`]; each sibling module
//! runs one group of subcommands: it reads the flags, calls the use case in
//! [`crate::app`] and hands the result to a renderer. The runners do not use
//! each other.

pub mod args;
pub mod assets;
pub mod evidence;
pub mod finding;
pub mod ledger;

pub mod pki;
pub mod serve;
pub mod store;

pub use crate::app::default_data_dir;
pub use args::{CollectorCli, CollectorCommand, GlobalArgs, ListFormat, parse_lang};

use anyhow::Result;
use clap::Parser;
use std::process::ExitCode;

/// Run a parsed command line.
pub fn run(cli: CollectorCli) -> Result<ExitCode> {
    run_command(&cli.global, cli.command)
}

/// Run one subcommand with the given global options (for binaries that embed
/// [`CollectorCommand`] under their own top level).
pub fn run_command(global: &GlobalArgs, command: CollectorCommand) -> Result<ExitCode> {
    // Every command but the server writes its result to standard output;
    // when the reader goes away (`| head`), it ends quietly.
    if !matches!(command, CollectorCommand::Serve(_)) {
        selfcheck_term::pipe::end_quietly_on_closed_stdout();
    }
    selfcheck_term::color::init(global.color);
    match command {
        CollectorCommand::Import(args) => ledger::run_import(global, &args),
        CollectorCommand::Ledger(args) => ledger::run_ledger(global, &args),
        CollectorCommand::Reports(args) => ledger::run_reports(global, &args),
        CollectorCommand::Assets(cmd) => assets::run(global, cmd),
        CollectorCommand::Finding(cmd) => finding::run_finding(global, cmd),
        CollectorCommand::History(cmd) => finding::run_history(global, cmd),
        CollectorCommand::Store(cmd) => store::run_store(global, cmd),
        CollectorCommand::Evidence(args) => evidence::run_evidence(global, &args),
        CollectorCommand::Verify(args) => evidence::run_verify(&args),
        CollectorCommand::Ca(cmd) => pki::run_ca(global, cmd),
        CollectorCommand::Enroll(args) => pki::run_enroll(global, &args),
        CollectorCommand::Revoke(args) => pki::run_revoke(global, &args),
        CollectorCommand::Certs(cmd) => pki::run_certs(global, cmd),
        CollectorCommand::Serve(args) => serve::run_serve(global, &args),
    }
}

/// Entry point of the `selfcheck-collector` binary: parse, run, report errors.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    finish(run(CollectorCli::parse_from(args)))
}

/// Print a line of text for people on standard output, its control
/// characters escaped ([`selfcheck_term::escape_lines`]).
pub(crate) fn say(text: &str) {
    println!("{}", selfcheck_term::escape_lines(text));
}

/// Print an error with its whole chain of causes as `error: ...` (control
/// characters escaped: errors quote report text); exit status 2.
pub fn finish(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", selfcheck_term::escape_lines(&format!("{e:#}")));
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
            args.month.month.map(|p| p.to_string()).as_deref(),
            Some("2026-11")
        );
    }
}
