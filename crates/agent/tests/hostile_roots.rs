//! `selfcheck-agent run --root DIR` on hostile image roots: links that point
//! at the machine running the agent (`etc -> /etc`, `proc -> /proc`, a chain
//! of 41 links ending in an absolute one), FIFOs, devices and a 200 MB line
//! where the kernel's tables or dpkg's status file belong. The audit finishes,
//! its signed report holds nothing of this machine, and the checks that could
//! not read their files say "could not run" with the reason.

use assert_cmd::Command;
use selfcheck_report::{CheckOutcome, Report, SignedReport};
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

/// The agent run on `root`: (exit success, stdout, stderr), cut off after
/// two minutes so a hang fails the test instead of stalling it.
fn run(root: &Path) -> (bool, Vec<u8>, String) {
    let state = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("selfcheck-agent")
        .unwrap()
        .env_remove("SELFCHECK_STATE_DIR")
        .env_remove("SELFCHECK_AGENT_CONFIG")
        .args([
            "run",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--config",
            "/dev/null",
            "--state-dir",
        ])
        .arg(state.path())
        .arg("--root")
        .arg(root)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn audit(root: &Path) -> (Report, String) {
    let (ok, stdout, stderr) = run(root);
    assert!(ok, "the agent failed: {stderr}");
    let report = SignedReport::verify_bytes(&stdout)
        .expect("the printed report verifies")
        .signed
        .report;
    (report, String::from_utf8(stdout).unwrap())
}

/// The image's own identity and a Debian base, so every area has something to read.
fn image(dir: &Path) {
    fs::create_dir_all(dir.join("etc")).unwrap();
    fs::write(dir.join("etc/hostname"), "image-host\n").unwrap();
    fs::write(
        dir.join("etc/machine-id"),
        "0123456789abcdef0123456789abcdef\n",
    )
    .unwrap();
    fs::write(
        dir.join("etc/os-release"),
        "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .unwrap();
    fs::create_dir_all(dir.join("var/lib/dpkg")).unwrap();
}

/// Every check run whose outcome is "could not run", with its reason.
fn could_not_run(report: &Report) -> Vec<(String, String)> {
    report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::CouldNotRun { reason } => Some((c.check_id.to_string(), reason.clone())),
            _ => None,
        })
        .collect()
}

fn reason_of<'a>(report: &'a Report, prefix: &str) -> Vec<&'a str> {
    report
        .checks
        .iter()
        .filter(|c| c.check_id.as_ref().starts_with(prefix))
        .map(|c| match &c.outcome {
            CheckOutcome::CouldNotRun { reason } => reason.as_str(),
            other => panic!(
                "{}: expected could-not-run, got {other:?}",
                c.check_id.as_ref()
            ),
        })
        .collect()
}

/// The JSON string values of a text (every `"..."` token), for telling
/// whole names apart from words inside sentences.
fn json_strings(json: &str) -> BTreeSet<String> {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out = BTreeSet::new();
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) => {
                out.insert(s.clone());
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&value, &mut out);
    out
}

#[test]
fn links_to_this_machine_yield_nothing_of_it() {
    // A listener of this machine, so the live tables are known to hold one.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let live_port = listener.local_addr().unwrap().port();

    let clean = tempfile::tempdir().unwrap();
    image(clean.path());
    let (_, clean_json) = audit(clean.path());

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    image(d);
    for f in ["passwd", "shadow", "group", "ssh", "sudoers", "hosts"] {
        symlink(format!("/etc/{f}"), d.join("etc").join(f)).unwrap();
    }
    symlink("/proc", d.join("proc")).unwrap();
    // 41 links: etc/login.defs -> chain/l1 -> ... -> chain/l40 -> /etc/login.defs.
    fs::create_dir(d.join("chain")).unwrap();
    symlink("../chain/l1", d.join("etc/login.defs")).unwrap();
    for i in 1..40 {
        symlink(format!("l{}", i + 1), d.join(format!("chain/l{i}"))).unwrap();
    }
    symlink("/etc/login.defs", d.join("chain/l40")).unwrap();
    symlink("/var/lib/dpkg/status", d.join("var/lib/dpkg/status")).unwrap();

    let (report, json) = audit(d);
    assert_eq!(report.host.hostname, "image-host");

    // Nothing of this machine: its host name, machine id, account names, listeners.
    let strings = json_strings(&json);
    let clean_strings = json_strings(&clean_json);
    let live_hostname = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let live_hostname = live_hostname.trim();
    assert!(
        !strings.contains(live_hostname),
        "this machine's host name {live_hostname} is in the report"
    );
    if live_hostname.len() >= 6 {
        assert!(!json.contains(live_hostname), "{live_hostname}");
    }
    if let Ok(id) = fs::read_to_string("/etc/machine-id") {
        let id = id.trim();
        assert!(
            id.is_empty() || !json.contains(id),
            "this machine's id {id} is in the report"
        );
    }
    for file in ["/etc/shadow", "/etc/passwd"] {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        for user in text
            .lines()
            .filter_map(|l| l.split(':').next())
            .filter(|u| !u.is_empty())
        {
            assert!(
                !strings.contains(user) || clean_strings.contains(user),
                "the user {user} of this machine's {file} is in the report"
            );
        }
    }
    assert!(
        report
            .inventory
            .listening_sockets
            .as_ref()
            .is_none_or(Vec::is_empty),
        "this machine's listeners are in the report"
    );
    assert!(!json.contains(&format!("\"port\": {live_port}")));
    assert!(!json.contains(&format!("\"port\":{live_port}")));

    // The checks that needed those files could not run, and say why.
    for reason in reason_of(&report, "ports.") {
        assert!(reason.contains("symbolic links"), "{reason}");
    }
    for reason in reason_of(&report, "patches.") {
        assert!(reason.contains("symbolic links"), "{reason}");
    }
    let cnr = could_not_run(&report);
    for needle in ["/etc/shadow", "/etc/passwd", "/etc/login.defs", "/etc/ssh"] {
        assert!(
            cnr.iter()
                .any(|(_, r)| r.contains(needle) && r.contains("symbolic links")),
            "no check says it could not read {needle}: {cnr:#?}"
        );
    }
    drop(listener);
}

