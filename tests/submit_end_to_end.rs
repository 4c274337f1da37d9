//! Reports travel from the agent to the collector over mutual TLS, end to
//! end with the real binaries on loopback: the collector is down, so the
//! report waits in the agent's spool; the collector comes up, and the next
//! `submit` delivers it; the ledger shows it; the hand-carried file of the
//! same report is then "already stored".

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts/kylin-v10")
}

fn selfcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_selfcheck"));
    for v in [
        "SELFCHECK_STATE_DIR",
        "SELFCHECK_DATA",
        "SELFCHECK_AGENT_CONFIG",
    ] {
        c.env_remove(v);
    }
    c
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Collector(Child);

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `selfcheck collector serve` on a loopback port; the child and the port.
fn serve(data: &Path, listen: &str) -> (Collector, u16) {
    let mut child = selfcheck()
        .args(["collector", "--data"])
        .arg(data)
        .args(["serve", "--listen", listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let port = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    (Collector(child), port)
}

#[test]
fn a_report_waits_in_the_spool_while_the_collector_is_down_then_arrives_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let state = tmp.path().join("state");
    let enrolled = tmp.path().join("enrolled");
    ok(selfcheck()
        .args(["collector", "--data"])
        .arg(&data)
        .args(["ca", "init"]));
    ok(selfcheck()
        .args(["collector", "--data"])
        .arg(&data)
        .args(["enroll", "--host", "kylin-app-01", "--out"])
        .arg(&enrolled));

    // A port nothing listens on: bind one, then let it go.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let url = format!("https://127.0.0.1:{port}");
    let out = selfcheck()
        .args(["agent", "--state-dir"])
        .arg(&state)
        .args(["--config", "/dev/null", "run", "--period", "2026-11"])
        .args(["--fail-on", "none", "--submit", &url, "--enrolled"])
        .arg(&enrolled)
        .arg("--root")
        .arg(fixture())
        .env("SELFCHECK_SUBMIT_TIME_UNIT_MS", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "collector down: the report waits: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outbox: Vec<PathBuf> = std::fs::read_dir(state.join("spool/outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let report_file = tmp.path().join("carried.json");
    std::fs::copy(&outbox[0], &report_file).unwrap();

    // The collector comes up on that port; the spooled report is delivered.
    let (collector, port) = serve(&data, &format!("127.0.0.1:{port}"));
    let url = format!("https://127.0.0.1:{port}");
    let text = ok(selfcheck()
        .args(["agent", "--state-dir"])
        .arg(&state)
        .args([
            "--config",
            "/dev/null",
            "submit",
            "--url",
            &url,
            "--enrolled",
        ])
        .arg(&enrolled));
    assert!(text.contains("stored"), "{text}");
    let left = std::fs::read_dir(state.join("spool/outbox"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(left, 0, "confirmed reports leave the outbox");
    drop(collector);

    // The ledger has the host's findings.
    let ledger = ok(selfcheck()
        .args(["collector", "--data"])
        .arg(&data)
        .args(["ledger", "--month", "2026-11", "--format", "json"]));
    assert!(ledger.contains("ports.telnet"), "{ledger}");
    // The same report carried by hand is the same stored report.
    let import = ok(selfcheck()
        .args(["collector", "--data"])
        .arg(&data)
        .args(["import", "--lang", "en"])
        .arg(&report_file));
    assert!(import.contains("already stored"), "{import}");
}
