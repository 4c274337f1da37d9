//! Importing reports: each stored once; every bad file refused by name, with
//! the store left exactly as it was.

mod common;

use common::{DB, Sample, WEB, garbage};
use selfcheck_catalog::Catalog;
use selfcheck_collector::import::{
    ImportError, ImportOptions, ImportOutcome, import_bytes, import_paths,
};
use selfcheck_collector::present::import_line;
use selfcheck_collector::store::Store;
use selfcheck_report::{ReportError, Severity};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn open(dir: &Path) -> Store {
    Store::open(&dir.join("data")).unwrap()
}

fn import_one(store: &mut Store, path: &Path, options: ImportOptions) -> ImportOutcome {
    let mut results = import_paths(store, &[path.to_path_buf()], &catalog(), options);
    assert_eq!(results.len(), 1, "one file, one outcome");
    results.remove(0).1
}

/// Import `path`, expect it refused with a line naming the file and containing
/// `fault`, and the store unchanged.
fn assert_refused(store: &mut Store, path: &Path, fault: &str) -> ImportError {
    let before = store.dump().unwrap();
    let outcome = import_one(store, path, ImportOptions::default());
    let line = import_line(path, &outcome, selfcheck_catalog::Lang::En);
    assert!(line.starts_with("refused"), "{line}");
    assert!(
        line.contains(&path.display().to_string()),
        "the line names the file: {line}"
    );
    assert!(line.contains(fault), "expected {fault:?} in: {line}");
    assert_eq!(
        store.dump().unwrap(),
        before,
        "a refused file changed the store"
    );
    match outcome {
        ImportOutcome::Refused { error } => error,
        other => panic!("not refused: {other:?}"),
    }
}

/// A store that already holds one report, so "unchanged" means something.
fn store_with_one_report(tmp: &Path) -> Store {
    let mut store = open(tmp);
    let good = Sample::new(DB, "2026-11", 200).write(tmp, "db-01.json");
    assert!(matches!(
        import_one(&mut store, &good, ImportOptions::default()),
        ImportOutcome::Stored { .. }
    ));
    store
}

#[test]
fn same_report_imported_twice_is_stored_once_and_the_second_time_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let sample = Sample::new(WEB, "2026-11", 1);
    let path = sample.write(tmp.path(), "web-01.json");

    match import_one(&mut store, &path, ImportOptions::default()) {
        ImportOutcome::Stored {
            report_id,
            findings,
            new_findings,
            clock_skew: None,
        } => {
            assert_eq!(report_id, sample.report_id());
            assert_eq!((findings, new_findings), (1, 1));
        }
        other => panic!("{other:?}"),
    }
    let after_first = store.dump().unwrap();

    let copy = tmp.path().join("copy-of-web-01.json");
    std::fs::copy(&path, &copy).unwrap();
    let outcome = import_one(&mut store, &copy, ImportOptions::default());
    assert!(
        matches!(&outcome, ImportOutcome::AlreadyStored { report_id } if *report_id == sample.report_id()),
        "{outcome:?}"
    );
    assert!(import_line(&copy, &outcome, selfcheck_catalog::Lang::En).contains("already stored"));
    assert_eq!(
        store.dump().unwrap(),
        after_first,
        "the second import changed the store"
    );
    assert_eq!(store.reports(None).unwrap().len(), 1);
    // The stored bytes are the file's bytes.
    assert_eq!(
        store.raw_report(&sample.report_id()).unwrap().unwrap(),
        sample.bytes()
    );
}

#[test]
fn same_report_id_with_different_bytes_is_refused_as_a_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    Sample::new(WEB, "2026-11", 1).write(tmp.path(), "a.json");
    import_one(
        &mut store,
        &tmp.path().join("a.json"),
        ImportOptions::default(),
    );
    let other = Sample::new(WEB, "2026-11", 1)
        .finished("2026-11-26T09:00:00+08:00")
        .write(tmp.path(), "b.json");
    let err = assert_refused(&mut store, &other, "conflict");
    assert!(matches!(err, ImportError::Conflict { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("already stored from a different file"),
        "{err}"
    );
}

#[test]
fn truncated_report_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_with_one_report(tmp.path());
    let bytes = Sample::new(WEB, "2026-11", 1).bytes();
    let path = tmp.path().join("truncated.json");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = assert_refused(&mut store, &path, "truncated");
    assert!(
        matches!(err, ImportError::Report(ReportError::Truncated { .. })),
        "{err}"
    );
}

