//! The upload protocol between an agent and the collector: its paths and its answers.
//!
//! An agent `POST`s a signed report file to [`REPORTS_PATH`] over mutual TLS and reads an
//! [`UploadAnswer`]; [`HEALTH_PATH`] answers a [`Health`]. Both sides use these items, so
//! a path or a status word is written once (see `docs/submit.md`).

use serde::{Deserialize, Serialize};

/// Where reports are posted: the file's bytes, `Content-Type: application/json`.
pub const REPORTS_PATH: &str = "/api/v1/reports";

/// Where an agent checks that the collector is up and its certificates work.
pub const HEALTH_PATH: &str = "/api/v1/health";

/// What the collector did with an uploaded report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStatus {
    /// Verified and stored now (HTTP 201).
    Stored,
    /// Stored before; nothing changed (HTTP 200).
    AlreadyStored,
    /// Not stored; the message says why.
    Refused,
}

impl UploadStatus {
    /// The word in the answer's `status` member.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Stored => "stored",
            UploadStatus::AlreadyStored => "already_stored",
            UploadStatus::Refused => "refused",
        }
    }

    /// The status a word names; `None` for a word this side does not know.
    pub fn from_word(word: &str) -> Option<UploadStatus> {
        [
            UploadStatus::Stored,
            UploadStatus::AlreadyStored,
            UploadStatus::Refused,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }
}

/// The JSON body of every answer to an upload, errors included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAnswer {
    /// An [`UploadStatus`] word: `stored`, `already_stored` or `refused`.
    pub status: String,
    /// The report's id, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// What happened, in words for people.
    pub message: String,
}

impl UploadAnswer {
    /// An answer with a known status.
    pub fn new(status: UploadStatus, report_id: Option<String>, message: String) -> UploadAnswer {
        UploadAnswer {
            status: status.as_str().to_string(),
            report_id,
            message,
        }
    }
}

/// The JSON body of the health answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the collector takes reports.
    pub status: String,
    /// The collector's version.
    pub version: String,
}

/// The `status` of a healthy collector.
pub const HEALTH_OK: &str = "ok";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_and_write_the_same_words() {
        let a = UploadAnswer::new(UploadStatus::AlreadyStored, Some("r1".into()), "m".into());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"status":"already_stored","report_id":"r1","message":"m"}"#
        );
        let back: UploadAnswer = serde_json::from_str(&json).unwrap();
        assert_eq!(
            UploadStatus::from_word(&back.status),
            Some(UploadStatus::AlreadyStored)
        );
        assert_eq!(UploadStatus::from_word("maybe"), None);
        let none = UploadAnswer::new(UploadStatus::Refused, None, "x".into());
        assert!(!serde_json::to_string(&none).unwrap().contains("report_id"));
    }
}
