//! `selfcheck-agent submit` and `run --submit`: sending reports to the
//! collector from the command line, and showing what the spool holds.

use super::args::{CommonArgs, OutputFormat, SubmitArgs};
use crate::config::AgentConfig;
use crate::state::StateDir;
use crate::submit::client::Collector;
use crate::submit::spool::{Added, Entry, Ignored, Spool, SpoolError};
use crate::submit::{Delivery, Event, Outcome, ReportResult, SubmitSettings, deliver};
use anyhow::{Context, Result, anyhow};
use selfcheck_report::{Report, SignedReport};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Exit status of `submit` (and of `run --submit`) when reports still wait in the spool.
pub const EXIT_WAITING: u8 = 3;

/// Exit status of `run --submit` when the collector refused a report
/// (`submit` uses 1, which `run` already uses for findings).
pub const EXIT_RUN_REFUSED: u8 = 4;

/// Collector settings and a checked client, made before a `run --submit` audit
/// so that a missing URL or a bad key fails fast.
#[derive(Debug)]
pub struct Prepared {
    settings: SubmitSettings,
    collector: Collector,
}

/// Resolve the settings and check the TLS files.
pub fn prepare(
    common: &CommonArgs,
    url: Option<&str>,
    enrolled: Option<&Path>,
) -> Result<Prepared> {
    let config = AgentConfig::load(common.config.as_deref())?;
    let settings =
        SubmitSettings::resolve(&config.submit, url, enrolled).map_err(|e| anyhow!(e))?;
    let collector = settings.collector()?;
    for w in collector.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(Prepared {
        settings,
        collector,
    })
}

