"""Deterministic fixture host roots for scripts/golden-compare.

Every root is written from the constants below; file modes and modification
times are fixed, so two calls give byte-identical trees (only inode numbers
and ctimes differ, and the normaliser knows those).

  deb12-web-01  Debian 12: dpkg status + apt lists (security and ordinary
                updates, a half-installed package, a pending reboot), a
                configuration baseline with several broken controls, sshd,
                listeners incl. telnet (23), SNMP, MySQL, VNC; an OSV feed
  oe-db-01      openEuler 22.03 LTS server without an rpm database (the patch
                checks cannot run), a weak baseline, FTP/rpcbind/Redis
  kylin-app-01  tests/fixtures/hosts/kylin-v10 from the repository, copied

month_change(root, name) applies the changes between the October and the
November audit (a listener closed, a configuration file changed, ...).
"""

import hashlib
import os
import shutil
import stat

# Every file and directory gets this mtime (2026-10-01T00:00:00Z).
FIXED_MTIME = 1790812800


def ts(y, mo, d, h=10):
    import calendar
    return calendar.timegm((y, mo, d, h, 0, 0))


# Files written since the last reset (november() gives only these a new mtime).
TOUCHED = []


def write(root, rel, text, mode=0o644):
    p = os.path.join(root, rel)
    TOUCHED.append(p)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    data = text if isinstance(text, bytes) else text.encode()
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, mode)


def link(root, rel, target):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.lexists(p):
        os.remove(p)
    os.symlink(target, p)


def enable(root, target, unit, unit_dir="lib/systemd/system"):
    link(root, f"etc/systemd/system/{target}.wants/{unit}", f"/{unit_dir}/{unit}")


def fix_times(root, mtime=FIXED_MTIME):
    """Fixed mtimes for the whole tree (symlinks themselves included)."""
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for n in filenames + dirnames:
            p = os.path.join(dirpath, n)
            try:
                os.utime(p, (mtime, mtime), follow_symlinks=False)
            except (NotImplementedError, OSError):
                if not os.path.islink(p):
                    raise
    os.utime(root, (mtime, mtime))


def lastlog(records):
    """struct lastlog (x86_64: i32 time, line[32], host[256]) at UID x 292."""
    size = max((uid + 1) * 292 for uid, _ in records) if records else 0
    b = bytearray(size)
    for uid, t in records:
        at = uid * 292
        b[at:at + 4] = int(t).to_bytes(4, "little", signed=True)
        b[at + 4:at + 9] = b"pts/0"
        b[at + 36:at + 44] = b"10.0.0.5"
    return bytes(b)


def hex_ip(ip):
    return "".join(f"{int(x):02X}" for x in reversed(ip.split(".")))


def proc_net(rows, udp=False, v6=False):
    """rows: (addr, port, state_hex, uid, inode)."""
    if v6:
        head = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    elif udp:
        head = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n"
    else:
        head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
    out = [head]
    for i, (addr, port, st, uid, inode, *rem) in enumerate(rows):
        if v6:
            local = ("0" * 32 if addr == "::" else addr) + f":{port:04X}"
            remote = "0" * 32 + ":0000"
        else:
            local = f"{hex_ip(addr)}:{port:04X}"
            remote = rem[0] if rem else "00000000:0000"
        out.append(f"   {i}: {local} {remote} {st} 00000000:00000000 00:00000000 00000000 {uid:>5}        0 {inode} 1 0000000000000000 100 0 0 10 0\n")
    return "".join(out)


def fib_trie(ip):
    net = ".".join(ip.split(".")[:3]) + ".0/24"
    return ("Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n"
            f"Local:\n  +-- 0.0.0.0/0 3 0 5\n     +-- {net} 2 0 2\n        |-- {ip}\n           /32 host LOCAL\n"
            "     +-- 127.0.0.0/8 2 0 2\n        |-- 127.0.0.1\n           /32 host LOCAL\n")


def process(root, pid, comm, fds, cgroup=None):
    write(root, f"proc/{pid}/comm", comm + "\n")
    for fd, inode in fds.items():
        link(root, f"proc/{pid}/fd/{fd}", f"socket:[{inode}]")
    if cgroup:
        write(root, f"proc/{pid}/cgroup", f"0::/system.slice/{cgroup}\n")


