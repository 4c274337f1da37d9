//! `selfcheck-agent submit` and `run --submit` against a stand-in collector on
//! 127.0.0.1 with mutual TLS: confirmations empty the outbox, refusals move
//! reports to spool/refused with their reason, an unreachable or untrusted
//! collector leaves them spooled, and bad input changes nothing.

#[path = "support/tls_collector.rs"]
mod tls_collector;

use assert_cmd::Command;
use selfcheck_report::{
    AgentInfo, AgentKey, HostIdentity, Inventory, Report, ReportId, SCHEMA_VERSION,
};
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tls_collector::{Ca, Reply, Server, serve, write_enrolled};

/// A signed report file: id bytes `n`, finished at `finished` (RFC 3339).
fn report_file(n: u8, finished: &str) -> Vec<u8> {
    let t = chrono::DateTime::parse_from_rfc3339(finished).unwrap();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        report_id: ReportId::from_random_bytes([n; 16]),
        agent: AgentInfo {
            name: "selfcheck-agent".into(),
            version: "0.1.0".into(),
        },
        host: HostIdentity {
            hostname: "web-01".into(),
            machine_id: None,
            os: Default::default(),
            kernel: None,
            arch: None,
            ip_addresses: vec![],
        },
        audit_root: "/".into(),
        period: "2026-11".parse().unwrap(),
        started_at: t,
        finished_at: t,
        checks: vec![],
        findings: vec![],
        suppressed: vec![],
        inventory: Inventory::default(),
        baseline_level: None,
        audit_limits: Vec::new(),
    };
    let signed = AgentKey::from_secret_bytes([42; 32]).sign(report).unwrap();
    signed.to_file_bytes().unwrap()
}

fn id(n: u8) -> String {
    ReportId::from_random_bytes([n; 16]).to_string()
}

