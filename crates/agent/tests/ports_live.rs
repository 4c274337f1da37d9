//! The listening-socket inventory of this very machine, checked against `ss -tulpne`.
//!
//! The test binds its own loopback sockets (TCP and UDP, IPv4, IPv6 and
//! IPv4-mapped IPv6), plus connected ones that must not be listed, then reads
//! the inventory and runs `ss` around it. `ss` asks the kernel over netlink and
//! walks `/proc/*/fd` itself, so it is an independent oracle. Other programs
//! may open or close sockets meanwhile: an attempt where `ss` before and after
//! disagree is repeated. Only loopback addresses are used.

use selfcheck_agent::areas::ports::collect_listening_sockets;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{ListeningSocket, SocketState, TransportProtocol};
use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

/// The tests of this file bind and close sockets of this process; they take turns.
static SOCKETS_OF_THIS_PROCESS: Mutex<()> = Mutex::new(());

/// How often an attempt is repeated when other programs change their sockets meanwhile.
const ATTEMPTS: usize = 6;

/// One socket as `ss` shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    protocol: TransportProtocol,
    address: IpAddr,
    port: u16,
    state: SocketState,
    uid: u32,
    inode: u64,
    /// (pid, name, fd), sorted.
    users: Vec<(u32, String, u32)>,
}

impl From<&ListeningSocket> for Seen {
    fn from(s: &ListeningSocket) -> Seen {
        let mut users: Vec<_> = s
            .processes
            .iter()
            .map(|p| (p.pid, p.name.clone(), p.fd))
            .collect();
        users.sort();
        Seen {
            protocol: s.protocol,
            address: s.address,
            port: s.port,
            state: s.state,
            uid: s.uid,
            inode: s.inode,
            users,
        }
    }
}

/// Run `ss -H -tulpne` (numeric, listening TCP and UDP, with processes,
/// uid and inode) and parse every line.
fn run_ss() -> BTreeSet<Seen> {
    let output = match Command::new("ss").args(["-H", "-tulpne"]).output() {
        Ok(o) => o,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`ss` is not installed, and it is the oracle of this test: install iproute2 \
             (apt-get install iproute2, dnf install iproute)"
        ),
        Err(e) => panic!("cannot run `ss`: {e}"),
    };
    assert!(
        output.status.success(),
        "`ss -H -tulpne` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse_ss_line(l).unwrap_or_else(|e| panic!("cannot parse ss line {l:?}: {e}")))
        .collect()
}

/// `tcp LISTEN 0 128 127.0.0.1:5353 0.0.0.0:* users:(("name",pid=1,fd=3)) uid:100 ino:7607 sk:1 <->`
fn parse_ss_line(line: &str) -> Result<Seen, String> {
    let mut rest = line.trim_start();
    let mut columns = Vec::with_capacity(6);
    for _ in 0..6 {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        columns.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    let protocol = match columns[0] {
        "tcp" => TransportProtocol::Tcp,
        "udp" => TransportProtocol::Udp,
        other => return Err(format!("netid {other:?}")),
    };
    let state = match columns[1] {
        "LISTEN" => SocketState::Listen,
        "UNCONN" => SocketState::Unconn,
        other => return Err(format!("state {other:?}")),
    };
    let (address, port) = parse_ss_endpoint(columns[4])?;
    let mut users = Vec::new();
    if let Some(after) = rest.strip_prefix("users:(") {
        rest = parse_ss_users(after, &mut users)?;
    }
    users.sort();
    let mut uid = 0; // ss leaves out uid:0
    let mut inode = None;
    for token in rest.split_whitespace() {
        if let Some(n) = token.strip_prefix("uid:") {
            uid = n.parse().map_err(|_| format!("uid {n:?}"))?;
        } else if let Some(n) = token.strip_prefix("ino:") {
            inode = Some(n.parse().map_err(|_| format!("ino {n:?}"))?);
        }
    }
    Ok(Seen {
        protocol,
        address,
        port,
        state,
        uid,
        inode: inode.ok_or("no ino: field (ss without -e?)")?,
        users,
    })
}

/// `127.0.0.1:5353`, `[::1]:22`, `*:68`, `0.0.0.0%lo:53`, `[::ffff:127.0.0.1]:80`,
/// `[fe80::1]%eth0:123`. A bare `*` is the IPv6 any address (ss ≥ 4.17 prints
/// `0.0.0.0` for IPv4 and `[::]` for a v6-only socket).
fn parse_ss_endpoint(text: &str) -> Result<(IpAddr, u16), String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("endpoint {text:?}"))?;
    let port = port.parse().map_err(|_| format!("port in {text:?}"))?;
    let host = host.split_once('%').map_or(host, |(h, _device)| h);
    let address = if host == "*" {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        bare.parse().map_err(|_| format!("address in {text:?}"))?
    };
    Ok((address, port))
}

