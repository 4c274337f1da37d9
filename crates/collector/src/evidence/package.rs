//! Building the evidence package of a month from the store: the raw agent
//! reports, the history run, the collector's public keys, the documents the
//! caller rendered, and the signed manifest. It is written as a stream: every
//! listed member in name order, each hashed while it is compressed into the
//! zip (reports read from the store one at a time), then `manifest.json` and
//! its signatures last.

use super::key::public_key_pem;
use super::manifest::{
    CollectorKeyInfo, HistoryInfo, MANIFEST_CONTEXT, MANIFEST_FORMAT, Manifest, ManifestSignature,
    MemberKind, Sm2KeyInfo, names,
};
use super::sm2::{SM2_ALGORITHM, SM2_DISTID, Sm2Key};
use super::writer::{ZipSink, write_new_file};
use super::{EvidenceError, unsafe_name};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use selfcheck_ledger::history::{self, HistoryEntry};
use selfcheck_ledger::store::{Store, StoredReport};
use selfcheck_report::canonical::to_canonical_bytes;
use selfcheck_report::{AgentKey, Period};
use std::collections::BTreeSet;
use std::io::{BufWriter, Cursor, Seek, Write};
use std::path::{Path, PathBuf};

/// One document of the package: its path inside the zip and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Path inside the zip, e.g. `ledger/整改台账-2026-11.xlsx`.
    pub name: String,
    /// Where its bytes are.
    pub content: Content,
}

/// Where a document's bytes are: in memory (small documents, tests), or in a
/// file (a large document rendered beforehand), copied into the zip a piece
/// at a time so it is never held whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The bytes themselves.
    Bytes(Vec<u8>),
    /// A file to copy (typically in a temporary directory).
    File(PathBuf),
}

impl Member {
    /// A document held in memory.
    pub fn bytes(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Member {
        Member {
            name: name.into(),
            content: Content::Bytes(bytes.into()),
        }
    }

    /// A document in a file.
    pub fn file(name: impl Into<String>, path: impl Into<PathBuf>) -> Member {
        Member {
            name: name.into(),
            content: Content::File(path.into()),
        }
    }

    /// Its size in bytes (for a file: as it is now on disk).
    pub fn size(&self) -> std::io::Result<u64> {
        match &self.content {
            Content::Bytes(b) => Ok(b.len() as u64),
            Content::File(p) => std::fs::metadata(p).map(|m| m.len()),
        }
    }
}

/// The keys that sign a package: the collector's Ed25519 key always, and an
/// SM2 key where one is configured. `&AgentKey` converts into it, for the
/// Ed25519 signature alone.
#[derive(Debug, Clone, Copy)]
pub struct Signers<'a> {
    /// The collector key (`DATA/collector-key.pem`).
    pub collector: &'a AgentKey,
    /// The SM2 key (`--sm2`, `[evidence] sm2_key`), if any.
    pub sm2: Option<&'a Sm2Key>,
}

impl<'a> From<&'a AgentKey> for Signers<'a> {
    fn from(collector: &'a AgentKey) -> Signers<'a> {
        Signers {
            collector,
            sm2: None,
        }
    }
}

/// What a written package holds, for the line `evidence` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSummary {
    /// Agent reports included.
    pub reports: usize,
    /// Members listed in the manifest.
    pub listed: usize,
    /// History entries included.
    pub history_entries: u64,
    /// Entries in the whole history when packaged (the head's seq).
    pub history_count: u64,
    /// The head's digest the package carries.
    pub history_head: String,
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

/// Write the evidence package of `period` to the file `out`, through a
/// temporary file in the same directory that is synced and then renamed (a
/// half-written package never carries the final name). `documents` are the
/// ledger files the caller rendered; their names must be relative paths
/// outside `reports/` and `history/`.
pub fn write_package<'a>(
    store: &Store,
    period: Period,
    documents: Vec<Member>,
    signers: impl Into<Signers<'a>>,
    created_at: DateTime<FixedOffset>,
    out: &Path,
) -> Result<PackageSummary, EvidenceError> {
    let signers = signers.into();
    write_new_file(out, |file| {
        let buffered = BufWriter::with_capacity(1024 * 1024, file);
        let (buffered, summary) =
            write_package_to(store, period, documents, signers, created_at, buffered)?;
        buffered
            .into_inner()
            .map_err(|e| EvidenceError::Zip(e.error().to_string()))?;
        Ok(summary)
    })
}

