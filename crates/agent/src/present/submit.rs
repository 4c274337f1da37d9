//! Delivery to the collector for people and programs: a line per report as
//! it is done, the summary, the problems (on standard error), the spool
//! listing, and the JSON documents of `submit --format json`.

use super::table;
use crate::submit::spool::{Added, AddedFile, Ignored, SpoolListing, SpooledReport};
use crate::submit::{Delivery, Event, Outcome, ReportResult};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Tell of a delivery event: a retry on standard error, a finished report as
/// its line on `out`.
pub fn print_event(out: &mut dyn Write, e: &Event<'_>) {
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

/// The summary line of a delivery on `out`, then its problems on standard error.
pub fn print_summary(out: &mut dyn Write, d: &Delivery) {
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

/// On standard error: ignored files, refusals, and why delivery stopped.
pub fn print_problems(d: &Delivery) {
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

/// The line for a report file `submit FILE` put into the spool.
pub fn added_line(a: &AddedFile) -> String {
    match &a.added {
        Added::Queued(e) => format!("spooled         {} from {}", e.report_id, a.file.display()),
        Added::AlreadyQueued(e) => {
            format!("already spooled {} ({})", e.report_id, e.path.display())
        }
    }
}

/// A report file added to the spool, in the JSON of `submit`.
#[derive(Debug, Serialize)]
pub struct AddedView<'a> {
    /// Whether a report with this id was already waiting.
    pub already_queued: bool,
    /// The file as given.
    pub file: &'a Path,
    /// Its outbox file.
    pub outbox: &'a Path,
    /// The report id.
    pub report_id: &'a selfcheck_report::ReportId,
}

impl<'a> AddedView<'a> {
    /// The view of one added file.
    pub fn new(a: &'a AddedFile) -> AddedView<'a> {
        AddedView {
            already_queued: matches!(a.added, Added::AlreadyQueued(_)),
            file: &a.file,
            outbox: &a.added.entry().path,
            report_id: &a.added.entry().report_id,
        }
    }
}

/// `submit --format json` after a delivery.
#[derive(Debug, Serialize)]
pub struct SubmitView<'a> {
    /// The files added first.
    pub added: Vec<AddedView<'a>>,
    /// What became of each report.
    pub delivery: &'a Delivery,
    /// The exit status the command ends with.
    pub exit_status: u8,
}

/// `submit --format json` when another delivery held the spool.
#[derive(Debug, Serialize)]
pub struct SubmitBusyView<'a> {
    /// The files added first.
    pub added: Vec<AddedView<'a>>,
    /// Who holds the spool.
    pub busy: String,
    /// The exit status the command ends with.
    pub exit_status: u8,
}

/// `submit --check --format json` when the collector answered.
#[derive(Debug, Serialize)]
pub struct HealthView<'a> {
    /// The collector URL.
    pub collector: &'a str,
    /// The collector's answer.
    pub health: &'a str,
    /// Always true here.
    pub ok: bool,
}

/// `submit --check --format json` when it did not.
#[derive(Debug, Serialize)]
pub struct HealthFailedView<'a> {
    /// The collector URL.
    pub collector: &'a str,
    /// What went wrong.
    pub error: &'a str,
    /// Always false here.
    pub ok: bool,
}

/// One report of `submit --list --format json`.
#[derive(Debug, Serialize)]
pub struct SpooledView<'a> {
    /// The spool file.
    pub file: &'a Path,
    /// When the audit finished.
    pub finished_at: &'a str,
    /// The host name.
    pub host: &'a str,
    /// For a refused report, why.
    pub note: &'a str,
    /// The inspection month.
    pub period: &'a str,
    /// The report id.
    pub report_id: &'a selfcheck_report::ReportId,
    /// `waiting` or `refused`.
    pub state: &'static str,
}

impl<'a> From<&'a SpooledReport> for SpooledView<'a> {
    fn from(r: &'a SpooledReport) -> SpooledView<'a> {
        SpooledView {
            file: &r.file,
            finished_at: &r.finished_at,
            host: &r.host,
            note: &r.note,
            period: &r.period,
            report_id: &r.report_id,
            state: r.state.as_str(),
        }
    }
}

/// `submit --list --format json`.
#[derive(Debug, Serialize)]
pub struct SpoolListView<'a> {
    /// Files that are not spool entries.
    pub ignored: &'a [Ignored],
    /// The outbox directory.
    pub outbox: &'a Path,
    /// The directory of refused reports.
    pub refused_dir: &'a Path,
    /// Waiting reports, then refused ones.
    pub reports: Vec<SpooledView<'a>>,
}

impl<'a> SpoolListView<'a> {
    /// The view of a listing.
    pub fn new(l: &'a SpoolListing) -> SpoolListView<'a> {
        SpoolListView {
            ignored: &l.ignored,
            outbox: &l.outbox_dir,
            refused_dir: &l.refused_dir,
            reports: l.reports.iter().map(SpooledView::from).collect(),
        }
    }
}

/// `submit --list` for people: a table of the spool (or that it is empty),
/// then the ignored files.
pub fn spool_table(l: &SpoolListing) -> String {
    let mut out = String::new();
    if l.reports.is_empty() {
        out.push_str(&format!(
            "The spool is empty ({}).\n",
            l.outbox_dir.display()
        ));
    } else {
        let mut t = table(vec![
            "state",
            "report id",
            "host",
            "period",
            "finished",
            "reason",
        ]);
        for r in &l.reports {
            t.add_row(vec![
                r.state.as_str().to_string(),
                r.report_id.to_string(),
                r.host.clone(),
                r.period.clone(),
                r.finished_at.clone(),
                r.note.clone(),
            ]);
        }
        out.push_str(&format!("{t}\n"));
        out.push_str(&format!(
            "{} waiting in {}, {} refused in {}\n",
            l.waiting,
            l.outbox_dir.display(),
            l.refused,
            l.refused_dir.display()
        ));
    }
    for i in &l.ignored {
        out.push_str(&format!("ignored: {}: {}\n", i.path.display(), i.why));
    }
    out
}
