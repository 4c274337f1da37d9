//! Host roots for the configuration-baseline tests: one on which every
//! baseline check passes, and for each check a change that breaks only it.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use tempfile::TempDir;

/// Write `text` to `root/rel` with `mode`, creating directories.
pub fn write(root: &Path, rel: &str, text: &str, mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

/// A symbolic link `root/rel` -> `target` (replacing what is there).
pub fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    let _ = fs::remove_file(&p);
    symlink(target, p).unwrap();
}

/// A root on which every baseline check passes.
pub fn good_root() -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    // Files are owned by whoever runs the test; name that user root here.
    let (uid, gid) = (nix::unistd::geteuid(), nix::unistd::getegid());
    write(
        r,
        "etc/login.defs",
        "# shadow settings\nPASS_MAX_DAYS\t90\nPASS_MIN_DAYS\t1\nPASS_WARN_AGE\t7\nUID_MIN 1000\n",
        0o644,
    );
    write(
        r,
        "etc/security/pwquality.conf",
        "# minlen = 8\nminlen = 12\nminclass = 3\n",
        0o644,
    );
    // Read before pwquality.conf, which overrides it (as libpwquality does).
    write(
        r,
        "etc/security/pwquality.conf.d/10-vendor.conf",
        "minlen = 4\nminclass = 1\n",
        0o644,
    );
    write(
        r,
        "etc/pam.d/common-password",
        "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword requisite pam_pwquality.so retry=3\n",
        0o644,
    );
    write(
        r,
        "etc/pam.d/common-auth",
        "auth required pam_faillock.so preauth silent deny=5 unlock_time=600\nauth [success=1 default=ignore] pam_unix.so nullok\n",
        0o644,
    );
    write(r, "etc/profile", "PATH=/usr/bin:/bin\nexport PATH\n", 0o644);
    write(
        r,
        "etc/profile.d/tmout.sh",
        "readonly TMOUT=600\nexport TMOUT\n",
        0o644,
    );
    super::sshd_fixture::harden(r);
    write(
        r,
        "etc/passwd",
        &format!(
            "root:x:{uid}:{gid}:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
        ),
        0o644,
    );
    write(
        r,
        "etc/shadow",
        "root:$6$salt$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nsync:*:19000:0:99999:7:::\nalice:$6$salt$hash:19000:1:90:7:::\n",
        0o640,
    );
    write(
        r,
        "etc/group",
        &format!("root:x:{gid}:\nshadow:x:42:\nalice:x:1000:\n"),
        0o644,
    );
    write(r, "etc/gshadow", "root:*::\nshadow:*::\nalice:!::\n", 0o640);
    write(
        r,
        "etc/sudoers",
        "Defaults env_reset\n# %admin ALL=(ALL) NOPASSWD: ALL\nroot ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n",
        0o440,
    );
    write(
        r,
        "etc/sudoers.d/ops",
        "alice ALL=(root) /usr/bin/systemctl restart nginx\n",
        0o440,
    );
    write(r, "proc/sys/kernel/randomize_va_space", "2\n", 0o644);
    write(r, "proc/sys/net/ipv4/ip_forward", "0\n", 0o644);
    write(r, "proc/sys/fs/suid_dumpable", "0\n", 0o644);
    for unit in [
        "auditd.service",
        "rsyslog.service",
        "chrony.service",
        "telnet.socket",
        "avahi-daemon.service",
    ] {
        write(
            r,
            &format!("lib/systemd/system/{unit}"),
            "[Unit]\n[Install]\n",
            0o644,
        );
    }
    for unit in ["auditd.service", "rsyslog.service", "chrony.service"] {
        link(
            r,
            &format!("etc/systemd/system/multi-user.target.wants/{unit}"),
            &format!("/lib/systemd/system/{unit}"),
        );
    }
    tmp
}

/// A change to a good root.
pub type Break = fn(&Path);