/// The evidence package of `period` in memory, as zip bytes (for tests and
/// small packages; [`write_package`] streams to a file).
pub fn build_package<'a>(
    store: &Store,
    period: Period,
    documents: Vec<Member>,
    signers: impl Into<Signers<'a>>,
    created_at: DateTime<FixedOffset>,
) -> Result<Vec<u8>, EvidenceError> {
    let out = Cursor::new(Vec::new());
    let (out, _) = write_package_to(store, period, documents, signers, created_at, out)?;
    Ok(out.into_inner())
}

/// A listed member still to be written.
enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
    Report(Box<StoredReport>),
}

/// Write the evidence package of `period` into `out`, member by member, and
/// hand `out` back. Reports and history are read in one snapshot of the
/// store, so the history head recorded is the one the included reports were
/// imported under.
pub fn write_package_to<'a, W: Write + Seek>(
    store: &Store,
    period: Period,
    documents: Vec<Member>,
    signers: impl Into<Signers<'a>>,
    created_at: DateTime<FixedOffset>,
    out: W,
) -> Result<(W, PackageSummary), EvidenceError> {
    let signers = signers.into();
    check_document_names(&documents)?;
    // One snapshot: the reports, the history and the raw files agree even
    // while another process imports.
    let (history_info, report_count, listed, mut zip) = store.read_snapshot(|store| {
        let reports = store.reports(Some(period))?;
        let report_count = reports.len();
        let all = store.history(None)?;
        let run = month_run(&all, period);
        let head = all.last();
        let history_info = HistoryInfo {
            member: history_member_name(period),
            head: head.map_or_else(|| history::GENESIS.to_string(), |e| e.digest.clone()),
            count: all.len() as u64,
            entries: run.len() as u64,
            first_seq: run.first().map(|e| e.seq),
            last_seq: run.last().map(|e| e.seq),
            head_seal: head.and_then(|e| e.seal.clone()),
        };
        let mut lines = Vec::new();
        for entry in run {
            // A history entry is strings, integers and JSON: it always serialises.
            let value = serde_json::to_value(entry).unwrap_or_default();
            lines.extend_from_slice(&to_canonical_bytes(&value));
            lines.push(b'\n');
        }
        drop(all);

        // Every listed member, in name order; only reports are read later.
        let mut plan: Vec<(String, MemberKind, Source)> = vec![
            (
                history_info.member.clone(),
                MemberKind::History,
                Source::Bytes(lines),
            ),
            (
                names::PUBLIC_KEY.to_string(),
                MemberKind::PublicKey,
                Source::Bytes(public_key_pem(signers.collector)?.into_bytes()),
            ),
        ];
        if let Some(sm2) = signers.sm2 {
            plan.push((
                names::SM2_PUBLIC_KEY.to_string(),
                MemberKind::PublicKey,
                Source::Bytes(sm2.public_key_pem()?.into_bytes()),
            ));
        }
        for doc in documents {
            let source = match doc.content {
                Content::Bytes(b) => Source::Bytes(b),
                Content::File(p) => Source::File(p),
            };
            plan.push((doc.name, MemberKind::Document, source));
        }
        for report in reports {
            plan.push((
                report_member_name(&report),
                MemberKind::Report,
                Source::Report(Box::new(report)),
            ));
        }
        plan.sort_by(|a, b| a.0.cmp(&b.0));

        let mut zip = ZipSink::new(out, created_at);
        let mut listed = Vec::with_capacity(plan.len());
        for (name, kind, source) in plan {
            let entry = match source {
                Source::Bytes(bytes) => zip.bytes(&name, kind, &bytes)?,
                Source::File(path) => zip.file(&name, kind, &path)?,
                Source::Report(report) => {
                    let bytes = store.raw_report(&report.report_id)?.ok_or_else(|| {
                        EvidenceError::MissingRaw {
                            report_id: report.report_id.to_string(),
                        }
                    })?;
                    // A stored file that is not the one imported (and verified
                    // then) is never signed.
                    let sha = super::sha256_hex(&bytes);
                    if sha != report.file_sha256 {
                        return Err(EvidenceError::CorruptReport {
                            report_id: report.report_id.to_string(),
                            problem: format!(
                                "its stored file has SHA-256 {sha}, but it was imported with {}",
                                report.file_sha256
                            ),
                        });
                    }
                    let mut entry = zip.bytes(&name, kind, &bytes)?;
                    entry.report_id = Some(report.report_id.to_string());
                    entry.asset_key = Some(report.asset_key);
                    entry.hostname = Some(report.hostname);
                    entry.agent_key_fingerprint = Some(report.key_fingerprint);
                    entry
                }
            };
            listed.push(entry);
        }
        Ok::<_, EvidenceError>((history_info, report_count, listed, zip))
    })?;

    let history_entries = history_info.entries;
    let (history_count, history_head) = (history_info.count, history_info.head.clone());
    let key = signers.collector;
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_string(),
        period,
        created_at: created_at.to_rfc3339_opts(SecondsFormat::Secs, false),
        collector: CollectorKeyInfo {
            algorithm: "ed25519".to_string(),
            key_fingerprint: key.fingerprint(),
            public_key_member: names::PUBLIC_KEY.to_string(),
        },
        collector_sm2: signers.sm2.map(|sm2| Sm2KeyInfo {
            algorithm: SM2_ALGORITHM.to_string(),
            distid: SM2_DISTID.to_string(),
            key_fingerprint: sm2.fingerprint().to_string(),
            public_key_member: names::SM2_PUBLIC_KEY.to_string(),
        }),
        history: history_info,
        members: listed,
    };
    let manifest_bytes = manifest.to_bytes();
    let signature = ManifestSignature {
        algorithm: "ed25519".to_string(),
        context: MANIFEST_CONTEXT.to_string(),
        public_key: key.public_key_hex(),
        key_fingerprint: key.fingerprint(),
        value: key.sign_detached(MANIFEST_CONTEXT, &manifest_bytes),
    };
    zip.unlisted(names::MANIFEST, &manifest_bytes)?;
    zip.unlisted(names::SIGNATURE, &signature.to_bytes())?;
    if let Some(sm2) = signers.sm2 {
        zip.unlisted(names::SM2_SIGNATURE, &sm2.sign(&manifest_bytes))?;
    }
    let out = zip.finish()?;
    let summary = PackageSummary {
        reports: report_count,
        listed: manifest.members.len(),
        history_entries,
        history_count,
        history_head,
    };
    Ok((out, summary))
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
        let reserved = [
            names::MANIFEST,
            names::SIGNATURE,
            names::PUBLIC_KEY,
            names::SM2_SIGNATURE,
            names::SM2_PUBLIC_KEY,
        ];
        if reserved.contains(&doc.name.as_str()) {
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

/// The run of the chain the package carries: from the first entry of the
/// month, or from the head the last package of an earlier month carried when
/// that is earlier (so the office can check that this run extends it; with
/// no package recorded yet, from the previous month's first entry), to the
/// head. Entries of other months in between are included so the links
/// can be checked; a month without entries still carries the head entry.
fn month_run(all: &[HistoryEntry], period: Period) -> &[HistoryEntry] {
    let first = all.iter().position(|e| of_month(e, period));
    // Before any package was recorded (a store from before sealing), the
    // previous month's entries are carried instead, so the head of a package
    // made then is in the run too.
    let anchor = previous_head(all, period).or_else(|| {
        all.iter()
            .position(|e| of_month(e, period.previous()))
            .filter(|_| first.is_some())
    });
    let start = [first, anchor]
        .into_iter()
        .flatten()
        .min()
        .or_else(|| all.len().checked_sub(1));
    match start {
        Some(a) => &all[a..],
        None => &[],
    }
}

/// Where the head carried by the packages of the latest earlier month is in
/// `all` (the earliest of them, when that month was packaged more than once).
fn previous_head(all: &[HistoryEntry], period: Period) -> Option<usize> {
    let signed: Vec<(Period, i64)> = all
        .iter()
        .filter(|e| e.kind == history::kind::EVIDENCE_SIGNED)
        .filter_map(|e| {
            let p: Period = e.body.get("period")?.as_str()?.parse().ok()?;
            let seq = e.body.get("head_seq")?.as_i64()?;
            (p < period).then_some((p, seq))
        })
        .collect();
    let latest = signed.iter().map(|(p, _)| *p).max()?;
    let seq = signed
        .iter()
        .filter(|(p, _)| *p == latest)
        .map(|(_, s)| *s)
        .min()?;
    all.iter().position(|e| e.seq == seq)
}
