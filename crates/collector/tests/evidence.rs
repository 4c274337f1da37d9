//! The evidence package: a clean one verifies with no store anywhere, and
//! every kind of tampering is named by the verifier, member by member.

mod common;

use common::{DB, Sample, WEB, t};
use selfcheck_catalog::Catalog;
use selfcheck_collector::evidence::key::public_key_pem;
use selfcheck_collector::evidence::manifest::{MANIFEST_CONTEXT, ManifestSignature};
use selfcheck_collector::evidence::{
    COLLECTOR_KEY_FILE, Manifest, Member, ProblemKind, VerifyOptions, VerifyReport, build_package,
    load_or_create_collector_key, sha256_hex, sm3_hex, verify_package, verify_package_with,
};
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::store::Store;
use selfcheck_report::AgentKey;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;

const XLSX: &str = "ledger/整改台账-2026-11.xlsx";
const CSV: &str = "ledger/整改台账-2026-11.csv";

type Members = Vec<(String, Vec<u8>)>;

fn web_report() -> Sample {
    Sample::new(WEB, "2026-11", 1)
}

/// A package of 2026-11 built from a store holding two November reports and
/// one October report, signed with the collector key made in the data
/// directory. The store is gone when this returns.
fn clean_package() -> (Vec<u8>, AgentKey) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut store = Store::open(&dir).unwrap();
    let catalog = Catalog::embedded().unwrap();
    for sample in [
        web_report(),
        Sample::new(DB, "2026-11", 2),
        Sample::new(WEB, "2026-10", 3).finished("2026-10-25T10:00:02+08:00"),
    ] {
        let outcome = import_bytes(
            &mut store,
            &sample.bytes(),
            "sample.json",
            &catalog,
            ImportOptions::default(),
        );
        assert!(
            matches!(outcome, ImportOutcome::Stored { .. }),
            "{outcome:?}"
        );
    }
    let key = load_or_create_collector_key(&dir).unwrap();
    let documents = vec![
        Member::bytes(XLSX, b"PK\x03\x04 pretend xlsx".to_vec()),
        Member::bytes(CSV, "\u{feff}序号,问题编号\n1,2026-11-H-001\n"),
    ];
    let bytes = build_package(
        &store,
        "2026-11".parse().unwrap(),
        documents,
        &key,
        t("2026-12-01T09:00:00+08:00"),
    )
    .unwrap();
    (bytes, key)
}

fn read_zip(bytes: &[u8]) -> Members {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

fn write_zip(members: &Members) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        zip.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn rewrite(bytes: &[u8], edit: impl FnOnce(&mut Members)) -> Vec<u8> {
    let mut members = read_zip(bytes);
    edit(&mut members);
    write_zip(&members)
}

fn member<'a>(members: &'a mut Members, name: &str) -> &'a mut Vec<u8> {
    &mut members
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no member {name}"))
        .1
}

fn report_member_of(bytes: &[u8], host: &str) -> String {
    read_zip(bytes)
        .into_iter()
        .map(|(n, _)| n)
        .find(|n| n.starts_with(&format!("reports/{host}/")))
        .unwrap()
}

fn replace_once(data: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = data
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(from)));
    data[at..at + from.len()].copy_from_slice(to);
}

/// What an attacker with their own key does after changing members: recompute
/// every digest, put their public key in, and sign the manifest again.
fn resign(members: &mut Members, key: &AgentKey) {
    let pem = public_key_pem(key).unwrap().into_bytes();
    *member(members, "collector-public-key.pem") = pem;
    let mut manifest: Manifest = serde_json::from_slice(member(members, "manifest.json")).unwrap();
    for m in &mut manifest.members {
        let data = &members.iter().find(|(n, _)| *n == m.name).unwrap().1;
        m.size = data.len() as u64;
        m.sha256 = sha256_hex(data);
        m.sm3 = sm3_hex(data);
    }
    manifest.collector.key_fingerprint = key.fingerprint();
    let bytes = manifest.to_bytes();
    *member(members, "manifest.sig") = signature_by(key, &bytes);
    *member(members, "manifest.json") = bytes;
}

fn signature_by(key: &AgentKey, manifest: &[u8]) -> Vec<u8> {
    ManifestSignature {
        algorithm: "ed25519".into(),
        context: MANIFEST_CONTEXT.into(),
        public_key: key.public_key_hex(),
        key_fingerprint: key.fingerprint(),
        value: key.sign_detached(MANIFEST_CONTEXT, manifest),
    }
    .to_bytes()
}

fn attacker() -> AgentKey {
    AgentKey::from_secret_bytes([0xa7; 32])
}

