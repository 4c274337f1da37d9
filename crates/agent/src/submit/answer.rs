//! How the agent reads what came back from the collector: each HTTP answer
//! sorted by the protocol into confirmed, refused for good, or try again
//! later, and each failed exchange put into words that say what to fix.

use super::endpoint::{CollectorUrl, TlsFiles};
use rustls::{AlertDescription, CertificateError};
use selfcheck_report::ReportId;
use std::io::ErrorKind;

/// How the collector answered one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 201 `stored`: the collector now has it.
    Stored {
        /// The collector's message.
        message: String,
    },
    /// 200 `already_stored`: the collector had it already.
    AlreadyStored {
        /// The collector's message.
        message: String,
    },
    /// 400, 403, 409, 413, 415, 422: refused for good; sending it again will not help.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The collector's message.
        message: String,
    },
    /// Not delivered this time: the collector was unreachable, busy or failing.
    Later(Failure),
}

/// Why a report was not delivered this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What happened, ready for "cannot reach the collector at URL: {what}".
    pub what: String,
    /// Whether trying again in a moment may help (timeouts, 503); `false` for
    /// certificate problems and answers that need a person.
    pub retry_soon: bool,
    /// The collector's Retry-After, in seconds.
    pub retry_after: Option<u64>,
    /// The HTTP status, when the collector answered.
    pub status: Option<u16>,
}

/// The members of a JSON answer `{"status", "report_id", "message"}` the agent uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerFields {
    /// `stored`, `already_stored`, `refused`, ...
    pub status: Option<String>,
    /// The report id the collector names.
    pub report_id: Option<String>,
    /// Words for people; the raw body (shortened) when the answer is not JSON.
    pub message: String,
}

pub(crate) fn answer_fields(body: &[u8]) -> AnswerFields {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => {
            let text = |k: &str| v.get(k).and_then(|s| s.as_str()).map(str::to_string);
            AnswerFields {
                status: text("status"),
                report_id: text("report_id"),
                message: text("message").unwrap_or_default(),
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            AnswerFields {
                message: text.trim().chars().take(200).collect(),
                ..Default::default()
            }
        }
    }
}

/// An HTTP answer to a report post.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The HTTP status.
    pub status: u16,
    /// What the JSON body said.
    pub fields: AnswerFields,
    /// The Retry-After header, in seconds.
    pub retry_after: Option<u64>,
}

/// Sort an HTTP answer to the post of report `sent` by the collector's contract.
/// A 200 or 201 whose body contradicts it (status `refused`, another report
/// id) confirms nothing, and the report is kept.
pub fn classify(answer: &HttpAnswer, sent: &ReportId) -> Answer {
    let status = answer.status;
    let message = answer.fields.message.clone();
    let later = |what: String, retry_soon: bool| {
        Answer::Later(Failure {
            what,
            retry_soon,
            retry_after: answer.retry_after,
            status: Some(status),
        })
    };
    let said = answer.fields.status.as_deref();
    match status {
        200 | 201 => {
            if let Some(other) = answer
                .fields
                .report_id
                .as_deref()
                .filter(|id| *id != sent.as_str())
            {
                return later(
                    format!(
                        "the collector answered {status} for report {other}, not for {sent}; the report is kept"
                    ),
                    false,
                );
            }
            match (status, said) {
                (_, Some("stored")) | (201, None) => Answer::Stored { message },
                (_, Some("already_stored")) | (_, None) => Answer::AlreadyStored { message },
                (_, Some(word)) => later(
                    format!(
                        "the collector answered {status} with status {word:?}, which confirms nothing; the report is kept"
                    ),
                    false,
                ),
            }
        }
        400 | 403 | 409 | 413 | 415 | 422 => Answer::Refused { status, message },
        408 | 429 | 500 | 502 | 503 | 504 => later(
            format!(
                "the collector answered {status} {}{}",
                reason(status),
                suffix(&message)
            ),
            true,
        ),
        _ => later(
            format!(
                "the collector answered {status} {}{}; is the URL right (the API lives at /api/v1/)?",
                reason(status),
                suffix(&message)
            ),
            false,
        ),
    }
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn reason(status: u16) -> &'static str {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// A rustls error inside a ureq error, wherever ureq put it.
fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        _ => None,
    }
}

