//! The listening-ports audit on hand-made host roots: socket tables in the
//! kernel's own line format, `/proc/PID/fd` links and `comm` files, and the port
//! policy of the catalog judged over them.
//!
//! The line templates are copies of lines of a real `/proc/net/{tcp,tcp6,udp,udp6}`
//! (Linux 6.18, x86_64); addresses are written the way the kernel of the
//! machine running the test writes them (32-bit words in host byte order).

use chrono::{DateTime, FixedOffset};
use selfcheck_agent::areas::ports::{PortsError, audit, collect_listening_sockets};
use selfcheck_agent::audit::AuditOutput;
use selfcheck_agent::config::{AgentConfig, PortsConfig};
use selfcheck_catalog::{Catalog, CatalogSource};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{
    CheckId, CheckOutcome, Fingerprint, ListeningSocket, Severity, SocketProcess, SocketState,
    TransportProtocol,
};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use tempfile::TempDir;

const TCP_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const TCP6_HEADER: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const UDP_HEADER: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops";
const UDP6_HEADER: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops";

const LISTEN: u8 = 0x0A;
const ESTABLISHED: u8 = 0x01;
const TIME_WAIT: u8 = 0x06;
const CLOSE: u8 = 0x07;

/// How the kernel of this machine dumps an address: 32-bit words in host order.
fn hex_address(addr: IpAddr) -> String {
    let octets = match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    octets
        .chunks_exact(4)
        .map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]])))
        .collect()
}

fn endpoint(addr: &SocketAddr) -> String {
    format!("{}:{:04X}", hex_address(addr.ip()), addr.port())
}

/// One socket-table line in the kernel's format for `table` (`tcp`, `tcp6`, `udp`, `udp6`).
fn line(table: &str, sl: usize, local: &str, remote: &str, st: u8, uid: u32, inode: u64) -> String {
    let (local, remote): (SocketAddr, SocketAddr) =
        (local.parse().unwrap(), remote.parse().unwrap());
    let (l, r) = (endpoint(&local), endpoint(&remote));
    match (table, st) {
        // Template: "   0: 00000000:07E8 00000000:0000 06 00000000:00000000 03:00000D9A 00000000     0        0 0 3 0000000000000000"
        ("tcp" | "tcp6", TIME_WAIT) => {
            format!(
                "{sl:4}: {l} {r} 06 00000000:00000000 03:00000D9A 00000000     0        0 0 3 0000000000000000"
            )
        }
        // Template: "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1 000000002bb14ef0 100 0 0 10 0"
        ("tcp" | "tcp6", _) => format!(
            "{sl:4}: {l} {r} {st:02X} 00000000:00000000 00:00000000 00000000 {uid:5}        0 {inode} 1 000000002bb14ef0 100 0 0 10 0"
        ),
        // Template: " 2047: 0100007F:A47D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 7604 2 00000000a1f2e790 0"
        _ => format!(
            "{sl:5}: {l} {r} {st:02X} 00000000:00000000 00:00000000 00000000 {uid:5}        0 {inode} 2 00000000a1f2e790 0"
        ),
    }
}

/// A host root in a temporary directory.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/net")).unwrap();
        Fixture { dir }
    }

    /// Write `proc/net/NAME` with the kernel's header and these lines. The
    /// kernel pads `tcp` lines to 149 and `udp` lines to 127 characters.
    fn table(&self, name: &str, lines: &[String]) -> &Fixture {
        let (header, width) = match name {
            "tcp" => (TCP_HEADER, 149),
            "tcp6" => (TCP6_HEADER, 0),
            "udp" => (UDP_HEADER, 127),
            _ => (UDP6_HEADER, 0),
        };
        let mut text = String::new();
        for l in std::iter::once(header).chain(lines.iter().map(String::as_str)) {
            text.push_str(&format!("{l:width$}\n"));
        }
        self.raw(name, &text)
    }

    fn raw(&self, name: &str, text: &str) -> &Fixture {
        std::fs::write(self.dir.path().join("proc/net").join(name), text).unwrap();
        self
    }

    /// `proc/PID/comm` and `proc/PID/fd/N` links to these targets.
    fn process(&self, pid: u32, comm: Option<&str>, fds: &[(u32, &str)]) -> &Fixture {
        let dir = self.dir.path().join(format!("proc/{pid}"));
        std::fs::create_dir_all(dir.join("fd")).unwrap();
        if let Some(c) = comm {
            std::fs::write(dir.join("comm"), format!("{c}\n")).unwrap();
        }
        for (fd, target) in fds {
            std::os::unix::fs::symlink(target, dir.join(format!("fd/{fd}"))).unwrap();
        }
        self
    }

    fn root(&self) -> HostRoot {
        HostRoot::at(self.dir.path()).unwrap()
    }
}

