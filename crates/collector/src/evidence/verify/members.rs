//! Every listed member against the zip, and the zip against the list: each
//! member read once, hashed as it is read; a report parsed to check its own
//! signature (one at a time), the history run to re-check its chain.

use super::{ExpectedHead, ProblemKind, VerifyOptions, VerifyReport};
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
    options: &VerifyOptions,
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
                    let key = collector_key(small);
                    check_history(m, &bytes, manifest, key.as_deref(), options, out);
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
    #[serde(default)]
    seal: Option<String>,
}

/// The package's collector public key (hex), to check seals with.
fn collector_key(small: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    let pem = std::str::from_utf8(small.get(names::PUBLIC_KEY)?).ok()?;
    crate::evidence::key::parse_public_key_pem(pem)
        .ok()
        .map(hex::encode)
}

fn check_history(
    m: &ManifestMember,
    bytes: &[u8],
    manifest: &Manifest,
    key: Option<&str>,
    options: &VerifyOptions,
    out: &mut VerifyReport,
) {
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
                seal: e.seal,
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
    check_seals(m, &entries, manifest, key, out);
    check_signed_heads(m, &entries, out);
    if let Some(expected) = &options.expect_head {
        check_extends(m, &entries, manifest, expected, out);
    }
}

/// Every entry's seal and the signed head, under the package's collector
/// key. A package made before sealing (no seal anywhere, no signed head)
/// has only its manifest signature.
fn check_seals(
    m: &ManifestMember,
    entries: &[HistoryEntry],
    manifest: &Manifest,
    key: Option<&str>,
    out: &mut VerifyReport,
) {
    let info = &manifest.history;
    let any_seal = entries.iter().any(|e| e.seal.is_some());
    if !any_seal && info.head_seal.is_none() {
        return;
    }
    let Some(key) = key else {
        out.problem(
            ProblemKind::HistorySeal,
            Some(&m.name),
            "the history is sealed, but the package holds no usable collector public key to check the seals with",
        );
        return;
    };
    let mut ok = true;
    for p in history::verify_seals(entries, key).1 {
        ok = false;
        out.problem(ProblemKind::HistorySeal, Some(&m.name), p);
    }
    match &info.head_seal {
        Some(seal) if history::seal_verifies(key, &info.head, seal) => {}
        Some(_) => {
            ok = false;
            out.problem(
                ProblemKind::HistorySeal,
                Some(names::MANIFEST),
                format!(
                    "the signed history head {} (entry {}) does not verify under the collector key",
                    info.head, info.count
                ),
            );
        }
        None => {
            ok = false;
            out.problem(
                ProblemKind::HistorySeal,
                Some(names::MANIFEST),
                "the history entries are sealed, but the manifest carries no signed head",
            );
        }
    }
    out.history_sealed = ok;
}

/// An `evidence_signed` entry names the head an earlier package carried;
/// where that entry is in the run, its digest must be the one named.
fn check_signed_heads(m: &ManifestMember, entries: &[HistoryEntry], out: &mut VerifyReport) {
    for e in entries
        .iter()
        .filter(|e| e.kind == history::kind::EVIDENCE_SIGNED)
    {
        let seq = e.body.get("head_seq").and_then(Value::as_i64);
        let head = e.body.get("head").and_then(Value::as_str);
        let (Some(seq), Some(head)) = (seq, head) else {
            continue;
        };
        if let Some(at) = entries.iter().find(|x| x.seq == seq)
            && at.digest != head
        {
            out.problem(
                ProblemKind::HistoryHead,
                Some(&m.name),
                format!(
                    "entry {} records a package signed with head {head} at entry {seq}, but entry {seq} now has digest {}: the history was rewritten after that package",
                    e.seq, at.digest
                ),
            );
        }
    }
}

/// This package's history extends the head handed over before: it still
/// holds that entry with that digest, and was not bound again since.
fn check_extends(
    m: &ManifestMember,
    entries: &[HistoryEntry],
    manifest: &Manifest,
    expected: &ExpectedHead,
    out: &mut VerifyReport,
) {
    match extends(entries, manifest.history.count, expected) {
        Ok(()) => out.extends_head = Some(expected.seq),
        Err(message) => out.problem(ProblemKind::HistoryHead, Some(&m.name), message),
    }
}

fn extends(entries: &[HistoryEntry], count: u64, expected: &ExpectedHead) -> Result<(), String> {
    let (seq, digest) = (expected.seq, &expected.digest);
    if seq == 0 {
        return Ok(());
    }
    if count < seq {
        return Err(format!(
            "the history has {count} entries, the earlier package's had {seq} (head {digest}): entries were deleted after it was handed over"
        ));
    }
    let Some(at) = entries
        .iter()
        .find(|e| u64::try_from(e.seq).ok() == Some(seq))
    else {
        return Err(format!(
            "cannot show that this history extends the earlier head {digest} (entry {seq}): the package's run holds entries {:?}..{:?}; compare with the package made just before this one",
            entries.first().map(|e| e.seq),
            entries.last().map(|e| e.seq)
        ));
    };
    if &at.digest != digest {
        return Err(format!(
            "entry {seq} has digest {}, but the earlier package's head is {digest}: the history was rewritten after that package was handed over",
            at.digest
        ));
    }
    if expected.sealed
        && let Some(rebound) = entries.iter().find(|e| {
            e.kind == history::kind::HISTORY_SEALED && u64::try_from(e.seq).is_ok_and(|s| s > seq)
        })
    {
        return Err(format!(
            "entry {} binds the history to a key again after the earlier package, whose history was already sealed: the store was rebuilt",
            rebound.seq
        ));
    }
    Ok(())
}