#[test]
fn report_of_a_future_schema_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_with_one_report(tmp.path());
    let mut v: serde_json::Value =
        serde_json::from_slice(&Sample::new(WEB, "2026-11", 1).bytes()).unwrap();
    v["report"]["schema_version"] = 3.into();
    let path = tmp.path().join("v3.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    assert_refused(&mut store, &path, "schema_version 3");
}

#[test]
fn validly_signed_report_with_a_check_unknown_to_the_catalog_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_with_one_report(tmp.path());
    let path = Sample::new(WEB, "2026-11", 1)
        .findings(&[("ports.gopher", "tcp/70", Severity::Low)])
        .write(tmp.path(), "gopher.json");
    let err = assert_refused(
        &mut store,
        &path,
        "unknown check id ports.gopher: this collector's catalog does not know it; update the collector or pass --checks DIR",
    );
    assert!(matches!(err, ImportError::UnknownCheck { .. }));
}

#[test]
fn ten_megabytes_of_random_garbage_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_with_one_report(tmp.path());
    let path = tmp.path().join("garbage.json");
    std::fs::write(&path, garbage(10 * 1024 * 1024, 7)).unwrap();
    assert_refused(&mut store, &path, "not valid JSON");
}

#[test]
fn report_with_one_byte_changed_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_with_one_report(tmp.path());
    let mut bytes = Sample::new(WEB, "2026-11", 1).bytes();
    // Change the host name web-01 to web-11: valid JSON, valid report, wrong signature.
    let at = bytes.windows(6).position(|w| w == b"web-01").unwrap() + 4;
    bytes[at] = b'1';
    let path = tmp.path().join("altered.json");
    std::fs::write(&path, &bytes).unwrap();
    let err = assert_refused(&mut store, &path, "signature");
    assert!(
        matches!(err, ImportError::Report(ReportError::BadSignature(_))),
        "{err}"
    );
}

#[test]
fn fifo_is_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("pipe.json");
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let data = tmp.path().to_path_buf();
    // Nobody ever writes to the pipe: an import that opened it blocking would hang.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut store = store_with_one_report(&data);
        let before = store.dump().unwrap();
        let outcome = import_one(
            &mut store,
            &data.join("pipe.json"),
            ImportOptions::default(),
        );
        let line = import_line(
            &data.join("pipe.json"),
            &outcome,
            selfcheck_catalog::Lang::En,
        );
        let _ = tx.send((line, before == store.dump().unwrap()));
    });
    let (line, unchanged) = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("import blocked on a FIFO");
    assert!(line.starts_with("refused"), "{line}");
    assert!(
        line.contains("pipe.json") && line.contains("FIFO"),
        "{line}"
    );
    assert!(unchanged);
}

#[test]
fn symlink_loop_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_with_one_report(tmp.path());
    let path = tmp.path().join("loop.json");
    std::os::unix::fs::symlink("loop.json", &path).unwrap();
    let err = assert_refused(&mut store, &path, "symbolic link loop");
    assert!(matches!(err, ImportError::SymlinkLoop));
}

#[test]
fn directory_with_a_mix_stores_the_good_and_refuses_each_bad_file_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("usb");
    std::fs::create_dir(&dir).unwrap();
    let good = Sample::new(WEB, "2026-11", 1);
    good.write(&dir, "a-good.json");
    let bytes = good.bytes();
    std::fs::write(dir.join("b-truncated.json"), &bytes[..100]).unwrap();
    std::fs::write(dir.join("c-garbage.json"), garbage(4096, 3)).unwrap();
    nix::unistd::mkfifo(&dir.join("d-pipe.json"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::os::unix::fs::symlink("e-loop.json", dir.join("e-loop.json")).unwrap();
    Sample::new(WEB, "2026-11", 2)
        .findings(&[("ports.gopher", "tcp/70", Severity::Low)])
        .write(&dir, "f-unknown-check.json");
    std::fs::write(dir.join("notes.txt"), "not a report").unwrap();
    std::fs::create_dir(dir.join("older")).unwrap();
    Sample::new(DB, "2026-10", 3).write(&dir.join("older"), "db.json");

    // First into an empty store: only the good report is stored.
    let mut fresh = open(&tmp.path().join("fresh"));
    let results = import_paths(
        &mut fresh,
        std::slice::from_ref(&dir),
        &catalog(),
        ImportOptions::default(),
    );
    let names: Vec<String> = results
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "a-good.json",
            "b-truncated.json",
            "c-garbage.json",
            "d-pipe.json",
            "e-loop.json",
            "f-unknown-check.json"
        ],
        "every *.json directly inside, sorted; not notes.txt, not older/"
    );
    assert!(matches!(results[0].1, ImportOutcome::Stored { .. }));
    let expected_fault = [
        "",
        "truncated",
        "not valid JSON",
        "FIFO",
        "symbolic link loop",
        "unknown check id ports.gopher",
    ];
    for ((path, outcome), fault) in results.iter().zip(expected_fault).skip(1) {
        let line = import_line(path, outcome, selfcheck_catalog::Lang::En);
        assert!(outcome.is_refused(), "{line}");
        assert!(
            line.contains(&path.display().to_string()) && line.contains(fault),
            "{line}"
        );
    }
    assert_eq!(fresh.reports(None).unwrap().len(), 1);

    // Then into a store that already has the good one: nothing changes at all.
    let mut store = open(tmp.path());
    import_one(
        &mut store,
        &dir.join("a-good.json"),
        ImportOptions::default(),
    );
    let before = store.dump().unwrap();
    let results = import_paths(
        &mut store,
        std::slice::from_ref(&dir),
        &catalog(),
        ImportOptions::default(),
    );
    assert!(matches!(results[0].1, ImportOutcome::AlreadyStored { .. }));
    assert_eq!(results.iter().filter(|(_, o)| o.is_refused()).count(), 5);
    assert_eq!(store.dump().unwrap(), before);
}

