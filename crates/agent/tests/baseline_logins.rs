//! The login records of `baseline.unused-accounts`: binary lastlog and wtmp
//! records built here with known values and checked against the system's own
//! `lastlog` and `last`, Debian 13's lastlog2 database, and accounts that
//! never logged in.

use chrono::DateTime;
use selfcheck_agent::areas::baseline::functions::logins::{lastlog_time, wtmp_logins};
use selfcheck_report::CheckOutcome;
use std::fs;
use std::process::Command;

// The breaks are for config_baseline.rs; these tests use the good root and the builders.
#[allow(dead_code)]
#[path = "support/baseline_fixture.rs"]
mod baseline_fixture;
#[allow(dead_code)]
#[path = "support/baseline_run.rs"]
mod baseline_run;
#[allow(dead_code)]
#[path = "support/sshd_fixture.rs"]
mod sshd_fixture;
use baseline_fixture::{NOW, good_root, lastlog_file, write, write_bytes};
use baseline_run::{evidence, outcome, run};

/// One 384-byte `struct utmp` record (x86_64/aarch64 layout).
fn utmp_record(kind: i16, pid: i32, line: &str, user: &str, host: &str, time: i32) -> Vec<u8> {
    let mut r = vec![0u8; 384];
    r[0..2].copy_from_slice(&kind.to_le_bytes());
    r[4..8].copy_from_slice(&pid.to_le_bytes());
    r[8..8 + line.len()].copy_from_slice(line.as_bytes());
    let id = line.trim_start_matches("pts/").as_bytes();
    r[40..40 + id.len().min(4)].copy_from_slice(&id[..id.len().min(4)]);
    r[44..44 + user.len()].copy_from_slice(user.as_bytes());
    r[76..76 + host.len()].copy_from_slice(host.as_bytes());
    r[340..344].copy_from_slice(&time.to_le_bytes());
    r
}

#[test]
fn lastlog_records_are_read_at_uid_times_292() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lastlog");
    fs::write(
        &path,
        lastlog_file(&[(0, 1_700_000_000), (1000, 1_780_000_000), (65_534, 5)]),
    )
    .unwrap();
    let file = fs::File::open(&path).unwrap();
    let len = file.metadata().unwrap().len();
    assert_eq!(len, 65_535 * 292);
    assert_eq!(lastlog_time(&file, len, 0), Some(1_700_000_000));
    assert_eq!(lastlog_time(&file, len, 1000), Some(1_780_000_000));
    assert_eq!(lastlog_time(&file, len, 65_534), Some(5));
    assert_eq!(lastlog_time(&file, len, 999), None, "zeros: never");
    assert_eq!(lastlog_time(&file, len, 70_000), None, "beyond the end");
    assert_eq!(lastlog_time(&file, len, u32::MAX), None);
    // A record cut off by the end of the file is no record.
    assert_eq!(lastlog_time(&file, len - 1, 65_534), None);
}

/// The system's lastlog (shadow-utils) reads the same file the same way.
#[test]
fn lastlog_agrees_with_the_lastlog_command() {
    if !nix::unistd::geteuid().is_root() || Command::new("lastlog").arg("-h").output().is_err() {
        eprintln!("skipped: needs root and lastlog -R");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "etc/passwd",
        "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n",
        0o644,
    );
    write_bytes(
        r,
        "var/log/lastlog",
        &lastlog_file(&[(1000, 1_780_000_000)]),
        0o644,
    );
    let out = Command::new("lastlog")
        .env("TZ", "UTC")
        .arg("-R")
        .arg(r)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |u: &str| {
        text.lines()
            .find(|l| l.starts_with(u))
            .unwrap_or("")
            .to_string()
    };
    assert!(
        line("alice").contains("Thu May 28 20:26:40 +0000 2026"),
        "{text}"
    );
    assert!(line("bob").contains("Never logged in"), "{text}");
    let file = fs::File::open(r.join("var/log/lastlog")).unwrap();
    let len = file.metadata().unwrap().len();
    let t = lastlog_time(&file, len, 1000).unwrap();
    assert_eq!(
        DateTime::from_timestamp(t, 0).unwrap().to_rfc3339(),
        "2026-05-28T20:26:40+00:00"
    );
    assert_eq!(lastlog_time(&file, len, 1001), None);
}

fn wtmp_bytes() -> Vec<u8> {
    [
        utmp_record(2, 0, "~", "reboot", "6.1.0", 1_779_990_000),
        utmp_record(7, 100, "pts/0", "alice", "10.0.0.5", 1_780_000_000),
        utmp_record(8, 100, "pts/0", "", "", 1_780_003_600),
        utmp_record(7, 101, "pts/1", "bob", "10.0.0.6", 1_790_000_000),
        utmp_record(7, 102, "pts/2", "alice", "10.0.0.5", 1_785_000_000),
    ]
    .concat()
}

#[test]
fn wtmp_user_logins_are_read_from_384_byte_records() {
    let mut bytes = wtmp_bytes();
    bytes.extend_from_slice(&[7, 0, 0, 0, b'x']); // a cut-off record
    assert_eq!(
        wtmp_logins(&bytes),
        vec![
            ("alice".to_string(), 1_780_000_000),
            ("bob".to_string(), 1_790_000_000),
            ("alice".to_string(), 1_785_000_000),
        ]
    );
}

