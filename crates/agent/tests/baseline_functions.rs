//! The function checks of the configuration baseline: the registry against
//! the catalog, parameters, logrotate and journald arithmetic, the
//! world-writable walk over links, loops, FIFOs and the sticky bit, sudoers,
//! firewall and forwarding forms, and hostile inputs that must end in a clear
//! outcome, never a panic or a hang. Login records: baseline_logins.rs.

use selfcheck_agent::areas::baseline::functions::logs::{logrotate_retention, timespan_secs};
use selfcheck_agent::areas::baseline::{AREA, functions};
use selfcheck_catalog::{Catalog, CatalogSource, Rule};
use selfcheck_report::CheckOutcome;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

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
use baseline_fixture::{NOW, good_root, link, write, write_bytes};
use baseline_run::{catalog_with, evidence, outcome, run, run_with};

#[test]
fn every_function_check_is_registered_and_every_function_has_a_check() {
    let catalog = Catalog::embedded().unwrap();
    let checks: Vec<&str> = catalog
        .area(AREA)
        .filter(|d| d.rule == Some(Rule::Function))
        .map(|d| d.id.as_str())
        .collect();
    assert!(checks.len() >= 10, "{checks:?}");
    for id in &checks {
        assert!(functions::lookup(id).is_some(), "{id} has no function");
    }
    for id in functions::ids() {
        assert!(checks.contains(&id), "{id} is registered without a check");
    }
    assert!(catalog.area(AREA).count() >= 40);
}