def identity(root, os_release, hostname, kernel):
    write(root, "etc/os-release", os_release)
    write(root, "etc/hostname", hostname + "\n")
    write(root, "etc/machine-id", hashlib.md5(hostname.encode()).hexdigest() + "\n", 0o444)
    write(root, "proc/sys/kernel/arch", "x86_64\n")
    write(root, "proc/sys/kernel/osrelease", kernel + "\n")


# ----------------------------------------------------------------------------
# Debian 12
# ----------------------------------------------------------------------------

DPKG_STATUS = """\
Package: dpkg
Status: install ok installed
Architecture: amd64
Version: 1.21.22

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1

Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1

Package: openssh-server
Status: install ok installed
Architecture: amd64
Source: openssh
Version: 1:9.2p1-2+deb12u2

Package: halfway
Status: install reinstreq half-installed
Architecture: amd64
Version: 1.0
"""


def deb_package(name, arch, version, source=None):
    src = f"Source: {source}\n" if source else ""
    return f"Package: {name}\n{src}Version: {version}\nArchitecture: {arch}\nFilename: pool/{name}.deb\n\n"


RELEASE = "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nDate: {date}\nArchitectures: amd64\nComponents: main\n"
SEC_RELEASE = "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nCodename: bookworm-security\nDate: {date}\nArchitectures: amd64\nComponents: main\n"

SSHD_CONFIG = """\
# global settings
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin yes
PasswordAuthentication no
PermitEmptyPasswords no
LoginGraceTime 1m
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com

Match User backup
    MaxAuthTries 2
    ForceCommand /usr/local/bin/backup
"""

AUDIT_RULES = """\
## identity
-w /etc/passwd -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/group -p wa -k identity
-a always,exit -F arch=b64 -F path=/etc/gshadow -F perm=wa -k identity
-w /etc/sudoers -p wa -k identity
## privileged
-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged
-w /usr/bin/su -p x -k privileged
"""

OSV = {
    "DSA-5999-1.json": """{"schema_version":"1.6.0","id":"DSA-5999-1","modified":"2026-10-20T00:00:00Z","published":"2026-10-19T00:00:00Z",
"aliases":["CVE-2026-0001"],"summary":"openssl - security update",
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.15-1~deb12u1"}]}]}]}""",
    "DSA-5000-1.json": """{"schema_version":"1.6.0","id":"DSA-5000-1","modified":"2026-01-01T00:00:00Z",
"affected":[{"package":{"ecosystem":"Debian:12","name":"curl"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.88.1-10+deb12u1"}]}]}]}""",
    "DSA-6010-1.json": """{"schema_version":"1.6.0","id":"DSA-6010-1","modified":"2026-10-22T00:00:00Z","published":"2026-10-22T00:00:00Z",
"aliases":["CVE-2026-1234"],"summary":"curl - security update",
"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"}],
"affected":[{"package":{"ecosystem":"Debian:12","name":"curl"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.88.1-10+deb12u8"}]}]}]}""",
}


def write_osv(dest):
    os.makedirs(dest, exist_ok=True)
    for name, text in OSV.items():
        write(dest, name, text)
    fix_times(dest)


def passwd_files(r, uid, gid, extra_passwd="", extra_shadow=""):
    write(r, "etc/passwd",
          f"root:x:{uid}:{gid}:root:/root:/bin/bash\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "sync:x:4:65534:sync:/bin:/bin/sync\n"
          "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n" + extra_passwd)
    write(r, "etc/shadow",
          "root:$6$salt$hash:20300:0:99999:7:::\n"
          "daemon:*:19000:0:99999:7:::\n"
          "sync:*:19000:0:99999:7:::\n"
          "alice:$6$salt$hash:20300:1:90:7:::\n" + extra_shadow, 0o640)
    write(r, "etc/group", f"root:x:{gid}:\nshadow:x:42:\nsudo:x:27:\nalice:x:1000:\n")
    write(r, "etc/gshadow", "root:*::\nshadow:*::\nalice:!::\n", 0o640)