/// Words for a failed exchange, and whether retrying soon may help.
pub(crate) fn describe_error(
    e: &ureq::Error,
    url: &CollectorUrl,
    files: &TlsFiles,
) -> (String, bool) {
    if let Some(tls) = rustls_error(e) {
        return describe_tls(tls, url, files);
    }
    match e {
        ureq::Error::Io(io) => {
            let what = match io.kind() {
                ErrorKind::ConnectionRefused => "connection refused".to_string(),
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::UnexpectedEof
                | ErrorKind::BrokenPipe => format!(
                    "the connection was closed early ({}; if this repeats, the collector may not accept the client certificate {})",
                    io.kind(),
                    files.cert.display()
                ),
                ErrorKind::TimedOut => "timed out".to_string(),
                ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                    "no route to the host".to_string()
                }
                _ => io.to_string(),
            };
            (what, true)
        }
        ureq::Error::Timeout(t) => (format!("timed out ({t})"), true),
        ureq::Error::HostNotFound => ("its host name does not resolve".to_string(), true),
        ureq::Error::ConnectionFailed => ("the connection failed".to_string(), true),
        other => (other.to_string(), true),
    }
}

fn describe_tls(e: &rustls::Error, url: &CollectorUrl, files: &TlsFiles) -> (String, bool) {
    match e {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => (
            format!(
                "the collector's certificate does not name the host in {url} ({e}); use the host name the collector's certificate was made for"
            ),
            false,
        ),
        rustls::Error::InvalidCertificate(_) => (
            format!(
                "the server's certificate is not trusted ({e}): only the collector CA in {} is trusted; check that the URL points at the collector and that {} is its CA",
                files.ca.display(),
                files.ca.display()
            ),
            false,
        ),
        rustls::Error::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateRequired
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::AccessDenied),
        ) => (
            format!(
                "the collector did not accept this host's client certificate {} (TLS alert {alert:?}); enrol this host again with selfcheck-collector enroll",
                files.cert.display()
            ),
            false,
        ),
        other => (format!("TLS error: {other}"), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(
        status: u16,
        word: Option<&str>,
        id: Option<&str>,
        retry_after: Option<u64>,
    ) -> HttpAnswer {
        HttpAnswer {
            status,
            fields: AnswerFields {
                status: word.map(str::to_string),
                report_id: id.map(str::to_string),
                message: "x".into(),
            },
            retry_after,
        }
    }

    #[test]
    fn answers_are_sorted_by_the_contract() {
        let sent = ReportId::from_random_bytes([1; 16]);
        let other = ReportId::from_random_bytes([2; 16]).to_string();
        let c = |a: HttpAnswer| classify(&a, &sent);
        assert!(matches!(
            c(answer(201, Some("stored"), Some(sent.as_str()), None)),
            Answer::Stored { .. }
        ));
        assert!(matches!(
            c(answer(201, None, None, None)),
            Answer::Stored { .. }
        ));
        assert!(matches!(
            c(answer(200, Some("already_stored"), None, None)),
            Answer::AlreadyStored { .. }
        ));
        for s in [400, 403, 409, 413, 415, 422] {
            assert!(matches!(
                c(answer(s, Some("refused"), None, None)),
                Answer::Refused { .. }
            ));
        }
        for s in [408, 429, 500, 502, 503, 504] {
            let Answer::Later(f) = c(answer(s, None, None, Some(3))) else {
                panic!("{s}")
            };
            assert!(f.retry_soon);
            assert_eq!(f.retry_after, Some(3));
        }
        let Answer::Later(f) = c(answer(404, None, None, None)) else {
            panic!()
        };
        assert!(
            !f.retry_soon && f.what.contains("404 Not Found: x"),
            "{f:?}"
        );
        assert!(matches!(
            c(answer(201, Some("refused"), None, None)),
            Answer::Later(_)
        ));
        assert!(matches!(
            c(answer(201, Some("stored"), Some(&other), None)),
            Answer::Later(_)
        ));
    }
}
