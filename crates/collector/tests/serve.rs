//! `serve` over loopback: mutual TLS, uploads, refusals, bad clients,
//! graceful shutdown and kill -9. curl is the main client (a client no one
//! here wrote); a small rustls client does what curl cannot.

mod common;
#[path = "support/mtls.rs"]
mod mtls;

use common::{DB, Sample, WEB};
use mtls::*;
use selfcheck_collector::Store;
use selfcheck_collector::pki::{Authority, CertRequest};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn stored_reports(data: &Path) -> usize {
    Store::open_existing(data)
        .unwrap()
        .reports(None)
        .unwrap()
        .len()
}

fn history_intact(data: &Path) -> bool {
    let store = Store::open_existing(data).unwrap();
    store.verify_history().unwrap().is_intact()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn an_upload_is_stored_once_and_a_replay_is_answered_already_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &[]);

    let health = curl_health(&server, Some(&web));
    assert_eq!(health.status, 200, "{health:?}");
    assert!(health.body.contains("\"ok\""), "{health:?}");

    let report = write(
        tmp.path(),
        "r1.json",
        &Sample::new(WEB, "2026-11", 1).bytes(),
    );
    let first = curl_post(&server, Some(&web), &report, "application/json");
    assert_eq!(first.status, 201, "{first:?}");
    assert!(first.body.contains("\"stored\""), "{first:?}");
    let again = curl_post(&server, Some(&web), &report, "application/json");
    assert_eq!(again.status, 200, "{again:?}");
    assert!(again.body.contains("already_stored"), "{again:?}");
    drop(server);
    assert_eq!(stored_reports(&data), 1);
    assert!(history_intact(&data));

    // The hand-carried file and the upload store the same thing: importing
    // the uploaded file changes nothing.
    let out = collector(&data, &["import", "--lang", "en", report.to_str().unwrap()]);
    assert!(out.contains("already stored"), "{out}");
    assert_eq!(stored_reports(&data), 1);
}

#[test]
fn the_handshake_refuses_no_certificate_another_ca_expired_and_revoked() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let db = enroll(&data, "db-01");
    // Another collector's CA, and a host enrolled there.
    let other_tmp = tempfile::tempdir().unwrap();
    let other_data = data_with_ca(other_tmp.path());
    let rogue = enroll(&other_data, "web-01");
    // An expired certificate from the right CA.
    let expired = tmp.path().join("enroll/expired");
    std::fs::create_dir_all(&expired).unwrap();
    let ca = Authority::open(&data).unwrap();
    let mut request = CertRequest::client("web-01", 1);
    request.not_before = chrono::Utc::now() - chrono::Duration::days(30);
    request.not_after = chrono::Utc::now() - chrono::Duration::days(1);
    let cert = ca.issue(&request).unwrap();
    std::fs::copy(web.join("ca.pem"), expired.join("ca.pem")).unwrap();
    std::fs::write(expired.join("client.pem"), &cert.cert_pem).unwrap();
    std::fs::write(expired.join("client-key.pem"), &cert.key_pem).unwrap();

    let server = Serving::start(&data, &[]);
    let report = write(
        tmp.path(),
        "r.json",
        &Sample::new(WEB, "2026-11", 1).bytes(),
    );
    for (what, client) in [
        ("no certificate", None),
        ("another CA", Some(rogue.as_path())),
        ("expired", Some(expired.as_path())),
    ] {
        let r = curl_post(&server, client, &report, "application/json");
        assert_eq!(r.status, 0, "{what}: {r:?}");
        assert_ne!(r.exit, 0, "{what}: {r:?}");
    }
    // db-01 works before and not after its revocation, without a restart.
    assert_eq!(curl_health(&server, Some(&db)).status, 200);
    let out = collector(&data, &["revoke", "db-01", "--reason", "decommissioned"]);
    assert!(out.contains("revoked client certificate"), "{out}");
    std::thread::sleep(Duration::from_millis(1600));
    let r = curl_health(&server, Some(&db));
    assert_eq!(r.status, 0, "revoked: {r:?}");
    // web-01 is unaffected.
    let ok = curl_post(&server, Some(&web), &report, "application/json");
    assert_eq!(ok.status, 201, "{ok:?}");
    let log = server.log();
    assert!(log.contains("revoked"), "{log}");
    drop(server);
    assert_eq!(stored_reports(&data), 1);
    let list = collector(&data, &["certs", "list", "--format", "json"]);
    let certs: serde_json::Value = serde_json::from_str(&list).unwrap();
    let states: Vec<(String, String)> = certs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("db-01".into(), "revoked".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("web-01".into(), "valid".into())),
        "{states:?}"
    );
}