/// util-linux `last -f` reads the file built here with the same users and times.
#[test]
fn wtmp_agrees_with_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wtmp");
    fs::write(&path, wtmp_bytes()).unwrap();
    let Ok(out) = Command::new("last")
        .env("TZ", "UTC")
        .args(["--time-format", "iso", "-w", "-f"])
        .arg(&path)
        .output()
    else {
        eprintln!("skipped: no last command");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    for (user, t) in wtmp_logins(&wtmp_bytes()) {
        let when = DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
        assert!(
            text.lines()
                .any(|l| l.starts_with(&user) && l.contains(&when)),
            "{user} {when} not in:\n{text}"
        );
    }
}

#[test]
fn the_newest_of_lastlog_wtmp_and_lastlog2_counts() {
    let root = good_root();
    let r = root.path();
    // lastlog says 200 days ago, wtmp says 5 days ago: used.
    write_bytes(
        r,
        "var/log/lastlog",
        &lastlog_file(&[(1000, (NOW - 200 * 86_400) as i32)]),
        0o664,
    );
    write_bytes(
        r,
        "var/log/wtmp",
        &utmp_record(7, 1, "pts/0", "alice", "h", (NOW - 5 * 86_400) as i32),
        0o664,
    );
    let out = run(r);
    assert_eq!(
        outcome(&out, "baseline.unused-accounts"),
        CheckOutcome::Passed
    );
    // Debian 13: only lastlog2's SQLite database, 120 days old.
    fs::remove_file(r.join("var/log/lastlog")).unwrap();
    fs::remove_file(r.join("var/log/wtmp")).unwrap();
    fs::create_dir_all(r.join("var/lib/lastlog")).unwrap();
    let db = rusqlite::Connection::open(r.join("var/lib/lastlog/lastlog2.db")).unwrap();
    db.execute_batch(&format!(
        "CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);
         INSERT INTO Lastlog2 VALUES ('alice', {}, 'pts/0', '10.0.0.5', 'sshd');",
        NOW - 120 * 86_400
    ))
    .unwrap();
    drop(db);
    let out = run(r);
    let ev = evidence(&out, "baseline.unused-accounts");
    assert_eq!(
        ev,
        vec![
            "alice: last login 2026-07-29 (120 days ago, more than 90) per /var/lib/lastlog/lastlog2.db"
        ]
    );
}

#[test]
fn never_logged_in_counts_by_the_password_change_date_and_locked_accounts_do_not() {
    let root = good_root();
    let r = root.path();
    let passwd = fs::read_to_string(r.join("etc/passwd")).unwrap();
    write(
        r,
        "etc/passwd",
        &format!(
            "{passwd}carol:x:1002:1002::/home/carol:/bin/bash\ndave:x:1003:1003::/home/dave:/bin/bash\nerin:x:1004:1004::/home/erin:/bin/bash\nfrank:x:1005:1005::/home/frank:/bin/bash\n"
        ),
        0o644,
    );
    let shadow = fs::read_to_string(r.join("etc/shadow")).unwrap();
    let recent = NOW / 86_400 - 10;
    write(
        r,
        "etc/shadow",
        // carol: never logged in, password set in 2022; dave: locked; erin: new;
        // frank: locked password but an SSH key.
        &format!(
            "{shadow}carol:$6$x$y:19000:0:99999:7:::\ndave:!$6$x$y:19000:0:99999:7:::\nerin:$6$x$y:{recent}:0:99999:7:::\nfrank:!:19000:0:99999:7:::\n"
        ),
        0o640,
    );
    write(
        r,
        "home/frank/.ssh/authorized_keys",
        "ssh-ed25519 AAAA frank@laptop\n",
        0o600,
    );
    let out = run(r);
    let ev = evidence(&out, "baseline.unused-accounts");
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(
        ev[0].starts_with(
            "carol: never logged in (no record in /var/log/lastlog); password last set 2022-01-08"
        ),
        "{ev:?}"
    );
    assert!(ev[1].starts_with("frank: never logged in"), "{ev:?}");
}

#[test]
fn no_login_records_at_all_could_not_run() {
    let root = good_root();
    fs::remove_file(root.path().join("var/log/lastlog")).unwrap();
    match outcome(&run(root.path()), "baseline.unused-accounts") {
        CheckOutcome::CouldNotRun { reason } => {
            assert!(reason.contains("no login records"), "{reason}")
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn a_long_wtmp_is_read_across_chunks_to_its_last_record() {
    let root = good_root();
    let r = root.path();
    write_bytes(
        r,
        "var/log/lastlog",
        &lastlog_file(&[(1000, (NOW - 200 * 86_400) as i32)]),
        0o664,
    );
    // 6,000 records (two and a bit 1 MiB chunks); alice's recent login is the very last.
    let mut wtmp: Vec<u8> = (0..5_999)
        .flat_map(|i| utmp_record(7, i, "pts/1", "bob", "h", (NOW - 300 * 86_400) as i32))
        .collect();
    wtmp.extend(utmp_record(
        7,
        1,
        "pts/0",
        "alice",
        "h",
        (NOW - 3 * 86_400) as i32,
    ));
    write_bytes(r, "var/log/wtmp", &wtmp, 0o664);
    assert_eq!(
        outcome(&run(r), "baseline.unused-accounts"),
        CheckOutcome::Passed
    );
}