/// `("name",pid=1,fd=3),("name 2",pid=2,fd=4))` after `users:(`; returns the rest of the line.
fn parse_ss_users<'a>(
    mut text: &'a str,
    users: &mut Vec<(u32, String, u32)>,
) -> Result<&'a str, String> {
    loop {
        let body = text
            .strip_prefix("(\"")
            .ok_or_else(|| format!("user entry {text:?}"))?;
        let (name, after) = body
            .split_once("\",pid=")
            .ok_or_else(|| format!("pid in {text:?}"))?;
        let (pid, after) = after
            .split_once(",fd=")
            .ok_or_else(|| format!("fd in {text:?}"))?;
        let end = after
            .find(')')
            .ok_or_else(|| format!("end of entry {text:?}"))?;
        let pid = pid.parse().map_err(|_| format!("pid {pid:?}"))?;
        let fd = after[..end]
            .parse()
            .map_err(|_| format!("fd in {text:?}"))?;
        users.push((pid, name.to_string(), fd));
        text = &after[end + 1..];
        if let Some(next) = text.strip_prefix(',') {
            text = next;
        } else if let Some(rest) = text.strip_prefix(')') {
            return Ok(rest);
        } else {
            return Err(format!("after user entry: {text:?}"));
        }
    }
}

/// Sockets this test holds, with the fd each has in this process.
struct Bound {
    /// Must be listed: (protocol, local address, fd).
    listed: Vec<(TransportProtocol, SocketAddr, u32)>,
    /// Must not be listed (connected): (protocol, local address).
    unlisted: Vec<(TransportProtocol, SocketAddr)>,
    _keep: Vec<Box<dyn std::any::Any>>,
}

fn fd_of(s: &impl AsRawFd) -> u32 {
    u32::try_from(s.as_raw_fd()).expect("fds are not negative")
}

/// Bind the loopback sockets. IPv6 ones are left out, with a note, when the
/// machine has no IPv6 loopback.
fn bind_loopback_sockets() -> Bound {
    let mut b = Bound {
        listed: Vec::new(),
        unlisted: Vec::new(),
        _keep: Vec::new(),
    };
    let tcp = |addr: &str| TcpListener::bind(addr);
    let udp = |addr: &str| UdpSocket::bind(addr);
    for addr in ["127.0.0.1:0", "[::1]:0", "[::ffff:127.0.0.1]:0"] {
        match tcp(addr) {
            Ok(l) => {
                b.listed
                    .push((TransportProtocol::Tcp, l.local_addr().unwrap(), fd_of(&l)));
                // A connection to it: its two ends are ESTABLISHED, not listed.
                let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
                let (server, _) = l.accept().unwrap();
                b.unlisted
                    .push((TransportProtocol::Tcp, client.local_addr().unwrap()));
                b._keep.push(Box::new(client));
                b._keep.push(Box::new(server));
                b._keep.push(Box::new(l));
            }
            Err(e) if addr != "127.0.0.1:0" => eprintln!("note: no TCP on {addr} here ({e})"),
            Err(e) => panic!("cannot bind TCP {addr}: {e}"),
        }
        match udp(addr) {
            Ok(u) => {
                b.listed
                    .push((TransportProtocol::Udp, u.local_addr().unwrap(), fd_of(&u)));
                // A connected UDP socket is ESTABLISHED, which `ss -ul` does not list.
                let connected = udp(addr).unwrap();
                connected.connect(u.local_addr().unwrap()).unwrap();
                b.unlisted
                    .push((TransportProtocol::Udp, connected.local_addr().unwrap()));
                b._keep.push(Box::new(connected));
                b._keep.push(Box::new(u));
            }
            Err(e) if addr != "127.0.0.1:0" => eprintln!("note: no UDP on {addr} here ({e})"),
            Err(e) => panic!("cannot bind UDP {addr}: {e}"),
        }
    }
    b
}

/// Our inventory and `ss` taken around it, until `ss` is the same before and
/// after and so the host did not change meanwhile (or attempts run out).
fn inventory_and_ss() -> (BTreeSet<Seen>, BTreeSet<Seen>) {
    let root = HostRoot::live();
    let mut last = None;
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(150 * attempt as u64));
        }
        let before = run_ss();
        let ours: BTreeSet<Seen> = collect_listening_sockets(&root)
            .expect("the live host's sockets can be read")
            .iter()
            .map(Seen::from)
            .collect();
        let after = run_ss();
        if before == after && ours == before {
            return (ours, before);
        }
        last = Some((ours, before));
    }
    last.expect("at least one attempt")
}