impl Prepared {
    /// After `run`: spool the new report, deliver the outbox, print the lines
    /// (to stdout for a table, to stderr when stdout carries the JSON report)
    /// and combine the exit status with the run's own `run_status`.
    pub fn after_run(
        &self,
        state_dir: &Path,
        file_bytes: &[u8],
        report: &Report,
        format: OutputFormat,
        run_status: u8,
    ) -> Result<ExitCode> {
        let spool = Spool::open(&StateDir::open(state_dir)?)?;
        spool.add_verified(file_bytes, report)?;
        let mut out: Box<dyn Write> = match format {
            OutputFormat::Table => Box::new(std::io::stdout()),
            OutputFormat::Json => Box::new(std::io::stderr()),
        };
        let _ = writeln!(out);
        let delivery = match self.deliver(&spool, &mut out) {
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
    fn deliver(&self, spool: &Spool, out: &mut dyn Write) -> Result<Delivery, SpoolError> {
        let mut on_event = |e: Event<'_>| print_event(out, &e);
        let result = deliver(spool, &self.collector, &self.settings, &mut on_event);
        match &result {
            Ok(d) => print_summary(out, d),
            Err(e @ SpoolError::Busy { .. }) => eprintln!("{e}"),
            Err(_) => {}
        }
        result
    }
}

fn print_event(out: &mut dyn Write, e: &Event<'_>) {
    match e {
        Event::Retry {
            report_id,
            attempt,
            wait,
            what,
        } => eprintln!(
            "retry: report {report_id}, try {attempt} failed ({what}); next try in {:.1} s",
            wait.as_secs_f64()
        ),
        Event::Done(r) => {
            let _ = writeln!(out, "{}", result_line(r));
        }
    }
}

/// One line for a report: what happened and why.
pub fn result_line(r: &ReportResult) -> String {
    let id = &r.report_id;
    let msg = |m: &str| {
        if m.is_empty() {
            String::new()
        } else {
            format!(": {m}")
        }
    };
    match r.outcome {
        Outcome::Stored => format!("stored          {id}{}", msg(&r.message)),
        Outcome::AlreadyStored => format!("already stored  {id}{}", msg(&r.message)),
        Outcome::Refused => format!(
            "refused         {id}: {}{}; kept in {}",
            r.http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not sent".into()),
            msg(&r.message),
            r.refused_to
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
        Outcome::Waiting => format!("kept for later  {id}{}", msg(&r.message)),
    }
}

fn print_summary(out: &mut dyn Write, d: &Delivery) {
    if d.results.is_empty() {
        let _ = writeln!(out, "Nothing waits in the spool for {}.", d.collector);
    } else {
        let _ = writeln!(
            out,
            "{}: {} stored, {} already stored, {} refused, {} waiting in the spool.",
            d.collector,
            d.count(Outcome::Stored),
            d.count(Outcome::AlreadyStored),
            d.count(Outcome::Refused),
            d.waiting
        );
    }
    print_problems(d);
}

/// On stderr: ignored files, refusals, and why delivery stopped.
fn print_problems(d: &Delivery) {
    for i in &d.ignored {
        eprintln!("ignored: {}: {}", i.path.display(), i.why);
    }
    for r in d.results.iter().filter(|r| r.outcome == Outcome::Refused) {
        eprintln!(
            "error: the collector refused report {}: {}{}; it is kept in {} with a .reason file",
            r.report_id,
            r.http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not sent".into()),
            if r.message.is_empty() {
                String::new()
            } else {
                format!(" {}", r.message)
            },
            r.refused_to
                .as_deref()
                .and_then(Path::parent)
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    if let (Some(why), Some(last)) = (&d.stopped, d.results.last()) {
        let head = match last.http_status {
            None => format!("cannot reach the collector at {}: {why}", d.collector),
            Some(_) => format!(
                "the collector at {} did not take report {}: {why}",
                d.collector, last.report_id
            ),
        };
        eprintln!(
            "{head}; the report stays in the spool ({} waiting) and is sent on the next run",
            d.waiting
        );
    }
}

/// Run `selfcheck-agent submit`.
pub fn run(common: &CommonArgs, args: SubmitArgs) -> Result<ExitCode> {
    if args.list {
        return list(common, common.format);
    }
    let prepared = prepare(common, args.url.as_deref(), args.enrolled.as_deref())?;
    if args.check {
        return check(&prepared, common.format);
    }
    // Verify every file before the spool changes at all.
    let mut files = Vec::new();
    for path in &args.files {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read report file {}", path.display()))?;
        let verified = SignedReport::verify_bytes(&bytes).map_err(|error| {
            anyhow!(SpoolError::NotAReport {
                path: path.clone(),
                error
            })
            .context("nothing was added to the spool")
        })?;
        files.push((path, bytes, verified.signed.report));
    }
    let spool = Spool::open(&StateDir::open(&common.state_dir())?)?;
    let mut added = Vec::new();
    for (path, bytes, report) in &files {
        let a = spool.add_verified(bytes, report)?;
        if common.format == OutputFormat::Table {
            match &a {
                Added::Queued(e) => {
                    println!("spooled         {} from {}", e.report_id, path.display())
                }
                Added::AlreadyQueued(e) => {
                    println!("already spooled {} ({})", e.report_id, e.path.display())
                }
            }
        }
        added.push(serde_json::json!({
            "file": path,
            "report_id": a.entry().report_id,
            "outbox": a.entry().path,
            "already_queued": matches!(a, Added::AlreadyQueued(_)),
        }));
    }
    match common.format {
        OutputFormat::Table => {
            let mut out = std::io::stdout();
            match prepared.deliver(&spool, &mut out) {
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
            let (doc, code) = match deliver(
                &spool,
                &prepared.collector,
                &prepared.settings,
                &mut on_event,
            ) {
                Ok(d) => {
                    print_problems(&d);
                    let code = d.exit_status();
                    (
                        serde_json::json!({"added": added, "delivery": d, "exit_status": code}),
                        code,
                    )
                }
                Err(e @ SpoolError::Busy { .. }) => (
                    serde_json::json!({"added": added, "busy": e.to_string(), "exit_status": EXIT_WAITING}),
                    EXIT_WAITING,
                ),
                Err(e) => return Err(e.into()),
            };
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(ExitCode::from(code))
        }
    }
}

fn check(prepared: &Prepared, format: OutputFormat) -> Result<ExitCode> {
    let url = prepared.collector.url();
    let result = prepared.collector.health();
    if format == OutputFormat::Json {
        let doc = match &result {
            Ok(body) => serde_json::json!({"collector": url.as_str(), "ok": true, "health": body}),
            Err(f) => serde_json::json!({"collector": url.as_str(), "ok": false, "error": f.what}),
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
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

/// A few fields of a spooled report for the list (without verifying it again).
fn summary_of(path: &Path) -> (String, String, String) {
    let value = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let field = |p: &str| {
        value
            .as_ref()
            .and_then(|v| v.pointer(p))
            .and_then(|s| s.as_str())
            .unwrap_or("?")
            .to_string()
    };
    (
        field("/report/host/hostname"),
        field("/report/period"),
        field("/report/finished_at"),
    )
}

fn list(common: &CommonArgs, format: OutputFormat) -> Result<ExitCode> {
    let spool = Spool::open(&StateDir::open(&common.state_dir())?)?;
    let outbox = spool.outbox()?;
    let refused = spool.refused()?;
    let row = |state: &str, e: &Entry, note: String| {
        let (host, period, finished) = summary_of(&e.path);
        serde_json::json!({
            "state": state, "file": e.path, "report_id": e.report_id,
            "host": host, "period": period, "finished_at": finished, "note": note,
        })
    };
    let mut rows: Vec<serde_json::Value> = outbox
        .entries
        .iter()
        .map(|e| row("waiting", e, String::new()))
        .collect();
    for e in &refused.entries {
        let note = match spool.refusal_of(e) {
            Some(r) => format!(
                "{}: {}",
                r.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "not sent".into()),
                r.message
            ),
            None => "no .reason file".to_string(),
        };
        rows.push(row("refused", e, note));
    }
    let ignored: Vec<&Ignored> = outbox.ignored.iter().chain(&refused.ignored).collect();
    match format {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "outbox": spool.outbox_dir(),
                "refused_dir": spool.refused_dir(),
                "reports": rows,
                "ignored": ignored.iter().map(|i| serde_json::json!({"path": i.path, "why": i.why})).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        OutputFormat::Table => {
            if rows.is_empty() {
                println!("The spool is empty ({}).", spool.outbox_dir().display());
            } else {
                let mut t = crate::present::table(vec![
                    "state",
                    "report id",
                    "host",
                    "period",
                    "finished",
                    "reason",
                ]);
                for r in &rows {
                    let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                    t.add_row(vec![
                        s("state"),
                        s("report_id"),
                        s("host"),
                        s("period"),
                        s("finished_at"),
                        s("note"),
                    ]);
                }
                println!("{t}");
                println!(
                    "{} waiting in {}, {} refused in {}",
                    outbox.entries.len(),
                    spool.outbox_dir().display(),
                    refused.entries.len(),
                    spool.refused_dir().display()
                );
            }
            for i in ignored {
                println!("ignored: {}: {}", i.path.display(), i.why);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
