//! Parsing the kernel's socket tables `/proc/net/{tcp,tcp6,udp,udp6}`.
//!
//! Each table starts with a header line (`  sl  local_address rem_address   st ...`)
//! followed by one line per socket:
//!
//! ```text
//!    0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1 ...
//!    sl local:port    remote:port   st tx:rx queues      tr:when     retrnsmt   uid timeout inode ...
//! ```
//!
//! Addresses are hex dumps of the kernel's network-order address, printed as
//! 32-bit words in the kernel's (host) byte order: on a little-endian machine
//! `0100007F` is 127.0.0.1. IPv6 addresses are four such words. Ports are
//! plain hex numbers. Every line is checked, even those of sockets that are
//! not kept: a line that does not fit is an error, never skipped.
//!
//! A table is read as a stream, one line at a time, so memory stays bounded
//! whatever the file holds: a line longer than [`MAX_LINE_BYTES`] or more than
//! [`MAX_KEPT_SOCKETS`] kept sockets in one table is an error naming the cap,
//! never gigabytes read in.

use selfcheck_hostfs::root::read_line_bounded;
use selfcheck_report::{ListeningSocket, SocketState, TransportProtocol};
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest line of a socket table read: the kernel's lines are about 150
/// bytes (TCP) or 130 (UDP), IPv6 ones under 200.
pub const MAX_LINE_BYTES: usize = 4096;

/// The most sockets kept from one table: listening TCP sockets and bound UDP
/// ones number in the hundreds even on busy servers. A table with more is
/// not read on (a host under a socket flood, or not the kernel's table).
pub const MAX_KEPT_SOCKETS: usize = 65_536;

/// How much of a table one `read` asks for: the kernel walks its socket hash
/// again on every read that resumes, so reads are large.
pub const READ_BYTES: usize = 256 * 1024;

/// Address family of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `tcp`, `udp`: 8 hex digits per address.
    V4,
    /// `tcp6`, `udp6`: 32 hex digits per address.
    V6,
}

impl Family {
    fn hex_len(self) -> usize {
        match self {
            Family::V4 => 8,
            Family::V6 => 32,
        }
    }
}

/// One socket table of the kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    /// Its path on the host.
    pub host_path: &'static str,
    /// Protocol of its sockets.
    pub protocol: TransportProtocol,
    /// Address family of its sockets.
    pub family: Family,
    /// Whether a missing file means the sockets cannot be read at all
    /// (`tcp`), rather than that IPv6 is disabled (`tcp6`, `udp6`).
    pub required: bool,
}

impl Table {
    /// Fewest fields a line of this table has (the kernel prints 12 for TCP
    /// sockets in TIME_WAIT or SYN_RECV, 17 for others, 13 for UDP).
    fn min_fields(&self) -> usize {
        match self.protocol {
            TransportProtocol::Tcp => 12,
            TransportProtocol::Udp => 13,
        }
    }

    /// The kernel state number of the sockets kept, and how `ss` names it.
    fn kept_state(&self) -> (u8, SocketState) {
        match self.protocol {
            // TCP_LISTEN
            TransportProtocol::Tcp => (0x0A, SocketState::Listen),
            // TCP_CLOSE: bound and not connected (`ss` says UNCONN).
            TransportProtocol::Udp => (0x07, SocketState::Unconn),
        }
    }
}

/// The four tables, in the order they are read.
pub(crate) const TABLES: [Table; 4] = [
    Table {
        host_path: "/proc/net/tcp",
        protocol: TransportProtocol::Tcp,
        family: Family::V4,
        required: true,
    },
    Table {
        host_path: "/proc/net/tcp6",
        protocol: TransportProtocol::Tcp,
        family: Family::V6,
        required: false,
    },
    Table {
        host_path: "/proc/net/udp",
        protocol: TransportProtocol::Udp,
        family: Family::V4,
        required: true,
    },
    Table {
        host_path: "/proc/net/udp6",
        protocol: TransportProtocol::Udp,
        family: Family::V6,
        required: false,
    },
];

/// Why a table could not be parsed.
#[derive(Debug)]
pub(crate) enum TableError {
    /// A line is not in the kernel's format.
    Bad(BadLine),
    /// The table could not be read on (an I/O error, or a line past [`MAX_LINE_BYTES`]).
    Read(std::io::Error),
    /// More than [`MAX_KEPT_SOCKETS`] kept sockets.
    TooMany {
        /// The line at which the cap was passed.
        line: usize,
    },
}

/// A line that is not in the kernel's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadLine {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
    /// The line (lossy UTF-8, shortened).
    pub text: String,
}

/// Longest excerpt of a bad line kept for the message.
const MAX_TEXT: usize = 200;

