//! `selfcheck-agent` end to end on fixture roots: identity from the root's own
//! files, a signed report that verifies, the key file, exit statuses and errors.

use assert_cmd::Command;
use selfcheck_report::{CheckOutcome, Report, SignedReport};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const TCP_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
const UDP_HEADER: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";

fn tcp_line(sl: u32, local: &str, state: &str, uid: u32, inode: u64) -> String {
    format!(
        "{sl:>4}: {local} 00000000:0000 {state} 00000000:00000000 00:00000000 00000000 {uid:>5}        0 {inode} 1 0000000000000000 100 0 0 10 0\n"
    )
}

/// A host image: identity files, and a proc/net with telnet on 0.0.0.0:23 and
/// MySQL on 127.0.0.1:3306, held by pid 812 (inetd) and 900 (mysqld).
fn fixture_root(dir: &Path, with_proc: bool) {
    fs::create_dir_all(dir.join("etc")).unwrap();
    fs::write(dir.join("etc/hostname"), "fixture-host\n").unwrap();
    fs::write(
        dir.join("etc/machine-id"),
        "0123456789abcdef0123456789abcdef\n",
    )
    .unwrap();
    fs::write(
        dir.join("etc/os-release"),
        "NAME=\"Kylin Linux Advanced Server\"\nID=kylin\nVERSION_ID=\"V10\"\nPRETTY_NAME=\"Kylin Linux Advanced Server V10 (Lance)\"\n",
    )
    .unwrap();
    if !with_proc {
        return;
    }
    let net = dir.join("proc/net");
    fs::create_dir_all(&net).unwrap();
    let tcp = format!(
        "{TCP_HEADER}{}{}",
        tcp_line(0, "00000000:0017", "0A", 0, 5001),
        tcp_line(1, "0100007F:0CEA", "0A", 27, 5002)
    );
    fs::write(net.join("tcp"), tcp).unwrap();
    fs::write(net.join("udp"), UDP_HEADER).unwrap();
    fs::create_dir_all(dir.join("proc/sys/kernel")).unwrap();
    fs::write(
        dir.join("proc/sys/kernel/osrelease"),
        "4.19.90-52.22.v2207.ky10.x86_64\n",
    )
    .unwrap();
    fs::write(dir.join("proc/sys/kernel/arch"), "x86_64\n").unwrap();
    fs::write(
        net.join("fib_trie"),
        "Local:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.20.30.40\n        /32 host LOCAL\n",
    )
    .unwrap();
    for (pid, name, inode) in [(812, "inetd", 5001), (900, "mysqld", 5002)] {
        let fd = dir.join(format!("proc/{pid}/fd"));
        fs::create_dir_all(&fd).unwrap();
        fs::write(dir.join(format!("proc/{pid}/comm")), format!("{name}\n")).unwrap();
        std::os::unix::fs::symlink(format!("socket:[{inode}]"), fd.join("3")).unwrap();
    }
}

fn agent() -> Command {
    let mut c = Command::cargo_bin("selfcheck-agent").unwrap();
    c.env_remove("SELFCHECK_STATE_DIR")
        .env_remove("SELFCHECK_AGENT_CONFIG");
    c
}

/// `selfcheck-agent run --root ROOT --state-dir STATE --config CONFIG`; more arguments may follow.
fn run_cmd(root: &Path, state: &Path, config: &Path) -> Command {
    let mut c = agent();
    c.arg("run")
        .arg("--root")
        .arg(root)
        .arg("--state-dir")
        .arg(state)
        .arg("--config")
        .arg(config);
    c
}

/// The verified report in a file.
fn read_report(path: &Path) -> Report {
    SignedReport::verify_bytes(&fs::read(path).unwrap())
        .unwrap()
        .signed
        .report
}

const NO_CONFIG: &str = "/dev/null";