/// For each check: its id, the subject its finding names, and the change that breaks it.
pub fn breaks() -> Vec<(&'static str, &'static str, Break)> {
    let mut all: Vec<(&'static str, &'static str, Break)> = vec![
        (
            "baseline.pass-max-days",
            "/etc/login.defs:PASS_MAX_DAYS",
            |r| {
                write(
                    r,
                    "etc/login.defs",
                    "PASS_MIN_DAYS 1\nPASS_WARN_AGE 7\n",
                    0o644,
                )
            },
        ),
        (
            "baseline.pass-min-days",
            "/etc/login.defs:PASS_MIN_DAYS",
            |r| {
                write(
                    r,
                    "etc/login.defs",
                    "PASS_MAX_DAYS 90\nPASS_MIN_DAYS 0\n",
                    0o644,
                )
            },
        ),
        (
            "baseline.pass-warn-age",
            "/etc/login.defs:PASS_WARN_AGE",
            |r| {
                write(
                    r,
                    "etc/login.defs",
                    "PASS_MAX_DAYS 60\nPASS_MIN_DAYS 2\nPASS_WARN_AGE 3\n",
                    0o644,
                )
            },
        ),
        // The last setting wins, and pwquality.conf is read after conf.d.
        (
            "baseline.pwquality-minlen",
            "/etc/security/pwquality.conf:minlen",
            |r| {
                write(
                    r,
                    "etc/security/pwquality.conf",
                    "minlen=6\nminclass = 3\n",
                    0o644,
                );
                write(
                    r,
                    "etc/security/pwquality.conf.d/90-local.conf",
                    "minlen=14\n",
                    0o644,
                )
            },
        ),
        (
            "baseline.pwquality-minclass",
            "/etc/security/pwquality.conf:minclass",
            |r| write(r, "etc/security/pwquality.conf", "minlen = 12\n", 0o644),
        ),
        (
            "baseline.pam-pwquality",
            "/etc/pam.d/common-password",
            |r| {
                write(
                    r,
                    "etc/pam.d/common-password",
                    "password [success=1 default=ignore] pam_unix.so obscure\n# password requisite pam_pwquality.so\n",
                    0o644,
                )
            },
        ),
        ("baseline.login-lockout", "/etc/pam.d/common-auth", |r| {
            write(
                r,
                "etc/pam.d/common-auth",
                "auth required pam_faillock.so preauth deny=10\n",
                0o644,
            )
        }),
        ("baseline.shell-timeout", "/etc/profile", |r| {
            write(r, "etc/profile.d/tmout.sh", "export TMOUT=3600\n", 0o644)
        }),
        ("baseline.empty-password", "/etc/shadow:alice", |r| {
            write(
                r,
                "etc/shadow",
                "root:$6$salt$hash:19000::::::\nalice::19000:0:99999:7:::\n",
                0o640,
            )
        }),
        ("baseline.uid0-besides-root", "/etc/passwd:toor", |r| {
            let text = fs::read_to_string(r.join("etc/passwd")).unwrap();
            write(
                r,
                "etc/passwd",
                &format!("{text}toor:x:0:0::/root:/usr/sbin/nologin\n"),
                0o644,
            )
        }),
        ("baseline.duplicate-uid", "/etc/passwd:uid=1000", |r| {
            let text = fs::read_to_string(r.join("etc/passwd")).unwrap();
            write(
                r,
                "etc/passwd",
                &format!("{text}bob:x:1000:1000::/home/bob:/bin/bash\n"),
                0o644,
            )
        }),
        ("baseline.system-account-shell", "/etc/passwd:daemon", |r| {
            let text = fs::read_to_string(r.join("etc/passwd")).unwrap();
            write(
                r,
                "etc/passwd",
                &text.replace("/usr/sbin:/usr/sbin/nologin", "/usr/sbin:/bin/sh"),
                0o644,
            )
        }),
        ("baseline.sudo-nopasswd", "/etc/sudoers.d/ci", |r| {
            write(
                r,
                "etc/sudoers.d/ci",
                "deploy ALL=(ALL) NOPASSWD: ALL\n",
                0o440,
            )
        }),
        ("baseline.passwd-perms", "/etc/passwd", |r| {
            fs::set_permissions(r.join("etc/passwd"), fs::Permissions::from_mode(0o666)).unwrap()
        }),
        ("baseline.shadow-perms", "/etc/shadow", |r| {
            fs::set_permissions(r.join("etc/shadow"), fs::Permissions::from_mode(0o644)).unwrap()
        }),
        ("baseline.group-perms", "/etc/group", |r| {
            fs::set_permissions(r.join("etc/group"), fs::Permissions::from_mode(0o664)).unwrap()
        }),
        ("baseline.gshadow-perms", "/etc/gshadow", |r| {
            fs::set_permissions(r.join("etc/gshadow"), fs::Permissions::from_mode(0o644)).unwrap()
        }),
        ("baseline.sshd-config-perms", "/etc/ssh/sshd_config", |r| {
            fs::set_permissions(
                r.join("etc/ssh/sshd_config"),
                fs::Permissions::from_mode(0o644),
            )
            .unwrap()
        }),
        ("baseline.sysctl-aslr", "kernel.randomize_va_space", |r| {
            write(r, "proc/sys/kernel/randomize_va_space", "1\n", 0o644)
        }),
        ("baseline.sysctl-ip-forward", "net.ipv4.ip_forward", |r| {
            write(r, "proc/sys/net/ipv4/ip_forward", "1\n", 0o644)
        }),
        ("baseline.sysctl-suid-dumpable", "fs.suid_dumpable", |r| {
            write(r, "proc/sys/fs/suid_dumpable", "2\n", 0o644)
        }),
        ("baseline.auditd-enabled", "auditd.service", |r| {
            fs::remove_file(r.join("etc/systemd/system/multi-user.target.wants/auditd.service"))
                .unwrap()
        }),
        // Masked wins over an enable link.
        (
            "baseline.syslog-enabled",
            "rsyslog.service|syslog-ng.service",
            |r| link(r, "etc/systemd/system/rsyslog.service", "/dev/null"),
        ),
        (
            "baseline.time-sync-enabled",
            "chrony.service|chronyd.service|systemd-timesyncd.service|ntp.service|ntpd.service|ntpsec.service",
            |r| {
                fs::remove_file(r.join("etc/systemd/system/multi-user.target.wants/chrony.service"))
                    .unwrap()
            },
        ),
        ("baseline.cleartext-services", "telnet.socket", |r| {
            link(
                r,
                "etc/systemd/system/sockets.target.wants/telnet.socket",
                "/lib/systemd/system/telnet.socket",
            )
        }),
        ("baseline.unneeded-services", "avahi-daemon.service", |r| {
            link(
                r,
                "etc/systemd/system/multi-user.target.wants/avahi-daemon.service",
                "/lib/systemd/system/avahi-daemon.service",
            )
        }),
    ];
    all.extend(super::sshd_fixture::breaks());
    all
}
