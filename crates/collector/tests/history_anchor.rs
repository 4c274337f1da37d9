//! An append-only, anchored history and a store that proves its ledger: each
//! attack on the store or on a package is done here the way an attacker
//! would (direct SQL with rusqlite, digests recomputed with SM3, a package
//! re-signed with another key) and must be named.

mod common;

use assert_cmd::Command;
use common::{DB, Sample, WEB};
use rusqlite::{Connection, params};
use selfcheck_collector::evidence::key::public_key_pem;
use selfcheck_collector::evidence::manifest::{MANIFEST_CONTEXT, Manifest, ManifestSignature};
use selfcheck_collector::evidence::{
    build_package, load_or_create_collector_key, sha256_hex, sm3_hex,
};
use selfcheck_collector::history::SEAL_CONTEXT;
use selfcheck_collector::store::Store;
use selfcheck_report::canonical::to_canonical_bytes;
use selfcheck_report::{AgentKey, Severity};
use serde_json::{Value, json};
use sm3::Digest as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

type Members = Vec<(String, Vec<u8>)>;

fn collector(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("selfcheck-collector").unwrap();
    cmd.env_remove("SELFCHECK_DATA")
        .env_remove("SELFCHECK_COLLECTOR_CONFIG")
        .args(["--lang", "en", "--data"])
        .arg(data);
    cmd
}

