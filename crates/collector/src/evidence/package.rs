//! Building the evidence package of a month from the store: the raw agent
//! reports, the history run, the collector's public key, the documents the
//! caller rendered, and the signed manifest, zipped in a fixed order.

use super::key::public_key_pem;
use super::manifest::{
    CollectorKeyInfo, HistoryInfo, MANIFEST_CONTEXT, MANIFEST_FORMAT, Manifest, ManifestMember,
    ManifestSignature, MemberKind, names,
};
use super::{EvidenceError, sha256_hex, sm3_hex, unsafe_name};
use crate::history::{self, HistoryEntry};
use crate::store::{Store, StoredReport};
use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike};
use selfcheck_report::canonical::to_canonical_bytes;
use selfcheck_report::{AgentKey, Period};
use std::collections::BTreeSet;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// One file of the package: its path inside the zip and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Path inside the zip, e.g. `ledger/整改台账-2026-11.xlsx`.
    pub name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Where a stored report goes in the package: `reports/<host>/<report id>.json`,
/// the host name with anything but letters, digits, `.`, `-` and `_` replaced
/// by `_`. Report ids are unique, so two hosts of one name never collide. The
/// ledger's 佐证材料编号 can name this member with its SM3 digest.
pub fn report_member_name(report: &StoredReport) -> String {
    let host: String = report
        .hostname
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let host = match host.trim_matches('.') {
        "" => "_".to_string(),
        h => h.to_string(),
    };
    format!("{}{host}/{}.json", names::REPORTS_DIR, report.report_id)
}

/// The history member's name for a month.
pub fn history_member_name(period: Period) -> String {
    format!("{}entries-{period}.jsonl", names::HISTORY_DIR)
}

/// Build the evidence package of `period`, signed with `key` (the collector
/// key), as zip bytes. `documents` are the ledger files the caller rendered;
/// their names must be relative paths outside `reports/` and `history/`.
///
/// Reports and history are read in one snapshot of the store, so the history
/// head recorded is the one the included reports were imported under.
pub fn build_package(
    store: &Store,
    period: Period,
    documents: Vec<Member>,
    key: &AgentKey,
    created_at: DateTime<FixedOffset>,
) -> Result<Vec<u8>, EvidenceError> {
    check_document_names(&documents)?;
    let tx = store
        .conn()
        .unchecked_transaction()
        .map_err(|e| store.err(e))?;
    let mut members: Vec<(Member, ManifestMember)> = Vec::new();
    for report in store.reports(Some(period))? {
        let bytes =
            store
                .raw_report(&report.report_id)?
                .ok_or_else(|| EvidenceError::MissingRaw {
                    report_id: report.report_id.to_string(),
                })?;
        let member = Member {
            name: report_member_name(&report),
            bytes,
        };
        let mut listed = listing(&member, MemberKind::Report);
        listed.report_id = Some(report.report_id.to_string());
        listed.asset_key = Some(report.asset_key.clone());
        listed.hostname = Some(report.hostname.clone());
        listed.agent_key_fingerprint = Some(report.key_fingerprint.clone());
        members.push((member, listed));
    }
    let all = history::read(store.conn(), None).map_err(|e| store.err(e))?;
    tx.finish().map_err(|e| store.err(e))?;

    let run = month_run(&all, period);
    let history_info = HistoryInfo {
        member: history_member_name(period),
        head: all
            .last()
            .map_or_else(|| history::GENESIS.to_string(), |e| e.digest.clone()),
        count: all.len() as u64,
        entries: run.len() as u64,
        first_seq: run.first().map(|e| e.seq),
        last_seq: run.last().map(|e| e.seq),
    };
    let mut lines = Vec::new();
    for entry in run {
        // A history entry is strings, integers and JSON: it always serialises.
        let value = serde_json::to_value(entry).unwrap_or_default();
        lines.extend_from_slice(&to_canonical_bytes(&value));
        lines.push(b'\n');
    }
    let history_member = Member {
        name: history_info.member.clone(),
        bytes: lines,
    };
    let listed = listing(&history_member, MemberKind::History);
    members.push((history_member, listed));

    let key_member = Member {
        name: names::PUBLIC_KEY.to_string(),
        bytes: public_key_pem(key)?.into_bytes(),
    };
    let listed = listing(&key_member, MemberKind::PublicKey);
    members.push((key_member, listed));

    for doc in documents {
        let listed = listing(&doc, MemberKind::Document);
        members.push((doc, listed));
    }
    members.sort_by(|a, b| a.0.name.cmp(&b.0.name));

    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_string(),
        period,
        created_at: created_at.to_rfc3339_opts(SecondsFormat::Secs, false),
        collector: CollectorKeyInfo {
            algorithm: "ed25519".to_string(),
            key_fingerprint: key.fingerprint(),
            public_key_member: names::PUBLIC_KEY.to_string(),
        },
        history: history_info,
        members: members.iter().map(|(_, l)| l.clone()).collect(),
    };
    let manifest_bytes = manifest.to_bytes();
    let signature = ManifestSignature {
        algorithm: "ed25519".to_string(),
        context: MANIFEST_CONTEXT.to_string(),
        public_key: key.public_key_hex(),
        key_fingerprint: key.fingerprint(),
        value: key.sign_detached(MANIFEST_CONTEXT, &manifest_bytes),
    };

    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip_time(created_at))
        .unix_permissions(0o644);
    let zerr = |e: &dyn std::fmt::Display| EvidenceError::Zip(e.to_string());
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), EvidenceError> {
        let large = bytes.len() as u64 >= u64::from(u32::MAX);
        zip.start_file(name, options.large_file(large))
            .map_err(|e| zerr(&e))?;
        zip.write_all(bytes).map_err(|e| zerr(&e))
    };
    put(names::MANIFEST, &manifest_bytes)?;
    put(names::SIGNATURE, &signature.to_bytes())?;
    for (member, _) in &members {
        put(&member.name, &member.bytes)?;
    }
    let cursor = zip.finish().map_err(|e| zerr(&e))?;
    Ok(cursor.into_inner())
}

