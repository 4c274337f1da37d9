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

/// The audit time of the baseline tests (2026-11-26T10:00:00+08:00), in Unix seconds.
pub const NOW: i64 = 1_795_658_400;

/// One `struct lastlog` record (x86_64/aarch64 layout: i32 time, line[32], host[256]).
pub fn lastlog_record(time: i32, line: &str, host: &str) -> Vec<u8> {
    let mut r = vec![0u8; 292];
    r[..4].copy_from_slice(&time.to_le_bytes());
    r[4..4 + line.len()].copy_from_slice(line.as_bytes());
    r[36..36 + host.len()].copy_from_slice(host.as_bytes());
    r
}

/// A lastlog file holding `records` (UID, time) at offset UID × 292, zeros between.
pub fn lastlog_file(records: &[(u32, i32)]) -> Vec<u8> {
    let len = records
        .iter()
        .map(|(u, _)| (*u as usize + 1) * 292)
        .max()
        .unwrap_or(0);
    let mut bytes = vec![0u8; len];
    for (uid, t) in records {
        let at = *uid as usize * 292;
        bytes[at..at + 292].copy_from_slice(&lastlog_record(*t, "pts/0", "10.0.0.5"));
    }
    bytes
}

/// Write raw bytes to `root/rel` with `mode`, creating directories.
pub fn write_bytes(root: &Path, rel: &str, bytes: &[u8], mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, bytes).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

/// Enable `unit` (installed under lib/systemd/system) through `target`.wants.
pub fn enable(root: &Path, target: &str, unit: &str) {
    link(
        root,
        &format!("etc/systemd/system/{target}.wants/{unit}"),
        &format!("/lib/systemd/system/{unit}"),
    );
}

const AUDIT_RULES: &str = "\
## identity
-w /etc/passwd -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/group -p wa -k identity
-a always,exit -F arch=b64 -F path=/etc/gshadow -F perm=wa -k identity
-w /etc/sudoers -p wa -k identity
## privileged
-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged
-w /usr/bin/su -p x -k privileged
";

const LOGROTATE_RSYSLOG: &str = "\
/var/log/syslog
/var/log/auth.log
{
\trotate 26
\tweekly
\tmissingok
\tpostrotate
\t\trotate 1
\tendscript
}
";

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
        "auth required pam_faillock.so preauth silent deny=5 unlock_time=600\nauth [success=1 default=ignore] pam_unix.so nullok\nauth [default=die] pam_faillock.so authfail deny=5 unlock_time=600\n",
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
        &format!("root:x:{gid}:\nshadow:x:42:\nsudo:x:27:\nalice:x:1000:\n"),
        0o644,
    );
    write(r, "etc/gshadow", "root:*::\nshadow:*::\nalice:!::\n", 0o640);
    write(
        r,
        "etc/sudoers",
        "Defaults env_reset\n# %admin ALL=(ALL) NOPASSWD: ALL\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL # nobody is in sudo\n@includedir /etc/sudoers.d\n",
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
    harden_more(r);
    tmp
}