/// Run the collector; exit status and standard output + error.
fn run(data: &Path, args: &[&str]) -> (i32, String) {
    let out = collector(data).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn verify_zip(args: &[&str], zip: &Path) -> (i32, String) {
    let out = Command::cargo_bin("selfcheck-collector")
        .unwrap()
        .env_remove("SELFCHECK_DATA")
        .arg("verify")
        .args(args)
        .arg(zip)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// A data directory with web-01 (telnet open, five times over five
/// subjects) and db-01 imported through the command line for 2026-11.
fn november(root: &Path) -> PathBuf {
    let data = root.join("data");
    let usb = root.join("usb-11");
    std::fs::create_dir_all(&usb).unwrap();
    Sample::new(WEB, "2026-11", 1)
        .findings(&[
            ("ports.telnet", "tcp/23", Severity::High),
            ("ports.telnet", "tcp6/23", Severity::High),
            ("ports.telnet", "tcp/2323", Severity::High),
            ("ports.telnet", "tcp6/2323", Severity::High),
            ("ports.telnet", "tcp/992", Severity::High),
        ])
        .write(&usb, "web-01.json");
    Sample::new(DB, "2026-11", 2).write(&usb, "db-01.json");
    let (code, text) = run(&data, &["import", usb.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    data
}

fn evidence(data: &Path, month: &str, out: &Path) -> (i32, String) {
    run(
        data,
        &["evidence", "--month", month, "--out", out.to_str().unwrap()],
    )
}

fn db(data: &Path) -> Connection {
    Connection::open(data.join("collector.sqlite3")).unwrap()
}

/// seq, at, actor, kind, fingerprint, body, prev of a history row.
type StoredEntry = (i64, String, String, String, Option<String>, String, String);

/// What an attacker without the key does after editing an entry: recompute
/// every digest from that entry on with SM3 over the entry's canonical JSON
/// (the documented, unkeyed rule), so the chain links again.
fn recompute_digests(conn: &Connection, from_seq: i64) {
    let rows: Vec<StoredEntry> = conn
        .prepare(
            "SELECT seq, at, actor, kind, fingerprint, body, prev FROM history WHERE seq >= ?1 ORDER BY seq",
        )
        .unwrap()
        .query_map([from_seq], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev: Option<String> = None;
    for (seq, at, actor, kind, fingerprint, body, stored_prev) in rows {
        let prev_digest = prev.clone().unwrap_or(stored_prev);
        let body: Value = serde_json::from_str(&body).unwrap();
        let bytes = to_canonical_bytes(&json!({
            "seq": seq, "at": at, "actor": actor, "kind": kind,
            "fingerprint": fingerprint, "body": body, "prev": prev_digest,
        }));
        let digest = format!("sm3:{}", hex::encode(sm3::Sm3::digest(&bytes)));
        conn.execute(
            "UPDATE history SET prev = ?2, digest = ?3 WHERE seq = ?1",
            params![seq, prev_digest, digest],
        )
        .unwrap();
        prev = Some(digest);
    }
}

fn read_zip(path: &Path) -> Members {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

fn write_zip(path: &Path, members: &Members) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data) in members {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

fn member<'a>(members: &'a mut Members, name: &str) -> &'a mut Vec<u8> {
    &mut members.iter_mut().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn an_entry_edited_with_its_digests_recomputed_by_sm3_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let (code, text) = run(&data, &["history", "verify"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("history intact: 2 entries"), "{text}");

    // Entry 1 now says the report came from somewhere else; every digest
    // from it on is recomputed, so the unkeyed chain links again.
    let conn = db(&data);
    let body: String = conn
        .query_row("SELECT body FROM history WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    let edited = body.replace("/usb-11/", "/usb-99/");
    assert_ne!(body, edited);
    conn.execute("UPDATE history SET body = ?1 WHERE seq = 1", [&edited])
        .unwrap();
    recompute_digests(&conn, 1);
    drop(conn);

    // The digests alone are fooled: that was the whole check before.
    let store = Store::open_existing(&data).unwrap();
    assert!(store.verify_history().unwrap().is_intact());
    drop(store);

    // The seals are not: the attacker has no collector key.
    let (code, text) = run(&data, &["history", "verify"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("entry 1 (report_imported") && text.contains("seal does not verify"),
        "{text}"
    );
    assert!(text.contains("history BROKEN"), "{text}");
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("seal does not verify"), "{text}");
    let zip = tmp.path().join("p.zip");
    let (code, text) = evidence(&data, "2026-11", &zip);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("refusing to sign"), "{text}");
    assert!(!zip.exists());
}

#[test]
fn telnet_rows_deleted_and_the_check_marked_passed_by_sql_are_named_and_not_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("store consistent: 2 report(s), 2 re-verified"),
        "{text}"
    );

    // The attack of the campaign: no telnet rows, the check "passed".
    let conn = db(&data);
    let deleted = conn
        .execute("DELETE FROM findings WHERE check_id = 'ports.telnet'", [])
        .unwrap();
    assert_eq!(deleted, 6, "five on web-01, one on db-01");
    conn.execute(
        "UPDATE check_runs SET status = 'passed', finding_count = 0 WHERE check_id = 'ports.telnet'",
        [],
    )
    .unwrap();
    drop(conn);
    // The history alone does not see it.
    let (code, text) = run(&data, &["history", "verify"]);
    assert_eq!(code, 0, "{text}");

    let (code, text) = run(&data, &["store", "verify", "--format", "json"]);
    assert_eq!(code, 1, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["consistent"], false);
    let problems = v["problems"].as_array().unwrap();
    let missing: Vec<&Value> = problems
        .iter()
        .filter(|p| p["kind"] == "row_missing" && p["table"] == "findings")
        .collect();
    assert_eq!(missing.len(), 6, "{text}");
    assert!(
        missing
            .iter()
            .all(|p| p["key"].as_str().is_some_and(|k| !k.is_empty()))
    );
    let differs: Vec<&Value> = problems
        .iter()
        .filter(|p| p["kind"] == "row_differs" && p["table"] == "check_runs")
        .collect();
    assert_eq!(differs.len(), 2, "{text}");
    assert!(differs.iter().all(|p| p["key"] == "ports.telnet"));
    assert!(
        differs[0]["message"]
            .as_str()
            .unwrap()
            .contains("\"passed\"")
            && differs[0]["message"]
                .as_str()
                .unwrap()
                .contains("\"findings\""),
        "{text}"
    );

    let zip = tmp.path().join("p.zip");
    let (code, text) = evidence(&data, "2026-11", &zip);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("refusing to sign") && text.contains("selfcheck-collector store verify"),
        "{text}"
    );
    assert!(!zip.exists(), "nothing is written");
}

#[test]
fn a_corrupt_stored_report_is_named_and_never_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    // The stored file of db-01 replaced (identity encoding) by other bytes
    // of the same report with one byte changed.
    let conn = db(&data);
    let mut bytes = Sample::new(DB, "2026-11", 2).bytes();
    let at = bytes.windows(6).position(|w| w == b"db-01\"").unwrap();
    bytes[at + 4] = b'9';
    conn.execute(
        "UPDATE reports SET raw = ?1, raw_encoding = 'identity' WHERE hostname = 'db-01'",
        [&bytes],
    )
    .unwrap();
    drop(conn);
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("reports report") && text.contains("SHA-256"),
        "{text}"
    );
    let zip = tmp.path().join("p.zip");
    let (code, text) = evidence(&data, "2026-11", &zip);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("refusing to sign"), "{text}");

    // The package writer refuses it too, store check or not.
    let store = Store::open_existing(&data).unwrap();
    let key = AgentKey::from_secret_bytes([3; 32]);
    let err = build_package(
        &store,
        "2026-11".parse().unwrap(),
        vec![],
        &key,
        common::t("2026-12-01T09:00:00+08:00"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("is corrupt"), "{err}");
}