def debian(r):
    uid, gid = os.geteuid(), os.getegid()
    identity(r, 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
             'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
             "deb12-web-01", "6.1.0-26-amd64")
    write(r, "proc/net/fib_trie", fib_trie("10.1.2.3"))
    write(r, "proc/net/tcp", proc_net([
        ("0.0.0.0", 22, "0A", 0, 41001),
        ("0.0.0.0", 23, "0A", 0, 41002),
        ("0.0.0.0", 3306, "0A", 106, 41003),
        ("127.0.0.1", 6379, "0A", 107, 41004),
        ("0.0.0.0", 443, "0A", 33, 41005),
        ("10.1.2.3", 22, "01", 0, 41006, "0A010264:D431"),
    ]))
    write(r, "proc/net/tcp6", proc_net([("::", 5900, "0A", 1000, 41007)], v6=True))
    write(r, "proc/net/udp", proc_net([
        ("0.0.0.0", 161, "07", 0, 41008),
        ("127.0.0.1", 323, "07", 0, 41009),
    ], udp=True))
    process(r, 650, "sshd", {3: 41001}, "ssh.service")
    process(r, 700, "inetd", {3: 41002, 4: 41008}, "inetutils-inetd.service")
    process(r, 800, "mysqld", {12: 41003}, "mariadb.service")
    process(r, 810, "redis-server", {6: 41004}, "redis-server.service")
    process(r, 820, "nginx", {8: 41005}, "nginx.service")
    process(r, 830, "auditd", {}, "auditd.service")
    process(r, 840, "rsyslogd", {}, "rsyslog.service")
    process(r, 850, "chronyd", {5: 41009}, "chrony.service")

    # packages
    write(r, "var/lib/dpkg/status", DPKG_STATUS)
    write(r, "etc/apt/sources.list",
          "deb http://mirror.invalid/debian bookworm main\n"
          "deb http://mirror.invalid/debian-security bookworm-security main\n")
    lists = "var/lib/apt/lists/mirror.invalid_"
    write(r, lists + "debian_dists_bookworm_Release", RELEASE.format(date="Sat, 17 Oct 2026 10:00:00 UTC"))
    write(r, lists + "debian_dists_bookworm_main_binary-amd64_Packages", "".join([
        deb_package("dpkg", "amd64", "1.21.22"),
        deb_package("libssl3", "amd64", "3.0.11-1~deb12u1", "openssl"),
        deb_package("curl", "amd64", "7.88.1-10+deb12u5"),
        deb_package("tzdata", "all", "2025b-0+deb12u1"),
        deb_package("openssh-server", "amd64", "1:9.2p1-2+deb12u2", "openssh"),
    ]))
    write(r, lists + "debian-security_dists_bookworm-security_Release",
          SEC_RELEASE.format(date="Tue, 20 Oct 2026 10:00:00 UTC"))
    write(r, lists + "debian-security_dists_bookworm-security_main_binary-amd64_Packages",
          deb_package("libssl3", "amd64", "3.0.15-1~deb12u1", "openssl (3.0.15-1~deb12u1)"))
    write(r, "run/reboot-required", "*** System restart required ***\n")
    write(r, "run/reboot-required.pkgs", "libc6\n")
    write(r, "var/log/dpkg.log",
          "2026-08-01 10:00:00 upgrade curl:amd64 7.88.1-10+deb12u4 7.88.1-10+deb12u5\n")

    # configuration baseline: mostly hardened, some controls broken
    write(r, "etc/login.defs", "# shadow settings\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nUID_MIN 1000\n")
    write(r, "etc/security/pwquality.conf", "minlen = 12\nminclass = 3\n")
    write(r, "etc/pam.d/common-password",
          "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword requisite pam_pwquality.so retry=3\n")
    write(r, "etc/pam.d/common-auth",
          "auth required pam_faillock.so preauth silent deny=5 unlock_time=600\n"
          "auth [success=1 default=ignore] pam_unix.so nullok\n"
          "auth [default=die] pam_faillock.so authfail deny=5 unlock_time=600\n")
    write(r, "etc/profile", "PATH=/usr/bin:/bin\nexport PATH\n")
    write(r, "etc/profile.d/tmout.sh", "export TMOUT=3600\n")
    write(r, "etc/ssh/sshd_config", SSHD_CONFIG, 0o600)
    write(r, "etc/ssh/sshd_config.d/50-local.conf", "MaxAuthTries 3\nClientAliveInterval 300\n", 0o600)
    passwd_files(r, uid, gid,
                 extra_passwd="bob:x:1001:1001:Bob:/home/bob:/bin/bash\n",
                 extra_shadow="bob:$6$salt$hash:20000:0:99999:7:::\n")
    write(r, "etc/sudoers",
          "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", 0o440)
    write(r, "etc/sudoers.d/ops", "alice ALL=(root) NOPASSWD: /usr/bin/systemctl restart nginx\n", 0o440)
    write(r, "proc/sys/kernel/randomize_va_space", "2\n")
    write(r, "proc/sys/net/ipv4/ip_forward", "1\n")
    write(r, "proc/sys/fs/suid_dumpable", "0\n")
    units = ["auditd.service", "rsyslog.service", "chrony.service", "telnet.socket",
             "avahi-daemon.service", "ssh.service", "nginx.service", "mariadb.service",
             "nftables.service", "cups.service", "cups.socket", "cups.path",
             "inetutils-inetd.service"]
    for u in units:
        write(r, f"lib/systemd/system/{u}", f"[Unit]\nDescription={u}\n[Service]\nExecStart=/usr/sbin/{u.split('.')[0]}\n[Install]\nWantedBy=multi-user.target\n")
    for u in ["auditd.service", "rsyslog.service", "chrony.service", "ssh.service",
              "nginx.service", "mariadb.service", "inetutils-inetd.service"]:
        enable(r, "multi-user.target", u)
    enable(r, "sockets.target", "telnet.socket")
    enable(r, "sysinit.target", "nftables.service")
    write(r, "lib/systemd/system/multi-user.target", "[Unit]\n")
    link(r, "etc/systemd/system/default.target", "/lib/systemd/system/multi-user.target")
    write(r, "var/log/lastlog", lastlog([(1000, ts(2026, 10, 20)), (1001, ts(2026, 3, 1))]), 0o664)
    write(r, "usr/bin/tool", "#!/bin/sh\necho tool\n", 0o755)
    write(r, "usr/sbin/backup-agent", "#!/bin/sh\n", 0o4755)
    write(r, "var/spool/cron/crontabs/alice", "# m h dom mon dow command\n", 0o600)
    write(r, "etc/selinux/config", "SELINUX=permissive\nSELINUXTYPE=targeted\n")
    write(r, "etc/audit/rules.d/50-baseline.rules", AUDIT_RULES, 0o640)
    write(r, "etc/audit/rules.d/99-finalize.rules", "-e 2\n", 0o640)
    write(r, "etc/audit/auditd.conf",
          "log_file = /var/log/audit/audit.log\nlog_format = ENRICHED\nmax_log_file_action = ROTATE\nnum_logs = 5\n", 0o640)
    write(r, "var/log/audit/audit.log", "type=DAEMON_START msg=audit(1790000000.000:1): op=start\n", 0o600)
    os.chmod(os.path.join(r, "var/log/audit"), 0o700)
    write(r, "etc/logrotate.conf", "weekly\nrotate 4\ninclude /etc/logrotate.d\n")
    write(r, "etc/logrotate.d/rsyslog", "/var/log/syslog\n/var/log/auth.log\n{\n\trotate 26\n\tweekly\n\tmissingok\n}\n")
    write(r, "etc/rsyslog.conf",
          'module(load="imuxsock")\n*.*;auth,authpriv.none -/var/log/syslog\n$IncludeConfig /etc/rsyslog.d/*.conf\n')
    write(r, "etc/nftables.conf",
          "#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\ttcp dport 443 accept\n\t}\n}\n", 0o755)
    write(r, "etc/hosts.allow", "sshd: 10.0.0.0/8\n")
    write(r, "etc/hosts.deny", "ALL: ALL\n")
    write(r, "etc/exports", "/srv/share 10.0.0.0/8(rw,sync,root_squash)\n/srv/pub *(ro,insecure)\n")
    write(r, "etc/samba/smb.conf", "[global]\n   map to guest = never\n[share]\n   path = /srv/share\n   guest ok = no\n")
    write(r, "etc/security/limits.conf", "*\thard\tcore\t0\n")
    write(r, "etc/crontab", "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n")
    write(r, "etc/cron.d/nightly", "30 2 * * * root restic backup /srv --repo sftp:store:/restic\n")
    write(r, "etc/motd", "Authorised use only.\n")
    write(r, "etc/nginx/nginx.conf", "worker_processes auto;\n")


