//! Delivery of signed reports to the collector over mutual TLS, through an
//! offline spool in the state directory.
//!
//! A report first goes into the spool outbox ([`spool`]); [`deliver`] then
//! sends the whole outbox oldest first with the [`client`]. A report leaves
//! the outbox only when the collector confirmed it (201 stored, 200 already
//! stored) or refused it for good (moved to `spool/refused/` with the reason).
//! When the collector cannot be reached the report stays and goes with the
//! next run. Retries within one invocation wait 1 s, 2 s, 4 s, ... (at most
//! 30 s), or the collector's Retry-After (at most 60 s) when it is longer.
//! See `docs/submit.md`.

pub mod answer;
pub mod cfg;
pub mod client;
pub mod endpoint;
pub mod spool;

use answer::Answer;
use cfg::SubmitConfig;
use client::Collector;
use endpoint::{CollectorUrl, TlsFiles};
use selfcheck_report::{ReportId, SignedReport};
use serde::Serialize;
use spool::{Entry, Ignored, Refusal, Spool, SpoolError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where enrolment files are looked for when neither the config nor `--enrolled` names them.
pub const DEFAULT_ENROLLED_DIR: &str = "/etc/selfcheck";

/// Seconds a request may take unless `[submit] timeout_seconds` says otherwise.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 30;

/// Tries per report per invocation unless `[submit] max_attempts` says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;

/// Environment knob for tests: milliseconds per "second" of every retry wait (default 1000).
pub const TIME_UNIT_ENV: &str = "SELFCHECK_SUBMIT_TIME_UNIT_MS";

const BACKOFF_CAP_UNITS: u64 = 30;
const RETRY_AFTER_CAP_UNITS: u64 = 60;

/// Everything a delivery needs, resolved from the config and the command line.
#[derive(Debug, Clone)]
pub struct SubmitSettings {
    /// The collector.
    pub url: CollectorUrl,
    /// CA, client certificate and key.
    pub files: TlsFiles,
    /// Per request.
    pub timeout: Duration,
    /// Tries per report per invocation.
    pub max_attempts: u32,
    /// One "second" of retry waits ([`TIME_UNIT_ENV`] shortens it in tests).
    pub time_unit: Duration,
}

impl SubmitSettings {
    /// The command line's URL and `--enrolled DIR` win over the config's `[submit]`.
    pub fn resolve(
        config: &SubmitConfig,
        url: Option<&str>,
        enrolled: Option<&Path>,
    ) -> Result<SubmitSettings, String> {
        let url = match url.or(config.url.as_deref()) {
            Some(u) => CollectorUrl::parse(u)?,
            None => {
                return Err(
                    "no collector URL: give one (--submit URL, submit --url URL) or set url in the [submit] section of the agent config".into(),
                );
            }
        };
        let default = TlsFiles::in_dir(Path::new(DEFAULT_ENROLLED_DIR));
        let files = match enrolled {
            Some(dir) => TlsFiles::in_dir(dir),
            None => TlsFiles {
                ca: config.ca.clone().unwrap_or(default.ca),
                cert: config.cert.clone().unwrap_or(default.cert),
                key: config.key.clone().unwrap_or(default.key),
            },
        };
        let unit_ms = std::env::var(TIME_UNIT_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1000);
        Ok(SubmitSettings {
            url,
            files,
            timeout: Duration::from_secs(config.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS)),
            max_attempts: config.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
            time_unit: Duration::from_millis(unit_ms),
        })
    }

    /// Check the TLS files and make the client.
    pub fn collector(&self) -> Result<Collector, client::TlsSetupError> {
        Collector::new(self.url.clone(), self.files.clone(), self.timeout)
    }
}

/// The wait before try `attempt + 1` after try `attempt` (1-based) failed:
/// 1, 2, 4, ... units, at most 30; at least the Retry-After (at most 60 units).
pub fn backoff(attempt: u32, retry_after: Option<u64>, unit: Duration) -> Duration {
    let exp = 1u64 << attempt.saturating_sub(1).min(16);
    let units = exp
        .min(BACKOFF_CAP_UNITS)
        .max(retry_after.unwrap_or(0).min(RETRY_AFTER_CAP_UNITS));
    unit.saturating_mul(u32::try_from(units).unwrap_or(u32::MAX))
}

/// What became of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 201: the collector stored it; it left the outbox.
    Stored,
    /// 200: the collector had it already; it left the outbox.
    AlreadyStored,
    /// Refused for good; moved to `spool/refused/`.
    Refused,
    /// Not delivered this time; still in the outbox.
    Waiting,
}

/// One report's delivery.
#[derive(Debug, Clone, Serialize)]
pub struct ReportResult {
    /// The report id.
    pub report_id: ReportId,
    /// Its outbox file.
    pub file: PathBuf,
    /// What happened.
    pub outcome: Outcome,
    /// The HTTP status of the last answer, if any.
    pub http_status: Option<u16>,
    /// The collector's message, or what went wrong.
    pub message: String,
    /// Tries made.
    pub attempts: u32,
    /// Where a refused report now is.
    pub refused_to: Option<PathBuf>,
}

/// Something worth telling while a delivery runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// A report is done (for this invocation).
    Done(&'a ReportResult),
    /// A try failed and another follows after `wait`.
    Retry {
        /// The report.
        report_id: &'a ReportId,
        /// The try that failed (1-based).
        attempt: u32,
        /// The wait before the next.
        wait: Duration,
        /// What went wrong.
        what: &'a str,
    },
}

/// The result of delivering the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The collector URL.
    pub collector: String,
    /// One per report tried, in order.
    pub results: Vec<ReportResult>,
    /// Reports still in the outbox afterwards.
    pub waiting: usize,
    /// Why delivery stopped early, when it did.
    pub stopped: Option<String>,
    /// Files in the outbox that are not reports (left-over temporary files, strangers).
    pub ignored: Vec<Ignored>,
}