#[test]
fn bad_uploads_get_a_clear_status_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &["--rate-per-client", "0"]);
    let check = |name: &str, bytes: &[u8], content_type: &str, status: u16, says: &str| {
        let file = write(tmp.path(), name, bytes);
        let r = curl_post(&server, Some(&web), &file, content_type);
        assert_eq!(r.status, status, "{name}: {r:?}");
        assert!(r.body.contains(says), "{name}: {r:?}");
        assert!(r.body.contains("\"refused\""), "{name}: {r:?}");
    };
    // Another host's report under web-01's certificate.
    check(
        "db.json",
        &Sample::new(DB, "2026-11", 2).bytes(),
        "application/json",
        403,
        "issued to",
    );
    // One byte of the signed content changed.
    let good = Sample::new(WEB, "2026-11", 3).bytes();
    let text = String::from_utf8(good.clone()).unwrap();
    let tampered = text.replacen("tcp/23", "tcp/24", 1);
    assert_ne!(tampered, text);
    check(
        "tampered.json",
        tampered.as_bytes(),
        "application/json",
        400,
        "signature",
    );
    check(
        "garbage.json",
        b"{\"not\": [a report",
        "application/json",
        400,
        "JSON",
    );
    check("text.json", &good, "text/plain", 415, "Content-Type");
    // A check this catalog does not know.
    let unknown = Sample::new(WEB, "2026-11", 4)
        .findings(&[(
            "ports.no-such-check",
            "tcp/99",
            selfcheck_report::Severity::Low,
        )])
        .bytes();
    check(
        "unknown.json",
        &unknown,
        "application/json",
        422,
        "unknown check",
    );
    // Larger than a report may be.
    let mut huge = vec![b' '; selfcheck_report::MAX_REPORT_BYTES + 10];
    huge[0] = b'{';
    check("huge.json", &huge, "application/json", 413, "larger");
    drop(server);
    assert_eq!(stored_reports(&data), 0);
}

#[test]
fn slow_silent_and_half_closed_clients_are_cut_off_while_others_are_served() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(
        &data,
        &[
            "--header-timeout",
            "2",
            "--body-timeout",
            "2",
            "--rate-per-client",
            "0",
        ],
    );
    let config = tls_config(&web);
    let body = Sample::new(WEB, "2026-11", 5).bytes();

    // Sends the head and a little of the body, then nothing.
    let slow_config = config.clone();
    let slow_body = body.clone();
    let port = server.port;
    let slow = std::thread::spawn(move || {
        let started = Instant::now();
        let mut s = tls_connect(&slow_config, port).unwrap();
        s.write_all(post_head(slow_body.len()).as_bytes()).unwrap();
        s.write_all(&slow_body[..10]).unwrap();
        s.flush().unwrap();
        let answer = read_response(&mut s);
        (answer, started.elapsed())
    });
    // Completes the handshake, then says nothing at all.
    let silent_config = config.clone();
    let silent = std::thread::spawn(move || {
        let started = Instant::now();
        let mut s = tls_connect(&silent_config, port).unwrap();
        let _ = read_response(&mut s);
        started.elapsed()
    });
    // Sends half the body and closes its sending side.
    let mut half = tls_connect(&config, port).unwrap();
    half.write_all(post_head(body.len()).as_bytes()).unwrap();
    half.write_all(&body[..body.len() / 2]).unwrap();
    half.conn.send_close_notify();
    half.flush().unwrap();
    let _ = half.sock.shutdown(std::net::Shutdown::Write);
    // Meanwhile a good client is served at once.
    let (status, answer) = post(&config, port, &body).unwrap();
    assert_eq!(status, 201, "{answer}");

    let (answer, took) = slow.join().unwrap();
    let (status, text) = answer.unwrap();
    assert_eq!(status, 408, "{text}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let took = silent.join().unwrap();
    assert!(took < Duration::from_secs(10), "{took:?}");
    let _ = read_response(&mut half);
    drop(server);
    assert_eq!(stored_reports(&data), 1);
}

#[test]
fn five_hundred_concurrent_connections_are_all_served() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &[]);
    let config = tls_config(&web);
    let port = server.port;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(500));
    let threads: Vec<_> = (0..500)
        .map(|_| {
            let config = config.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut s = tls_connect(&config, port)?;
                // Every connection is open before any request is sent.
                barrier.wait();
                s.write_all(
                    b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                )?;
                s.flush()?;
                read_response(&mut s)
            })
        })
        .collect();
    let mut ok = 0;
    for t in threads {
        let (status, _) = t.join().unwrap().unwrap();
        if status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 500);
}

#[test]
fn sigterm_lets_an_upload_in_flight_finish() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &[]);
    let config = tls_config(&web);
    let body = Sample::new(WEB, "2026-11", 6).bytes();
    let mut s = tls_connect(&config, server.port).unwrap();
    s.write_all(post_head(body.len()).as_bytes()).unwrap();
    s.write_all(&body[..body.len() / 2]).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = nix::unistd::Pid::from_raw(server.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&body[body.len() / 2..]).unwrap();
    s.flush().unwrap();
    let (status, text) = read_response(&mut s).unwrap();
    assert_eq!(status, 201, "{text}");
    assert_eq!(server.terminate(), Some(0));
    assert_eq!(stored_reports(&data), 1);
}