/// A test setting: a state dir, the enrolment files, and the PKI behind them.
struct Setup {
    dir: tempfile::TempDir,
    ca: Ca,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new("test collector CA");
        write_enrolled(&dir.path().join("enrolled"), &ca, &ca.client("web-01"));
        Setup { dir, ca }
    }
    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }
    fn enrolled(&self) -> PathBuf {
        self.dir.path().join("enrolled")
    }
    fn outbox(&self) -> Vec<String> {
        names(&self.state().join("spool/outbox"))
    }
    fn refused(&self) -> Vec<String> {
        names(&self.state().join("spool/refused"))
    }
    /// Write a report file into the temp dir; returns its path.
    fn file(&self, n: u8, finished: &str) -> PathBuf {
        let p = self.dir.path().join(format!("report-{n}.json"));
        fs::write(&p, report_file(n, finished)).unwrap();
        p
    }
    /// A collector with a certificate from this setup's CA.
    fn server(&self, script: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        serve(listener, &self.ca.server(), &self.ca, script)
    }
    /// `selfcheck-agent ARGS... --state-dir S --config /dev/null`, short retry waits.
    fn agent(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("selfcheck-agent").unwrap();
        c.env_remove("SELFCHECK_STATE_DIR")
            .env_remove("SELFCHECK_AGENT_CONFIG")
            .env("SELFCHECK_SUBMIT_TIME_UNIT_MS", "10")
            .args(args)
            .arg("--state-dir")
            .arg(self.state())
            .args(["--config", "/dev/null"]);
        c
    }
    /// `submit --url URL --enrolled DIR FILES...`.
    fn submit(&self, url: &str, files: &[&Path]) -> Command {
        let mut c = self.agent(&["submit", "--url", url]);
        c.arg("--enrolled").arg(self.enrolled()).args(files);
        c
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

/// A URL where nothing listens: a port bound, then closed.
fn closed_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("https://{addr}")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn stored_201_leaves_the_outbox_and_the_bytes_arrive_unchanged() {
    let s = Setup::new();
    let server = s.server(vec![Reply(201, "stored", None)]);
    let file = s.file(1, "2026-11-25T10:00:00+08:00");
    let out = s.submit(&server.url(), &[&file]).assert().success();
    let stdout = text(&out.get_output().stdout);
    assert!(
        stdout.contains(&format!("stored          {}", id(1))),
        "{stdout}"
    );
    assert!(stdout.contains("1 stored"), "{stdout}");
    assert_eq!(server.bodies(), vec![fs::read(&file).unwrap()]);
    let req = server.requests.lock().unwrap()[0].clone();
    assert_eq!(req.line, "POST /api/v1/reports");
    assert_eq!(req.content_type, "application/json");
    assert!(s.outbox().is_empty(), "{:?}", s.outbox());
}

#[test]
fn already_stored_200_leaves_the_outbox() {
    let s = Setup::new();
    let server = s.server(vec![Reply(200, "already_stored", None)]);
    let file = s.file(2, "2026-11-25T10:00:00+08:00");
    let out = s.submit(&server.url(), &[&file]).assert().success();
    assert!(text(&out.get_output().stdout).contains("already stored"));
    assert!(s.outbox().is_empty());
}

#[test]
fn refusals_move_reports_to_refused_with_the_reason() {
    let s = Setup::new();
    let server = s.server(vec![
        Reply(409, "refused", None),
        Reply(403, "refused", None),
    ]);
    let a = s.file(3, "2026-11-01T10:00:00+08:00");
    let b = s.file(4, "2026-11-02T10:00:00+08:00");
    let out = s.submit(&server.url(), &[&b, &a]).assert().code(1);
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains(&format!("the collector refused report {}: 409", id(3))),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("refused report {}: 403", id(4))),
        "{stderr}"
    );
    assert!(s.outbox().is_empty());
    let refused = s.refused();
    assert_eq!(refused.len(), 4, "{refused:?}");
    let reason = refused
        .iter()
        .find(|n| n.contains(&id(3)) && n.ends_with(".reason"))
        .unwrap();
    let reason = fs::read_to_string(s.state().join("spool/refused").join(reason)).unwrap();
    assert!(reason.contains("status: 409"), "{reason}");
    assert!(reason.contains("message: scripted 409"), "{reason}");
    // The refused copy is the report itself, kept whole.
    let kept = refused
        .iter()
        .find(|n| n.contains(&id(4)) && n.ends_with(".json"))
        .unwrap();
    assert_eq!(
        fs::read(s.state().join("spool/refused").join(kept)).unwrap(),
        fs::read(&b).unwrap()
    );
    // The list shows them with their reasons.
    let list = s
        .agent(&["submit", "--list", "--format", "json"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&list.get_output().stdout).unwrap();
    let notes: Vec<&str> = doc["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["note"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["409: scripted 409", "403: scripted 403"]);
}

#[test]
fn unreachable_collector_keeps_reports_then_sends_them_oldest_first() {
    let s = Setup::new();
    let down = closed_url();
    let newer = s.file(5, "2026-11-20T10:00:00+08:00");
    let older = s.file(6, "2026-11-10T10:00:00+08:00");
    let out = s.submit(&down, &[&newer]).assert().code(3);
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains(&format!(
            "cannot reach the collector at {down}: connection refused; the report stays in the spool (1 waiting) and is sent on the next run"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("retry:"), "{stderr}");
    s.submit(&down, &[&older]).assert().code(3);
    // Adding the same report again changes nothing.
    s.submit(&down, &[&newer]).assert().code(3);
    assert_eq!(s.outbox().len(), 2, "{:?}", s.outbox());

    let list = s.agent(&["submit", "--list"]).assert().success();
    let table = text(&list.get_output().stdout);
    assert!(
        table.contains(&id(5)) && table.contains("2 waiting"),
        "{table}"
    );

    let server = s.server(vec![]);
    let out = s.submit(&server.url(), &[]).assert().success();
    assert!(text(&out.get_output().stdout).contains("2 stored"));
    assert_eq!(
        server.bodies(),
        vec![fs::read(&older).unwrap(), fs::read(&newer).unwrap()]
    );
    assert!(s.outbox().is_empty());
}

#[test]
fn busy_503_is_retried_after_a_wait_then_stored() {
    let s = Setup::new();
    let server = s.server(vec![Reply(503, "busy", Some(1))]);
    let file = s.file(7, "2026-11-25T10:00:00+08:00");
    let out = s
        .submit(&server.url(), &[&file])
        .args(["--format", "json"])
        .assert()
        .success();
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains("try 1 failed (the collector answered 503"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let r = &doc["delivery"]["results"][0];
    assert_eq!(r["outcome"], "stored");
    assert_eq!(r["attempts"], 2);
    assert_eq!(doc["exit_status"], 0);
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
    assert!(s.outbox().is_empty());
}

#[test]
fn a_server_certificate_from_another_ca_is_not_trusted() {
    let s = Setup::new();
    let rogue = Ca::new("rogue CA");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = serve(listener, &rogue.server(), &s.ca, vec![]);
    let file = s.file(8, "2026-11-25T10:00:00+08:00");
    let out = s.submit(&server.url(), &[&file]).assert().code(3);
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("certificate is not trusted"), "{stderr}");
    assert!(
        stderr.contains(&s.enrolled().join("ca.pem").display().to_string()),
        "{stderr}"
    );
    // Not worth retrying: one try only, and the report stays.
    assert!(!stderr.contains("retry:"), "{stderr}");
    assert!(server.bodies().is_empty());
    assert_eq!(s.outbox().len(), 1);
}

#[test]
fn a_server_certificate_for_another_name_is_not_accepted() {
    let s = Setup::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = serve(
        listener,
        &s.ca.server_for(&["collector.example"]),
        &s.ca,
        vec![],
    );
    let file = s.file(14, "2026-11-25T10:00:00+08:00");
    let out = s.submit(&server.url(), &[&file]).assert().code(3);
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains("the collector's certificate does not name the host in"),
        "{stderr}"
    );
    assert!(server.bodies().is_empty());
    assert_eq!(s.outbox().len(), 1);
}

#[test]
fn a_client_certificate_the_collector_does_not_know_is_reported() {
    let s = Setup::new();
    let rogue = Ca::new("rogue CA");
    // The enrolment files trust the right CA, but hold a client cert from another.
    let dir = s.enrolled();
    let client = rogue.client("web-01");
    fs::write(dir.join("client.pem"), &client.cert_pem).unwrap();
    fs::write(dir.join("client-key.pem"), &client.key_pem).unwrap();
    let server = s.server(vec![]);
    let file = s.file(9, "2026-11-25T10:00:00+08:00");
    let out = s.submit(&server.url(), &[&file]).assert().code(3);
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains("does not verify against the collector CA"),
        "{stderr}"
    );
    let refused = format!(
        "the collector did not accept this host's client certificate {}",
        dir.join("client.pem").display()
    );
    assert!(stderr.contains(&refused), "{stderr}");
    assert!(!stderr.contains("retry:"), "{stderr}");
    assert_eq!(s.outbox().len(), 1);
}