fn describe_difference(ours: &BTreeSet<Seen>, ss: &BTreeSet<Seen>) -> String {
    let only_ours: Vec<_> = ours.difference(ss).collect();
    let only_ss: Vec<_> = ss.difference(ours).collect();
    format!("only in our inventory: {only_ours:#?}\nonly in ss: {only_ss:#?}")
}

#[test]
fn own_sockets_match_ss_in_every_field() {
    let _turn = SOCKETS_OF_THIS_PROCESS
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let bound = bind_loopback_sockets();
    let pid = std::process::id();
    let (ours, ss) = inventory_and_ss();

    let mine = |set: &BTreeSet<Seen>| -> BTreeSet<Seen> {
        set.iter()
            .filter(|s| s.users.iter().any(|u| u.0 == pid))
            .cloned()
            .collect()
    };
    let (our_own, ss_own) = (mine(&ours), mine(&ss));
    assert_eq!(
        our_own,
        ss_own,
        "sockets of this process differ from ss:\n{}",
        describe_difference(&our_own, &ss_own)
    );
    // What ss says our process is called, to check the name against it.
    let name = &ss_own.iter().next().expect("ss lists our sockets").users[0].1;

    for (protocol, addr, fd) in &bound.listed {
        let state = match protocol {
            TransportProtocol::Tcp => SocketState::Listen,
            TransportProtocol::Udp => SocketState::Unconn,
        };
        let hits: Vec<_> = our_own
            .iter()
            .filter(|s| s.protocol == *protocol && s.address == addr.ip() && s.port == addr.port())
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{protocol:?} {addr} listed once: {our_own:#?}"
        );
        let s = hits[0];
        assert_eq!(s.state, state, "{protocol:?} {addr}");
        assert_eq!(
            s.users,
            vec![(pid, name.clone(), *fd)],
            "{protocol:?} {addr}"
        );
    }
    assert_eq!(
        our_own.len(),
        bound.listed.len(),
        "nothing else of ours: {our_own:#?}"
    );
    for (protocol, addr) in &bound.unlisted {
        assert!(
            !ours.iter().any(|s| s.protocol == *protocol
                && s.address == addr.ip()
                && s.port == addr.port()),
            "connected {protocol:?} {addr} must not be listed"
        );
    }
    // The IPv4-mapped listener keeps its IPv6 form, as the kernel writes it.
    if let Some((_, mapped, _)) = bound
        .listed
        .iter()
        .find(|(_, a, _)| a.ip().to_string().starts_with("::ffff:"))
    {
        assert!(
            our_own
                .iter()
                .any(|s| s.address == mapped.ip() && s.address.is_ipv6())
        );
    }
}

#[test]
fn whole_host_inventory_equals_ss() {
    let _turn = SOCKETS_OF_THIS_PROCESS
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let _bound = bind_loopback_sockets();
    let (ours, ss) = inventory_and_ss();
    let key = |set: &BTreeSet<Seen>| -> BTreeSet<(TransportProtocol, IpAddr, u16)> {
        set.iter()
            .map(|s| (s.protocol, s.address, s.port))
            .collect()
    };
    assert_eq!(
        key(&ours),
        key(&ss),
        "(protocol, address, port) differ from ss after {ATTEMPTS} attempts:\n{}",
        describe_difference(&ours, &ss)
    );
    assert_eq!(
        ours,
        ss,
        "state, uid, inode or processes differ from ss after {ATTEMPTS} attempts:\n{}",
        describe_difference(&ours, &ss)
    );
}

#[test]
fn ss_output_forms_are_understood() {
    let l = parse_ss_line(
        "udp UNCONN 0 0 0.0.0.0%lo:53 0.0.0.0:* users:((\"a b)\",pid=1,fd=3),(\"x\",pid=22,fd=44)) uid:101 ino:7 sk:1 <->",
    )
    .unwrap();
    assert_eq!(l.address, "0.0.0.0".parse::<IpAddr>().unwrap());
    assert_eq!((l.port, l.uid, l.inode), (53, 101, 7));
    assert_eq!(l.users, vec![(1, "a b)".into(), 3), (22, "x".into(), 44)]);
    let l = parse_ss_line("tcp LISTEN 0 128 *:68 *:* ino:9 sk:2 cgroup:/ v6only:0 <->").unwrap();
    assert_eq!(l.address, IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    assert!(l.users.is_empty());
    for (text, addr, port) in [
        ("[::1]:22", "::1", 22),
        ("[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("[fe80::1]%eth0:123", "fe80::1", 123),
        ("[::]:111", "::", 111),
    ] {
        assert_eq!(
            parse_ss_endpoint(text).unwrap(),
            (addr.parse().unwrap(), port),
            "{text}"
        );
    }
}