#[test]
fn kill_9_during_uploads_loses_no_confirmed_report_and_stores_no_half_report() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &["--rate-per-client", "0"]);
    let config = tls_config(&web);
    let port = server.port;
    let reports: Vec<(String, Vec<u8>)> = (1..=200u8)
        .map(|id| {
            let s = Sample::new(WEB, "2026-11", id);
            (s.report_id().to_string(), s.bytes())
        })
        .collect();
    let reports = std::sync::Arc::new(reports);
    let confirmed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (config, reports, confirmed) = (config.clone(), reports.clone(), confirmed.clone());
            std::thread::spawn(move || {
                for (id, bytes) in reports.iter().skip(t).step_by(8) {
                    match post(&config, port, bytes) {
                        Ok((201 | 200, _)) => confirmed.lock().unwrap().push(id.clone()),
                        _ => return,
                    }
                }
            })
        })
        .collect();
    // Kill it once a part of the reports is confirmed, with uploads in flight.
    let started = Instant::now();
    while confirmed.lock().unwrap().len() < 40 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    for t in threads {
        t.join().unwrap();
    }
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(confirmed.len() >= 40, "{}", confirmed.len());
    assert!(
        confirmed.len() < 200,
        "the kill came too late to test anything"
    );

    let store = Store::open_existing(&data).unwrap();
    let stored = store.reports(None).unwrap();
    let ids: std::collections::HashSet<String> =
        stored.iter().map(|r| r.report_id.to_string()).collect();
    for id in &confirmed {
        assert!(ids.contains(id), "confirmed report {id} was lost");
    }
    // Every stored report is whole: its findings are there.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    for r in &stored {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM findings WHERE report_id = ?1",
                [r.report_id.to_string()],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "report {} is incomplete", r.report_id);
    }
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    drop(store);
    assert!(history_intact(&data));

    // Back up: everything is sent again; each is stored or already stored.
    let server = Serving::start(&data, &["--rate-per-client", "0"]);
    for (id, bytes) in reports.iter() {
        let (status, text) = post(&config, server.port, bytes).unwrap();
        assert!(status == 201 || status == 200, "{id}: {status} {text}");
    }
    drop(server);
    assert_eq!(stored_reports(&data), 200);
}

#[test]
fn a_client_sending_too_fast_is_told_when_to_come_back() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(
        &data,
        &["--rate-per-client", "0.2", "--burst-per-client", "2"],
    );
    let config = tls_config(&web);
    let mut statuses = Vec::new();
    for id in 10..14u8 {
        let mut s = tls_connect(&config, server.port).unwrap();
        let body = Sample::new(WEB, "2026-11", id).bytes();
        s.write_all(post_head(body.len()).as_bytes()).unwrap();
        s.write_all(&body).unwrap();
        s.flush().unwrap();
        let mut raw = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
        if status == 429 {
            assert!(
                text.to_ascii_lowercase().contains("retry-after: "),
                "{text}"
            );
            assert!(text.contains("too many requests"), "{text}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, [201, 201, 429, 429]);
    drop(server);
    assert_eq!(stored_reports(&data), 2);
}

#[test]
fn an_unsupported_schema_version_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &[]);
    let sample = Sample::new(WEB, "2026-11", 20);
    let mut report = sample.report();
    report.schema_version = 99;
    let bytes = sample
        .agent_key()
        .sign(report)
        .unwrap()
        .to_file_bytes()
        .unwrap();
    let file = write(tmp.path(), "v99.json", &bytes);
    let r = curl_post(&server, Some(&web), &file, "application/json");
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.contains("schema"), "{r:?}");
    drop(server);
    assert_eq!(stored_reports(&data), 0);
}

#[test]
fn only_tls_1_2_and_1_3_with_strong_suites_are_spoken() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &[]);
    let curl = |extra: &[&str]| {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "20",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .args(extra)
            .arg("--cacert")
            .arg(web.join("ca.pem"))
            .arg("--cert")
            .arg(web.join("client.pem"))
            .arg("--key")
            .arg(web.join("client-key.pem"))
            .arg(server.url("/api/v1/health"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(curl(&["--tlsv1.3"]), "200");
    assert_eq!(
        curl(&[
            "--tls-max",
            "1.2",
            "--ciphers",
            "ECDHE-ECDSA-AES128-GCM-SHA256"
        ]),
        "200"
    );
    // TLS 1.1 and 1.0, and a TLS 1.2 suite without forward secrecy or AEAD, are refused.
    assert_eq!(curl(&["--tlsv1.0", "--tls-max", "1.1"]), "000");
    assert_eq!(
        curl(&["--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA"]),
        "000"
    );
}