def debian_november(r):
    """Between the October and the November audit of deb12-web-01."""
    # telnet closed (its finding is fixed), a file changed (file integrity),
    # a new security update for curl, the package lists are three weeks older.
    tcp = open(os.path.join(r, "proc/net/tcp")).read().splitlines(keepends=True)
    write(r, "proc/net/tcp", "".join(l for l in tcp if ":0017 " not in l))
    write(r, "etc/nginx/nginx.conf", "worker_processes auto;\nuser www-data;\n")
    write(r, "usr/bin/tool", "#!/bin/sh\necho tool v2\n", 0o4755)
    lists = "var/lib/apt/lists/mirror.invalid_"
    write(r, lists + "debian-security_dists_bookworm-security_main_binary-amd64_Packages",
          deb_package("libssl3", "amd64", "3.0.15-1~deb12u1", "openssl (3.0.15-1~deb12u1)")
          + deb_package("curl", "amd64", "7.88.1-10+deb12u8"))
    write(r, "proc/sys/net/ipv4/ip_forward", "0\n")


# ----------------------------------------------------------------------------
# openEuler 22.03 LTS (no rpm database)
# ----------------------------------------------------------------------------

def openeuler(r):
    uid, gid = os.geteuid(), os.getegid()
    identity(r, 'NAME="openEuler"\nVERSION="22.03 (LTS-SP3)"\nID="openEuler"\nVERSION_ID="22.03"\n'
             'PRETTY_NAME="openEuler 22.03 (LTS-SP3)"\nANSI_COLOR="0;31"\n',
             "oe-db-01", "5.10.0-182.0.0.95.oe2203sp3.x86_64")
    write(r, "proc/net/fib_trie", fib_trie("10.2.0.5"))
    write(r, "proc/net/tcp", proc_net([
        ("0.0.0.0", 21, "0A", 0, 52001),
        ("0.0.0.0", 22, "0A", 0, 52002),
        ("0.0.0.0", 111, "0A", 0, 52003),
        ("10.2.0.5", 5432, "0A", 26, 52004),
        ("127.0.0.1", 25, "0A", 0, 52005),
    ]))
    write(r, "proc/net/tcp6", proc_net([("::", 6379, "0A", 995, 52006)], v6=True))
    write(r, "proc/net/udp", proc_net([("0.0.0.0", 69, "07", 0, 52007)], udp=True))
    process(r, 501, "vsftpd", {3: 52001}, "vsftpd.service")
    process(r, 502, "sshd", {3: 52002}, "sshd.service")
    process(r, 503, "rpcbind", {4: 52003}, "rpcbind.service")
    process(r, 504, "postgres", {5: 52004}, "postgresql.service")
    process(r, 505, "in.tftpd", {0: 52007}, "tftp.service")
    write(r, "etc/login.defs", "PASS_MAX_DAYS\t90\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\n")
    write(r, "etc/pam.d/system-auth",
          "auth required pam_env.so\nauth sufficient pam_unix.so nullok try_first_pass\n"
          "password requisite pam_pwquality.so try_first_pass local_users_only retry=3\n"
          "password sufficient pam_unix.so sha512 shadow nullok try_first_pass use_authtok\n")
    write(r, "etc/pam.d/password-auth", "auth sufficient pam_unix.so nullok\n")
    write(r, "etc/security/pwquality.conf", "minlen = 8\n")
    write(r, "etc/ssh/sshd_config", "PermitRootLogin yes\nPasswordAuthentication yes\nX11Forwarding yes\n", 0o644)
    passwd_files(r, uid, gid,
                 extra_passwd="toor:x:0:0::/root:/bin/bash\npostgres:x:26:26::/var/lib/pgsql:/bin/bash\n",
                 extra_shadow="toor::20000:0:99999:7:::\npostgres:!!:20000::::::\n")
    write(r, "etc/sudoers", "root ALL=(ALL) ALL\n%wheel ALL=(ALL) NOPASSWD: ALL\n", 0o440)
    write(r, "proc/sys/kernel/randomize_va_space", "2\n")
    write(r, "proc/sys/net/ipv4/ip_forward", "0\n")
    write(r, "proc/sys/fs/suid_dumpable", "1\n")
    d = "usr/lib/systemd/system"
    for u in ["sshd.service", "vsftpd.service", "rpcbind.service", "postgresql.service",
              "tftp.socket", "firewalld.service", "rsyslog.service", "chronyd.service"]:
        write(r, f"{d}/{u}", f"[Unit]\nDescription={u}\n[Service]\nExecStart=/usr/sbin/{u.split('.')[0]}\n[Install]\nWantedBy=multi-user.target\n")
    for u in ["sshd.service", "vsftpd.service", "rpcbind.service", "postgresql.service", "rsyslog.service"]:
        enable(r, "multi-user.target", u, d)
    enable(r, "sockets.target", "tftp.socket", d)
    write(r, "etc/rsyslog.conf", "*.info;mail.none;authpriv.none;cron.none /var/log/messages\n")
    write(r, "etc/logrotate.conf", "weekly\nrotate 4\n")
    write(r, "etc/exports", "/srv/nfs *(rw,no_root_squash)\n")
    write(r, "etc/selinux/config", "SELINUX=disabled\n")
    write(r, "etc/crontab", "SHELL=/bin/bash\n")


