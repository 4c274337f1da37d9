//! `Match` criteria and the connection they are tested against, after
//! servconf.c's `match_cfg_line` and OpenSSH's match.c / addrmatch.c:
//! pattern lists with `*`, `?`, `!` negation (a negated hit wins) and comma
//! lists; CIDR for addresses; groups looked up in the root's passwd and group.

use selfcheck_hostfs::root::HostRoot;
use std::net::IpAddr;

/// One criterion of a `Match` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Criterion {
    /// `All`: every connection (and the global settings at startup).
    All,
    /// `User pattern-list`.
    User(String),
    /// `Group pattern-list` (the user's primary and supplementary groups).
    Group(String),
    /// `Host pattern-list` (the client's host name, compared in lower case).
    Host(String),
    /// `Address list` (CIDR or patterns) of the client.
    Address(String),
    /// `LocalAddress list` the client connected to.
    LocalAddress(String),
    /// `LocalPort port` the client connected to.
    LocalPort(u16),
    /// `RDomain pattern-list` (routing domain).
    RDomain(String),
}

/// A connection to test `Match` blocks against, like `sshd -T -C user=..,host=..`.
/// A criterion whose field is not given does not match (sshd's test mode).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connection {
    /// `user=`.
    pub user: Option<String>,
    /// `host=`.
    pub host: Option<String>,
    /// `addr=`.
    pub addr: Option<String>,
    /// `laddr=`.
    pub laddr: Option<String>,
    /// `lport=`.
    pub lport: Option<u16>,
    /// `rdomain=`.
    pub rdomain: Option<String>,
    /// The user's group names; `None`: the user does not exist (no group matches).
    pub groups: Option<Vec<String>>,
}

impl Connection {
    /// Parse an `sshd -C` specification (`user=alice,host=h,addr=10.0.0.1,laddr=..,lport=22,rdomain=..`).
    pub fn parse_spec(spec: &str) -> Result<Connection, String> {
        let mut c = Connection::default();
        for part in spec.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not key=value"))?;
            match k {
                "user" => c.user = Some(v.to_string()),
                "host" => c.host = Some(v.to_string()),
                "addr" => c.addr = Some(v.to_string()),
                "laddr" => c.laddr = Some(v.to_string()),
                "lport" => c.lport = Some(v.parse().map_err(|_| format!("invalid port {v:?}"))?),
                "rdomain" => c.rdomain = Some(v.to_string()),
                _ => return Err(format!("unknown connection key {k:?}")),
            }
        }
        Ok(c)
    }

    /// Fill in the user's groups from the root's `/etc/passwd` and `/etc/group`
    /// (primary group by GID, supplementary groups listing the user).
    pub fn with_groups_from(mut self, root: &HostRoot) -> Connection {
        self.groups = self.user.as_deref().and_then(|u| user_groups(root, u));
        self
    }

    /// Whether every criterion holds for this connection.
    pub fn matches(&self, criteria: &[Criterion]) -> bool {
        criteria.iter().all(|c| match c {
            Criterion::All => true,
            Criterion::User(p) => opt_list(self.user.as_deref(), p, false),
            Criterion::Group(p) => match &self.groups {
                Some(groups) if self.user.is_some() => group_list(groups, p),
                _ => false,
            },
            Criterion::Host(p) => opt_list(self.host.as_deref(), p, true),
            Criterion::Address(l) => self
                .addr
                .as_deref()
                .is_some_and(|a| addr_match_list(Some(a), l) == 1),
            Criterion::LocalAddress(l) => self
                .laddr
                .as_deref()
                .is_some_and(|a| addr_match_list(Some(a), l) == 1),
            Criterion::LocalPort(p) => self.lport == Some(*p),
            Criterion::RDomain(p) => opt_list(self.rdomain.as_deref(), p, false),
        })
    }
}

fn opt_list(value: Option<&str>, list: &str, lower: bool) -> bool {
    value.is_some_and(|v| {
        let v = if lower {
            v.to_ascii_lowercase()
        } else {
            v.to_string()
        };
        match_pattern_list(&v, list, lower) == 1
    })
}

