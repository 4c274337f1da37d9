//! What an import does not take on trust: the agent's clock, a key change
//! for a host nobody named, a machine id two hosts share, and the spelling of
//! a report file (the same signed content is the same report).

mod common;

use chrono::{Duration, FixedOffset, Utc};
use common::{DB, Host, Sample, WEB};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::engine::Status;
use selfcheck_collector::evidence::{
    Signers, VerifyOptions, build_package, load_or_create_collector_key, verify_package_with,
};
use selfcheck_collector::import::{
    ImportError, ImportOptions, ImportOutcome, import_bytes, import_paths,
};
use selfcheck_collector::ledger::{Column, Ledger};
use selfcheck_collector::store::Store;
use selfcheck_ledger::history::kind;
use selfcheck_report::{Period, Severity};
use std::path::Path;

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn import(store: &mut Store, s: &Sample, name: &str, options: ImportOptions) -> ImportOutcome {
    import_bytes(store, &s.bytes(), name, &catalog(), options)
}

fn ledger_on(store: &mut Store, month: &str, day: &str) -> Ledger {
    let p: Period = month.parse().unwrap();
    Ledger::for_month(
        store,
        p,
        &catalog(),
        &CollectorConfig::default(),
        Some(day.parse().unwrap()),
    )
    .unwrap()
}

fn refusal(outcome: ImportOutcome) -> ImportError {
    match outcome {
        ImportOutcome::Refused { error } => error,
        other => panic!("not refused: {other:?}"),
    }
}

/// Sixteen low-risk findings (a 90-day term, so nothing is overdue in
/// December unless its first sighting moves back).
fn sixteen() -> Vec<(&'static str, &'static str, Severity)> {
    (0..16)
        .map(|i| {
            (
                "ports.telnet",
                leak(format!("tcp/{}", 2300 + i)),
                Severity::Low,
            )
        })
        .collect()
}

#[test]
fn reports_from_a_wrong_clock_are_refused_naming_what_is_wrong_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    assert!(matches!(
        import(
            &mut store,
            &Sample::new(DB, "2026-11", 1),
            "db.json",
            ImportOptions::default()
        ),
        ImportOutcome::Stored { .. }
    ));
    let cst = FixedOffset::east_opt(8 * 3600).unwrap();
    let ahead = (Utc::now() + Duration::days(3)).with_timezone(&cst);
    let future = Sample::new(WEB, leak(ahead.format("%Y-%m").to_string()), 2)
        .finished(leak(ahead.to_rfc3339()));
    let cases = [
        (future, "in the future"),
        (
            Sample::new(WEB, "2006-03", 3).finished("2006-03-10T10:00:02+08:00"),
            "day(s) before this import",
        ),
        (
            Sample::new(WEB, "1970-01", 4).finished("1970-01-01T08:00:02+08:00"),
            "day(s) before this import",
        ),
        (
            Sample::new(WEB, "2026-12", 5).finished("2026-11-10T10:00:02+08:00"),
            "before its period 2026-12 begins",
        ),
    ];
    for (sample, fault) in cases {
        let before = store.dump().unwrap();
        let err = refusal(import(
            &mut store,
            &sample,
            "web.json",
            ImportOptions::default(),
        ));
        assert!(matches!(err, ImportError::ClockSkew { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.starts_with("audit time not trusted") && text.contains(fault),
            "{text}"
        );
        assert!(
            text.contains(&format!("--accept-clock-skew {}", sample.report_id())),
            "the refusal says how to override it: {text}"
        );
        assert_eq!(
            store.dump().unwrap(),
            before,
            "a refused report changed the store"
        );
    }
    // Accepting one report does not accept another.
    let other = Sample::new(WEB, "2006-03", 6).finished("2006-03-10T10:00:02+08:00");
    let options = ImportOptions {
        accept_clock_skew: vec!["some-other-file.json".into()],
        ..ImportOptions::default()
    };
    assert!(matches!(
        refusal(import(&mut store, &other, "web-2006.json", options)),
        ImportError::ClockSkew { .. }
    ));
}

#[test]
fn a_report_from_2006_cannot_move_first_seen_or_deadlines_back_even_when_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let nov = Sample::new(WEB, "2026-11", 1).findings(&sixteen());
    assert!(matches!(
        import(&mut store, &nov, "web-nov.json", ImportOptions::default()),
        ImportOutcome::Stored { .. }
    ));
    let before = ledger_on(&mut store, "2026-12", "2026-12-31");
    assert_eq!(before.rows.len(), 16);
    assert!(before.rows.iter().all(|r| !r.row.state.overdue));

    // The host's clock said 2006: its report is refused as it is ...
    let clock_2006 = Sample::new(WEB, "2006-03", 2)
        .finished("2006-03-10T10:00:02+08:00")
        .findings(&sixteen());
    let err = refusal(import(
        &mut store,
        &clock_2006,
        "web-2006.json",
        ImportOptions::default(),
    ));
    assert!(matches!(err, ImportError::ClockSkew { .. }), "{err}");
    // ... and accepted by name, it counts at its import time.
    let accepted = ImportOptions {
        accept_clock_skew: vec!["web-2006.json".into()],
        ..ImportOptions::default()
    };
    let outcome = import(&mut store, &clock_2006, "web-2006.json", accepted);
    assert!(
        matches!(&outcome, ImportOutcome::Stored { clock_skew: Some(p), .. } if p.contains("2006-03-10")),
        "{outcome:?}"
    );
    let line = selfcheck_collector::present::import_line(
        Path::new("web-2006.json"),
        &outcome,
        selfcheck_catalog::Lang::En,
    );
    assert!(line.contains("counted at its import time"), "{line}");
    let after = ledger_on(&mut store, "2026-12", "2026-12-31");
    assert_eq!(after.rows.len(), 16);
    for (b, a) in before.rows.iter().zip(&after.rows) {
        assert_eq!(a.row.fingerprint, b.row.fingerprint);
        assert_eq!(a.cell(Column::FoundOn, Lang::Zh), "2026-11-25");
        assert_eq!(a.row.state.first_seen, b.row.state.first_seen);
        assert!(
            a.row.state.deadline >= b.row.state.deadline,
            "deadline moved back: {:?} -> {:?}",
            b.row.state.deadline,
            a.row.state.deadline
        );
        assert!(!a.row.state.overdue, "{} is overdue", a.row.subject);
    }
    let stored = store.reports(None).unwrap();
    let skewed = stored
        .iter()
        .find(|r| r.report_id == clock_2006.report_id())
        .unwrap();
    assert!(
        skewed
            .clock_skew
            .as_deref()
            .is_some_and(|p| p.contains("before this import")),
        "{skewed:?}"
    );
    let entry = store
        .history(Some(kind::REPORT_IMPORTED))
        .unwrap()
        .into_iter()
        .find(|e| e.body["report_id"] == clock_2006.report_id().as_str())
        .unwrap();
    assert!(
        entry.body["clock_skew_accepted"]
            .as_str()
            .is_some_and(|p| p.contains("2006-03-10")),
        "the history records what was accepted: {}",
        entry.body
    );
}