/// The parts of the good root the function checks and the later declarative
/// checks (audit, logs, network exposure, backup) read.
fn harden_more(r: &Path) {
    // alice (password usable) logged in 10 days ago; root is allowed to be idle.
    write_bytes(
        r,
        "var/log/lastlog",
        &lastlog_file(&[(1000, (NOW - 10 * 86_400) as i32)]),
        0o664,
    );
    // World-writable only with the sticky bit; links (0777) do not count.
    write(r, "usr/bin/tool", "#!/bin/sh\n", 0o755);
    link(r, "usr/bin/tool-link", "tool");
    fs::create_dir_all(r.join("usr/lib/shared")).unwrap();
    fs::set_permissions(r.join("usr/lib/shared"), fs::Permissions::from_mode(0o1777)).unwrap();
    write(
        r,
        "var/spool/cron/crontabs/alice",
        "# m h dom mon dow command\n",
        0o600,
    );
    write(
        r,
        "etc/selinux/config",
        "SELINUX=enforcing\nSELINUXTYPE=targeted\n",
        0o644,
    );
    // auditd
    write(r, "etc/audit/rules.d/50-baseline.rules", AUDIT_RULES, 0o640);
    write(r, "etc/audit/rules.d/99-finalize.rules", "-e 2\n", 0o640);
    write(
        r,
        "etc/audit/auditd.conf",
        "log_file = /var/log/audit/audit.log\nlog_format = ENRICHED\nmax_log_file_action = ROTATE\nnum_logs = 5\n",
        0o640,
    );
    write(
        r,
        "var/log/audit/audit.log",
        "type=DAEMON_START msg=audit(1795658000.000:1): op=start\n",
        0o600,
    );
    fs::set_permissions(r.join("var/log/audit"), fs::Permissions::from_mode(0o700)).unwrap();
    // logs: weekly × rotate 26 = 182 days; forwarded with rsyslog
    write(
        r,
        "etc/logrotate.conf",
        "weekly\nrotate 4\ninclude /etc/logrotate.d\n",
        0o644,
    );
    write(r, "etc/logrotate.d/rsyslog", LOGROTATE_RSYSLOG, 0o644);
    write(
        r,
        "etc/rsyslog.conf",
        "module(load=\"imuxsock\")\n*.*;auth,authpriv.none -/var/log/syslog\n$IncludeConfig /etc/rsyslog.d/*.conf\n",
        0o644,
    );
    write(
        r,
        "etc/rsyslog.d/90-remote.conf",
        "# forward everything\n*.* @@logs.example.org:514\n",
        0o644,
    );
    // network: nftables with a ruleset, sshd limited by TCP wrappers, safe shares
    write(
        r,
        "lib/systemd/system/nftables.service",
        "[Unit]\n[Install]\n",
        0o644,
    );
    enable(r, "sysinit.target", "nftables.service");
    write(
        r,
        "etc/nftables.conf",
        "#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tct state established,related accept\n\t\ttcp dport 443 accept\n\t}\n}\n",
        0o755,
    );
    write(r, "etc/hosts.allow", "sshd: 10.0.0.0/8\n", 0o644);
    write(r, "etc/hosts.deny", "ALL: ALL\n", 0o644);
    write(
        r,
        "etc/exports",
        "# /srv/nfs4 gss/krb5i(rw,sync,fsid=0)\n/srv/share 10.0.0.0/8(rw,sync,root_squash) \\\n    backup.example.org(ro)\n",
        0o644,
    );
    write(
        r,
        "etc/samba/smb.conf",
        "[global]\n   map to guest = never\n; guest ok = yes\n[share]\n   path = /srv/share\n   guest ok = no\n",
        0o644,
    );
    // CUPS installed but not enabled on a server
    for unit in ["cups.service", "cups.socket", "cups.path"] {
        write(
            r,
            &format!("lib/systemd/system/{unit}"),
            "[Unit]\n[Install]\n",
            0o644,
        );
    }
    write(r, "lib/systemd/system/multi-user.target", "[Unit]\n", 0o644);
    link(
        r,
        "etc/systemd/system/default.target",
        "/lib/systemd/system/multi-user.target",
    );
    write(
        r,
        "etc/security/limits.conf",
        "# <domain> <type> <item> <value>\n*\thard\tcore\t0\n",
        0o644,
    );
    // a backup job, and Debian's dpkg-db-backup which does not count
    write(
        r,
        "etc/crontab",
        "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n",
        0o644,
    );
    write(
        r,
        "etc/cron.daily/dpkg",
        "#!/bin/sh\n/usr/libexec/dpkg/dpkg-db-backup\n",
        0o755,
    );
    write(
        r,
        "etc/cron.d/nightly",
        "30 2 * * * root restic backup /srv --repo sftp:store:/restic\n",
        0o644,
    );
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
                "auth required pam_faillock.so preauth deny=10\nauth [default=die] pam_faillock.so authfail deny=10\n",
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
        // Not every command: only sudo-nopasswd breaks.
        ("baseline.sudo-nopasswd", "/etc/sudoers.d/ci", |r| {
            write(
                r,
                "etc/sudoers.d/ci",
                "deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart app\n",
                0o440,
            )
        }),
        ("baseline.passwd-perms", "/etc/passwd", |r| {
            // Group-writable: world-writable would also break baseline.world-writable.
            fs::set_permissions(r.join("etc/passwd"), fs::Permissions::from_mode(0o664)).unwrap()
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
    all.extend(more_breaks());
    all.extend(super::sshd_fixture::breaks());
    all
}

/// The breaks of the function checks and the later declarative checks.
fn more_breaks() -> Vec<(&'static str, &'static str, Break)> {
    vec![
        ("baseline.unused-accounts", "/etc/passwd:alice", |r| {
            write_bytes(
                r,
                "var/log/lastlog",
                &lastlog_file(&[(1000, (NOW - 200 * 86_400) as i32)]),
                0o664,
            )
        }),
        // Users of a User_Alias, in a file of the @includedir, the rule continued over two lines.
        ("baseline.sudo-all-commands", "/etc/sudoers.d/admins", |r| {
            write(
                r,
                "etc/sudoers.d/admins",
                "User_Alias ADMINS = bob, carol\nADMINS ALL = (ALL:ALL) \\\n    ALL\n",
                0o440,
            )
        }),
        ("baseline.world-writable", "/etc", |r| {
            fs::set_permissions(r.join("etc/profile"), fs::Permissions::from_mode(0o666)).unwrap()
        }),
        ("baseline.mac-enforcing", "mandatory access control", |r| {
            write(r, "etc/selinux/config", "SELINUX=permissive\n", 0o644)
        }),
        ("baseline.audit-rules", "/etc/audit/rules.d", |r| {
            write(
                r,
                "etc/audit/rules.d/50-baseline.rules",
                &AUDIT_RULES.replace("-F path=/etc/gshadow", "-F path=/etc/gshadow-"),
                0o640,
            )
        }),
        ("baseline.audit-immutable", "/etc/audit/rules.d", |r| {
            write(
                r,
                "etc/audit/rules.d/99-finalize.rules",
                "-e 2\n-e 1\n",
                0o640,
            )
        }),
        (
            "baseline.audit-log-perms",
            "/var/log/audit/audit.log",
            |r| {
                fs::set_permissions(
                    r.join("var/log/audit/audit.log"),
                    fs::Permissions::from_mode(0o644),
                )
                .unwrap()
            },
        ),
        ("baseline.audit-log-dir-perms", "/var/log/audit", |r| {
            fs::set_permissions(r.join("var/log/audit"), fs::Permissions::from_mode(0o755)).unwrap()
        }),
        (
            "baseline.auditd-log-format",
            "/etc/audit/auditd.conf:log_format",
            |r| write(r, "etc/audit/auditd.conf", "log_format = NOLOG\n", 0o640),
        ),
        ("baseline.log-retention", "log retention", |r| {
            write(
                r,
                "etc/logrotate.d/rsyslog",
                &LOGROTATE_RSYSLOG.replace("rotate 26", "rotate 4"),
                0o644,
            )
        }),
        ("baseline.remote-logging", "/etc/rsyslog.conf", |r| {
            write(
                r,
                "etc/rsyslog.d/90-remote.conf",
                "# *.* @@logs.example.org:514\n",
                0o644,
            )
        }),
        ("baseline.host-firewall", "host firewall", |r| {
            fs::remove_file(r.join("etc/systemd/system/sysinit.target.wants/nftables.service"))
                .unwrap()
        }),
        ("baseline.management-access", "/etc/ssh/sshd_config", |r| {
            write(r, "etc/hosts.deny", "# ALL: ALL\n", 0o644)
        }),
        ("baseline.nfs-exports", "/etc/exports:/srv/pub", |r| {
            let text = fs::read_to_string(r.join("etc/exports")).unwrap();
            write(
                r,
                "etc/exports",
                &format!("{text}/srv/pub *(ro,insecure)\n"),
                0o644,
            )
        }),
        ("baseline.samba-guest", "/etc/samba/smb.conf", |r| {
            write(
                r,
                "etc/samba/smb.conf",
                "[share]\n   path = /srv/share\n   Guest OK = yes\n",
                0o644,
            )
        }),
        (
            "baseline.print-service",
            "cups.service|cups.socket|cups.path",
            |r| enable(r, "sockets.target", "cups.socket"),
        ),
        ("baseline.core-dumps", "/etc/security/limits.conf", |r| {
            write(
                r,
                "etc/security/limits.conf",
                "#*\thard\tcore\t0\n*\tsoft\tcore\t0\n",
                0o644,
            )
        }),
        ("baseline.backup-job", "backup job", |r| {
            fs::remove_file(r.join("etc/cron.d/nightly")).unwrap()
        }),
    ]
}