#[test]
fn deleting_every_entry_is_named_and_the_previous_package_shows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let november_zip = tmp.path().join("2026-11.zip");
    let (code, text) = evidence(&data, "2026-11", &november_zip);
    assert_eq!(code, 0, "{text}");

    // With the sqlite3 shell where it is installed, as someone at the
    // collector's machine would; else the same statement through rusqlite.
    let db_file = data.join("collector.sqlite3");
    let by_shell = std::process::Command::new("sqlite3")
        .arg(&db_file)
        .arg("DELETE FROM history;")
        .status()
        .is_ok_and(|s| s.success());
    if !by_shell {
        db(&data).execute("DELETE FROM history", []).unwrap();
    }
    // The chain alone: intact, 0 entries (what the campaign saw).
    let (code, text) = run(&data, &["history", "verify"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("0 entries"), "{text}");
    // The store: every report without its import entry.
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        text.matches("history has no report_imported entry").count(),
        2,
        "{text}"
    );
    // Against last month's package: its head is gone.
    let (code, text) = run(
        &data,
        &[
            "store",
            "verify",
            "--previous",
            november_zip.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("entries were deleted"), "{text}");

    // Reports gone too, so the store is empty and consistent by itself: a
    // package made from it does not extend November's.
    let conn = db(&data);
    conn.execute_batch(
        "DELETE FROM findings; DELETE FROM suppressed_findings; DELETE FROM check_runs;
         DELETE FROM finding_registry; DELETE FROM reports;",
    )
    .unwrap();
    drop(conn);
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 0, "{text}");
    let december_zip = tmp.path().join("2026-12.zip");
    let (code, text) = evidence(&data, "2026-12", &december_zip);
    assert_eq!(code, 0, "{text}");
    let (code, text) = verify_zip(
        &["--previous", november_zip.to_str().unwrap()],
        &december_zip,
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("HistoryHead") || text.contains("entries were deleted"),
        "{text}"
    );
    assert!(text.contains("NOT INTACT"), "{text}");
}

