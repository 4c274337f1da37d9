//! `selfcheck-agent submit` and `run --submit`: the use cases of
//! [`crate::app::submit`] from the command line, printed with
//! [`crate::present::submit`].

use super::args::{CommonArgs, OutputFormat, SubmitArgs};
use crate::app::submit::{
    EXIT_RUN_REFUSED, EXIT_WAITING, Prepared, list, spool_files, spool_report,
};
use crate::present::json_document;
use crate::present::submit::{
    AddedView, HealthFailedView, HealthView, SpoolListView, SubmitBusyView, SubmitView, added_line,
    print_event, print_problems, print_summary, spool_table,
};
use crate::submit::spool::{Spool, SpoolError};
use crate::submit::{Delivery, Event};
use anyhow::Result;
use selfcheck_report::Report;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Resolve the collector settings (flags over the agent config) and check the
/// TLS files, printing their warnings: before a `run --submit` audit, so a
/// missing URL or a bad key fails fast.
pub fn prepare(
    common: &CommonArgs,
    url: Option<&str>,
    enrolled: Option<&Path>,
) -> Result<Prepared> {
    let prepared = crate::app::submit::prepare(common.config.as_deref(), url, enrolled)?;
    for w in prepared.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(prepared)
}

/// After `run`: spool the new report, deliver the outbox, print the lines
/// (to stdout for a table, to stderr when stdout carries the JSON report) and
/// combine the exit status with the run's own `run_status`.
pub fn after_run(
    prepared: &Prepared,
    state_dir: &Path,
    file_bytes: &[u8],
    report: &Report,
    format: OutputFormat,
    run_status: u8,
) -> Result<ExitCode> {
    let spool = spool_report(state_dir, file_bytes, report)?;
    let mut out: Box<dyn Write> = match format {
        OutputFormat::Table => Box::new(std::io::stdout()),
        OutputFormat::Json => Box::new(std::io::stderr()),
    };
    let _ = writeln!(out);
    let delivery = match deliver_printing(prepared, &spool, &mut out) {
        Ok(d) => d,
        Err(SpoolError::Busy { .. }) => return Ok(ExitCode::from(EXIT_WAITING)),
        Err(e) => return Err(e.into()),
    };
    let code = match delivery.exit_status() {
        0 => run_status,
        1 => EXIT_RUN_REFUSED,
        other => other,
    };
    Ok(ExitCode::from(code))
}

/// Deliver with lines printed as reports are done; the summary at the end.
fn deliver_printing(
    prepared: &Prepared,
    spool: &Spool,
    out: &mut dyn Write,
) -> Result<Delivery, SpoolError> {
    let result = prepared.deliver(spool, &mut |e: Event<'_>| print_event(out, &e));
    match &result {
        Ok(d) => print_summary(out, d),
        Err(e @ SpoolError::Busy { .. }) => eprintln!("{e}"),
        Err(_) => {}
    }
    result
}

/// Run `selfcheck-agent submit`.
pub fn run(common: &CommonArgs, args: SubmitArgs) -> Result<ExitCode> {
    if args.list {
        let listing = list(&common.state_dir())?;
        match common.format {
            OutputFormat::Json => {
                println!("{}", json_document(&SpoolListView::new(&listing))?)
            }
            OutputFormat::Table => print!("{}", spool_table(&listing)),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let prepared = prepare(common, args.url.as_deref(), args.enrolled.as_deref())?;
    if args.check {
        return check(&prepared, common.format);
    }
    let table = common.format == OutputFormat::Table;
    let (spool, added) = spool_files(&common.state_dir(), &args.files, &mut |a| {
        if table {
            println!("{}", added_line(a));
        }
    })?;
    match common.format {
        OutputFormat::Table => {
            let mut out = std::io::stdout();
            match deliver_printing(&prepared, &spool, &mut out) {
                Ok(d) => Ok(ExitCode::from(d.exit_status())),
                Err(SpoolError::Busy { .. }) => Ok(ExitCode::from(EXIT_WAITING)),
                Err(e) => Err(e.into()),
            }
        }
        OutputFormat::Json => {
            // Retry notices still go to stderr; the per-report lines are in the JSON.
            let mut on_event = |e: Event<'_>| {
                if let Event::Retry { .. } = e {
                    print_event(&mut std::io::sink(), &e)
                }
            };
            let added = || added.iter().map(AddedView::new).collect();
            let (doc, code) = match prepared.deliver(&spool, &mut on_event) {
                Ok(d) => {
                    print_problems(&d);
                    let code = d.exit_status();
                    let doc = json_document(&SubmitView {
                        added: added(),
                        delivery: &d,
                        exit_status: code,
                    })?;
                    (doc, code)
                }
                Err(e @ SpoolError::Busy { .. }) => (
                    json_document(&SubmitBusyView {
                        added: added(),
                        busy: e.to_string(),
                        exit_status: EXIT_WAITING,
                    })?,
                    EXIT_WAITING,
                ),
                Err(e) => return Err(e.into()),
            };
            println!("{doc}");
            Ok(ExitCode::from(code))
        }
    }
}

/// `submit --check`: mutual TLS and the collector's health answer.
fn check(prepared: &Prepared, format: OutputFormat) -> Result<ExitCode> {
    let url = prepared.url();
    let result = prepared.health();
    if format == OutputFormat::Json {
        let doc = match &result {
            Ok(body) => json_document(&HealthView {
                collector: url.as_str(),
                health: body,
                ok: true,
            })?,
            Err(f) => json_document(&HealthFailedView {
                collector: url.as_str(),
                error: &f.what,
                ok: false,
            })?,
        };
        println!("{doc}");
    }
    match result {
        Ok(body) => {
            if format == OutputFormat::Table {
                println!("The collector at {url} answers over mutual TLS: {body}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(f) => {
            eprintln!("cannot reach the collector at {url}: {}", f.what);
            Ok(ExitCode::from(EXIT_WAITING))
        }
    }
}