#[test]
fn a_file_that_is_not_a_signed_report_changes_nothing() {
    let s = Setup::new();
    let good = s.file(10, "2026-11-25T10:00:00+08:00");
    let garbage = s.dir.path().join("garbage.json");
    fs::write(&garbage, b"{\"report\": 1}").unwrap();
    let out = s.submit(&closed_url(), &[&good, &garbage]).assert().code(2);
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains("nothing was added to the spool"),
        "{stderr}"
    );
    assert!(stderr.contains(&garbage.display().to_string()), "{stderr}");
    assert!(s.outbox().is_empty(), "{:?}", s.outbox());
}

#[test]
fn a_client_key_readable_by_others_is_refused() {
    let s = Setup::new();
    let key = s.enrolled().join("client-key.pem");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let file = s.file(11, "2026-11-25T10:00:00+08:00");
    let out = s.submit(&closed_url(), &[&file]).assert().code(2);
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains(&format!("refusing client key {}", key.display())),
        "{stderr}"
    );
    assert!(stderr.contains("0644"), "{stderr}");
    assert!(s.outbox().is_empty());
}

#[test]
fn a_left_over_temporary_file_in_the_outbox_is_ignored() {
    let s = Setup::new();
    let file = s.file(12, "2026-11-25T10:00:00+08:00");
    s.submit(&closed_url(), &[&file]).assert().code(3);
    let stray = s.state().join(format!(
        "spool/outbox/.20261125T020000.000000Z-{}.json.tmp-4242",
        id(13)
    ));
    fs::write(&stray, b"{\"report\": {\"half").unwrap();
    let server = s.server(vec![]);
    let out = s.submit(&server.url(), &[]).assert().success();
    let stderr = text(&out.get_output().stderr);
    assert!(
        stderr.contains(&format!("ignored: {}", stray.display())),
        "{stderr}"
    );
    assert_eq!(server.bodies(), vec![fs::read(&file).unwrap()]);
    assert!(stray.exists());
    assert_eq!(s.outbox().len(), 1, "only the stray file is left");
}