/// Assert a problem of `kind` about `member`, and show everything otherwise.
fn assert_named(report: &VerifyReport, kind: ProblemKind, member: &str) {
    assert!(
        report.has(kind, Some(member)),
        "expected {kind:?} on {member}, got:\n{}",
        lines(report)
    );
    assert!(!report.is_intact());
}

fn lines(report: &VerifyReport) -> String {
    report
        .problems
        .iter()
        .map(|p| format!("  {:?} {p}\n", p.kind))
        .collect()
}

#[test]
fn a_clean_package_verifies_with_no_store_present() {
    let (bytes, key) = clean_package();
    // A fresh directory on "the office's machine": only the zip is there.
    let office = tempfile::tempdir().unwrap();
    let path = office.path().join("佐证材料-2026-11.zip");
    std::fs::write(&path, &bytes).unwrap();
    let report = verify_package(&std::fs::read(&path).unwrap());
    assert!(report.is_intact(), "{}", lines(&report));
    assert!(report.signature_valid);
    assert_eq!(report.key_fingerprint.as_deref(), Some(&*key.fingerprint()));
    assert_eq!(
        report.period.map(|p| p.to_string()).as_deref(),
        Some("2026-11")
    );
    assert_eq!(report.reports_verified, 2, "only November's reports");
    // Three imports, three history entries. The run goes from the first
    // November import to the head, so the October report's import (made
    // last) is in it too: the signed head can be checked against its entry.
    assert_eq!(report.history_count, Some(3));
    assert_eq!(report.history_entries, 3);

    // Every listed member in name order (the public key first), then the
    // manifest and its signature, written last.
    let names: Vec<String> = read_zip(&bytes).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "collector-public-key.pem");
    assert_eq!(&names[names.len() - 2..], ["manifest.json", "manifest.sig"]);
    let listed = &names[..names.len() - 2];
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "sorted: {names:?}");
    assert!(names.contains(&XLSX.to_string()) && names.contains(&CSV.to_string()));
    assert!(names.contains(&"history/entries-2026-11.jsonl".to_string()));
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with('/') && !n.contains(".."))
    );
    // The agent report is in the package exactly as the agent wrote it.
    let web = report_member_of(&bytes, "web-01");
    assert_eq!(
        read_zip(&bytes)
            .into_iter()
            .find(|(n, _)| *n == web)
            .unwrap()
            .1,
        web_report().bytes()
    );
    // The pinned key passes.
    let pinned = verify_package_with(
        &bytes,
        &VerifyOptions {
            expect_key: Some(key.fingerprint()),
            ..Default::default()
        },
    );
    assert!(pinned.is_intact(), "{}", lines(&pinned));
    // Pinning an SM2 key fails: this package has no SM2 signature.
    let sm2_pinned = verify_package_with(
        &bytes,
        &VerifyOptions {
            expect_sm2_key: Some(format!("sm3:{}", "ab".repeat(32))),
            ..Default::default()
        },
    );
    assert_named(&sm2_pinned, ProblemKind::UnexpectedKey, "manifest.sm2.sig");
}

#[test]
fn the_collector_key_is_kept_private_in_the_data_directory() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let key = load_or_create_collector_key(tmp.path()).unwrap();
    let meta = std::fs::metadata(tmp.path().join(COLLECTOR_KEY_FILE)).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        load_or_create_collector_key(tmp.path())
            .unwrap()
            .fingerprint(),
        key.fingerprint()
    );
}

#[test]
fn a_changed_byte_in_a_report_member_is_named() {
    let (bytes, _) = clean_package();
    let web = report_member_of(&bytes, "web-01");
    let tampered = rewrite(&bytes, |m| {
        replace_once(member(m, &web), b"\"tcp/23\"", b"\"tcp/25\"")
    });
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::Digest, &web);
    assert_named(&report, ProblemKind::ReportSignature, &web);
    let line = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::Digest)
        .unwrap()
        .to_string();
    assert!(line.starts_with(&format!("{web}: changed: ")), "{line}");
    assert!(
        line.contains("SHA-256 is") && line.contains("SM3 is"),
        "{line}"
    );
    assert_eq!(report.problems.len(), 2, "{}", lines(&report));
}

#[test]
fn a_changed_byte_in_a_document_member_is_named() {
    let (bytes, _) = clean_package();
    let tampered = rewrite(&bytes, |m| member(m, XLSX)[5] ^= 1);
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::Digest, XLSX);
    assert_eq!(report.problems.len(), 1, "{}", lines(&report));
}

#[test]
fn a_changed_byte_in_the_manifest_is_named() {
    let (bytes, _) = clean_package();
    let tampered = rewrite(&bytes, |m| {
        replace_once(
            member(m, "manifest.json"),
            b"2026-12-01T09:00:00",
            b"2026-12-01T08:00:00",
        )
    });
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::Signature, "manifest.json");
    assert!(!report.signature_valid);
    assert!(
        report.problems[0].message.contains("edited after signing"),
        "{}",
        lines(&report)
    );
}