/// Re-sign `zip` as `signer` would: its own public key, fingerprint in the
/// manifest, and signature (all consistent: only the signer differs).
fn resign(zip: &Path, signer: &AgentKey, out: &Path) {
    let mut members = read_zip(zip);
    let pem = public_key_pem(signer).unwrap().into_bytes();
    *member(&mut members, "collector-public-key.pem") = pem.clone();
    let mut manifest: Manifest =
        serde_json::from_slice(member(&mut members, "manifest.json")).unwrap();
    manifest.collector.key_fingerprint = signer.fingerprint();
    // The attacker also drops the genuine signed head, which they cannot make.
    manifest.history.head_seal = None;
    for m in &mut manifest.members {
        if m.name == "collector-public-key.pem" {
            m.size = pem.len() as u64;
            m.sha256 = sha256_hex(&pem);
            m.sm3 = sm3_hex(&pem);
        }
    }
    // Seals of the genuine key would not verify under the attacker's: strip
    // them from the history lines and re-list that member.
    let history = manifest.history.member.clone();
    let lines: Vec<u8> = String::from_utf8(member(&mut members, &history).clone())
        .unwrap()
        .lines()
        .flat_map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("seal");
            let mut bytes = to_canonical_bytes(&v);
            bytes.push(b'\n');
            bytes
        })
        .collect();
    for m in &mut manifest.members {
        if m.name == history {
            m.size = lines.len() as u64;
            m.sha256 = sha256_hex(&lines);
            m.sm3 = sm3_hex(&lines);
        }
    }
    *member(&mut members, &history) = lines;
    let manifest_bytes = manifest.to_bytes();
    let sig = ManifestSignature {
        algorithm: "ed25519".into(),
        context: MANIFEST_CONTEXT.into(),
        public_key: signer.public_key_hex(),
        key_fingerprint: signer.fingerprint(),
        value: signer.sign_detached(MANIFEST_CONTEXT, &manifest_bytes),
    };
    *member(&mut members, "manifest.json") = manifest_bytes;
    *member(&mut members, "manifest.sig") = sig.to_bytes();
    write_zip(out, &members);
}

#[test]
fn a_package_re_signed_by_another_key_is_not_intact_without_a_pinned_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let zip = tmp.path().join("2026-11.zip");
    let (code, text) = evidence(&data, "2026-11", &zip);
    assert_eq!(code, 0, "{text}");
    let key = load_or_create_collector_key(&data).unwrap();
    let forged = tmp.path().join("forged.zip");
    resign(&zip, &AgentKey::from_secret_bytes([0x66; 32]), &forged);

    // No key given: never "intact", a distinct exit status.
    let (code, text) = verify_zip(&[], &forged);
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("signature valid, signer not checked"),
        "{text}"
    );
    assert!(!text.contains("intact:"), "{text}");
    let (code, text) = verify_zip(&["--json"], &forged);
    assert_eq!(code, 3, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["intact"].clone(), v["verdict"].clone()),
        (json!(false), json!("signer_not_checked"))
    );
    // With the unit's key, or last month's package: named.
    let (code, text) = verify_zip(&["--expect-key", &key.fingerprint()], &forged);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("re-signed, by another collector"), "{text}");
    // Last month's package pins its key the same way.
    let (code, text) = verify_zip(&["--previous", zip.to_str().unwrap()], &forged);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!("not the expected key {}", key.fingerprint())),
        "{text}"
    );
    // The genuine package passes once its signer is checked.
    let (code, text) = verify_zip(&["--expect-key", &key.fingerprint()], &zip);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("intact: signed by the expected collector key"),
        "{text}"
    );
    assert!(text.contains(", sealed;"), "{text}");
}