#[test]
fn an_image_whose_etc_is_this_machines_is_refused_not_audited() {
    let dir = tempfile::tempdir().unwrap();
    symlink("/etc", dir.path().join("etc")).unwrap();
    let (ok, stdout, stderr) = run(dir.path());
    assert!(
        !ok,
        "the agent audited an image whose etc is this machine's"
    );
    assert!(stdout.is_empty(), "a report was written");
    assert!(stderr.contains("etc/hostname"), "{stderr}");
    assert!(stderr.contains("symbolic links"), "{stderr}");
}

/// `mkfifo PATH` (the FIFO stays in the test's temporary directory).
fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

#[test]
fn fifos_devices_and_a_huge_line_end_in_could_not_run_not_a_hang() {
    // FIFOs at the socket tables and dpkg's status file.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    image(d);
    fs::create_dir_all(d.join("proc/net")).unwrap();
    mkfifo(&d.join("proc/net/tcp"));
    mkfifo(&d.join("proc/net/udp"));
    mkfifo(&d.join("var/lib/dpkg/status"));
    let (report, _) = audit(d);
    for reason in reason_of(&report, "ports.") {
        assert!(reason.contains("a FIFO"), "{reason}");
    }
    for reason in reason_of(&report, "patches.") {
        assert!(reason.contains("a FIFO"), "{reason}");
    }

    // A character device (this machine's /dev/zero, made inside the image) and
    // links to the real /dev/zero (re-rooted, so absent).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    image(d);
    fs::create_dir_all(d.join("proc/net")).unwrap();
    let zero = d.join("zero");
    let made = std::process::Command::new("mknod")
        .arg(&zero)
        .args(["c", "1", "5"])
        .status()
        .unwrap();
    if made.success() {
        symlink("/zero", d.join("proc/net/tcp")).unwrap();
        symlink("/zero", d.join("var/lib/dpkg/status")).unwrap();
        symlink("/dev/zero", d.join("proc/net/udp")).unwrap();
        let (report, _) = audit(d);
        for reason in reason_of(&report, "ports.") {
            assert!(reason.contains("a character device"), "{reason}");
        }
        for reason in reason_of(&report, "patches.") {
            assert!(reason.contains("a character device"), "{reason}");
        }
    } else {
        eprintln!(
            "mknod is not permitted here: the device case is covered by selfcheck-hostfs's test on /dev/zero"
        );
    }

    // A 200 MB line (a sparse file: no disk used) in proc/net/tcp.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    image(d);
    fs::create_dir_all(d.join("proc/net")).unwrap();
    let tcp = fs::File::create(d.join("proc/net/tcp")).unwrap();
    tcp.set_len(200 * 1024 * 1024).unwrap();
    fs::write(
        d.join("proc/net/udp"),
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
    )
    .unwrap();
    let (report, _) = audit(d);
    for reason in reason_of(&report, "ports.") {
        assert!(reason.contains("a line longer than 4096 bytes"), "{reason}");
    }
}

#[test]
fn an_empty_status_file_makes_the_patch_checks_could_not_run() {
    for blank in ["", "\n \n\t\n"] {
        let dir = tempfile::tempdir().unwrap();
        image(dir.path());
        fs::write(dir.path().join("var/lib/dpkg/status"), blank).unwrap();
        let (report, _) = audit(dir.path());
        let reasons = reason_of(&report, "patches.");
        assert!(reasons.len() >= 2, "{reasons:?}");
        for reason in reasons {
            assert!(reason.contains("is empty"), "{reason}");
        }
    }
}