def openeuler_november(r):
    # FTP turned off, permissions of sshd_config fixed.
    tcp = open(os.path.join(r, "proc/net/tcp")).read().splitlines(keepends=True)
    write(r, "proc/net/tcp", "".join(l for l in tcp if ":0015 " not in l))
    os.chmod(os.path.join(r, "etc/ssh/sshd_config"), 0o600)


# ----------------------------------------------------------------------------

def kylin(r, repo):
    src = os.path.join(repo, "tests/fixtures/hosts/kylin-v10")
    shutil.copytree(src, r, symlinks=True)


def kylin_november(r):
    # Redis now only on loopback: its finding is fixed.
    write(r, "proc/net/tcp6", proc_net([("00000000000000000000000001000000", 6379, "0A", 999, 31006)], v6=True))


HOSTS = ["deb12-web-01", "oe-db-01", "kylin-app-01"]


def build(dest, repo):
    """Write every root below dest/NAME; returns {name: path}."""
    os.makedirs(dest, exist_ok=True)
    out = {}
    for name, fn in [("deb12-web-01", debian), ("oe-db-01", openeuler), ("kylin-app-01", None)]:
        p = os.path.join(dest, name)
        if fn is None:
            kylin(p, repo)
        else:
            os.makedirs(p)
            fn(p)
        fix_times(p)
        out[name] = p
    return out


def november(roots):
    """The changes between the two audits; only the changed files get a new mtime."""
    TOUCHED.clear()
    debian_november(roots["deb12-web-01"])
    openeuler_november(roots["oe-db-01"])
    kylin_november(roots["kylin-app-01"])
    t = FIXED_MTIME + 40 * 86400
    for p in TOUCHED:
        os.utime(p, (t, t))


def agent_key_pem(name):
    """A fixed Ed25519 PKCS#8 v1 key per host (seed = sha256 of the name)."""
    import base64
    seed = hashlib.sha256(("selfcheck-golden:" + name).encode()).digest()
    der = bytes.fromhex("302e020100300506032b657004220420") + seed
    b64 = base64.b64encode(der).decode()
    return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n"


def write_key(path, name):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(agent_key_pem(name))
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


if __name__ == "__main__":
    import sys
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    print(build(sys.argv[1], repo))
