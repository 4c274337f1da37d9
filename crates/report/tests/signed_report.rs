//! Signing and verification of report files, and the committed JSON Schema.

use chrono::{DateTime, FixedOffset};
use selfcheck_report::*;
use std::net::IpAddr;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn sample_report() -> Report {
    let host = HostIdentity {
        hostname: "web-01".into(),
        machine_id: Some("0123456789abcdef0123456789abcdef".into()),
        os: OsRelease {
            id: Some("debian".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            ..Default::default()
        },
        kernel: Some("6.1.0-18-amd64".into()),
        arch: Some("x86_64".into()),
        ip_addresses: vec!["10.1.2.3".parse::<IpAddr>().unwrap()],
    };
    let check: CheckId = "ports.telnet".parse().unwrap();
    let finding = Finding {
        fingerprint: Fingerprint::compute(&host.asset_key(), &check, "tcp/23"),
        check_id: check.clone(),
        risk: Severity::High,
        subject: "tcp/23".into(),
        evidence: vec!["0.0.0.0:23 LISTEN pid 812 (inetd) uid 0".into()],
        detected_at: t("2026-11-25T10:00:01+08:00"),
    };
    Report {
        schema_version: SCHEMA_VERSION,
        report_id: ReportId::from_random_bytes([7; 16]),
        agent: AgentInfo {
            name: "selfcheck-agent".into(),
            version: "0.1.0".into(),
        },
        host,
        audit_root: "/".into(),
        period: "2026-11".parse().unwrap(),
        started_at: t("2026-11-25T10:00:00+08:00"),
        finished_at: t("2026-11-25T10:00:02+08:00"),
        checks: vec![CheckRun {
            check_id: check,
            outcome: CheckOutcome::Findings { count: 1 },
        }],
        findings: vec![finding],
        suppressed: vec![],
        inventory: Inventory {
            listening_sockets: Some(vec![ListeningSocket {
                protocol: TransportProtocol::Tcp,
                address: "0.0.0.0".parse().unwrap(),
                port: 23,
                state: SocketState::Listen,
                uid: 0,
                inode: 4242,
                processes: vec![SocketProcess {
                    pid: 812,
                    name: "inetd".into(),
                    fd: 3,
                }],
            }]),
            ..Default::default()
        },
        baseline_level: None,
        audit_limits: Vec::new(),
    }
}

fn key() -> AgentKey {
    AgentKey::from_secret_bytes([42; 32])
}

fn signed_bytes() -> Vec<u8> {
    key()
        .sign(sample_report())
        .unwrap()
        .to_file_bytes()
        .unwrap()
}

#[test]
fn signed_report_verifies_and_round_trips() {
    let bytes = signed_bytes();
    let verified = SignedReport::verify_bytes(&bytes).expect("valid report");
    assert_eq!(verified.signed.report, sample_report());
    assert_eq!(
        verified.signed.signature.key_fingerprint,
        key().fingerprint()
    );
}

#[test]
fn every_single_byte_change_is_refused() {
    let bytes = signed_bytes();
    for i in 0..bytes.len() - 1 {
        for delta in [1u8, 0x20] {
            let mut changed = bytes.clone();
            changed[i] ^= delta;
            assert!(
                SignedReport::verify_bytes(&changed).is_err(),
                "flipping byte {i} ({:?}) by {delta:#x} was accepted",
                bytes[i] as char
            );
        }
    }
}

#[test]
fn reformatted_report_still_verifies_but_altered_content_does_not() {
    let bytes = signed_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    assert!(
        SignedReport::verify_bytes(&pretty).is_ok(),
        "whitespace is not content"
    );

    let mut v2 = v.clone();
    v2["report"]["findings"][0]["risk"] = "low".into();
    let err = SignedReport::verify_bytes(&serde_json::to_vec(&v2).unwrap()).unwrap_err();
    assert!(matches!(err, ReportError::BadSignature(_)), "{err}");
}

#[test]
fn forged_content_signed_with_another_key_is_only_valid_for_that_key() {
    let other = AgentKey::from_secret_bytes([9; 32]);
    let signed = other.sign(sample_report()).unwrap();
    let verified = SignedReport::verify_bytes(&signed.to_file_bytes().unwrap()).unwrap();
    assert_ne!(
        verified.signed.signature.key_fingerprint,
        key().fingerprint()
    );

    // Swapping in the first key's public key and fingerprint breaks the signature.
    let mut v: serde_json::Value = serde_json::to_value(&signed).unwrap();
    v["signature"]["public_key"] = key().public_key_hex().into();
    v["signature"]["key_fingerprint"] = key().fingerprint().into();
    let err = SignedReport::verify_bytes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(matches!(err, ReportError::BadSignature(_)), "{err}");
}

#[test]
fn truncated_report_is_called_truncated() {
    let bytes = signed_bytes();
    let err = SignedReport::verify_bytes(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, ReportError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("truncated"));
}

#[test]
fn other_schema_version_is_refused_by_name() {
    let mut v: serde_json::Value = serde_json::from_slice(&signed_bytes()).unwrap();
    v["report"]["schema_version"] = 3.into();
    let err = SignedReport::verify_bytes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(
        matches!(err, ReportError::UnsupportedSchemaVersion { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("schema_version 3"), "{err}");
}

#[test]
fn a_version_1_report_is_read_unless_it_uses_what_version_2_added() {
    let mut r = sample_report();
    r.schema_version = 1;
    let bytes = key().sign(r.clone()).unwrap().to_file_bytes().unwrap();
    let read = SignedReport::verify_bytes(&bytes).unwrap().signed.report;
    assert_eq!(read.schema_version, 1);
    assert_eq!(read.baseline_level, None);

    let mut with_level = r.clone();
    with_level.baseline_level = Some(selfcheck_report::ProtectionLevel::THREE);
    let bytes = key().sign(with_level).unwrap().to_file_bytes().unwrap();
    let err = SignedReport::verify_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("version 2 added"), "{err}");

    let mut na = r;
    na.checks.push(CheckRun {
        check_id: "baseline.shell-timeout".parse().unwrap(),
        outcome: CheckOutcome::NotApplicable {
            reason: "kiosk".into(),
            approver: Some("Wang".into()),
            expires: None,
        },
    });
    let bytes = key().sign(na.clone()).unwrap().to_file_bytes().unwrap();
    assert!(SignedReport::verify_bytes(&bytes).is_err());
    na.schema_version = 2;
    let bytes = key().sign(na).unwrap().to_file_bytes().unwrap();
    let read = SignedReport::verify_bytes(&bytes).unwrap().signed.report;
    assert!(matches!(
        read.checks[1].outcome,
        CheckOutcome::NotApplicable { .. }
    ));
}

#[test]
fn a_level_that_is_no_protection_level_is_refused() {
    // A Report cannot hold level 9, so the hostile file is signed as JSON:
    // the signature is valid, the level is not.
    let key = key();
    let mut report = serde_json::to_value(sample_report()).unwrap();
    report["baseline_level"] = serde_json::json!(9);
    let signature = key.sign_detached(
        "selfcheck-report-v1",
        &selfcheck_report::canonical::to_canonical_bytes(&report),
    );
    let mut file = serde_json::to_value(key.sign(sample_report()).unwrap()).unwrap();
    file["report"] = report;
    file["signature"]["value"] = serde_json::json!(signature);
    let bytes = serde_json::to_vec(&file).unwrap();
    let err = SignedReport::verify_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("baseline_level 9"), "{err}");
    assert!(!err.to_string().contains("signature"), "{err}");
}

#[test]
fn hostile_json_is_refused_without_panic() {
    let deep = "[".repeat(100_000);
    assert!(SignedReport::verify_bytes(deep.as_bytes()).is_err());
    let huge = vec![b' '; MAX_REPORT_BYTES + 1];
    assert!(matches!(
        SignedReport::verify_bytes(&huge).unwrap_err(),
        ReportError::TooLarge { .. }
    ));
    for junk in [
        &b"null"[..],
        b"[]",
        b"{}",
        b"{\"report\":1,\"signature\":2}",
        b"\xff\xfe",
        b"",
    ] {
        assert!(SignedReport::verify_bytes(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn finding_with_wrong_fingerprint_is_refused_even_if_signed() {
    let mut r = sample_report();
    r.findings[0].subject = "tcp/2323".into();
    let bytes = key().sign(r).unwrap().to_file_bytes().unwrap();
    let err = SignedReport::verify_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("fingerprint"), "{err}");
}

#[test]
fn committed_schema_matches_the_types() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report-v2.schema.json");
    let generated = schema::report_schema_json();
    if std::env::var_os("SELFCHECK_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/report-v2.schema.json differs from the report types; if the change is intended, run \
         `SELFCHECK_BLESS=1 cargo test -p selfcheck-report schema` and document it in docs/report-format.md"
    );
}

#[test]
fn schema_accepts_a_real_report_shape() {
    // The schema names every top-level member the types write.
    let schema: serde_json::Value = serde_json::from_str(&schema::report_schema_json()).unwrap();
    let text = schema.to_string();
    for member in [
        "report_id",
        "machine_id",
        "listening_sockets",
        "could_not_run",
        "key_fingerprint",
    ] {
        assert!(text.contains(member), "{member} missing from schema");
    }
}

#[test]
fn detached_signatures_bind_context_and_content() {
    let k = key();
    let sig = k.sign_detached("selfcheck-fim-baseline-v1", b"body");
    assert!(
        verify_detached(
            &k.public_key_hex(),
            "selfcheck-fim-baseline-v1",
            b"body",
            &sig
        )
        .is_ok()
    );
    assert!(
        verify_detached(
            &k.public_key_hex(),
            "selfcheck-fim-baseline-v1",
            b"bodY",
            &sig
        )
        .is_err()
    );
    assert!(verify_detached(&k.public_key_hex(), "selfcheck-report-v1", b"body", &sig).is_err());
    let other = AgentKey::from_secret_bytes([9; 32]);
    assert!(
        verify_detached(
            &other.public_key_hex(),
            "selfcheck-fim-baseline-v1",
            b"body",
            &sig
        )
        .is_err()
    );
}

#[test]
fn every_spelling_of_one_signed_report_has_the_same_canonical_digest_and_a_bom_is_accepted() {
    let bytes = signed_bytes();
    let original = SignedReport::verify_bytes(&bytes).unwrap();
    assert_eq!(
        original.canonical_sha256, original.file_sha256,
        "a file as written is its own canonical form"
    );
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    // The signature block first, then the report: members in another order.
    let reordered = format!(
        "{{ \"signature\" : {},\n  \"report\" : {} }}\r\n",
        serde_json::to_string_pretty(&v["signature"]).unwrap(),
        serde_json::to_string_pretty(&v["report"]).unwrap()
    )
    .into_bytes();
    let bom = |b: &[u8]| [b"\xEF\xBB\xBF".as_slice(), b].concat();
    for (what, spelling) in [
        ("re-indented", pretty.clone()),
        ("members reordered", reordered.clone()),
        ("a BOM before the file as written", bom(&bytes)),
        ("a BOM before a re-indented file", bom(&pretty)),
    ] {
        let verified = SignedReport::verify_bytes(&spelling)
            .unwrap_or_else(|e| panic!("{what}: refused: {e}"));
        assert_eq!(verified.signed, original.signed, "{what}");
        assert_eq!(
            verified.canonical_sha256, original.canonical_sha256,
            "{what}: the same signed report"
        );
        assert_ne!(verified.file_sha256, original.file_sha256, "{what}");
    }
    // A BOM anywhere but the start is not skipped.
    let mut inside = bytes.clone();
    inside.splice(1..1, b"\xEF\xBB\xBF".iter().copied());
    assert!(SignedReport::verify_bytes(&inside).is_err());
}