/// Append the kept sockets of one table, read line by line from `reader`
/// (`shown` names it in errors), to `out`, without owners. Fails on the first
/// line that is not in the kernel's format, on a line longer than
/// [`MAX_LINE_BYTES`], and past [`MAX_KEPT_SOCKETS`] kept sockets.
pub(crate) fn parse_table(
    table: &Table,
    reader: &mut impl BufRead,
    shown: &str,
    out: &mut Vec<ListeningSocket>,
) -> Result<(), TableError> {
    let bad = |line: usize, raw: &[u8], problem: String| {
        let lossy = String::from_utf8_lossy(raw);
        let mut text: String = lossy.chars().take(MAX_TEXT).collect();
        if text.len() < lossy.len() {
            text.push('…');
        }
        BadLine {
            line,
            problem,
            text,
        }
    };
    let mut raw = Vec::with_capacity(256);
    let mut next = |raw: &mut Vec<u8>| {
        read_line_bounded(reader, raw, MAX_LINE_BYTES, shown).map_err(TableError::Read)
    };
    if !next(&mut raw)? {
        raw.clear();
    }
    if !raw.trim_ascii_start().starts_with(b"sl ") {
        return Err(TableError::Bad(bad(
            1,
            &raw,
            "the header line (`  sl  local_address rem_address ...`) is missing".into(),
        )));
    }
    let (kept_state, state) = table.kept_state();
    let first = out.len();
    let mut number = 1;
    while next(&mut raw)? {
        number += 1;
        match parse_line(table, &raw) {
            Ok(row) if row.state == kept_state && out.len() - first >= MAX_KEPT_SOCKETS => {
                return Err(TableError::TooMany { line: number });
            }
            Ok(row) if row.state == kept_state => out.push(ListeningSocket {
                protocol: table.protocol,
                address: row.address,
                port: row.port,
                state,
                uid: row.uid,
                inode: row.inode,
                processes: Vec::new(),
            }),
            Ok(_) => {}
            Err(problem) => return Err(TableError::Bad(bad(number, &raw, problem))),
        }
    }
    Ok(())
}

/// The fields of one table line that the audit uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    address: IpAddr,
    port: u16,
    state: u8,
    uid: u32,
    inode: u64,
}

/// One line, checked field by field.
fn parse_line(table: &Table, raw: &[u8]) -> Result<Row, String> {
    let mut fields: [&[u8]; 10] = [&[]; 10];
    let mut count = 0usize;
    for field in raw.split(u8::is_ascii_whitespace).filter(|f| !f.is_empty()) {
        if count < fields.len() {
            fields[count] = field;
        }
        count += 1;
    }
    if count < table.min_fields() {
        return Err(format!(
            "{count} fields where a {} line has at least {}",
            table.host_path,
            table.min_fields()
        ));
    }
    let [
        sl,
        local,
        remote,
        st,
        queues,
        timer,
        retransmits,
        uid,
        timeout,
        inode,
    ] = fields;
    match sl.strip_suffix(b":") {
        Some(n) if parse_decimal(n).is_some() => {}
        _ => return Err("the slot number (field 1) is not `N:`".into()),
    }
    let (address, port) = decode_endpoint(local, table.family)
        .ok_or_else(|| endpoint_problem("local address (field 2)", table.family))?;
    decode_endpoint(remote, table.family)
        .ok_or_else(|| endpoint_problem("remote address (field 3)", table.family))?;
    let state = match st {
        [_, _] => hex_u32(st).and_then(|s| u8::try_from(s).ok()),
        _ => None,
    }
    .ok_or("the state (field 4) is not two hex digits")?;
    if !is_hex_pair(queues) {
        return Err("the queue sizes (field 5) are not `HEX:HEX`".into());
    }
    if !is_hex_pair(timer) {
        return Err("the timer (field 6) is not `HEX:HEX`".into());
    }
    if !is_hex(retransmits) {
        return Err("the retransmit count (field 7) is not hex".into());
    }
    let uid = parse_decimal(uid)
        .and_then(|u| u32::try_from(u).ok())
        .ok_or("the uid (field 8) is not a decimal number")?;
    let timeout_digits = timeout.strip_prefix(b"-").unwrap_or(timeout);
    if parse_decimal(timeout_digits).is_none() {
        return Err("the timeout (field 9) is not a decimal number".into());
    }
    let inode = parse_decimal(inode).ok_or("the inode (field 10) is not a decimal number")?;
    Ok(Row {
        address,
        port,
        state,
        uid,
        inode,
    })
}

fn endpoint_problem(what: &str, family: Family) -> String {
    format!(
        "the {what} is not {} hex digits, a colon and 4 hex digits",
        family.hex_len()
    )
}

