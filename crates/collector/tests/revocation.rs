//! Revocation that is immediate and complete: `serve` admits only the
//! certificates of its register (a certificate minted with the CA key by
//! openssl, outside `enroll`, is refused), a revocation from another process
//! closes the certificate's open keep-alive connections within the
//! documented 2 seconds, and a CA key kept offline is needed explicitly.

mod common;
#[path = "support/mtls.rs"]
mod mtls;

use common::{Sample, WEB};
use mtls::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A client certificate for `host` made by openssl with the collector's CA
/// key, as someone holding a copy of the key would: never through `enroll`,
/// so never in the register.
fn mint_with_openssl(data: &Path, host: &str, out: &Path) -> PathBuf {
    std::fs::create_dir_all(out).unwrap();
    let pki = data.join("pki");
    let key = out.join("client-key.pem");
    let csr = out.join("client.csr");
    let cert = out.join("client.pem");
    let ext = out.join("ext.cnf");
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        &s(&key),
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        &s(&key),
        "-subj",
        &format!("/CN={host}"),
        "-out",
        &s(&csr),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&csr),
        "-CA",
        &s(&pki.join("ca.pem")),
        "-CAkey",
        &s(&pki.join("ca-key.pem")),
        "-set_serial",
        "0x1badc0ffee",
        "-days",
        "30",
        "-sha256",
        "-extfile",
        &s(&ext),
        "-out",
        &s(&cert),
    ]);
    std::fs::copy(pki.join("ca.pem"), out.join("ca.pem")).unwrap();
    out.to_path_buf()
}

#[test]
fn a_certificate_minted_with_the_ca_key_outside_enroll_is_refused_with_a_clear_log_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let forged = mint_with_openssl(&data, "web-01", &tmp.path().join("forged"));
    // openssl itself says the minted certificate is a good one of this CA.
    let verify = openssl(&[
        "verify",
        "-CAfile",
        data.join("pki/ca.pem").to_str().unwrap(),
        "-purpose",
        "sslclient",
        forged.join("client.pem").to_str().unwrap(),
    ]);
    assert!(verify.contains("OK"), "{verify}");
    let server = Serving::start(&data, &[]);
    let r = curl_health(&server, Some(&forged));
    assert_eq!(r.status, 0, "the minted certificate got in: {r:?}");
    assert_ne!(r.exit, 0, "{r:?}");
    // The enrolled host is served.
    assert_eq!(curl_health(&server, Some(&web)).status, 200);
    let log = server.log();
    assert!(
        log.contains("1badc0ffee") && log.contains("not in its register"),
        "{log}"
    );
    // An upload with it changes nothing.
    let report = tmp.path().join("r.json");
    std::fs::write(&report, Sample::new(WEB, "2026-11", 1).bytes()).unwrap();
    let r = curl_post(&server, Some(&forged), &report, "application/json");
    assert_eq!(r.status, 0, "{r:?}");
    drop(server);
    let list = collector(&data, &["certs", "list", "--format", "json"]);
    assert!(!list.contains("1badc0ffee"), "{list}");
}

#[test]
fn a_revoked_certificate_loses_its_open_keep_alive_connection_within_two_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &["--rate-per-client", "0"]);
    let config = tls_config(&web);
    let mut kept = tls_connect(&config, server.port).unwrap();
    let (status, text) = post_on(&mut kept, &Sample::new(WEB, "2026-11", 1).bytes()).unwrap();
    assert_eq!(status, 201, "{text}");
    let (status, text) = post_on(&mut kept, &Sample::new(WEB, "2026-11", 2).bytes()).unwrap();
    assert_eq!(status, 201, "the connection is kept alive: {text}");

    // Revoked by another process against the same store.
    let out = collector(&data, &["revoke", "web-01", "--reason", "key copied"]);
    assert!(out.contains("revoked client certificate"), "{out}");
    let revoked_at = Instant::now();
    // The server closes the connection by itself: a read ends.
    kept.sock
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut byte = [0u8; 1];
    let read = kept.read(&mut byte);
    let closed_after = revoked_at.elapsed();
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "the connection still delivers data: {read:?}"
    );
    assert!(
        closed_after < Duration::from_millis(2500),
        "closed only after {closed_after:?}"
    );
    // Nothing more goes through on it, and a new connection is refused.
    let again = post_on(&mut kept, &Sample::new(WEB, "2026-11", 3).bytes());
    assert!(!matches!(again, Ok((200..=299, _))), "{again:?}");
    let fresh = tls_connect(&config, server.port).and_then(|mut s| {
        std::io::Write::write_all(
            &mut s,
            b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )?;
        read_response(&mut s)
    });
    assert!(
        !matches!(fresh, Ok((1..=599, _))),
        "a new connection was answered: {fresh:?}"
    );
    let log = server.log();
    assert!(log.contains("closed an open connection"), "{log}");
    drop(server);
    let store = selfcheck_collector::Store::open_existing(&data).unwrap();
    assert_eq!(store.reports(None).unwrap().len(), 2);
}

#[test]
fn an_offline_ca_key_is_kept_out_of_the_data_directory_and_needed_by_enroll() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let key = tmp.path().join("usb/ca-key.pem");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    let out = collector(
        &data,
        &["ca", "init", "--offline-key", key.to_str().unwrap()],
    );
    assert!(out.contains("--ca-key"), "{out}");
    assert!(key.exists());
    assert!(!data.join("pki/ca-key.pem").exists());
    // openssl reads the key and finds it is the CA certificate's.
    let from_key = openssl(&["pkey", "-in", key.to_str().unwrap(), "-pubout"]);
    let from_cert = openssl(&[
        "x509",
        "-in",
        data.join("pki/ca.pem").to_str().unwrap(),
        "-noout",
        "-pubkey",
    ]);
    assert_eq!(from_key, from_cert);

    // enroll without the key: a clear error, nothing written or registered.
    let dir = tmp.path().join("enroll/web-01");
    let failed = Command::new(collector_bin())
        .arg("--data")
        .arg(&data)
        .args(["enroll", "--host", "web-01", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("kept offline") && stderr.contains("--ca-key"),
        "{stderr}"
    );
    assert!(!dir.exists());
    let list = collector(&data, &["certs", "list", "--format", "json"]);
    assert!(!list.contains("web-01"), "{list}");
    // With it, enroll works and serve (which never needs the key) admits the host.
    collector(
        &data,
        &[
            "enroll",
            "--host",
            "web-01",
            "--out",
            dir.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
        ],
    );
    let show = collector(&data, &["ca", "show"]);
    assert!(show.contains("kept offline"), "{show}");
    let server = Serving::start(&data, &[]);
    assert_eq!(curl_health(&server, Some(&dir)).status, 200);
}