/// groupaccess.c `ga_match_pattern_list`: a negated hit on any group wins.
fn group_list(groups: &[String], list: &str) -> bool {
    let mut found = false;
    for g in groups {
        match match_pattern_list(g, list, false) {
            -1 => return false,
            1 => found = true,
            _ => {}
        }
    }
    found
}

fn user_groups(root: &HostRoot, user: &str) -> Option<Vec<String>> {
    let passwd = root.read_optional("/etc/passwd").ok()??;
    let gid = passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 4 && f[0] == user).then(|| f[3].to_string())
    })?;
    let group = root
        .read_optional("/etc/group")
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut out = Vec::new();
    for l in group.lines() {
        let f: Vec<&str> = l.split(':').collect();
        if f.len() < 4 {
            continue;
        }
        if f[2] == gid || f[3].split(',').any(|m| m == user) {
            out.push(f[0].to_string());
        }
    }
    Some(out)
}

/// The criteria of a `Match` line's arguments; `Err` says why sshd rejects it.
pub fn parse_criteria(args: &[String]) -> Result<Vec<Criterion>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let attrib = args[i].to_ascii_lowercase();
        if attrib == "all" {
            if !out.is_empty() || args.len() > i + 1 {
                return Err("'all' cannot be combined with other Match attributes".into());
            }
            out.push(Criterion::All);
            break;
        }
        let Some(arg) = args.get(i + 1).filter(|a| !a.is_empty()) else {
            return Err(format!("missing Match criteria for {}", args[i]));
        };
        out.push(match attrib.as_str() {
            "user" => Criterion::User(arg.clone()),
            "group" => Criterion::Group(arg.clone()),
            "host" => Criterion::Host(arg.clone()),
            "address" | "localaddress" => {
                if addr_match_list(None, arg) != 0 {
                    return Err(format!("invalid Match address argument '{arg}'"));
                }
                if attrib == "address" {
                    Criterion::Address(arg.clone())
                } else {
                    Criterion::LocalAddress(arg.clone())
                }
            }
            "localport" => Criterion::LocalPort(
                arg.parse()
                    .map_err(|_| format!("invalid LocalPort '{arg}' on Match line"))?,
            ),
            "rdomain" => Criterion::RDomain(arg.clone()),
            _ => return Err(format!("unsupported Match attribute {}", args[i])),
        });
        i += 2;
    }
    if out.is_empty() {
        return Err("one or more attributes required for Match".into());
    }
    Ok(out)
}

/// match.c `match_pattern`: `*` any run, `?` one character, whole string.
pub fn match_pattern(s: &str, pattern: &str) -> bool {
    selfcheck_hostfs::wildcard::wildcard_match(pattern, s, false)
}

/// match.c `match_pattern_list`: 1 a pattern matched, 0 none, -1 a negated one matched.
pub fn match_pattern_list(s: &str, list: &str, lower: bool) -> i32 {
    let mut positive = 0;
    for sub in list.split(',') {
        let (neg, sub) = match sub.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, sub),
        };
        let sub = if lower {
            sub.to_ascii_lowercase()
        } else {
            sub.to_string()
        };
        if match_pattern(s, &sub) {
            if neg {
                return -1;
            }
            positive = 1;
        }
    }
    positive
}

/// addrmatch.c `addr_match_list`: 1 matched, 0 not, -1 a negated entry
/// matched, -2 the list is invalid (an empty entry, host bits set under a mask).
pub fn addr_match_list(addr: Option<&str>, list: &str) -> i32 {
    let addr = match addr {
        Some(a) => match a.parse::<IpAddr>() {
            Ok(ip) => Some((a, ip)),
            Err(_) => return 0,
        },
        None => None,
    };
    let mut ret = 0;
    for entry in list.split(',') {
        let (neg, entry) = match entry.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, entry),
        };
        if entry.is_empty() {
            return -2;
        }
        let hit = match parse_cidr(entry) {
            Cidr::Invalid => return -2,
            Cidr::Net(net, len) => addr.is_some_and(|(_, ip)| in_net(ip, net, len)),
            Cidr::Pattern => addr.is_some_and(|(a, _)| match_pattern(a, entry)),
        };
        if hit {
            if neg {
                return -1;
            }
            ret = 1;
        }
    }
    ret
}