#[test]
fn a_missing_member_is_named() {
    let (bytes, _) = clean_package();
    let tampered = rewrite(&bytes, |m| m.retain(|(n, _)| n != CSV));
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::Missing, CSV);
    assert_eq!(report.problems.len(), 1, "{}", lines(&report));
}

#[test]
fn an_extra_member_is_named() {
    let (bytes, _) = clean_package();
    let tampered = rewrite(&bytes, |m| {
        m.push(("reports/web-01/later.json".into(), b"{}".to_vec()))
    });
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::Extra, "reports/web-01/later.json");
    assert_eq!(report.problems.len(), 1, "{}", lines(&report));
}

#[test]
fn a_signature_swapped_for_one_made_by_another_key_is_named() {
    let (bytes, key) = clean_package();
    let tampered = rewrite(&bytes, |m| {
        let manifest = member(m, "manifest.json").clone();
        // The attacker signs the genuine manifest, claiming the genuine key's name.
        let mut sig: ManifestSignature =
            serde_json::from_slice(&signature_by(&attacker(), &manifest)).unwrap();
        sig.key_fingerprint = key.fingerprint();
        *member(m, "manifest.sig") = sig.to_bytes();
    });
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::Signature, "manifest.sig");
    let signature = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::Signature)
        .unwrap();
    assert!(
        signature.message.contains("another key")
            && signature.message.contains(&attacker().fingerprint()),
        "{}",
        lines(&report)
    );

    // The attacker's own fingerprint in the signature is named as a key mismatch too.
    let tampered = rewrite(&bytes, |m| {
        let manifest = member(m, "manifest.json").clone();
        *member(m, "manifest.sig") = signature_by(&attacker(), &manifest);
    });
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::KeyMismatch, "manifest.sig");
    assert_named(&report, ProblemKind::Signature, "manifest.sig");
}

#[test]
fn a_swapped_public_key_file_is_named() {
    let (bytes, _) = clean_package();
    let tampered = rewrite(&bytes, |m| {
        *member(m, "collector-public-key.pem") = public_key_pem(&attacker()).unwrap().into_bytes();
    });
    let report = verify_package(&tampered);
    assert_named(
        &report,
        ProblemKind::KeyMismatch,
        "collector-public-key.pem",
    );
    assert_named(&report, ProblemKind::Digest, "collector-public-key.pem");
}

#[test]
fn an_agent_report_whose_own_signature_fails_is_named_and_re_signing_is_caught_by_the_pinned_key() {
    let (bytes, key) = clean_package();
    let web = report_member_of(&bytes, "web-01");
    let tampered = rewrite(&bytes, |m| {
        // The finding is "fixed" in the report, and the package made consistent again.
        replace_once(member(m, &web), b"\"risk\":\"high\"", b"\"risk\":\"low\" ");
        resign(m, &attacker());
    });
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::ReportSignature, &web);
    assert_eq!(report.problems.len(), 1, "{}", lines(&report));
    assert!(
        report.signature_valid,
        "the attacker's signature itself verifies"
    );
    assert_eq!(report.key_fingerprint, Some(attacker().fingerprint()));

    let pinned = verify_package_with(
        &tampered,
        &VerifyOptions {
            expect_key: Some(key.fingerprint()),
            ..Default::default()
        },
    );
    assert_named(&pinned, ProblemKind::UnexpectedKey, "manifest.sig");
    assert_named(&pinned, ProblemKind::ReportSignature, &web);
}

#[test]
fn an_edited_history_entry_is_named_even_when_re_signed() {
    let (bytes, _) = clean_package();
    let history = "history/entries-2026-11.jsonl";
    let tampered = rewrite(&bytes, |m| {
        replace_once(
            member(m, history),
            b"\"hostname\":\"db-01\"",
            b"\"hostname\":\"db-02\"",
        );
        resign(m, &attacker());
    });
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::HistoryChain, history);
    assert!(
        report.problems.iter().any(|p| p.message.contains("edited")),
        "{}",
        lines(&report)
    );
}

#[test]
fn a_zip_slip_name_is_refused() {
    let (bytes, _) = clean_package();
    for evil in [
        "../../etc/cron.d/selfcheck",
        "/etc/passwd",
        "ledger/..\\..\\x.bat",
    ] {
        let tampered = rewrite(&bytes, |m| m.push((evil.to_string(), b"x".to_vec())));
        let report = verify_package(&tampered);
        assert_named(&report, ProblemKind::UnsafeName, evil);
        assert!(
            !report.has(ProblemKind::Extra, Some(evil)),
            "{}",
            lines(&report)
        );
    }
}