/// `ADDRESS:PORT` as the kernel prints it, e.g. `0100007F:0016` = 127.0.0.1:22.
pub(crate) fn decode_endpoint(field: &[u8], family: Family) -> Option<(IpAddr, u16)> {
    let split = family.hex_len();
    if field.len() != split + 5 || field[split] != b':' {
        return None;
    }
    let address = decode_address(&field[..split])?;
    let port = u16::try_from(hex_u32(&field[split + 1..])?).ok()?;
    Some((address, port))
}

/// An address dumped as 8 (IPv4) or 32 (IPv6) hex digits, 32-bit words in host
/// byte order. IPv4-mapped IPv6 addresses stay IPv6 (`::ffff:127.0.0.1`).
pub(crate) fn decode_address(hex: &[u8]) -> Option<IpAddr> {
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(hex_u32(hex)?.to_ne_bytes()))),
        32 => {
            let mut octets = [0u8; 16];
            for (word, out) in hex.chunks_exact(8).zip(octets.chunks_exact_mut(4)) {
                out.copy_from_slice(&hex_u32(word)?.to_ne_bytes());
            }
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

/// 1 to 8 hex digits (either case), nothing else (no sign, no spaces).
fn hex_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let mut value = 0u32;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        value = (value << 4) | u32::from(d);
    }
    Some(value)
}

/// 1 to 16 hex digits: a field the audit does not use, checked only for its form
/// (wide enough for the kernel's `%08lX` of a 64-bit value).
fn is_hex(digits: &[u8]) -> bool {
    (1..=16).contains(&digits.len()) && digits.iter().all(u8::is_ascii_hexdigit)
}

/// `HEX:HEX`.
fn is_hex_pair(field: &[u8]) -> bool {
    let mut parts = field.splitn(2, |&b| b == b':');
    matches!(
        (parts.next(), parts.next()),
        (Some(a), Some(b)) if is_hex(a) && is_hex(b)
    )
}