fn sock(
    protocol: TransportProtocol,
    address: &str,
    port: u16,
    uid: u32,
    inode: u64,
    processes: &[(u32, &str, u32)],
) -> ListeningSocket {
    ListeningSocket {
        protocol,
        address: address.parse().unwrap(),
        port,
        state: match protocol {
            TransportProtocol::Tcp => SocketState::Listen,
            TransportProtocol::Udp => SocketState::Unconn,
        },
        uid,
        inode,
        processes: processes
            .iter()
            .map(|&(pid, name, fd)| SocketProcess {
                pid,
                name: name.to_string(),
                fd,
            })
            .collect(),
    }
}

use TransportProtocol::{Tcp, Udp};

/// The small host's socket tables: (table, local, remote, state, uid, inode).
#[rustfmt::skip]
const SMALL_HOST_LINES: &[(&str, &str, &str, u8, u32, u64)] = &[
    ("tcp",  "0.0.0.0:23",              "0.0.0.0:0",      LISTEN,      0,    1001),
    ("tcp",  "127.0.0.1:3306",          "0.0.0.0:0",      LISTEN,      110,  1002),
    ("tcp",  "10.1.2.3:22",             "10.9.9.9:51000", ESTABLISHED, 0,    1003),
    ("tcp",  "10.1.2.3:22",             "10.9.9.9:51001", TIME_WAIT,   0,    0),
    ("tcp6", "[::]:22",                 "[::]:0",         LISTEN,      0,    2001),
    ("tcp6", "[::ffff:127.0.0.1]:8080", "[::]:0",         LISTEN,      1000, 2002),
    ("tcp6", "[fe80::1:2:3:4]:5432",    "[::]:0",         LISTEN,      26,   2003),
    ("tcp6", "[::1]:22",                "[::1]:40000",    ESTABLISHED, 0,    2004),
    ("udp",  "0.0.0.0:69",              "0.0.0.0:0",      CLOSE,       0,    3001),
    ("udp",  "127.0.0.1:40000",         "127.0.0.53:53",  ESTABLISHED, 0,    3002),
    ("udp6", "[::1]:161",               "[::]:0",         CLOSE,       0,    4001),
];

