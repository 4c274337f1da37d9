//! `serve` stays bounded under hostile load: large bodies in parallel are
//! held to the memory budget (peak RSS read from /proc), a chunked body over
//! the limit is refused without being kept, a thousand idle connections
//! without a certificate do not delay a real upload, and refused handshakes
//! are summarised instead of logged one by one.

mod common;
#[path = "support/mtls.rs"]
mod mtls;

use common::{Sample, WEB};
use mtls::*;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The peak resident memory of a process, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A body of `size` bytes that is JSON with a consistent signature block
/// (a real key, its fingerprint) but a signature that does not match: the
/// server reads it all, writes the report's canonical form and only then
/// refuses it. Parsed into a tree of JSON values it would cost 17 times its size.
fn hostile_body(size: usize) -> Vec<u8> {
    let key = selfcheck_report::AgentKey::from_secret_bytes([7; 32]);
    let head = format!(
        "{{\"signature\":{{\"algorithm\":\"ed25519\",\"public_key\":\"{}\",\"key_fingerprint\":\"{}\",\"value\":\"{}\"}},\"report\":{{\"schema_version\":2,\"x\":[",
        key.public_key_hex(),
        key.fingerprint(),
        "0".repeat(128)
    );
    let mut body = head.into_bytes();
    while body.len() + 4 < size {
        body.extend_from_slice(b"0,");
    }
    body.extend_from_slice(b"0]}}");
    body
}

#[test]
fn parallel_large_bodies_stay_within_the_memory_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(
        &data,
        &["--rate-per-client", "0", "--body-memory-mib", "24"],
    );
    let idle_kib = peak_rss_kib(server.child.id());
    let config = tls_config(&web);
    let port = server.port;
    let body = std::sync::Arc::new(hostile_body(8 * 1024 * 1024));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (config, body) = (config.clone(), body.clone());
            std::thread::spawn(move || post(&config, port, &body))
        })
        .collect();
    for t in threads {
        let (status, text) = t.join().unwrap().unwrap();
        // 400 after the whole report was read and its signature checked;
        // 503 when the memory budget stayed taken.
        assert!(
            (status == 400 && text.contains("does not match the report content")) || status == 503,
            "a hostile body got {status}: {text}"
        );
    }
    let peak_kib = peak_rss_kib(server.child.id());
    eprintln!("serve peak RSS: idle {idle_kib} KiB, after 8 x 8 MiB bodies {peak_kib} KiB");
    // 8 bodies of 8 MiB: buffered whole and parsed into trees they cost
    // 8 x 8 MiB + 2 x 17 x 8 MiB, about 340 MiB. Within the 24 MiB budget,
    // with the parse proportional to the body, a fraction of that.
    assert!(
        peak_kib - idle_kib < 120 * 1024,
        "peak grew by {} KiB",
        peak_kib - idle_kib
    );
    // A real report still goes through.
    let (status, text) = post(&config, port, &Sample::new(WEB, "2026-11", 1).bytes()).unwrap();
    assert_eq!(status, 201, "{text}");
}

#[test]
fn a_chunked_body_over_the_limit_is_refused_413() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &[]);
    let config = tls_config(&web);
    let mut s = tls_connect(&config, server.port).unwrap();
    s.write_all(
        b"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    // 33 chunks of 1 MiB: one more than a report may be. The server answers
    // once it is over; it may close before the last chunks are sent.
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..33 {
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|()| s.write_all(&chunk))
            .and_then(|()| s.write_all(b"\r\n"))
            .is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let _ = s.flush();
    let (status, text) = read_response(&mut s).unwrap();
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("larger"), "{text}");
}

#[test]
fn a_thousand_idle_connections_without_a_certificate_do_not_delay_a_real_upload() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let web = enroll(&data, "web-01");
    let server = Serving::start(&data, &["--rate-per-client", "0"]);
    // 1,100 connections that never start a handshake (more than the 1,024
    // connections the server holds).
    let mut idle = Vec::new();
    for _ in 0..1100 {
        if let Ok(s) = TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], server.port)),
            Duration::from_millis(500),
        ) {
            idle.push(s);
        }
    }
    assert!(idle.len() > 1000, "{} connected", idle.len());
    let config = tls_config(&web);
    let mut slowest = Duration::ZERO;
    for id in 1..=5u8 {
        let started = Instant::now();
        let (status, text) = post(
            &config,
            server.port,
            &Sample::new(WEB, "2026-11", id).bytes(),
        )
        .unwrap();
        assert_eq!(status, 201, "{text}");
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("slowest upload beside 1,100 idle connections: {slowest:?}");
    assert!(slowest < Duration::from_secs(4), "{slowest:?}");
    drop(idle);
}

#[test]
fn refused_handshakes_are_summarised_not_logged_one_by_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let server = Serving::start(&data, &["--log-window", "2"]);
    // 200 clients that speak plain HTTP to the TLS port.
    for _ in 0..200 {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = std::io::Read::read(&mut s, &mut [0u8; 64]);
    }
    // The window ends and its summary is written.
    std::thread::sleep(Duration::from_millis(3500));
    let log = server.log();
    let lines = log.matches("TLS handshake refused").count();
    let summarised: u64 = log
        .lines()
        .filter_map(|l| {
            let (before, _) =
                l.split_once(" more refused handshakes from 127.0.0.1 in the last 2 s")?;
            before.rsplit(' ').next()?.parse::<u64>().ok()
        })
        .sum();
    // At most 5 lines a window (the 200 may straddle two windows).
    assert!(lines <= 10, "{lines} lines:\n{log}");
    assert_eq!(lines as u64 + summarised, 200, "{log}");
    assert!(log.len() < 20_000, "{} bytes of log", log.len());
}