#[test]
fn duplicate_member_names_are_named() {
    let (bytes, _) = clean_package();
    let mut tampered = rewrite(&bytes, |m| {
        m.push(("ledger/dupe-A.txt".into(), b"one".to_vec()));
        m.push(("ledger/dupe-B.txt".into(), b"two".to_vec()));
    });
    // Rename the second to the first in its local and central headers.
    let mut renamed = 0;
    while let Some(at) = tampered.windows(17).position(|w| w == b"ledger/dupe-B.txt") {
        tampered[at + 12] = b'A';
        renamed += 1;
    }
    assert_eq!(renamed, 2);
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::DuplicateName, "ledger/dupe-A.txt");
}

#[test]
fn a_zip_bomb_member_is_refused_unread() {
    let (bytes, _) = clean_package();
    let mut members = read_zip(&bytes);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in &members {
        zip.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.start_file("ledger/bomb.bin", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&vec![0u8; 8 * 1024 * 1024]).unwrap();
    let tampered = zip.finish().unwrap().into_inner();
    members.clear();
    let report = verify_package(&tampered);
    assert_named(&report, ProblemKind::TooLarge, "ledger/bomb.bin");
}

#[test]
fn a_file_that_is_not_a_zip_is_named() {
    let report = verify_package(b"{\"report\": {}}");
    assert!(report.has(ProblemKind::NotZip, None), "{}", lines(&report));
    assert_eq!(report.problems.len(), 1);

    let (bytes, _) = clean_package();
    let report = verify_package(&bytes[..bytes.len() / 2]);
    assert!(!report.is_intact());
}

#[test]
fn the_same_inputs_give_the_same_package_bytes() {
    // Two stores with the same imports differ only in import times, so the
    // determinism that matters is of the zip: order and timestamps.
    let (bytes, _) = clean_package();
    let names: Vec<String> = read_zip(&bytes).into_iter().map(|(n, _)| n).collect();
    let (again, _) = clean_package();
    let names_again: Vec<String> = read_zip(&again).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, names_again);
}

#[test]
fn a_month_without_reports_still_makes_a_verifiable_package() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let key = AgentKey::from_secret_bytes([3; 32]);
    let bytes = build_package(
        &store,
        "2026-11".parse().unwrap(),
        vec![],
        &key,
        t("2026-12-01T09:00:00+08:00"),
    )
    .unwrap();
    let report = verify_package(&bytes);
    assert!(report.is_intact(), "{}", lines(&report));
    assert_eq!((report.reports_verified, report.history_entries), (0, 0));
}

#[test]
fn documents_with_unsafe_or_reserved_names_are_refused_when_building() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let key = AgentKey::from_secret_bytes([3; 32]);
    for name in ["../x.xlsx", "/tmp/x", "manifest.json", "reports/x.json"] {
        let doc = Member::bytes(name, vec![]);
        let err = build_package(
            &store,
            "2026-11".parse().unwrap(),
            vec![doc],
            &key,
            t("2026-12-01T09:00:00+08:00"),
        )
        .unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn a_package_streams_to_its_file_and_a_failed_one_leaves_nothing() {
    use selfcheck_collector::evidence::{verify_file, write_package};
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let key = AgentKey::from_secret_bytes([3; 32]);
    let doc_path = tmp.path().join("big.csv");
    let big: Vec<u8> = (0..3_000_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    std::fs::write(&doc_path, &big).unwrap();
    let out = tmp.path().join("out").join("package.zip");
    std::fs::create_dir(out.parent().unwrap()).unwrap();
    let period = "2026-11".parse().unwrap();
    let at = t("2026-12-01T09:00:00+08:00");
    let summary = write_package(
        &store,
        period,
        vec![Member::file("ledger/big.csv", &doc_path)],
        &key,
        at,
        &out,
    )
    .unwrap();
    assert_eq!((summary.reports, summary.listed), (0, 3));
    let report = verify_file(&out, &VerifyOptions::default()).unwrap();
    assert!(report.is_intact(), "{}", lines(&report));
    let members = read_zip(&std::fs::read(&out).unwrap());
    assert_eq!(
        members
            .iter()
            .find(|(n, _)| n == "ledger/big.csv")
            .unwrap()
            .1,
        big
    );

    // A document that cannot be read: an error naming it, and no package.
    let failed = out.with_file_name("failed.zip");
    let err = write_package(
        &store,
        period,
        vec![Member::file("ledger/gone.csv", tmp.path().join("gone.csv"))],
        &key,
        at,
        &failed,
    )
    .unwrap_err();
    assert!(err.to_string().contains("gone.csv"), "{err}");
    let left: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["package.zip"], "only the finished package");
}