/// A list entry of `addr_match_list`.
enum Cidr {
    /// A network and its prefix length.
    Net(IpAddr, u32),
    /// Not an address: compared as a `*`/`?` pattern.
    Pattern,
    /// An address with host bits set under its mask.
    Invalid,
}

fn bits(ip: IpAddr) -> (u128, u32) {
    match ip {
        IpAddr::V4(v) => (u32::from(v) as u128, 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

/// addrmatch.c `addr_pton_cidr`: `addr[/len]`; host bits under the mask are an error.
fn parse_cidr(s: &str) -> Cidr {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => match l.parse::<u32>() {
            Ok(n) if !l.starts_with('+') => (a, Some(n)),
            _ => return Cidr::Pattern,
        },
        None => (s, None),
    };
    let Ok(ip) = a.parse::<IpAddr>() else {
        return Cidr::Pattern;
    };
    let (value, width) = bits(ip);
    let len = len.unwrap_or(width);
    if len > width {
        return Cidr::Pattern;
    }
    let host_bits = width - len;
    let mask = if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let host = value & mask;
    if host != 0 {
        return Cidr::Invalid;
    }
    Cidr::Net(ip, len)
}

fn in_net(ip: IpAddr, net: IpAddr, len: u32) -> bool {
    let ((a, wa), (n, wn)) = (bits(ip), bits(net));
    if wa != wn {
        return false;
    }
    len == 0 || (a >> (wa - len)) == (n >> (wn - len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn pattern_lists_negate_and_wildcard() {
        assert_eq!(match_pattern_list("alice", "a*,bob", false), 1);
        assert_eq!(match_pattern_list("alice", "*,!alice", false), -1);
        assert_eq!(match_pattern_list("alice", "b?b", false), 0);
        assert_eq!(match_pattern_list("Alice", "alice", false), 0);
    }

    #[test]
    fn addresses_match_by_cidr_or_pattern() {
        assert_eq!(addr_match_list(Some("10.1.2.3"), "10.0.0.0/8"), 1);
        assert_eq!(
            addr_match_list(Some("10.1.2.3"), "!10.1.0.0/16,10.0.0.0/8"),
            -1
        );
        assert_eq!(addr_match_list(Some("10.1.2.3"), "192.168.0.0/16"), 0);
        assert_eq!(addr_match_list(Some("10.1.2.3"), "10.1.2.*"), 1);
        assert_eq!(addr_match_list(Some("10.1.2.3"), "10.1.2.3"), 1);
        assert_eq!(addr_match_list(Some("2001:db8::1"), "2001:db8::/32"), 1);
        assert_eq!(addr_match_list(None, "10.1.2.3/8"), -2);
        assert_eq!(addr_match_list(None, "10.0.0.0/8,,"), -2);
        assert_eq!(addr_match_list(Some("10.1.2.3"), "0.0.0.0/0"), 1);
    }

    #[test]
    fn criteria_parse_like_match_cfg_line() {
        assert_eq!(parse_criteria(&args("all")).unwrap(), vec![Criterion::All]);
        assert!(parse_criteria(&args("User a All")).is_err());
        assert!(parse_criteria(&args("User")).is_err());
        assert!(parse_criteria(&args("Flavour vanilla")).is_err());
        assert!(parse_criteria(&args("LocalPort ssh")).is_err());
        assert!(parse_criteria(&args("Address 10.1.2.3/8")).is_err());
        let c = parse_criteria(&args("user alice LocalPort 22")).unwrap();
        let conn = Connection::parse_spec("user=alice,lport=22").unwrap();
        assert!(conn.matches(&c));
        assert!(!Connection::default().matches(&c));
    }
}