#[test]
fn run_on_a_fixture_root_reports_that_root_and_signs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fixture_root(&root, true);
    let state = tmp.path().join("state");
    let out = tmp.path().join("report.json");
    let config = tmp.path().join("agent.toml");
    fs::write(&config, "").unwrap();
    let assert = run_cmd(&root, &state, &config)
        .args([
            "--format",
            "json",
            "--period",
            "2026-11",
            "--fail-on",
            "high",
            "--no-fim-init",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1); // telnet is high
    // Without --fail-on the same audit ends 0: a monthly timer's service is not "failed".
    run_cmd(&root, &state, &config)
        .args(["--period", "2026-11"])
        .assert()
        .code(0);
    let printed: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();

    let bytes = fs::read(&out).unwrap();
    let verified = SignedReport::verify_bytes(&bytes).expect("the written report verifies");
    let report = &verified.signed.report;
    assert_eq!(printed, serde_json::to_value(&verified.signed).unwrap());
    assert_eq!(report.host.hostname, "fixture-host");
    assert_eq!(
        report.host.machine_id.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(report.host.os.id.as_deref(), Some("kylin"));
    assert_eq!(
        report.host.kernel.as_deref(),
        Some("4.19.90-52.22.v2207.ky10.x86_64")
    );
    assert_eq!(
        report.host.ip_addresses,
        vec!["10.20.30.40".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(report.period.to_string(), "2026-11");
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let f = &report.findings[0];
    assert_eq!(
        (f.check_id.as_str(), f.subject.as_str()),
        ("ports.telnet", "tcp/23")
    );
    assert!(f.evidence[0].contains("inetd"), "{:?}", f.evidence);
    let sockets = report.inventory.listening_sockets.as_ref().unwrap();
    assert_eq!(sockets.len(), 2);
    // MySQL on loopback is not a finding; the check passed.
    let mysql = report
        .checks
        .iter()
        .find(|c| c.check_id.as_str() == "ports.mysql")
        .unwrap();
    assert_eq!(mysql.outcome, CheckOutcome::Passed);

    // The report is also kept in the state directory, and the key is private.
    let kept = state
        .join("reports/2026-11")
        .join(format!("{}.json", report.report_id));
    assert_eq!(fs::read(kept).unwrap(), bytes);
    let key = state.join("agent-key.pem");
    assert_eq!(
        fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn key_file_is_standard_pkcs8_that_openssl_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fixture_root(&root, true);
    let state = tmp.path().join("state");
    let out = tmp.path().join("r.json");
    run_cmd(&root, &state, Path::new(NO_CONFIG))
        .args(["--fail-on", "none", "--out"])
        .arg(&out)
        .assert()
        .success();
    let report = SignedReport::verify_bytes(&fs::read(&out).unwrap()).unwrap();
    let der = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(state.join("agent-key.pem"))
        .output()
        .expect("openssl is installed (CI installs it)");
    assert!(
        der.status.success(),
        "{}",
        String::from_utf8_lossy(&der.stderr)
    );
    // An Ed25519 SubjectPublicKeyInfo ends with the 32 raw key bytes.
    let raw = &der.stdout[der.stdout.len() - 32..];
    assert_eq!(hex(raw), report.signed.signature.public_key);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn key_readable_by_others_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fixture_root(&root, false);
    let state = tmp.path().join("state");
    let run = || run_cmd(&root, &state, Path::new(NO_CONFIG));
    run().assert().success();
    fs::set_permissions(
        state.join("agent-key.pem"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let out = run().assert().code(2).get_output().stderr.clone();
    let msg = String::from_utf8_lossy(&out);
    assert!(
        msg.contains("agent-key.pem") && msg.contains("0640"),
        "{msg}"
    );
}

#[test]
fn image_without_proc_says_ports_could_not_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fixture_root(&root, false);
    let out = tmp.path().join("r.json");
    run_cmd(&root, &tmp.path().join("state"), Path::new(NO_CONFIG))
        .arg("--no-fim-init")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let report = read_report(&out);
    assert!(report.inventory.listening_sockets.is_none());
    assert!(!report.checks.is_empty());
    for c in &report.checks {
        assert!(
            matches!(&c.outcome, CheckOutcome::CouldNotRun { reason } if !reason.is_empty()),
            "{c:?}"
        );
    }
}

#[test]
fn malformed_catalog_is_a_clear_error_naming_file_check_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let checks = tmp.path().join("checks");
    fs::create_dir_all(&checks).unwrap();
    let good =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../checks/ports.toml"))
            .unwrap();
    fs::write(
        checks.join("ports.toml"),
        good.replacen("risk = \"high\"", "risk = \"severe\"", 1),
    )
    .unwrap();
    let out = agent()
        .args(["checks", "list", "--checks"])
        .arg(&checks)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let msg = String::from_utf8_lossy(&out);
    assert!(
        msg.contains("ports.toml") && msg.contains("ports.telnet") && msg.contains("`risk`"),
        "{msg}"
    );
}

#[test]
fn checks_show_prints_both_languages_and_unknown_id_fails() {
    let zh = agent()
        .args(["checks", "show", "ports.telnet"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&zh).contains("整改措施"));
    let en = agent()
        .args(["checks", "show", "ports.telnet", "--lang", "en"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let en = String::from_utf8_lossy(&en);
    assert!(
        en.contains("How to fix") && en.contains("GB/T 22239-2019 8.1.4.1 c)"),
        "{en}"
    );
    agent()
        .args(["checks", "show", "ports.nope"])
        .assert()
        .code(2);
}

#[test]
fn bad_root_and_bad_config_are_errors_with_status_2() {
    let tmp = tempfile::tempdir().unwrap();
    agent()
        .args([
            "run",
            "--root",
            "/nonexistent/selfcheck-root",
            "--config",
            "/dev/null",
        ])
        .arg("--state-dir")
        .arg(tmp.path())
        .assert()
        .code(2);
    let root = tmp.path().join("root");
    fixture_root(&root, false);
    let cfg = tmp.path().join("agent.toml");
    fs::write(&cfg, "[[ports.allow]]\nport = 23\n").unwrap();
    let out = run_cmd(&root, &tmp.path().join("s"), &cfg)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("agent.toml"));
}

#[test]
fn allowlisted_listener_is_reported_as_suppressed_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fixture_root(&root, true);
    let cfg = tmp.path().join("agent.toml");
    fs::write(&cfg, "[[ports.allow]]\nport = 23\nprocess = \"inetd\"\nreason = \"lab terminal server, ticket 7\"\n").unwrap();
    let out = tmp.path().join("r.json");
    run_cmd(&root, &tmp.path().join("s"), &cfg)
        .arg("--no-fim-init")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let report = read_report(&out);
    assert!(report.findings.is_empty());
    assert_eq!(report.suppressed.len(), 1);
    assert_eq!(report.suppressed[0].reason, "lab terminal server, ticket 7");
}

#[test]
fn run_without_root_says_once_what_it_could_not_see_and_the_report_records_it() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    // Run as an unprivileged user: as nobody through setpriv when the tests run as root.
    let mut c = if nix::unistd::geteuid().is_root() {
        if !Path::new("/usr/bin/setpriv").exists() {
            eprintln!("setpriv is missing; cannot drop root for this test");
            return;
        }
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o777)).unwrap();
        // A copy nobody can reach: the build tree may sit below a private directory.
        let agent = tmp.path().join("selfcheck-agent");
        fs::copy(assert_cmd::cargo::cargo_bin("selfcheck-agent"), &agent).unwrap();
        fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
        let mut c = std::process::Command::new("/usr/bin/setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&agent)
            .current_dir("/");
        c
    } else {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("selfcheck-agent"))
    };
    c.env_remove("SELFCHECK_STATE_DIR")
        .env_remove("SELFCHECK_AGENT_CONFIG")
        .args(["--config", NO_CONFIG, "--state-dir"])
        .arg(&state)
        .args(["run", "--no-fim-init"]);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("could not see everything").count(),
        1,
        "said once:\n{stderr}"
    );
    assert!(stderr.contains("not root"), "{stderr}");
    let file = fs::read_dir(state.join("reports"))
        .unwrap()
        .flat_map(|m| fs::read_dir(m.unwrap().path()).unwrap())
        .next()
        .unwrap()
        .unwrap()
        .path();
    let report = read_report(&file);
    assert!(
        report.audit_limits.iter().any(|l| l.contains("not root")),
        "{:?}",
        report.audit_limits
    );
}