/// A fixture process: pid, `comm` (none: it exited), fd links (fd, target).
type Process = (u32, Option<&'static str>, &'static [(u32, &'static str)]);

/// The small host's processes.
#[rustfmt::skip]
const SMALL_HOST_PROCESSES: &[Process] = &[
    (812, Some("inetd"), &[(0, "/dev/null"), (3, "socket:[1001]"), (4, "socket:[1003]"), (5, "pipe:[77]")]),
    (900, Some("mysqld"), &[(17, "socket:[1002]"), (18, "socket:[9999]")]),
    (901, Some("mysqld"), &[(17, "socket:[1002]")]),
    (700, Some("in.tftpd"), &[(0, "socket:[3001]"), (1, "socket:[3001]")]),
    (1500, Some("java"), &[(45, "socket:[2002]")]),
    // Exited between listing its descriptors and reading its name.
    (1600, None, &[(3, "socket:[2001]")]),
    // Exited before its descriptors were listed (no fd directory, see below).
    (1700, Some("gone"), &[]),
];

/// A small host: telnet and mysql on IPv4, ssh on IPv6 any, a mapped IPv4
/// listener, tftp and snmp on UDP, and connections that must not be listed.
fn small_host() -> Fixture {
    let f = Fixture::new();
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let lines: Vec<String> = SMALL_HOST_LINES
            .iter()
            .enumerate()
            .filter(|(_, l)| l.0 == table)
            .map(|(sl, &(t, local, remote, st, uid, inode))| {
                line(t, sl, local, remote, st, uid, inode)
            })
            .collect();
        f.table(table, &lines);
    }
    for &(pid, comm, fds) in SMALL_HOST_PROCESSES {
        f.process(pid, comm, fds);
    }
    std::fs::remove_dir(f.dir.path().join("proc/1700/fd")).unwrap();
    std::os::unix::fs::symlink("812", f.dir.path().join("proc/self")).unwrap();
    f
}

#[test]
fn small_host_is_read_exactly() {
    let sockets = collect_listening_sockets(&small_host().root()).unwrap();
    #[rustfmt::skip]
    let expected = vec![
        sock(Tcp, "::", 22, 0, 2001, &[]),
        sock(Tcp, "0.0.0.0", 23, 0, 1001, &[(812, "inetd", 3)]),
        sock(Tcp, "127.0.0.1", 3306, 110, 1002, &[(900, "mysqld", 17), (901, "mysqld", 17)]),
        sock(Tcp, "fe80::1:2:3:4", 5432, 26, 2003, &[]),
        sock(Tcp, "::ffff:127.0.0.1", 8080, 1000, 2002, &[(1500, "java", 45)]),
        sock(Udp, "0.0.0.0", 69, 0, 3001, &[(700, "in.tftpd", 0), (700, "in.tftpd", 1)]),
        sock(Udp, "::1", 161, 0, 4001, &[]),
    ];
    assert_eq!(sockets, expected);
    assert!(sockets[4].address.is_ipv6(), "mapped IPv4 stays IPv6");
}

/// 5,000 lines over the four tables, one in three a listener, with 50
/// processes holding every fourth listener.
#[test]
fn five_thousand_lines_are_read_exactly() {
    let f = Fixture::new();
    let mut expected = Vec::new();
    let mut holders: Vec<Vec<(u32, String)>> = vec![Vec::new(); 50];
    for (t, table) in ["tcp", "tcp6", "udp", "udp6"].into_iter().enumerate() {
        let protocol = if table.starts_with("tcp") { Tcp } else { Udp };
        let mut lines = Vec::new();
        for i in 0..1250usize {
            let n = t * 1250 + i;
            let port = 1024 + (n * 7919 % 60000) as u16;
            let ip = match (table.ends_with('6'), n / 3 % 3) {
                (false, 0) => "0.0.0.0".to_string(),
                (false, 1) => "127.0.0.1".to_string(),
                (false, _) => format!("10.{}.{}.{}", n % 251, n % 13, n % 7),
                (true, 0) => "::".to_string(),
                (true, 1) => format!("::ffff:192.168.{}.{}", n % 200, n % 250),
                (true, _) => format!("2001:db8::{:x}", n),
            };
            let local = SocketAddr::new(ip.parse().unwrap(), port).to_string();
            let remote = if table.ends_with('6') {
                "[::]:0"
            } else {
                "0.0.0.0:0"
            };
            let inode = 100_000 + n as u64;
            let uid = (n % 5) as u32 * 1000;
            let kept = if protocol == Tcp { LISTEN } else { CLOSE };
            let state = match n % 3 {
                0 => kept,
                1 => ESTABLISHED,
                _ if protocol == Tcp => TIME_WAIT,
                _ => ESTABLISHED,
            };
            let (uid, inode) = if state == TIME_WAIT {
                (0, 0)
            } else {
                (uid, inode)
            };
            lines.push(line(table, i, &local, remote, state, uid, inode));
            if state == kept {
                let mut s = sock(protocol, &ip, port, uid, inode, &[]);
                if n % 4 == 0 {
                    let pid = 2000 + (n % 50) as u32;
                    let fd = 10 + n as u32;
                    holders[n % 50].push((fd, format!("socket:[{inode}]")));
                    s.processes.push(SocketProcess {
                        pid,
                        name: format!("daemon-{}", n % 50),
                        fd,
                    });
                }
                expected.push(s);
            }
        }
        f.table(table, &lines);
    }
    for (i, fds) in holders.iter().enumerate() {
        let fds: Vec<(u32, &str)> = fds.iter().map(|(fd, t)| (*fd, t.as_str())).collect();
        f.process(2000 + i as u32, Some(&format!("daemon-{i}")), &fds);
    }
    expected.sort_by_key(|s| (s.protocol, s.port, s.address, s.inode));
    let sockets = collect_listening_sockets(&f.root()).unwrap();
    assert_eq!(sockets.len(), expected.len());
    assert_eq!(sockets, expected);
    assert!(
        expected.len() > 1600,
        "about a third of the lines are listeners"
    );
}

fn malformed(table: &str, text: &str) -> String {
    let f = Fixture::new();
    f.table("tcp", &[]).table("udp", &[]).raw(table, text);
    let err = collect_listening_sockets(&f.root()).unwrap_err();
    assert!(matches!(err, PortsError::Malformed { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn garbage_lines_are_errors_naming_file_and_line() {
    let good = line("tcp6", 0, "[::]:22", "[::]:0", LISTEN, 0, 2001);
    let short = good.replacen(&"0".repeat(32), &"0".repeat(31), 1);
    #[rustfmt::skip]
    let cases = [
        ("this is not a socket".to_string(), "fields"),
        (good.replacen("0A", "ZZ", 1), "state"),
        (short, "local address"),
        (good.replacen(":0016", ":001G", 1), "local address"),
        (line("tcp", 0, "0.0.0.0:22", "0.0.0.0:0", LISTEN, 0, 5), "local address"),
        (good.replacen(" 2001 ", " 2001x ", 1), "inode"),
        (String::new(), "fields"),
    ];
    for (bad, what) in cases {
        let text = format!("{TCP6_HEADER}\n{good}\n{good}\n{bad}\n{good}\n");
        let message = malformed("tcp6", &text);
        assert!(message.contains("/proc/net/tcp6 (under root "), "{message}");
        assert!(message.contains(" line 4: "), "{message}");
        assert!(message.contains(what), "{what}: {message}");
    }
    let message = malformed(
        "udp",
        &format!(
            "{}\n",
            line("udp", 0, "0.0.0.0:69", "0.0.0.0:0", CLOSE, 0, 1)
        ),
    );
    assert!(
        message.contains("/proc/net/udp ")
            && message.contains("line 1")
            && message.contains("header"),
        "{message}"
    );
    let message = malformed("udp6", "");
    assert!(
        message.contains("/proc/net/udp6 ") && message.contains("line 1"),
        "{message}"
    );
}

#[test]
fn missing_tcp_table_means_no_running_sockets() {
    let f = Fixture::new();
    f.table("udp", &[]);
    let err = collect_listening_sockets(&f.root()).unwrap_err();
    assert!(matches!(err, PortsError::NoSocketTable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("/proc/net/tcp (under root "),
        "{message}"
    );
    assert!(
        message.contains("offline image") && message.contains("without --root"),
        "{message}"
    );
}

#[test]
fn missing_ipv6_tables_mean_ipv6_is_off() {
    let f = Fixture::new();
    f.table(
        "tcp",
        &[line("tcp", 0, "0.0.0.0:22", "0.0.0.0:0", LISTEN, 0, 7)],
    )
    .table("udp", &[]);
    let sockets = collect_listening_sockets(&f.root()).unwrap();
    assert_eq!(sockets, vec![sock(Tcp, "0.0.0.0", 22, 0, 7, &[])]);
}

// ---- the policy, through `audit` ----

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-03T09:30:00+08:00").unwrap()
}

const ASSET: &str = "0123456789abcdef0123456789abcdef";

fn config(toml: &str) -> PortsConfig {
    AgentConfig::parse(toml, Path::new("agent.toml"))
        .unwrap()
        .ports
}

fn outcome<'a>(out: &'a AuditOutput, id: &str) -> &'a CheckOutcome {
    &out.checks
        .iter()
        .find(|c| c.check_id.as_str() == id)
        .unwrap_or_else(|| panic!("check {id} ran"))
        .outcome
}

/// The embedded catalog's ports checks on `fixture` with this allowlist configuration.
fn audit_with(fixture: &Fixture, allow_toml: &str) -> AuditOutput {
    let catalog = Catalog::embedded().unwrap();
    audit(&fixture.root(), &catalog, &config(allow_toml), ASSET, now())
        .unwrap()
        .0
}

/// A host with only these TCP listeners (`ADDRESS:PORT`, inode), no process visible.
fn tcp_host(listeners: &[(&str, u64)]) -> Fixture {
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for (i, (addr, inode)) in listeners.iter().enumerate() {
        if addr.starts_with('[') {
            v6.push(line("tcp6", i, addr, "[::]:0", LISTEN, 0, *inode));
        } else {
            v4.push(line("tcp", i, addr, "0.0.0.0:0", LISTEN, 0, *inode));
        }
    }
    let f = Fixture::new();
    f.table("tcp", &v4).table("tcp6", &v6).table("udp", &[]);
    f
}

#[test]
fn telnet_on_any_address_is_a_high_finding() {
    let catalog = Catalog::embedded().unwrap();
    let (out, inventory) = audit(
        &small_host().root(),
        &catalog,
        &PortsConfig::default(),
        ASSET,
        now(),
    )
    .unwrap();
    let telnet: CheckId = "ports.telnet".parse().unwrap();
    let f = out
        .findings
        .iter()
        .find(|f| f.check_id == telnet)
        .expect("telnet finding");
    assert_eq!(f.subject, "tcp/23");
    assert_eq!(f.risk, Severity::High);
    assert_eq!(
        f.fingerprint,
        Fingerprint::compute(ASSET, &telnet, "tcp/23")
    );
    assert_eq!(
        f.evidence,
        vec!["0.0.0.0:23 LISTEN uid 0 pid 812 (inetd) fd 3"]
    );
    assert_eq!(f.detected_at, now());
    assert_eq!(
        outcome(&out, "ports.telnet"),
        &CheckOutcome::Findings { count: 1 }
    );
    // tftp on udp/69; mysql only on loopback; snmp on ::1 (exposure any).
    let subjects: Vec<(&str, &str)> = out
        .findings
        .iter()
        .map(|f| (f.check_id.as_str(), f.subject.as_str()))
        .collect();
    assert_eq!(
        subjects,
        vec![
            ("ports.postgresql", "tcp/5432"),
            ("ports.snmp", "udp/161"),
            ("ports.telnet", "tcp/23"),
            ("ports.tftp", "udp/69")
        ]
    );
    let tftp = &out.findings[3];
    assert_eq!(
        tftp.evidence,
        vec!["0.0.0.0:69 UNCONN uid 0 pid 700 (in.tftpd) fd 0, pid 700 (in.tftpd) fd 1"]
    );
    let pg = &out.findings[0];
    assert_eq!(
        pg.evidence,
        vec!["[fe80::1:2:3:4]:5432 LISTEN uid 26 process not visible"]
    );
    assert_eq!(outcome(&out, "ports.mysql"), &CheckOutcome::Passed);
    assert_eq!(
        out.checks.len(),
        catalog.area(selfcheck_catalog::Area::Ports).count()
    );
    assert!(out.checks.windows(2).all(|w| w[0].check_id < w[1].check_id));
    assert!(out.suppressed.is_empty());
    assert_eq!(inventory.unwrap().len(), 7);
}

#[test]
fn mysql_counts_only_off_loopback() {
    for quiet in [
        "127.0.0.1:3306",
        "127.8.9.10:3306",
        "[::1]:3306",
        "[::ffff:127.0.0.1]:3306",
    ] {
        let out = audit_with(&tcp_host(&[(quiet, 1)]), "");
        assert_eq!(
            outcome(&out, "ports.mysql"),
            &CheckOutcome::Passed,
            "{quiet}"
        );
        assert!(out.findings.is_empty(), "{quiet}");
    }
    let host = tcp_host(&[
        ("10.1.2.3:3306", 1),
        ("127.0.0.1:3306", 2),
        ("[::]:3306", 3),
    ]);
    let out = audit_with(&host, "");
    assert_eq!(
        outcome(&out, "ports.mysql"),
        &CheckOutcome::Findings { count: 1 }
    );
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].subject, "tcp/3306");
    assert_eq!(out.findings[0].risk, Severity::Medium);
    let evidence = [
        "10.1.2.3:3306 LISTEN uid 0 process not visible",
        "[::]:3306 LISTEN uid 0 process not visible",
    ];
    assert_eq!(out.findings[0].evidence, evidence);
}

#[test]
fn allowlisted_listener_is_suppressed_with_its_reason() {
    let f = tcp_host(&[("10.1.2.3:3306", 1)]);
    let out = audit_with(
        &f,
        "[[ports.allow]]\nport = 3306\nprotocol = \"tcp\"\naddress = \"10.1.2.3\"\n\
         check = \"ports.mysql\"\nreason = \"app database, ticket 2026-114\"\n",
    );
    assert!(out.findings.is_empty());
    assert_eq!(outcome(&out, "ports.mysql"), &CheckOutcome::Passed);
    assert_eq!(out.suppressed.len(), 1);
    assert_eq!(out.suppressed[0].reason, "app database, ticket 2026-114");
    assert_eq!(out.suppressed[0].finding.subject, "tcp/3306");
    assert_eq!(
        out.suppressed[0].finding.evidence,
        vec!["10.1.2.3:3306 LISTEN uid 0 process not visible"]
    );

    // Any field that does not match keeps the finding.
    for other in [
        "address = \"10.1.2.4\"",
        "protocol = \"udp\"",
        "check = \"ports.redis\"",
        "process = \"mysqld\"",
    ] {
        let out = audit_with(
            &f,
            &format!("[[ports.allow]]\nport = 3306\n{other}\nreason = \"r\"\n"),
        );
        assert_eq!(out.findings.len(), 1, "{other}");
        assert!(out.suppressed.is_empty(), "{other}");
    }
}

#[test]
fn partly_allowlisted_finding_keeps_the_other_sockets() {
    let f = tcp_host(&[("10.1.2.3:3306", 1), ("0.0.0.0:3306", 2)]);
    let out = audit_with(
        &f,
        "[[ports.allow]]\nport = 3306\naddress = \"10.1.2.3\"\nreason = \"app vlan\"\n",
    );
    assert!(out.suppressed.is_empty());
    assert_eq!(out.findings.len(), 1);
    assert_eq!(
        out.findings[0].evidence,
        vec!["0.0.0.0:3306 LISTEN uid 0 process not visible"]
    );

    // Both allowed by different entries: suppressed, both reasons kept.
    let out = audit_with(
        &f,
        "[[ports.allow]]\nport = 3306\naddress = \"10.1.2.3\"\nreason = \"app vlan\"\n\
         [[ports.allow]]\nport = 3306\naddress = \"0.0.0.0\"\nreason = \"firewalled, ticket 7\"\n",
    );
    assert!(out.findings.is_empty());
    assert_eq!(out.suppressed.len(), 1);
    assert_eq!(out.suppressed[0].reason, "app vlan; firewalled, ticket 7");
    assert_eq!(out.suppressed[0].finding.evidence.len(), 2);
}

#[test]
fn allow_by_process_name_matches_any_holder() {
    let out = audit_with(
        &small_host(),
        "[[ports.allow]]\nport = 23\nprocess = \"inetd\"\nreason = \"lab telnet, removed 2026-12\"\n",
    );
    assert_eq!(outcome(&out, "ports.telnet"), &CheckOutcome::Passed);
    assert_eq!(out.suppressed.len(), 1);
    assert_eq!(out.suppressed[0].finding.check_id.as_str(), "ports.telnet");
}

#[test]
fn several_ports_of_one_check_are_separate_findings_in_port_order() {
    let f = tcp_host(&[
        ("0.0.0.0:514", 1),
        ("0.0.0.0:512", 2),
        ("[::]:513", 3),
        ("0.0.0.0:515", 4),
    ]);
    let out = audit_with(&f, "");
    let subjects: Vec<&str> = out.findings.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects, vec!["tcp/512", "tcp/513", "tcp/514"]);
    assert_eq!(
        outcome(&out, "ports.r-services"),
        &CheckOutcome::Findings { count: 3 }
    );
}

fn one_check_catalog(params: &str) -> Result<Catalog, selfcheck_catalog::CatalogError> {
    let text = format!(
        "[[check]]\nid = \"ports.custom\"\narea = \"ports\"\nrisk = \"low\"\n\
         title = {{ zh = \"标题\", en = \"title\" }}\ndescription = {{ zh = \"说明\", en = \"description\" }}\n\
         why = {{ zh = \"原因\", en = \"why\" }}\nremediation = {{ zh = \"整改\", en = \"fix\" }}\n\
         references = [\"GB/T 22239-2019 8.1.4.4 b)\"]\nparams = {params}\n"
    );
    Catalog::from_files(
        [("site/custom.toml".to_string(), text)],
        CatalogSource::Directory("site".into()),
    )
}

#[test]
fn bad_catalog_params_are_errors_naming_file_check_and_key() {
    let host = tcp_host(&[]);
    let root = host.root();
    #[rustfmt::skip]
    let cases = [
        (r#"{ protocols = ["tcp"], ports = ["600-500"], exposure = "any" }"#, "params.ports", "\"500-600\""),
        (r#"{ protocols = ["tcp"], ports = [70000], exposure = "any" }"#, "params.ports", "1-65535"),
        (r#"{ protocols = ["tcp"], ports = [22], exposure = "internet" }"#, "params.exposure", "non_loopback"),
        (r#"{ protocols = ["icmp"], ports = [22], exposure = "any" }"#, "params.protocols", "\"tcp\" or \"udp\""),
        (r#"{ protocols = ["tcp"], exposure = "any" }"#, "params.ports", "missing"),
    ];
    for (params, key, words) in cases {
        let catalog = one_check_catalog(params).unwrap();
        let err = audit(&root, &catalog, &PortsConfig::default(), ASSET, now()).unwrap_err();
        assert_eq!(err.file, "site/custom.toml");
        assert_eq!(err.check.as_deref(), Some("ports.custom"));
        assert_eq!(err.key.as_deref(), Some(key), "{params}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("key `{key}`")) && message.contains(words),
            "{message}"
        );
    }
    let catalog = one_check_catalog(
        r#"{ protocols = ["udp"], ports = ["1-65535"], exposure = "non_loopback" }"#,
    )
    .unwrap();
    let (out, _) = audit(&root, &catalog, &PortsConfig::default(), ASSET, now()).unwrap();
    assert_eq!(out.checks.len(), 1);
    assert_eq!(out.checks[0].outcome, CheckOutcome::Passed);
}

#[test]
fn root_without_proc_makes_every_ports_check_could_not_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    let root = HostRoot::at(dir.path()).unwrap();
    let catalog = Catalog::embedded().unwrap();
    let (out, inventory) = audit(&root, &catalog, &PortsConfig::default(), ASSET, now()).unwrap();
    assert!(inventory.is_none());
    assert!(out.findings.is_empty() && out.suppressed.is_empty());
    assert_eq!(
        out.checks.len(),
        catalog.area(selfcheck_catalog::Area::Ports).count()
    );
    assert!(out.checks.len() >= 10);
    for run in &out.checks {
        match &run.outcome {
            CheckOutcome::CouldNotRun { reason } => {
                assert!(
                    reason.contains("/proc/net/tcp") && reason.contains("offline image"),
                    "{reason}"
                );
            }
            other => panic!("{} should not have run: {other:?}", run.check_id),
        }
    }
}
