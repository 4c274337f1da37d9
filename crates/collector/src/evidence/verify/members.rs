//! Every listed member against the zip, and the zip against the list: each
//! member read once, hashed as it is read; a report parsed to check its own
//! signature (one at a time), the history run to re-check its chain.

use super::{ProblemKind, VerifyReport};
use crate::evidence::archive::Archive;
use crate::evidence::manifest::{Manifest, ManifestMember, MemberKind, names};
use crate::evidence::{Digests, unsafe_name};
use selfcheck_ledger::history::{self, HistoryEntry};
use selfcheck_report::{Period, SignedReport};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};

/// Every listed member against the zip, and the zip against the list.
/// `small` holds the key and signature members already read.
pub(super) fn check_members<R: Read + Seek>(
    zip: &mut Archive<R>,
    small: &BTreeMap<String, Vec<u8>>,
    manifest: &Manifest,
    out: &mut VerifyReport,
) {
    let own = [names::MANIFEST, names::SIGNATURE, names::SM2_SIGNATURE];
    let sm2_key_member = manifest
        .collector_sm2
        .as_ref()
        .map(|s| s.public_key_member.as_str());
    let mut listed = BTreeSet::new();
    for m in &manifest.members {
        let name = m.name.as_str();
        if !listed.insert(name) {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(name),
                "is listed twice in the manifest",
            );
            continue;
        }
        if let Some(why) = unsafe_name(name) {
            out.problem(
                ProblemKind::UnsafeName,
                Some(name),
                format!("the manifest lists an unsafe name: {why}"),
            );
            continue;
        }
        if own.contains(&name) {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(name),
                "the manifest lists itself or its signature",
            );
            continue;
        }
        match m.kind {
            MemberKind::PublicKey
                if name != manifest.collector.public_key_member && Some(name) != sm2_key_member =>
            {
                out.problem(
                    ProblemKind::ManifestInvalid,
                    Some(name),
                    "is listed as the public key, but the manifest names another key member",
                )
            }
            MemberKind::History if name != manifest.history.member => out.problem(
                ProblemKind::ManifestInvalid,
                Some(name),
                "is listed as history, but the manifest names another history member",
            ),
            _ => {}
        }
        if !zip.contains(name) {
            if !out.about(name) {
                out.problem(
                    ProblemKind::Missing,
                    Some(name),
                    format!(
                        "is listed in the manifest ({} bytes, SM3 {}) but is not in the package",
                        m.size, m.sm3
                    ),
                );
            }
            continue;
        }
        match m.kind {
            MemberKind::Report | MemberKind::History => {
                let Some(bytes) = zip.read(name, out) else {
                    continue;
                };
                check_digests(m, digests_of(&bytes), out);
                if m.kind == MemberKind::Report {
                    check_report(m, &bytes, manifest.period, out);
                } else {
                    check_history(m, &bytes, manifest, out);
                }
            }
            MemberKind::PublicKey | MemberKind::Document => {
                let digests = match small.get(name) {
                    Some(bytes) => digests_of(bytes),
                    None => {
                        let mut digests = Digests::default();
                        if !zip.stream(name, out, |piece| digests.update(piece)) {
                            continue;
                        }
                        digests
                    }
                };
                check_digests(m, digests, out);
            }
        }
    }
    if !listed.contains(manifest.history.member.as_str()) {
        out.problem(
            ProblemKind::ManifestInvalid,
            Some(&manifest.history.member),
            "the manifest names this history member but does not list it",
        );
    }
    let key_members =
        std::iter::once(manifest.collector.public_key_member.as_str()).chain(sm2_key_member);
    for key_member in key_members {
        if !listed.contains(key_member) {
            out.problem(
                ProblemKind::ManifestInvalid,
                Some(key_member),
                "the manifest names this public key member but does not list it",
            );
        }
    }
    let extra: Vec<String> = zip
        .names()
        .filter(|name| !own.contains(name) && !listed.contains(name))
        .map(str::to_string)
        .collect();
    for name in extra {
        out.problem(
            ProblemKind::Extra,
            Some(&name),
            "is in the package but not in the manifest: it was added after signing",
        );
    }
}

fn digests_of(bytes: &[u8]) -> Digests {
    let mut digests = Digests::default();
    digests.update(bytes);
    digests
}