#[test]
fn accept_new_key_names_the_host_and_a_forged_report_for_another_host_in_the_batch_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("data")).unwrap();
    let db_findings = sixteen();
    for s in [
        Sample::new(WEB, "2026-11", 1),
        Sample::new(DB, "2026-11", 2).findings(&db_findings),
    ] {
        assert!(matches!(
            import(&mut store, &s, "first.json", ImportOptions::default()),
            ImportOutcome::Stored { .. }
        ));
    }
    // web-01 was reinstalled (new key 9); in the same folder, a clean report
    // for db-01 signed by the same new key: a forgery.
    let usb = tmp.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    let reinstalled = Sample::new(WEB, "2026-12", 3).key(9);
    reinstalled.write(&usb, "a-web-01.json");
    let forged = Sample::new(DB, "2026-12", 4)
        .key(9)
        .findings(&[])
        .passed(&["ports.telnet"]);
    forged.write(&usb, "b-db-01.json");
    let results = import_paths(
        &mut store,
        std::slice::from_ref(&usb),
        &catalog(),
        ImportOptions {
            accept_new_key: vec!["web-01".into()],
            ..ImportOptions::default()
        },
    );
    assert!(
        matches!(results[0].1, ImportOutcome::Stored { .. }),
        "{:?}",
        results[0]
    );
    let err = match &results[1].1 {
        ImportOutcome::Refused { error } => error,
        other => panic!("the forged db-01 report was not refused: {other:?}"),
    };
    assert!(
        matches!(err, ImportError::KeyChanged { host, .. } if host == "db-01"),
        "{err}"
    );
    assert!(err.to_string().contains("--accept-new-key db-01"), "{err}");

    let old = Sample::new(WEB, "2026-11", 1).agent_key().fingerprint();
    let new = reinstalled.agent_key().fingerprint();
    assert_eq!(
        store.pinned_key(WEB.machine_id.unwrap()).unwrap(),
        Some(new.clone())
    );
    assert_eq!(
        store.pinned_key(DB.machine_id.unwrap()).unwrap(),
        Some(old.clone())
    );
    // db-01's findings are all still open.
    let ledger = ledger_on(&mut store, "2026-12", "2026-12-31");
    let db_rows: Vec<_> = ledger
        .rows
        .iter()
        .filter(|r| &*r.row.hostname == "db-01")
        .collect();
    assert_eq!(db_rows.len(), 16);
    assert!(db_rows.iter().all(|r| r.row.state.status == Status::Open));
    // The re-pin is in the hash-chained history, old and new key named.
    let repins = store.history(Some(kind::AGENT_KEY_REPINNED)).unwrap();
    assert_eq!(repins.len(), 1, "{repins:?}");
    let body = &repins[0].body;
    assert_eq!(body["hostname"], "web-01");
    assert_eq!(body["old_key_fingerprint"], old.as_str());
    assert_eq!(body["new_key_fingerprint"], new.as_str());
    assert_eq!(body["report_id"], reinstalled.report_id().as_str());
    assert!(store.verify_history().unwrap().is_intact());
}