#[test]
fn check_says_whether_the_collector_answers() {
    let s = Setup::new();
    let server = s.server(vec![]);
    let mut c = s.agent(&["submit", "--check", "--url", &server.url()]);
    let out = c.arg("--enrolled").arg(s.enrolled()).assert().success();
    assert!(text(&out.get_output().stdout).contains("answers over mutual TLS"));
    let mut c = s.agent(&["submit", "--check", "--url", &closed_url()]);
    c.arg("--enrolled").arg(s.enrolled()).assert().code(3);
}

/// A host image with identity files only.
fn fixture_root(dir: &Path) {
    fs::create_dir_all(dir.join("etc")).unwrap();
    fs::write(dir.join("etc/hostname"), "web-01\n").unwrap();
    fs::write(
        dir.join("etc/machine-id"),
        "0123456789abcdef0123456789abcdef\n",
    )
    .unwrap();
    fs::write(dir.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
}

#[test]
fn run_submit_sends_the_new_report_and_exit_status_tells_delivery() {
    let s = Setup::new();
    let root = s.dir.path().join("root");
    fixture_root(&root);
    let down = closed_url();
    let run = |url: &str| {
        let mut c = s.agent(&["run", "--fail-on", "none", "--submit", url]);
        c.arg("--enrolled")
            .arg(s.enrolled())
            .arg("--root")
            .arg(&root);
        c
    };
    // Collector down: the report is kept and the run says so with status 3.
    let out = run(&down).assert().code(3);
    assert!(text(&out.get_output().stdout).contains("kept for later"));
    assert_eq!(s.outbox().len(), 1);
    // Collector up: both reports go, oldest first, and the run's own status (0) stands.
    let server = s.server(vec![]);
    let out = run(&server.url()).assert().success();
    assert!(text(&out.get_output().stdout).contains("2 stored"));
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    for b in &bodies {
        selfcheck_report::SignedReport::verify_bytes(b).expect("the posted bytes verify");
    }
    assert!(s.outbox().is_empty());
    // A refusal makes the run fail with 4.
    let server = s.server(vec![Reply(422, "refused", None)]);
    run(&server.url()).assert().code(4);
    assert_eq!(s.refused().len(), 2);
}

#[test]
fn run_submit_without_a_url_fails_before_auditing() {
    let s = Setup::new();
    let out = s
        .agent(&["run", "--submit", "--root", "/nonexistent"])
        .assert()
        .code(2);
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("no collector URL"), "{stderr}");
}