impl Delivery {
    /// How many reports ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Exit status of `selfcheck-agent submit`: 1 when a report was refused,
    /// else 3 when any still waits, else 0.
    pub fn exit_status(&self) -> u8 {
        if self.count(Outcome::Refused) > 0 {
            1
        } else if self.waiting > 0 {
            3
        } else {
            0
        }
    }
}

fn now_rfc3339() -> String {
    chrono::Local::now().fixed_offset().to_rfc3339()
}

/// Deliver the outbox, oldest first, holding the spool lock. Reports added
/// by others while this runs are delivered too. Delivery stops at the first
/// report that cannot be delivered now (the rest would meet the same
/// collector), leaving it and everything newer in the outbox.
pub fn deliver(
    spool: &Spool,
    collector: &Collector,
    settings: &SubmitSettings,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Delivery, SpoolError> {
    let _lock = spool.lock(settings.timeout)?;
    let mut delivery = Delivery {
        collector: collector.url().to_string(),
        results: Vec::new(),
        waiting: 0,
        stopped: None,
        ignored: Vec::new(),
    };
    let mut tried: Vec<PathBuf> = Vec::new();
    loop {
        let listing = spool.outbox()?;
        delivery.ignored = listing.ignored;
        let Some(entry) = listing
            .entries
            .into_iter()
            .find(|e| !tried.contains(&e.path))
        else {
            break;
        };
        tried.push(entry.path.clone());
        // A file someone removed meanwhile is simply no longer waiting.
        let Some(result) = deliver_one(spool, collector, settings, &entry, on_event)? else {
            continue;
        };
        on_event(Event::Done(&result));
        let stop = result.outcome == Outcome::Waiting;
        if stop {
            delivery.stopped = Some(result.message.clone());
        }
        delivery.results.push(result);
        if stop {
            break;
        }
    }
    delivery.waiting = spool.outbox()?.entries.len();
    Ok(delivery)
}

fn deliver_one(
    spool: &Spool,
    collector: &Collector,
    settings: &SubmitSettings,
    entry: &Entry,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Option<ReportResult>, SpoolError> {
    let mut result = ReportResult {
        report_id: entry.report_id.clone(),
        file: entry.path.clone(),
        outcome: Outcome::Waiting,
        http_status: None,
        message: String::new(),
        attempts: 0,
        refused_to: None,
    };
    let bytes = match std::fs::read(&entry.path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(SpoolError::Io {
                action: "cannot read spooled report",
                path: entry.path.clone(),
                error,
            });
        }
    };
    // The outbox holds only verified reports; a file damaged since is set aside, not sent.
    if let Err(e) = SignedReport::verify_bytes(&bytes) {
        let refusal = Refusal {
            status: None,
            message: format!("the spooled file no longer verifies: {e}"),
            collector: collector.url().to_string(),
            refused_at: now_rfc3339(),
        };
        result.refused_to = Some(spool.refuse(entry, &refusal)?);
        result.outcome = Outcome::Refused;
        result.message = refusal.message;
        return Ok(Some(result));
    }
    for attempt in 1..=settings.max_attempts {
        result.attempts = attempt;
        match collector.post_report(&bytes, &entry.report_id) {
            Answer::Stored { message } => {
                spool.confirm(entry)?;
                result.outcome = Outcome::Stored;
                result.http_status = Some(201);
                result.message = message;
                return Ok(Some(result));
            }
            Answer::AlreadyStored { message } => {
                spool.confirm(entry)?;
                result.outcome = Outcome::AlreadyStored;
                result.http_status = Some(200);
                result.message = message;
                return Ok(Some(result));
            }
            Answer::Refused { status, message } => {
                let refusal = Refusal {
                    status: Some(status),
                    message: message.clone(),
                    collector: collector.url().to_string(),
                    refused_at: now_rfc3339(),
                };
                result.refused_to = Some(spool.refuse(entry, &refusal)?);
                result.outcome = Outcome::Refused;
                result.http_status = Some(status);
                result.message = message;
                return Ok(Some(result));
            }
            Answer::Later(failure) => {
                result.http_status = failure.status;
                result.message = failure.what.clone();
                if !failure.retry_soon || attempt == settings.max_attempts {
                    break;
                }
                let wait = backoff(attempt, failure.retry_after, settings.time_unit);
                on_event(Event::Retry {
                    report_id: &entry.report_id,
                    attempt,
                    wait,
                    what: &failure.what,
                });
                std::thread::sleep(wait);
            }
        }
    }
    Ok(Some(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_honours_retry_after() {
        let s = Duration::from_secs(1);
        let secs = |a, ra| backoff(a, ra, s).as_secs();
        assert_eq!([secs(1, None), secs(2, None), secs(3, None)], [1, 2, 4]);
        assert_eq!(secs(10, None), 30);
        assert_eq!(secs(1, Some(7)), 7);
        assert_eq!(secs(1, Some(3600)), 60);
        assert_eq!(secs(3, Some(1)), 4);
    }

    #[test]
    fn config_is_checked() {
        let mut c = SubmitConfig {
            url: Some("http://c".into()),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().contains("submit.url"));
        c.url = None;
        c.max_attempts = Some(0);
        assert!(c.validate().is_err());
        let s = SubmitSettings::resolve(&c, Some("https://c:8443"), Some(Path::new("/e"))).unwrap();
        assert_eq!(s.files.key, Path::new("/e/client-key.pem"));
        assert!(
            SubmitSettings::resolve(&c, None, None)
                .unwrap_err()
                .contains("[submit]")
        );
    }
}