#[test]
fn a_zeroed_or_swapped_public_key_in_manifest_sig_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let zip = tmp.path().join("2026-11.zip");
    let (code, text) = evidence(&data, "2026-11", &zip);
    assert_eq!(code, 0, "{text}");
    let key = load_or_create_collector_key(&data).unwrap();
    let other = AgentKey::from_secret_bytes([0x21; 32]).public_key_hex();
    for (label, public_key) in [("zeroed", "0".repeat(64)), ("swapped", other)] {
        let mut members = read_zip(&zip);
        let mut sig: ManifestSignature =
            serde_json::from_slice(member(&mut members, "manifest.sig")).unwrap();
        sig.public_key = public_key;
        *member(&mut members, "manifest.sig") = sig.to_bytes();
        let edited = tmp.path().join(format!("{label}.zip"));
        write_zip(&edited, &members);
        let (code, text) = verify_zip(&["--expect-key", &key.fingerprint()], &edited);
        assert_eq!(code, 1, "{label}: {text}");
        assert!(
            text.contains("problem: manifest.sig: names public key"),
            "{label}: {text}"
        );
    }
    // An extra field in manifest.sig is refused too.
    let mut members = read_zip(&zip);
    let sig = member(&mut members, "manifest.sig");
    let mut v: Value = serde_json::from_slice(sig).unwrap();
    v["note"] = json!("x");
    *sig = serde_json::to_vec(&v).unwrap();
    let edited = tmp.path().join("extra.zip");
    write_zip(&edited, &members);
    let (code, text) = verify_zip(&["--expect-key", &key.fingerprint()], &edited);
    assert_eq!(code, 1, "{text}");
}