/// 1 to 20 decimal digits that fit a u64, nothing else.
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut value = 0u64;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Read;

    fn bad_line(r: Result<(), TableError>) -> BadLine {
        match r {
            Err(TableError::Bad(b)) => b,
            other => panic!("expected a bad line, got {other:?}"),
        }
    }

    const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    const LISTEN: &str = "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1 000000002bb14ef0 100 0 0 10 0\n";

    #[test]
    fn a_huge_line_is_refused_at_the_cap_not_read_whole() {
        // 200 MB of one line, produced lazily: only the cap's worth is ever held.
        let huge = std::io::Read::chain(HEADER.as_bytes(), std::io::repeat(b'0').take(200_000_000));
        let mut reader = std::io::BufReader::with_capacity(READ_BYTES, huge);
        match parse_table(&TABLES[0], &mut reader, "/proc/net/tcp", &mut Vec::new()) {
            Err(TableError::Read(e)) => {
                let text = e.to_string();
                assert!(
                    text.contains(&format!("a line longer than {MAX_LINE_BYTES} bytes")),
                    "{text}"
                );
                assert!(text.starts_with("/proc/net/tcp"), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kept_sockets_are_capped() {
        let body = LISTEN.repeat(MAX_KEPT_SOCKETS + 1);
        let text = format!("{HEADER}{body}");
        let mut out = Vec::new();
        match parse_table(&TABLES[0], &mut text.as_bytes(), "tcp", &mut out) {
            Err(TableError::TooMany { line }) => assert_eq!(line, MAX_KEPT_SOCKETS + 2),
            other => panic!("{other:?}"),
        }
        let text = format!("{HEADER}{}", LISTEN.repeat(MAX_KEPT_SOCKETS));
        let mut out = Vec::new();
        parse_table(&TABLES[0], &mut text.as_bytes(), "tcp", &mut out).unwrap();
        assert_eq!(out.len(), MAX_KEPT_SOCKETS);
    }

    /// How this machine's kernel would print `addr` (host byte order per word).
    fn encode(addr: IpAddr) -> String {
        let octets = match addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        octets
            .chunks_exact(4)
            .map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]])))
            .collect()
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn little_endian_kernel_dumps_decode_to_the_right_addresses() {
        let v4 = |s: &str| decode_endpoint(s.as_bytes(), Family::V4);
        let v6 = |s: &str| decode_endpoint(s.as_bytes(), Family::V6);
        assert_eq!(
            v4("0100007F:0016"),
            Some(("127.0.0.1".parse().unwrap(), 22))
        );
        assert_eq!(
            v4("00000000:07E8"),
            Some(("0.0.0.0".parse().unwrap(), 2024))
        );
        assert_eq!(
            v4("0302010A:0CEA"),
            Some(("10.1.2.3".parse().unwrap(), 3306))
        );
        assert_eq!(
            v6("00000000000000000000000001000000:82F7"),
            Some(("::1".parse().unwrap(), 33527))
        );
        assert_eq!(
            v6("00000000000000000000000000000000:E1D3"),
            Some(("::".parse().unwrap(), 57811))
        );
        assert_eq!(
            v6("0000000000000000FFFF00000100007F:9631"),
            Some(("::ffff:127.0.0.1".parse().unwrap(), 38449))
        );
        // fe80::1:2:3:4 — each 32-bit word is byte-swapped on its own.
        assert_eq!(
            v6("000080FE000000000200010004000300:0050"),
            Some(("fe80::1:2:3:4".parse().unwrap(), 80))
        );
        // Lowercase hex is accepted too.
        assert_eq!(
            v4("0100007f:00ff"),
            Some(("127.0.0.1".parse().unwrap(), 255))
        );
    }

    #[test]
    fn mapped_ipv4_stays_an_ipv6_address() {
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        let decoded = decode_address(encode(mapped).as_bytes()).unwrap();
        assert!(decoded.is_ipv6());
        assert_eq!(decoded, mapped);
    }

    #[test]
    fn encoded_addresses_round_trip_on_this_machine() {
        for text in [
            "0.0.0.0",
            "127.0.0.1",
            "192.168.200.7",
            "255.255.255.255",
            "::",
            "::1",
            "2001:db8::dead:beef",
            "fe80::1",
        ] {
            let addr: IpAddr = text.parse().unwrap();
            assert_eq!(
                decode_address(encode(addr).as_bytes()),
                Some(addr),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for (field, family) in [
            ("0100007F:16", Family::V4),
            ("0100007F0016", Family::V4),
            ("100007F:0016", Family::V4),
            ("0100007G:0016", Family::V4),
            ("+100007F:0016", Family::V4),
            ("0100007F:+016", Family::V4),
            ("0100007F:0016", Family::V6),
            ("00000000000000000000000001000000:82F7", Family::V4),
            ("0000000000000000000000000100000:82F7", Family::V6),
            ("", Family::V4),
        ] {
            assert_eq!(decode_endpoint(field.as_bytes(), family), None, "{field}");
        }
    }

    #[test]
    fn only_listening_tcp_and_unconnected_udp_are_kept() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1 000000002bb14ef0 100 0 0 10 0\n\
   1: 00000000:07E8 00000000:0000 01 00000000:00000000 00:00000000 00000000  1000        0 1146 1 000000002bb14ef0 100 0 0 10 0\n\
   2: 00000000:07E8 00000000:0000 06 00000000:00000000 03:00000D9A 00000000     0        0 0 3 0000000000000000\n";
        let mut out = Vec::new();
        parse_table(&TABLES[0], &mut tcp.as_bytes(), "tcp", &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].port, out[0].inode, out[0].state),
            (2024, 1145, SocketState::Listen)
        );
        let udp = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
 2047: 00000000:A47D 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 7604 2 00000000a1f2e790 0\n\
 2048: 00000000:A47E 00000000:0035 01 00000000:00000000 00:00000000 00000000     0        0 7605 2 00000000a1f2e790 0\n";
        let mut out = Vec::new();
        parse_table(&TABLES[2], &mut udp.as_bytes(), "udp", &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].port, out[0].uid, out[0].state),
            (0xA47D, 101, SocketState::Unconn)
        );
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        let good = "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1 000000002bb14ef0 100 0 0 10 0\n";
        for (line, why) in [
            ("   1: 00000000:07E8 00000000:0000 0A\n", "fields"),
            (
                "   1: 00000000:07E8 00000000:0000 0X 00000000:00000000 00:00000000 00000000     0        0 1 1 0 1 0 0 10 0\n",
                "state",
            ),
            (
                "   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     x        0 1 1 0 1 0 0 10 0\n",
                "uid",
            ),
            (
                "   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 -1 1 0 1 0 0 10 0\n",
                "inode",
            ),
            (
                "   1 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 1 0 0 10 0\n",
                "slot",
            ),
            ("\n", "fields"),
        ] {
            let text = format!("{header}{good}{line}");
            let err = bad_line(parse_table(
                &TABLES[0],
                &mut text.as_bytes(),
                "tcp",
                &mut Vec::new(),
            ));
            assert_eq!(err.line, 3, "{line}");
            assert!(err.problem.contains(why), "{line}: {}", err.problem);
        }
        let err = bad_line(parse_table(
            &TABLES[0],
            &mut good.as_bytes(),
            "tcp",
            &mut Vec::new(),
        ));
        assert_eq!(err.line, 1);
        assert!(err.problem.contains("header"), "{}", err.problem);
        let err = bad_line(parse_table(
            &TABLES[0],
            &mut &b""[..],
            "tcp",
            &mut Vec::new(),
        ));
        assert!(err.problem.contains("header"), "{}", err.problem);
    }
}
