//! Fixtures shared by the collector's tests: signed sample reports built the way
//! the report crate's own tests build them, and helpers to look at a store.
#![allow(dead_code)] // each test file uses a different part

use chrono::{DateTime, FixedOffset};
use selfcheck_report::*;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// The host a sample report is about.
#[derive(Clone)]
pub struct Host {
    pub hostname: &'static str,
    pub machine_id: Option<&'static str>,
    pub ip: &'static str,
}

pub const WEB: Host = Host {
    hostname: "web-01",
    machine_id: Some("0123456789abcdef0123456789abcdef"),
    ip: "10.1.2.3",
};

pub const DB: Host = Host {
    hostname: "db-01",
    machine_id: Some("fedcba9876543210fedcba9876543210"),
    ip: "10.1.2.4",
};

/// A sample report; build it up, then sign it.
#[derive(Clone)]
pub struct Sample {
    pub host: Host,
    pub period: &'static str,
    pub id: u8,
    pub finished: &'static str,
    pub findings: Vec<(&'static str, &'static str, Severity)>,
    pub could_not_run: Vec<(&'static str, &'static str)>,
    /// Checks that ran and found nothing (besides ports.ftp, always listed).
    pub passed: Vec<&'static str>,
    /// (check, reason, approver, last day YYYY-MM-DD)
    pub not_applicable: Vec<NotApplicable>,
    /// The agent's baseline level.
    pub level: Option<u8>,
    pub key: u8,
}

/// (check, reason, approver, last day YYYY-MM-DD) of a not-applicable check.
pub type NotApplicable = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

impl Sample {
    pub fn new(host: Host, period: &'static str, id: u8) -> Sample {
        Sample {
            host,
            period,
            id,
            finished: "2026-11-25T10:00:02+08:00",
            findings: vec![("ports.telnet", "tcp/23", Severity::High)],
            could_not_run: vec![],
            passed: vec![],
            not_applicable: vec![],
            level: None,
            key: 42,
        }
    }

    pub fn finished(mut self, at: &'static str) -> Sample {
        self.finished = at;
        self
    }

    pub fn findings(mut self, f: &[(&'static str, &'static str, Severity)]) -> Sample {
        self.findings = f.to_vec();
        self
    }

    pub fn could_not_run(mut self, check: &'static str, reason: &'static str) -> Sample {
        self.could_not_run.push((check, reason));
        self
    }

    pub fn passed(mut self, checks: &[&'static str]) -> Sample {
        self.passed.extend_from_slice(checks);
        self
    }

    pub fn not_applicable(
        mut self,
        check: &'static str,
        reason: &'static str,
        approver: Option<&'static str>,
        expires: Option<&'static str>,
    ) -> Sample {
        self.not_applicable.push((check, reason, approver, expires));
        self
    }

    pub fn level(mut self, level: u8) -> Sample {
        self.level = Some(level);
        self
    }

    pub fn key(mut self, k: u8) -> Sample {
        self.key = k;
        self
    }

    pub fn report_id(&self) -> ReportId {
        ReportId::from_random_bytes([self.id; 16])
    }

    pub fn report(&self) -> Report {
        let host = HostIdentity {
            hostname: self.host.hostname.into(),
            machine_id: self.host.machine_id.map(String::from),
            os: OsRelease {
                id: Some("debian".into()),
                pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                ..Default::default()
            },
            kernel: Some("6.1.0-18-amd64".into()),
            arch: Some("x86_64".into()),
            ip_addresses: vec![self.host.ip.parse::<IpAddr>().unwrap()],
        };
        let finished = t(self.finished);
        let started = finished - chrono::Duration::seconds(2);
        let findings: Vec<Finding> = self
            .findings
            .iter()
            .map(|(check, subject, risk)| {
                let check_id: CheckId = check.parse().unwrap();
                Finding {
                    fingerprint: Fingerprint::compute(&host.asset_key(), &check_id, subject),
                    check_id,
                    risk: *risk,
                    subject: subject.to_string(),
                    evidence: vec![format!(
                        "0.0.0.0:{} LISTEN pid 812 (inetd) uid 0",
                        &subject[4..]
                    )],
                    detected_at: started,
                }
            })
            .collect();
        let mut checks: Vec<CheckRun> = Vec::new();
        for f in &findings {
            if !checks.iter().any(|c| c.check_id == f.check_id) {
                let count = findings.iter().filter(|g| g.check_id == f.check_id).count();
                checks.push(CheckRun {
                    check_id: f.check_id.clone(),
                    outcome: CheckOutcome::Findings {
                        count: count as u32,
                    },
                });
            }
        }
        for (check, reason) in &self.could_not_run {
            checks.push(CheckRun {
                check_id: check.parse().unwrap(),
                outcome: CheckOutcome::CouldNotRun {
                    reason: reason.to_string(),
                },
            });
        }
        for check in &self.passed {
            checks.push(CheckRun {
                check_id: check.parse().unwrap(),
                outcome: CheckOutcome::Passed,
            });
        }
        for (check, reason, approver, expires) in &self.not_applicable {
            checks.push(CheckRun {
                check_id: check.parse().unwrap(),
                outcome: CheckOutcome::NotApplicable {
                    reason: reason.to_string(),
                    approver: approver.map(String::from),
                    expires: expires.map(|d| d.parse().unwrap()),
                },
            });
        }
        let ftp: CheckId = "ports.ftp".parse().unwrap();
        if !checks.iter().any(|c| c.check_id == ftp) {
            checks.push(CheckRun {
                check_id: ftp,
                outcome: CheckOutcome::Passed,
            });
        }
        Report {
            schema_version: SCHEMA_VERSION,
            report_id: self.report_id(),
            agent: AgentInfo {
                name: "selfcheck-agent".into(),
                version: "0.1.0".into(),
            },
            host,
            audit_root: "/".into(),
            period: self.period.parse().unwrap(),
            started_at: started,
            finished_at: finished,
            checks,
            findings,
            suppressed: vec![],
            inventory: Inventory {
                listening_sockets: Some(vec![]),
                ..Default::default()
            },
            baseline_level: self.level.and_then(ProtectionLevel::new),
            audit_limits: Vec::new(),
        }
    }

    pub fn agent_key(&self) -> AgentKey {
        AgentKey::from_secret_bytes([self.key; 32])
    }

    /// The signed report file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.agent_key()
            .sign(self.report())
            .unwrap()
            .to_file_bytes()
            .unwrap()
    }

    /// Write the signed report to `dir/name`.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.bytes()).unwrap();
        path
    }
}

/// Deterministic pseudo-random bytes (xorshift), so no test depends on a RNG crate.
pub fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Store `sample` as imported a minute after its agent finished, not now:
/// for fixtures whose history goes on with actions dated in that month (the
/// history refuses an entry dated before its newest one).
pub fn import_when_finished(store: &mut selfcheck_collector::store::Store, sample: &Sample) {
    let bytes = sample.bytes();
    let catalog = selfcheck_catalog::Catalog::embedded().unwrap();
    let verified = selfcheck_collector::import::verify_report(&bytes, &catalog).unwrap();
    let imported_at = verified.signed.report.finished_at + chrono::Duration::minutes(1);
    let outcome = store
        .insert_report(selfcheck_collector::store::NewReport {
            verified: &verified,
            bytes: &bytes,
            source_name: "sample.json",
            imported_at,
            accept_new_key: false,
            clock_skew: None,
        })
        .unwrap();
    assert!(
        matches!(
            outcome,
            selfcheck_collector::store::InsertOutcome::Stored { .. }
        ),
        "{outcome:?}"
    );
}