#[test]
fn empty_directory_is_refused_not_silently_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let dir = tmp.path().join("empty");
    std::fs::create_dir(&dir).unwrap();
    assert_refused(&mut store, &dir, "no *.json files");
}

#[test]
fn another_agent_key_for_the_same_machine_is_refused_unless_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let first = Sample::new(WEB, "2026-11", 1);
    import_one(
        &mut store,
        &first.write(tmp.path(), "first.json"),
        ImportOptions::default(),
    );
    let machine = WEB.machine_id.unwrap();
    assert_eq!(
        store.pinned_key(machine).unwrap(),
        Some(first.agent_key().fingerprint())
    );

    let reinstalled = Sample::new(WEB, "2026-12", 2)
        .finished("2026-12-03T10:00:00+08:00")
        .key(9);
    let path = reinstalled.write(tmp.path(), "reinstalled.json");
    let message = format!(
        "agent key changed for host web-01: pinned {}, report signed by {}; if the agent on web-01 was reinstalled, re-import with --accept-new-key web-01",
        first.agent_key().fingerprint(),
        reinstalled.agent_key().fingerprint()
    );
    let err = assert_refused(&mut store, &path, &message);
    assert!(matches!(err, ImportError::KeyChanged { .. }));

    let accepted = import_one(
        &mut store,
        &path,
        ImportOptions {
            accept_new_key: vec!["web-01".into()],
            ..ImportOptions::default()
        },
    );
    assert!(
        matches!(accepted, ImportOutcome::Stored { .. }),
        "{accepted:?}"
    );
    assert_eq!(
        store.pinned_key(machine).unwrap(),
        Some(reinstalled.agent_key().fingerprint())
    );
    // Another host is not affected by web-01's pin.
    let other = Sample::new(DB, "2026-12", 3)
        .key(9)
        .write(tmp.path(), "db.json");
    assert!(matches!(
        import_one(&mut store, &other, ImportOptions::default()),
        ImportOutcome::Stored { .. }
    ));
}

#[test]
fn failure_part_way_through_a_report_leaves_nothing_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_with_one_report(tmp.path());
    // Make the database fail while the second report's findings are written,
    // after its row in `reports` and its check runs are already in.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_findings BEFORE INSERT ON findings
         WHEN NEW.subject = 'tcp/23' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
    )
    .unwrap();
    drop(conn);
    let before = store.dump().unwrap();
    let bytes = Sample::new(WEB, "2026-11", 1).bytes();
    let outcome = import_bytes(
        &mut store,
        &bytes,
        "upload",
        &catalog(),
        ImportOptions::default(),
    );
    match &outcome {
        ImportOutcome::Refused {
            error: ImportError::Store(e),
        } => assert!(e.to_string().contains("disk on fire"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store.dump().unwrap(),
        before,
        "half a report was left behind"
    );
    assert!(store.pinned_key(WEB.machine_id.unwrap()).unwrap().is_none());
}

#[test]
fn host_without_machine_id_is_keyed_by_hostname() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = open(tmp.path());
    let host = common::Host {
        hostname: "kiosk",
        machine_id: None,
        ip: "10.9.9.9",
    };
    let path = Sample::new(host, "2026-11", 5).write(tmp.path(), "kiosk.json");
    import_one(&mut store, &path, ImportOptions::default());
    let reports = store.reports(None).unwrap();
    assert_eq!(reports[0].asset_key, "hostname:kiosk");
    assert!(store.pinned_key("hostname:kiosk").unwrap().is_some());
}