fn listing(member: &Member, kind: MemberKind) -> ManifestMember {
    ManifestMember {
        name: member.name.clone(),
        kind,
        size: member.bytes.len() as u64,
        sha256: sha256_hex(&member.bytes),
        sm3: sm3_hex(&member.bytes),
        report_id: None,
        asset_key: None,
        hostname: None,
        agent_key_fingerprint: None,
    }
}

fn check_document_names(documents: &[Member]) -> Result<(), EvidenceError> {
    let mut seen = BTreeSet::new();
    for doc in documents {
        let bad = |problem: &str| EvidenceError::BadMemberName {
            name: doc.name.clone(),
            problem: problem.to_string(),
        };
        if let Some(problem) = unsafe_name(&doc.name) {
            return Err(bad(problem));
        }
        if [names::MANIFEST, names::SIGNATURE, names::PUBLIC_KEY].contains(&doc.name.as_str()) {
            return Err(bad("the name is reserved for the package's own files"));
        }
        if doc.name.starts_with(names::REPORTS_DIR) || doc.name.starts_with(names::HISTORY_DIR) {
            return Err(bad(
                "reports/ and history/ hold the agent reports and the history the package adds itself",
            ));
        }
        if !seen.insert(doc.name.as_str()) {
            return Err(bad("two documents have this name"));
        }
    }
    Ok(())
}

/// Whether an entry belongs to the month: made during it (in the offset it
/// was recorded with), or the import of one of the month's reports.
fn of_month(entry: &HistoryEntry, period: Period) -> bool {
    let made_in = DateTime::parse_from_rfc3339(&entry.at).is_ok_and(|at| Period::of(&at) == period);
    let imports_month = entry.kind == history::kind::REPORT_IMPORTED
        && entry.body.get("period").and_then(|p| p.as_str()) == Some(period.to_string().as_str());
    made_in || imports_month
}

/// The run of the chain from the first to the last entry of the month,
/// including other months' entries between them so the links can be checked.
fn month_run(all: &[HistoryEntry], period: Period) -> &[HistoryEntry] {
    let first = all.iter().position(|e| of_month(e, period));
    let last = all.iter().rposition(|e| of_month(e, period));
    match (first, last) {
        (Some(a), Some(b)) => &all[a..=b],
        _ => &[],
    }
}

/// A zip timestamp (local time of `at`; zip has no time zones), clamped to
/// the range zip can hold.
fn zip_time(at: DateTime<FixedOffset>) -> zip::DateTime {
    let year = u16::try_from(at.year()).unwrap_or(1980).clamp(1980, 2107);
    // Month, day, hour, minute and second always fit a u8.
    zip::DateTime::from_date_and_time(
        year,
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second().min(58) as u8,
    )
    .unwrap_or_default()
}