#[test]
fn previous_proves_an_honest_extension_and_catches_a_rewrite_even_with_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let november_zip = tmp.path().join("2026-11.zip");
    let (code, text) = evidence(&data, "2026-11", &november_zip);
    assert_eq!(code, 0, "{text}");

    // December: another report and a status change, then its package.
    let usb = tmp.path().join("usb-12");
    std::fs::create_dir_all(&usb).unwrap();
    Sample::new(WEB, "2026-12", 3)
        .finished("2026-12-05T10:00:02+08:00")
        .write(&usb, "web-01.json");
    let (code, text) = run(&data, &["import", usb.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let december_zip = tmp.path().join("2026-12.zip");
    let (code, text) = evidence(&data, "2026-12", &december_zip);
    assert_eq!(code, 0, "{text}");
    let (code, text) = verify_zip(
        &["--previous", november_zip.to_str().unwrap()],
        &december_zip,
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("extends the earlier head at entry 2"),
        "{text}"
    );
    let (code, text) = run(
        &data,
        &[
            "store",
            "verify",
            "--previous",
            november_zip.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{text}");

    // The unit rewrites November's first import after handing it over, with
    // the collector key at hand: digests recomputed, every entry re-sealed.
    let conn = db(&data);
    let body: String = conn
        .query_row("SELECT body FROM history WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "UPDATE history SET body = ?1 WHERE seq = 1",
        [body.replace("/usb-11/", "/elsewhere/")],
    )
    .unwrap();
    recompute_digests(&conn, 1);
    let key = load_or_create_collector_key(&data).unwrap();
    let digests: Vec<(i64, String)> = conn
        .prepare("SELECT seq, digest FROM history")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (seq, digest) in digests {
        conn.execute(
            "UPDATE history SET seal = ?2 WHERE seq = ?1",
            params![seq, key.sign_detached(SEAL_CONTEXT, digest.as_bytes())],
        )
        .unwrap();
    }
    // The evidence_signed entry still names November's head; it is rewritten
    // too, so nothing inside the store gives the rewrite away.
    let head: (i64, String) = conn
        .query_row(
            "SELECT seq, body FROM history WHERE kind = 'evidence_signed' ORDER BY seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut signed: Value = serde_json::from_str(&head.1).unwrap();
    let new_head: String = conn
        .query_row("SELECT digest FROM history WHERE seq = 2", [], |r| r.get(0))
        .unwrap();
    signed["head"] = json!(new_head);
    conn.execute(
        "UPDATE history SET body = ?2 WHERE seq = ?1",
        params![
            head.0,
            String::from_utf8(to_canonical_bytes(&signed)).unwrap()
        ],
    )
    .unwrap();
    recompute_digests(&conn, head.0);
    let digests: Vec<(i64, String)> = conn
        .prepare("SELECT seq, digest FROM history WHERE seq >= ?1")
        .unwrap()
        .query_map([head.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (seq, digest) in digests {
        conn.execute(
            "UPDATE history SET seal = ?2 WHERE seq = ?1",
            params![seq, key.sign_detached(SEAL_CONTEXT, digest.as_bytes())],
        )
        .unwrap();
    }
    drop(conn);
    // Inside the store it all holds together...
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 0, "{text}");
    // ...but not against the head the office holds.
    let (code, text) = run(
        &data,
        &[
            "store",
            "verify",
            "--previous",
            november_zip.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("rewritten after it was handed over"),
        "{text}"
    );
    let rewritten_zip = tmp.path().join("2026-12-rewritten.zip");
    let (code, text) = evidence(&data, "2026-12", &rewritten_zip);
    assert_eq!(code, 0, "{text}");
    let (code, text) = verify_zip(
        &["--previous", november_zip.to_str().unwrap()],
        &rewritten_zip,
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("entry 2 has digest") && text.contains("rewritten after that package"),
        "{text}"
    );
    // --expect-head does the same with the head written down.
    let manifest: Manifest = serde_json::from_slice(
        &read_zip(&november_zip)
            .into_iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    let head = format!("{}:{}", manifest.history.count, manifest.history.head);
    let (code, text) = verify_zip(
        &["--expect-key", &key.fingerprint(), "--expect-head", &head],
        &rewritten_zip,
    );
    assert_eq!(code, 1, "{text}");
    let (code, text) = verify_zip(
        &["--expect-key", &key.fingerprint(), "--expect-head", &head],
        &december_zip,
    );
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_status_change_dated_before_the_history_head_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let mut store = Store::open_existing(&data).unwrap();
    let store_key = load_or_create_collector_key(&data).unwrap();
    store.attach_sealer(Box::new(store_key)).unwrap();
    let fp = store.registry_matching(None, Some("ports.telnet")).unwrap()[0]
        .fingerprint
        .clone();
    let before = store.history(None).unwrap();
    let action = |at: &str| selfcheck_collector::engine::Action {
        at: common::t(at),
        by: "张工".into(),
        status: selfcheck_collector::engine::Status::InProgress,
        reason: "patch window".into(),
        measure: Some("disable telnetd".into()),
        mitigation: None,
        owner: Some("张工".into()),
        approver: None,
        until: None,
    };
    // A clock that says 2006.
    let err = store
        .record_action(&fp, &action("2006-01-02T09:00:00+08:00"))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("is before the newest history entry 2") && text.contains("clock"),
        "{text}"
    );
    assert_eq!(store.history(None).unwrap(), before, "nothing recorded");
    // Now is fine.
    let now = chrono::Local::now().fixed_offset().to_rfc3339();
    store.record_action(&fp, &action(&now)).unwrap();
    assert_eq!(store.history(None).unwrap().len(), before.len() + 1);
}

#[test]
fn a_store_made_before_sealing_is_bound_on_first_use_and_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Imported through the library without a key: what a store made before
    // sealing holds (entries with no seal).
    {
        let mut store = Store::open(&data).unwrap();
        let catalog = selfcheck_catalog::Catalog::embedded().unwrap();
        for s in [
            Sample::new(WEB, "2026-11", 1),
            Sample::new(DB, "2026-11", 2),
        ] {
            let outcome = selfcheck_collector::import_bytes(
                &mut store,
                &s.bytes(),
                "old.json",
                &catalog,
                Default::default(),
            );
            assert!(!outcome.is_refused(), "{outcome:?}");
        }
    }
    let conn = db(&data);
    let unsealed: i64 = conn
        .query_row("SELECT COUNT(*) FROM history WHERE seal IS NULL", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(unsealed, 2);
    drop(conn);
    // A read-only check names it and says what to run.
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 0, "no key yet, seals not checked: {text}");
    load_or_create_collector_key(&data).unwrap();
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("store seal"), "{text}");
    // The documented step binds it, once, in the history.
    let (code, text) = run(&data, &["store", "seal"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("2 entr(y/ies) sealed, recorded as history entry 3"),
        "{text}"
    );
    let (code, text) = run(&data, &["store", "seal"]);
    assert_eq!((code, text.contains("sealed already")), (0, true), "{text}");
    let entries = Store::open_existing(&data).unwrap().history(None).unwrap();
    assert_eq!(entries[2].kind, "history_sealed");
    assert_eq!(entries[2].body["last_seq"], 2);
    assert!(entries.iter().all(|e| e.seal.is_some()));
    let (code, text) = run(&data, &["store", "verify"]);
    assert_eq!(code, 0, "{text}");
    // From now on, a writer without the key is refused rather than leaving
    // an unsealed entry.
    let mut store = Store::open_existing(&data).unwrap();
    let err = store
        .replace_assets(&[], "x.csv", "张工")
        .unwrap_err()
        .to_string();
    assert!(err.contains("opened without it"), "{err}");
}

#[test]
fn openssl_checks_a_seal_the_way_the_office_can() {
    let Some(openssl) = ["/usr/bin/openssl", "/usr/local/bin/openssl"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("openssl not installed; skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = november(tmp.path());
    let key = load_or_create_collector_key(&data).unwrap();
    let entry = Store::open_existing(&data).unwrap().history(None).unwrap()[1].clone();
    let dir = tmp.path();
    let mut message = SEAL_CONTEXT.as_bytes().to_vec();
    message.push(0);
    message.extend_from_slice(entry.digest.as_bytes());
    std::fs::write(dir.join("msg"), &message).unwrap();
    std::fs::write(dir.join("sig"), hex::decode(entry.seal.unwrap()).unwrap()).unwrap();
    std::fs::write(dir.join("pub.pem"), public_key_pem(&key).unwrap()).unwrap();
    let out = std::process::Command::new(openssl)
        .current_dir(dir)
        .args([
            "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg",
            "-sigfile", "sig",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Signature Verified Successfully"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_package_from_before_sealing_anchors_the_first_sealed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // November as a collector before sealing left it: unsealed entries, and
    // a package signed with the collector key but carrying no signed head.
    let key = load_or_create_collector_key(&data).unwrap();
    let november_zip = tmp.path().join("2026-11.zip");
    {
        let mut store = Store::open(&data).unwrap();
        let catalog = selfcheck_catalog::Catalog::embedded().unwrap();
        for s in [
            Sample::new(WEB, "2026-11", 1),
            Sample::new(DB, "2026-11", 2),
        ] {
            let outcome = selfcheck_collector::import_bytes(
                &mut store,
                &s.bytes(),
                "old.json",
                &catalog,
                Default::default(),
            );
            assert!(!outcome.is_refused(), "{outcome:?}");
        }
        let bytes = build_package(
            &store,
            "2026-11".parse().unwrap(),
            vec![],
            &key,
            chrono::Local::now().fixed_offset(),
        )
        .unwrap();
        std::fs::write(&november_zip, bytes).unwrap();
    }
    let (code, text) = verify_zip(&["--expect-key", &key.fingerprint()], &november_zip);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("not sealed"), "{text}");

    // December with this collector: the first import binds the history.
    let usb = tmp.path().join("usb-12");
    std::fs::create_dir_all(&usb).unwrap();
    Sample::new(WEB, "2026-12", 3)
        .finished("2026-12-05T10:00:02+08:00")
        .write(&usb, "web-01.json");
    let (code, text) = run(&data, &["import", usb.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let december_zip = tmp.path().join("2026-12.zip");
    let (code, text) = evidence(&data, "2026-12", &december_zip);
    assert_eq!(code, 0, "{text}");
    let (code, text) = verify_zip(
        &["--previous", november_zip.to_str().unwrap()],
        &december_zip,
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(", sealed;") && text.contains("extends the earlier head at entry 2"),
        "{text}"
    );
}