fn check_digests(m: &ManifestMember, digests: Digests, out: &mut VerifyReport) {
    let (size, sha, sm3) = digests.finish();
    let mut wrong = Vec::new();
    if size != m.size {
        wrong.push(format!(
            "size is {size} bytes, the manifest says {}",
            m.size
        ));
    }
    if sha != m.sha256 {
        wrong.push(format!("SHA-256 is {sha}, the manifest says {}", m.sha256));
    }
    if sm3 != m.sm3 {
        wrong.push(format!("SM3 is {sm3}, the manifest says {}", m.sm3));
    }
    if !wrong.is_empty() {
        out.problem(
            ProblemKind::Digest,
            Some(&m.name),
            format!("changed: {}", wrong.join("; ")),
        );
    }
}

fn check_report(m: &ManifestMember, bytes: &[u8], period: Period, out: &mut VerifyReport) {
    let verified = match SignedReport::verify_bytes(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.problem(
                ProblemKind::ReportSignature,
                Some(&m.name),
                format!("the agent report fails its own check: {e}"),
            );
            return;
        }
    };
    out.reports_verified += 1;
    let report = &verified.signed.report;
    let mut wrong = Vec::new();
    if m.report_id.as_deref() != Some(report.report_id.as_str()) {
        wrong.push(format!(
            "its report id is {}, the manifest says {}",
            report.report_id,
            m.report_id.as_deref().unwrap_or("nothing")
        ));
    }
    if report.period != period {
        wrong.push(format!(
            "it is a report of {}, the package is of {period}",
            report.period
        ));
    }
    if m.agent_key_fingerprint.as_deref()
        != Some(verified.signed.signature.key_fingerprint.as_str())
    {
        wrong.push(format!(
            "it is signed by agent key {}, the manifest says {}",
            verified.signed.signature.key_fingerprint,
            m.agent_key_fingerprint.as_deref().unwrap_or("nothing")
        ));
    }
    if !wrong.is_empty() {
        out.problem(ProblemKind::ReportMismatch, Some(&m.name), wrong.join("; "));
    }
}

/// One line of the history member.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryLine {
    seq: i64,
    at: String,
    actor: String,
    kind: String,
    fingerprint: Option<String>,
    body: Value,
    prev: String,
    digest: String,
}

fn check_history(m: &ManifestMember, bytes: &[u8], manifest: &Manifest, out: &mut VerifyReport) {
    let mut entries = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<EntryLine>(line) {
            Ok(e) => entries.push(HistoryEntry {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                kind: e.kind,
                fingerprint: e.fingerprint,
                body: e.body,
                prev: e.prev,
                digest: e.digest,
            }),
            Err(e) => out.problem(
                ProblemKind::HistoryChain,
                Some(&m.name),
                format!("line {} is not a history entry: {e}", i + 1),
            ),
        }
    }
    out.history_entries = entries.len() as u64;
    for p in history::verify_entries(&entries) {
        out.problem(ProblemKind::HistoryChain, Some(&m.name), p);
    }
    let info = &manifest.history;
    let first = entries.first().map(|e| e.seq);
    let last = entries.last();
    if entries.len() as u64 != info.entries
        || first != info.first_seq
        || last.map(|e| e.seq) != info.last_seq
    {
        out.problem(
            ProblemKind::HistoryChain,
            Some(&m.name),
            format!(
                "holds {} entries ({:?}..{:?}), the manifest says {} ({:?}..{:?})",
                entries.len(),
                first,
                last.map(|e| e.seq),
                info.entries,
                info.first_seq,
                info.last_seq
            ),
        );
    }
    if let Some(last) = last {
        let at_head = u64::try_from(last.seq).is_ok_and(|s| s == info.count);
        if u64::try_from(last.seq).map_or(true, |s| s > info.count) {
            out.problem(
                ProblemKind::HistoryChain,
                Some(&m.name),
                format!(
                    "entry {} is beyond the {} entries the history had when packaged",
                    last.seq, info.count
                ),
            );
        } else if at_head && last.digest != info.head {
            out.problem(
                ProblemKind::HistoryChain,
                Some(&m.name),
                format!(
                    "the last entry {} should be the history head {} recorded at packaging, but its digest is {}",
                    last.seq, info.head, last.digest
                ),
            );
        }
    }
}