#[test]
fn a_function_check_without_a_function_could_not_run_and_says_why() {
    let catalog = catalog_with(|t| {
        t.replace(
            "id = \"baseline.backup-job\"",
            "id = \"baseline.backup-job-v2\"",
        )
    });
    let root = good_root();
    let out = run_with(root.path(), &catalog);
    match outcome(&out, "baseline.backup-job-v2") {
        CheckOutcome::CouldNotRun { reason } => {
            assert!(reason.contains("no function registered"), "{reason}")
        }
        o => panic!("{o:?}"),
    }
    let bad = |rule: &str| {
        let text = format!(
            "[[check]]\nid = \"baseline.x\"\narea = \"baseline\"\nrisk = \"low\"\n\
             title = {{ zh = \"t\", en = \"t\" }}\ndescription = {{ zh = \"d\", en = \"d\" }}\n\
             why = {{ zh = \"w\", en = \"w\" }}\nremediation = {{ zh = \"r\", en = \"r\" }}\n\
             clauses = [\"8.1.4.1 a)\"]\nlevels = [3]\n{rule}"
        );
        Catalog::from_files([("checks/b.toml".into(), text)], CatalogSource::Embedded)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert_eq!(bad("[check.rule]\nkind = \"function\"\n"), Ok(()));
    let err = bad("[check.rule]\nkind = \"function\"\nmax_days = 90\n").unwrap_err();
    assert!(
        err.contains("`rule.max_days`") && err.contains("[check.params]"),
        "{err}"
    );
    let err = bad("[check.rule]\nkind = \"line\"\nfiles = [\"/x\"]\npattern = \"a\"\npresent = false\nwanted = \"a\"\n").unwrap_err();
    assert!(err.contains("`rule.wanted`"), "{err}");
}

#[test]
fn a_wrong_param_names_the_check_and_key() {
    let catalog = catalog_with(|t| t.replace("max_days = 90", "max_days = \"ninety\""));
    let root = good_root();
    let out = run_with(root.path(), &catalog);
    match outcome(&out, "baseline.unused-accounts") {
        CheckOutcome::CouldNotRun { reason } => assert!(
            reason.contains("baseline.unused-accounts") && reason.contains("params.max_days"),
            "{reason}"
        ),
        o => panic!("{o:?}"),
    }
}

#[test]
fn a_missing_line_is_described_in_words_not_as_a_regex() {
    let root = good_root();
    write(
        root.path(),
        "etc/profile.d/tmout.sh",
        "export TMOUT=3600\n",
        0o644,
    );
    let ev = evidence(&run(root.path()), "baseline.shell-timeout");
    assert_eq!(
        ev[0],
        "no TMOUT=N setting with N from 1 to 600 found (read /etc/profile, /etc/profile.d/tmout.sh)"
    );
    assert!(ev[1].contains("value 3600"), "{ev:?}");
    assert!(
        ev.iter().all(|e| !e.contains("(?:") && !e.contains("\\s")),
        "{ev:?}"
    );
}

// ---------------------------------------------------------------- logrotate and journald

fn conf(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn logrotate_keeps_period_times_rotate_days_capped_by_maxage() {
    let main = "weekly\nrotate 4\n# comment\ninclude /etc/logrotate.d\n/var/log/wtmp {\n    monthly\n    rotate 1\n}\n";
    let debian = "/var/log/syslog\n/var/log/auth.log\n{\n\trotate 4\n\tweekly\n\tpostrotate\n\t\trotate 999\n\tendscript\n}\n";
    let r = logrotate_retention(
        &conf(&[
            ("/etc/logrotate.conf", main),
            ("/etc/logrotate.d/rsyslog", debian),
        ]),
        "/var/log/auth.log",
    )
    .unwrap();
    assert_eq!(r.days, Some(28.0));
    assert_eq!(
        r.shown,
        "/etc/logrotate.d/rsyslog:3: /var/log/auth.log: weekly × rotate 4 = 28 days"
    );
    // Globals are the defaults of later blocks; a block's own settings win.
    let inherit = "/var/log/messages { missingok }\n";
    let r = logrotate_retention(
        &conf(&[
            ("/etc/logrotate.conf", main),
            ("/etc/logrotate.d/m", inherit),
        ]),
        "/var/log/messages",
    )
    .unwrap();
    assert_eq!(r.days, Some(28.0));
    let r = logrotate_retention(
        &conf(&[(
            "/etc/logrotate.conf",
            "daily\nrotate 365\n/var/log/*.log {\n maxage 90\n}\n",
        )]),
        "/var/log/app.log",
    )
    .unwrap();
    assert_eq!(r.days, Some(90.0));
    assert!(
        r.shown
            .ends_with("daily × rotate 365 = 365 days, maxage 90 = 90 days"),
        "{}",
        r.shown
    );
    let r = logrotate_retention(
        &conf(&[(
            "/etc/logrotate.conf",
            "/var/log/secure {\n monthly\n rotate 6\n}\n",
        )]),
        "/var/log/secure",
    )
    .unwrap();
    assert_eq!(r.days, Some(180.0));
    let r = logrotate_retention(
        &conf(&[(
            "/etc/logrotate.conf",
            "/var/log/secure {\n size 100M\n rotate 9\n}\n",
        )]),
        "/var/log/secure",
    )
    .unwrap();
    assert_eq!(r.days, None, "{}", r.shown);
    // Without any period logrotate rotates by size (1 MiB by default); a later period wins over `size`.
    let r = logrotate_retention(
        &conf(&[(
            "/etc/logrotate.conf",
            "rotate 5\n/var/log/x {\n}\n/var/log/y {\n size 1M\n daily\n}\n",
        )]),
        "/var/log/x",
    )
    .unwrap();
    assert_eq!(r.days, None, "{}", r.shown);
    let r = logrotate_retention(
        &conf(&[(
            "/etc/logrotate.conf",
            "rotate 5\n/var/log/x {\n}\n/var/log/y {\n size 1M\n daily\n}\n",
        )]),
        "/var/log/y",
    )
    .unwrap();
    assert_eq!(r.days, Some(5.0));
    // `*` does not cross `/`; a log no block names has no rotation.
    assert_eq!(
        logrotate_retention(
            &conf(&[("/etc/logrotate.conf", "/var/*.log {\n daily\n}\n")]),
            "/var/log/x.log"
        ),
        None
    );
    assert_eq!(
        logrotate_retention(&conf(&[("/etc/logrotate.conf", main)]), "/var/log/syslog"),
        None
    );
}

#[test]
fn journald_time_spans_are_read_like_systemd() {
    assert_eq!(timespan_secs("180d"), Some(180.0 * 86_400.0));
    assert_eq!(timespan_secs("3600"), Some(3600.0));
    assert_eq!(timespan_secs("1y"), Some(365.25 * 86_400.0));
    assert!(timespan_secs("6month").unwrap() / 86_400.0 >= 180.0);
    assert_eq!(timespan_secs("1w 2d"), Some(9.0 * 86_400.0));
    assert_eq!(timespan_secs("forever"), None);
    assert_eq!(timespan_secs("5 parsecs"), None);
}

#[test]
fn retention_is_shown_by_journald_or_the_oldest_journal_and_the_evidence_computes() {
    let root = good_root();
    let r = root.path();
    write(
        r,
        "etc/logrotate.d/rsyslog",
        "/var/log/syslog\n{\n\tweekly\n\trotate 4\n}\n",
        0o644,
    );
    let out = run(r);
    let ev = evidence(&out, "baseline.log-retention");
    assert!(
        ev[0].contains(
            "/var/log/syslog: weekly × rotate 4 = 28 days < 180; no rotated copy present"
        ),
        "{ev:?}"
    );
    assert!(
        ev.iter().any(|e| e.starts_with("auditd.conf (not judged")),
        "{ev:?}"
    );
    // journald persistent with six months.
    write(
        r,
        "etc/systemd/journald.conf",
        "[Journal]\nStorage=persistent\n",
        0o644,
    );
    write(
        r,
        "etc/systemd/journald.conf.d/60-keep.conf",
        "[Journal]\nMaxRetentionSec=6month\n",
        0o644,
    );
    assert_eq!(
        outcome(&run(r), "baseline.log-retention"),
        CheckOutcome::Passed
    );
    // No time limit: the oldest journal file decides (its mtime, against the audit's time).
    write(
        r,
        "etc/systemd/journald.conf.d/60-keep.conf",
        "[Journal]\n#MaxRetentionSec=6month\n",
        0o644,
    );
    let journal = r.join("var/log/journal/0123abcd/system@x.journal");
    write(
        r,
        "var/log/journal/0123abcd/system@x.journal",
        "LPKSHHRH",
        0o640,
    );
    let set_age = |days: i64| {
        let t =
            std::time::UNIX_EPOCH + std::time::Duration::from_secs((NOW - days * 86_400) as u64);
        fs::File::options()
            .write(true)
            .open(&journal)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    set_age(30);
    let ev = evidence(&run(r), "baseline.log-retention");
    assert!(ev.iter().any(|e| e.contains("oldest journal file /var/log/journal/0123abcd/system@x.journal of 2026-10-27 (30 days) < 180")), "{ev:?}");
    set_age(200);
    assert_eq!(
        outcome(&run(r), "baseline.log-retention"),
        CheckOutcome::Passed
    );
}

// ---------------------------------------------------------------- world-writable walk

#[test]
fn the_walk_skips_links_and_loops_and_reports_fifos_and_missing_sticky_bits() {
    let root = good_root();
    let r = root.path();
    // Links are never followed: a loop, a link to a world-writable dir outside the paths.
    symlink("loop", r.join("etc/loop")).unwrap();
    symlink("/etc", r.join("etc/self")).unwrap();
    fs::create_dir_all(r.join("tmp/open")).unwrap();
    fs::set_permissions(r.join("tmp/open"), fs::Permissions::from_mode(0o777)).unwrap();
    link(r, "usr/lib/to-tmp", "/tmp/open");
    // A world-writable FIFO is reported, never opened.
    nix::unistd::mkfifo(
        &r.join("etc/pipe"),
        nix::sys::stat::Mode::from_bits_truncate(0o666),
    )
    .unwrap();
    fs::set_permissions(r.join("etc/pipe"), fs::Permissions::from_mode(0o666)).unwrap();
    // Sticky world-writable directories are fine; without the bit they are not.
    fs::create_dir_all(r.join("usr/lib/cache/deep/er")).unwrap();
    fs::set_permissions(r.join("usr/lib/cache"), fs::Permissions::from_mode(0o1777)).unwrap();
    fs::set_permissions(
        r.join("usr/lib/cache/deep/er"),
        fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let out = run(r);
    let by_subject: Vec<(String, Vec<String>)> = out
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "baseline.world-writable")
        .map(|f| (f.subject.clone(), f.evidence.clone()))
        .collect();
    assert_eq!(
        by_subject,
        vec![
            ("/etc".to_string(), vec!["/etc/pipe: world-writable FIFO, mode 0666".to_string()]),
            (
                "/usr/lib".to_string(),
                vec!["/usr/lib/cache/deep/er: world-writable directory without the sticky bit, mode 0777".to_string()]
            ),
        ]
    );
}

#[test]
fn the_walk_is_bounded_and_says_so() {
    let root = good_root();
    let r = root.path();
    for i in 0..30 {
        write(r, &format!("etc/many/f{i:02}"), "x", 0o666);
    }
    let out = run(r);
    let ev = evidence(&out, "baseline.world-writable");
    assert_eq!(ev.len(), 21, "{ev:?}");
    assert_eq!(ev[0], "/etc/many/f00: world-writable file, mode 0666");
    assert_eq!(ev[20], "... 10 more, 30 in all");
    let catalog = catalog_with(|t| t.replace("max_entries = 1000000", "max_entries = 5"));
    let out = run_with(r, &catalog);
    let ev = evidence(&out, "baseline.world-writable");
    if ev.is_empty() {
        match outcome(&out, "baseline.world-writable") {
            CheckOutcome::CouldNotRun { reason } => {
                assert!(reason.contains("max_entries"), "{reason}")
            }
            o => panic!("{o:?}"),
        }
    } else {
        assert!(
            ev.last().unwrap().contains("stopped after 5 entries"),
            "{ev:?}"
        );
    }
}

#[test]
fn unreadable_directories_are_noted_not_fatal() {
    if nix::unistd::geteuid().is_root() {
        eprintln!("skipped: root reads every directory");
        return;
    }
    let root = good_root();
    let r = root.path();
    write(r, "etc/open.conf", "x", 0o666);
    fs::create_dir_all(r.join("etc/secret")).unwrap();
    fs::set_permissions(r.join("etc/secret"), fs::Permissions::from_mode(0o000)).unwrap();
    let ev = evidence(&run(r), "baseline.world-writable");
    fs::set_permissions(r.join("etc/secret"), fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        ev.iter().any(|e| e.starts_with("not read: /etc/secret")),
        "{ev:?}"
    );
}

// ---------------------------------------------------------------- hostile input

#[test]
fn hostile_inputs_end_in_an_outcome_never_a_panic_or_a_hang() {
    let root = good_root();
    let r = root.path().to_path_buf();
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for f in [
        "etc/audit/rules.d/50-baseline.rules",
        "etc/logrotate.d/rsyslog",
        "etc/rsyslog.d/90-remote.conf",
        "etc/exports",
        "etc/nftables.conf",
        "etc/hosts.allow",
        "etc/selinux/config",
        "etc/cron.d/nightly",
        "etc/sudoers.d/junk",
        "var/log/wtmp",
    ] {
        write_bytes(&r, f, &garbage, 0o644);
    }
    // A sparse 2 GiB lastlog, a wtmp that is not whole records, a sudoers larger than any config.
    let f = fs::File::create(r.join("var/log/lastlog")).unwrap();
    f.set_len(2 << 30).unwrap();
    write_bytes(&r, "var/log/wtmp.1", &vec![7u8; 384 * 3 + 17], 0o644);
    write(
        &r,
        "etc/sudoers.d/huge",
        &"alice ALL=(ALL) ALL\n".repeat(250_000),
        0o440,
    );
    // Include loops.
    write(
        &r,
        "etc/sudoers.d/loop",
        "@include /etc/sudoers.d/loop\n",
        0o440,
    );
    write(
        &r,
        "etc/logrotate.d/loop",
        "include /etc/logrotate.d\n",
        0o644,
    );
    // A lastlog2 that is not a database, a FIFO in place of the wtmp database.
    write(
        &r,
        "var/lib/lastlog/lastlog2.db",
        "SQLite format 3\0garbage",
        0o644,
    );
    fs::create_dir_all(r.join("var/lib/wtmpdb")).unwrap();
    nix::unistd::mkfifo(
        &r.join("var/lib/wtmpdb/wtmp.db"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&r));
    });
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the audit blocked or took too long");
    let catalog = Catalog::embedded().unwrap();
    assert_eq!(out.checks.len(), catalog.area(AREA).count());
    for id in functions::ids() {
        let o = outcome(&out, id);
        if let CheckOutcome::CouldNotRun { reason } = &o {
            assert!(!reason.is_empty(), "{id}");
        }
    }
    match outcome(&out, "baseline.sudo-all-commands") {
        CheckOutcome::CouldNotRun { reason } => assert!(reason.contains("larger than"), "{reason}"),
        o => panic!("{o:?}"),
    }
    match outcome(&out, "baseline.unused-accounts") {
        // The broken lastlog2 database or the FIFO in place of wtmpdb's.
        CheckOutcome::CouldNotRun { reason } => assert!(reason.contains("/var/lib/"), "{reason}"),
        o => panic!("{o:?}"),
    }
}

#[test]
fn sudoers_groups_aliases_and_includes_are_followed() {
    let root = good_root();
    let r = root.path();
    let group = fs::read_to_string(r.join("etc/group")).unwrap();
    write(
        r,
        "etc/group",
        &group.replace("sudo:x:27:", "sudo:x:27:alice"),
        0o644,
    );
    write(
        r,
        "etc/sudoers.d/ops",
        "Cmnd_Alias EVERYTHING = ALL\n#include /etc/sudoers.d/more.conf\nalice ALL=(root) /usr/bin/systemctl restart nginx\n",
        0o440,
    );
    // Included by name although it has a dot (only @includedir skips those).
    write(
        r,
        "etc/sudoers.d/more.conf",
        "carol ALL = NOPASSWD: SETENV: EVERYTHING\n",
        0o440,
    );
    write(
        r,
        "etc/sudoers.d/skipped~",
        "mallory ALL=(ALL) ALL\n",
        0o440,
    );
    let out = run(r);
    let mut f: Vec<(String, Vec<String>)> = out
        .findings
        .iter()
        .filter(|f| f.check_id.as_str() == "baseline.sudo-all-commands")
        .map(|f| (f.subject.clone(), f.evidence.clone()))
        .collect();
    f.sort();
    assert_eq!(
        f,
        vec![
            (
                "/etc/sudoers".to_string(),
                vec!["/etc/sudoers:4: %sudo ALL=(ALL:ALL) ALL (every command for group sudo: alice)".to_string()]
            ),
            (
                "/etc/sudoers.d/more.conf".to_string(),
                vec!["/etc/sudoers.d/more.conf:1: carol ALL = NOPASSWD: SETENV: EVERYTHING (every command for carol)".to_string()]
            ),
        ]
    );
}

#[test]
fn firewall_and_address_restrictions_are_recognised_in_each_form() {
    let cases: Vec<(&str, baseline_fixture::Break)> = vec![
        ("ufw", |r| {
            fs::remove_file(r.join("etc/systemd/system/sysinit.target.wants/nftables.service"))
                .unwrap();
            write(r, "etc/ufw/ufw.conf", "# ufw\nENABLED=yes\n", 0o644);
        }),
        ("iptables", |r| {
            fs::remove_file(r.join("etc/systemd/system/sysinit.target.wants/nftables.service"))
                .unwrap();
            write(
                r,
                "etc/iptables/rules.v4",
                "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n",
                0o644,
            );
            write(
                r,
                "lib/systemd/system/netfilter-persistent.service",
                "[Unit]\n",
                0o644,
            );
            baseline_fixture::enable(r, "multi-user.target", "netfilter-persistent.service");
            write(r, "etc/hosts.deny", "", 0o644);
        }),
        ("sshd ListenAddress", |r| {
            write(r, "etc/hosts.deny", "", 0o644);
            write(
                r,
                "etc/ssh/sshd_config.d/10-listen.conf",
                "ListenAddress 10.0.0.5:22\n",
                0o600,
            );
        }),
        ("nftables saddr", |r| {
            write(r, "etc/hosts.deny", "", 0o644);
            write(
                r,
                "etc/nftables.conf",
                "table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n  ip saddr 10.0.0.0/8 tcp dport 22 accept\n }\n}\n",
                0o644,
            );
        }),
    ];
    for (name, change) in cases {
        let root = good_root();
        change(root.path());
        let out = run(root.path());
        for id in ["baseline.host-firewall", "baseline.management-access"] {
            assert_eq!(
                outcome(&out, id),
                CheckOutcome::Passed,
                "{name}: {id} {:?}",
                out.findings
            );
        }
    }
    // A wildcard ListenAddress restricts nothing.
    let root = good_root();
    write(root.path(), "etc/hosts.deny", "", 0o644);
    write(
        root.path(),
        "etc/ssh/sshd_config.d/10-listen.conf",
        "ListenAddress [::]:22\nListenAddress 0.0.0.0\n",
        0o600,
    );
    assert!(matches!(
        outcome(&run(root.path()), "baseline.management-access"),
        CheckOutcome::Findings { count: 1 }
    ));
}

#[test]
fn log_forwarding_is_recognised_in_rsyslog_syslog_ng_and_journal_upload() {
    let cases: Vec<(&str, baseline_fixture::Break)> = vec![
        ("rsyslog action()", |r| {
            write(
                r,
                "etc/rsyslog.d/90-remote.conf",
                "action(\n  Type=\"omfwd\" Target=\"logs.example.org\"\n  Port=\"514\" Protocol=\"tcp\")\n",
                0o644,
            )
        }),
        ("syslog-ng", |r| {
            fs::remove_file(r.join("etc/rsyslog.d/90-remote.conf")).unwrap();
            write(
                r,
                "etc/syslog-ng/conf.d/remote.conf",
                "destination d_remote { network(\"10.0.0.9\" transport(\"tcp\") port(514)); };\nlog { source(s_src); destination(d_remote); };\n",
                0o644,
            )
        }),
        ("journal-upload", |r| {
            fs::remove_file(r.join("etc/rsyslog.d/90-remote.conf")).unwrap();
            write(
                r,
                "etc/systemd/journal-upload.conf",
                "[Upload]\nURL=https://logs.example.org:19532\n",
                0o644,
            );
            write(
                r,
                "lib/systemd/system/systemd-journal-upload.service",
                "[Unit]\n",
                0o644,
            );
            baseline_fixture::enable(r, "multi-user.target", "systemd-journal-upload.service");
        }),
    ];
    for (name, change) in cases {
        let root = good_root();
        change(root.path());
        let out = run(root.path());
        assert_eq!(
            outcome(&out, "baseline.remote-logging"),
            CheckOutcome::Passed,
            "{name}: {:?}",
            out.findings
        );
    }
    // A URL without the upload service enabled forwards nothing.
    let root = good_root();
    let r = root.path();
    fs::remove_file(r.join("etc/rsyslog.d/90-remote.conf")).unwrap();
    write(
        r,
        "etc/systemd/journal-upload.conf",
        "[Upload]\nURL=https://logs:19532\n",
        0o644,
    );
    let ev = evidence(&run(r), "baseline.remote-logging");
    assert!(ev.iter().any(|e| e.contains("not enabled")), "{ev:?}");
}