#[test]
fn cloned_machines_sharing_a_machine_id_are_named_and_never_re_pinned() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    assert!(matches!(
        import(
            &mut store,
            &Sample::new(WEB, "2026-11", 1),
            "web-01.json",
            ImportOptions::default()
        ),
        ImportOutcome::Stored { .. }
    ));
    let clone = Host {
        hostname: "web-02",
        machine_id: WEB.machine_id,
        ip: "10.1.2.9",
    };
    let report = Sample::new(clone, "2026-11", 2)
        .key(9)
        .findings(&[])
        .passed(&["ports.telnet"]);
    let before = store.dump().unwrap();
    for accept in [
        vec![],
        vec!["web-02".to_string()],
        vec![WEB.machine_id.unwrap().to_string()],
    ] {
        let options = ImportOptions {
            accept_new_key: accept.clone(),
            ..ImportOptions::default()
        };
        let err = refusal(import(&mut store, &report, "web-02.json", options));
        assert!(
            matches!(err, ImportError::DuplicateMachineId { .. }),
            "{accept:?}: {err}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("duplicate machine id {}", WEB.machine_id.unwrap()))
                && text.contains("host web-02")
                && text.contains("web-01")
                && text.contains("systemd-machine-id-setup")
                && !text.contains("re-import with --accept-new-key"),
            "{text}"
        );
        assert_eq!(store.dump().unwrap(), before);
    }
}

fn write_spelling(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn the_same_signed_report_re_indented_reordered_or_with_a_bom_is_already_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("data")).unwrap();
    let sample = Sample::new(WEB, "2026-11", 1);
    let bytes = sample.bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    let reordered = format!(
        "{{\"signature\": {}, \"report\": {}}}",
        v["signature"], v["report"]
    );
    // The first import is itself a re-indented file with a BOM.
    let first = write_spelling(
        tmp.path(),
        "bom.json",
        &[b"\xEF\xBB\xBF".as_slice(), &pretty].concat(),
    );
    let results = import_paths(&mut store, &[first], &catalog(), ImportOptions::default());
    assert!(
        matches!(results[0].1, ImportOutcome::Stored { .. }),
        "{:?}",
        results[0].1
    );
    let after_first = store.dump().unwrap();
    for (name, spelling) in [
        ("as-written.json", bytes.clone()),
        ("pretty.json", pretty.clone()),
        ("reordered.json", reordered.into_bytes()),
    ] {
        let path = write_spelling(tmp.path(), name, &spelling);
        let results = import_paths(&mut store, &[path], &catalog(), ImportOptions::default());
        assert!(
            matches!(&results[0].1, ImportOutcome::AlreadyStored { report_id } if *report_id == sample.report_id()),
            "{name}: {:?}",
            results[0].1
        );
        assert_eq!(
            store.dump().unwrap(),
            after_first,
            "{name} changed the store"
        );
    }
    // The evidence verifier reads the stored file, BOM and all, as a report.
    let dir = tmp.path().join("data");
    let key = load_or_create_collector_key(&dir).unwrap();
    let package = build_package(
        &store,
        "2026-11".parse().unwrap(),
        vec![],
        Signers {
            collector: &key,
            sm2: None,
        },
        common::t("2026-12-01T09:00:00+08:00"),
    )
    .unwrap();
    let verified = verify_package_with(
        &package,
        &VerifyOptions {
            expect_key: Some(key.fingerprint()),
            expect_sm2_key: None,
            expect_head: None,
        },
    );
    assert!(verified.is_intact(), "{:?}", verified);
    // Other signed content under the same id is still a conflict.
    let other = Sample::new(WEB, "2026-11", 1).finished("2026-11-26T09:00:00+08:00");
    assert!(matches!(
        refusal(import(
            &mut store,
            &other,
            "other.json",
            ImportOptions::default()
        )),
        ImportError::Conflict { .. }
    ));
}
