//! The port policy: catalog `ports` checks as rules, judged against the listening sockets and the allowlist.
//!
//! A rule comes from a check's `params` (see `checks/ports.toml`):
//!
//! ```toml
//! params = { protocols = ["tcp"], ports = [23, "512-514"], exposure = "any" }
//! ```
//!
//! Every socket whose protocol and port the rule covers, and whose address the
//! exposure counts (`any`: all; `non_loopback`: all but 127.0.0.0/8, `::1` and
//! `::ffff:127.x.y.z`), is evidence of one finding per protocol and port,
//! subject `tcp/23`. Sockets that an allow entry of the agent configuration
//! matches do not count; a finding whose every socket is allowed is reported
//! as suppressed, with the entries' reasons.

use super::cfg::PortAllow;
use crate::audit::AuditOutput;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::{CatalogError, CheckDef};
use selfcheck_report::{
    CheckId, CheckOutcome, CheckRun, Finding, Fingerprint, ListeningSocket, SuppressedFinding,
    TransportProtocol,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use toml::Value;

/// The keys a port check's `params` may have.
const PARAM_KEYS: [&str; 3] = ["protocols", "ports", "exposure"];

/// Which listeners of a covered port count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exposure {
    /// Any listener, loopback included.
    Any,
    /// Only listeners other hosts can reach (not loopback-only).
    NonLoopback,
}

/// One catalog check of area `ports`, its params checked.
#[derive(Debug, Clone)]
pub(crate) struct PortRule<'a> {
    def: &'a CheckDef,
    protocols: Vec<TransportProtocol>,
    /// Inclusive port ranges; a single port is `(p, p)`.
    ports: Vec<(u16, u16)>,
    exposure: Exposure,
}

impl<'a> PortRule<'a> {
    /// The rule of `def`, or an error naming the file, the check and the faulty key.
    pub(crate) fn from_check(def: &'a CheckDef) -> Result<PortRule<'a>, CatalogError> {
        if let Some(key) = def
            .params
            .keys()
            .find(|k| !PARAM_KEYS.contains(&k.as_str()))
        {
            return Err(def.param_error(
                key,
                format!(
                    "unknown parameter; a ports check takes {}",
                    PARAM_KEYS.join(", ")
                ),
            ));
        }
        Ok(PortRule {
            def,
            protocols: protocols(def)?,
            ports: ports(def)?,
            exposure: exposure(def)?,
        })
    }

    /// The check this rule comes from.
    pub(crate) fn check_id(&self) -> &CheckId {
        &self.def.id
    }

    /// Whether `socket` is evidence for this rule (before the allowlist).
    fn covers(&self, socket: &ListeningSocket) -> bool {
        self.protocols.contains(&socket.protocol)
            && self
                .ports
                .iter()
                .any(|&(low, high)| (low..=high).contains(&socket.port))
            && match self.exposure {
                Exposure::Any => true,
                Exposure::NonLoopback => !socket.is_loopback_only(),
            }
    }
}

fn list<'d>(def: &'d CheckDef, key: &str, example: &str) -> Result<&'d [Value], CatalogError> {
    match def.params.get(key) {
        Some(Value::Array(items)) if !items.is_empty() => Ok(items),
        Some(Value::Array(_)) => Err(def.param_error(
            key,
            format!("is empty, so the check would look at nothing; write e.g. {key} = {example}"),
        )),
        Some(_) => Err(def.param_error(key, format!("must be a list, e.g. {key} = {example}"))),
        None => Err(def.param_error(key, format!("is missing; write e.g. {key} = {example}"))),
    }
}

fn protocols(def: &CheckDef) -> Result<Vec<TransportProtocol>, CatalogError> {
    let example = r#"["tcp"] or ["tcp", "udp"]"#;
    let mut out = Vec::new();
    for (index, item) in list(def, "protocols", example)?.iter().enumerate() {
        let protocol = match item.as_str() {
            Some("tcp") => TransportProtocol::Tcp,
            Some("udp") => TransportProtocol::Udp,
            _ => {
                return Err(def.param_error(
                    "protocols",
                    format!(
                        "entry {} ({item}) is not a protocol; use \"tcp\" or \"udp\"",
                        index + 1
                    ),
                ));
            }
        };
        if !out.contains(&protocol) {
            out.push(protocol);
        }
    }
    Ok(out)
}

fn ports(def: &CheckDef) -> Result<Vec<(u16, u16)>, CatalogError> {
    let example = r#"[23, "512-514"]"#;
    let items = list(def, "ports", example)?;
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let range = match item {
            Value::Integer(n) => port_number(*n).map(|p| (p, p)),
            Value::String(s) => port_range(s),
            _ => Err("is neither a port number nor a \"LOW-HIGH\" range".to_string()),
        }
        .map_err(|why| {
            def.param_error(
                "ports",
                format!(
                    "entry {} ({item}) {why} (a port is a number 1-65535 or an inclusive range \"LOW-HIGH\", e.g. {example})",
                    index + 1
                ),
            )
        })?;
        out.push(range);
    }
    Ok(out)
}

fn port_number(n: i64) -> Result<u16, String> {
    match u16::try_from(n) {
        Ok(p) if p > 0 => Ok(p),
        _ => Err("is out of range".to_string()),
    }
}

fn port_range(text: &str) -> Result<(u16, u16), String> {
    let parse = |part: &str| -> Result<u16, String> {
        let part = part.trim();
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("has {part:?} where a port number belongs"));
        }
        part.parse::<i64>()
            .map_err(|_| "is out of range".to_string())
            .and_then(port_number)
    };
    let (low, high) = match text.split_once('-') {
        Some((low, high)) => (parse(low)?, parse(high)?),
        None => {
            let p = parse(text)?;
            (p, p)
        }
    };
    if low > high {
        return Err(format!("starts above its end; write \"{high}-{low}\""));
    }
    Ok((low, high))
}

fn exposure(def: &CheckDef) -> Result<Exposure, CatalogError> {
    match def.params.get("exposure") {
        Some(Value::String(s)) if s == "any" => Ok(Exposure::Any),
        Some(Value::String(s)) if s == "non_loopback" => Ok(Exposure::NonLoopback),
        Some(other) => Err(def.param_error(
            "exposure",
            format!(
                "{other} is not an exposure; use \"any\" (every listener counts) or \"non_loopback\" (only listeners other hosts can reach)"
            ),
        )),
        None => Err(def.param_error(
            "exposure",
            "is missing; write exposure = \"any\" or exposure = \"non_loopback\"",
        )),
    }
}

/// What every finding of one audit shares.
pub(crate) struct Context<'a> {
    /// Approved listeners from the agent configuration.
    pub allow: &'a [PortAllow],
    /// The asset key fingerprints are computed with.
    pub asset_key: &'a str,
    /// When the findings were detected.
    pub now: DateTime<FixedOffset>,
}

/// Judge `sockets` (sorted as [`super::collect_listening_sockets`] returns them)
/// by every rule: one check run per rule, findings and suppressed findings
/// ordered by check id, then protocol and port.
pub(crate) fn evaluate(
    rules: &[PortRule<'_>],
    sockets: &[ListeningSocket],
    ctx: &Context<'_>,
) -> AuditOutput {
    let mut rules: Vec<&PortRule<'_>> = rules.iter().collect();
    rules.sort_by(|a, b| a.check_id().cmp(b.check_id()));
    let mut output = AuditOutput::default();
    for rule in rules {
        let mut groups: BTreeMap<(TransportProtocol, u16), Vec<&ListeningSocket>> = BTreeMap::new();
        for socket in sockets.iter().filter(|s| rule.covers(s)) {
            groups
                .entry((socket.protocol, socket.port))
                .or_default()
                .push(socket);
        }
        let mut count = 0u32;
        for ((protocol, port), group) in groups {
            let subject = format!("{}/{port}", protocol.as_str());
            let (counted, reasons) = apply_allowlist(&group, rule.check_id(), ctx.allow);
            let finding = |evidence: &[&ListeningSocket]| Finding {
                fingerprint: Fingerprint::compute(ctx.asset_key, rule.check_id(), &subject),
                check_id: rule.check_id().clone(),
                risk: rule.def.risk,
                subject: subject.clone(),
                evidence: evidence.iter().map(|s| evidence_line(s)).collect(),
                detected_at: ctx.now,
            };
            if counted.is_empty() {
                output.suppressed.push(SuppressedFinding {
                    finding: finding(&group),
                    reason: reasons.join("; "),
                });
            } else {
                count = count.saturating_add(1);
                output.findings.push(finding(&counted));
            }
        }
        output.checks.push(CheckRun {
            check_id: rule.check_id().clone(),
            outcome: if count == 0 {
                CheckOutcome::Passed
            } else {
                CheckOutcome::Findings { count }
            },
        });
    }
    output
}

/// The sockets of `group` that no allow entry approves for `check`, and the
/// distinct reasons of the entries that approved the others, in file order.
fn apply_allowlist<'s, 'a>(
    group: &[&'s ListeningSocket],
    check: &CheckId,
    allow: &'a [PortAllow],
) -> (Vec<&'s ListeningSocket>, Vec<&'a str>) {
    let mut counted = Vec::new();
    let mut used = BTreeSet::new();
    for &socket in group {
        let mut allowed = false;
        for (i, entry) in allow.iter().enumerate() {
            if allows(entry, check, socket) {
                allowed = true;
                used.insert(i);
            }
        }
        if !allowed {
            counted.push(socket);
        }
    }
    let mut reasons: Vec<&str> = Vec::new();
    for i in used {
        let reason = allow[i].reason.as_str();
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    (counted, reasons)
}

/// Whether allow `entry` approves `socket` for `check`: every field the entry
/// gives matches. An address matches its IPv4-mapped IPv6 form and back.
fn allows(entry: &PortAllow, check: &CheckId, socket: &ListeningSocket) -> bool {
    entry.port == socket.port
        && entry.protocol.is_none_or(|p| p == socket.protocol)
        && entry.address.is_none_or(|a| {
            a == socket.address || a.to_canonical() == socket.address.to_canonical()
        })
        && entry
            .process
            .as_ref()
            .is_none_or(|name| socket.processes.iter().any(|p| &p.name == name))
        && entry.check.as_ref().is_none_or(|c| c == check)
}

/// One evidence line: `0.0.0.0:23 LISTEN uid 0 pid 812 (inetd) fd 3`.
fn evidence_line(socket: &ListeningSocket) -> String {
    let mut line = format!(
        "{} {} uid {}",
        socket.endpoint(),
        socket.state.as_str(),
        socket.uid
    );
    if socket.processes.is_empty() {
        line.push_str(" process not visible");
    }
    for (i, p) in socket.processes.iter().enumerate() {
        let sep = if i == 0 { " " } else { ", " };
        let _ = write!(line, "{sep}pid {} ({}) fd {}", p.pid, p.name, p.fd);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use selfcheck_catalog::{Catalog, CatalogSource};
    use selfcheck_report::{SocketProcess, SocketState};

    fn catalog(params: &str) -> Result<Catalog, CatalogError> {
        let text = format!(
            "[[check]]\nid = \"ports.test\"\narea = \"ports\"\nrisk = \"high\"\n\
             title = {{ zh = \"t\", en = \"t\" }}\ndescription = {{ zh = \"d\", en = \"d\" }}\n\
             why = {{ zh = \"w\", en = \"w\" }}\nremediation = {{ zh = \"r\", en = \"r\" }}\n\
             references = []\nparams = {params}\n"
        );
        Catalog::from_files([("t.toml".to_string(), text)], CatalogSource::Embedded)
    }

    fn rule_error(params: &str) -> CatalogError {
        let catalog = catalog(params).unwrap();
        let def = catalog.get_str("ports.test").unwrap();
        PortRule::from_check(def).unwrap_err()
    }

    #[test]
    fn ranges_and_single_ports_are_read() {
        let catalog =
            catalog(r#"{ protocols = ["udp", "tcp"], ports = [23, "512-514", "80"], exposure = "non_loopback" }"#)
                .unwrap();
        let rule = PortRule::from_check(catalog.get_str("ports.test").unwrap()).unwrap();
        assert_eq!(rule.ports, vec![(23, 23), (512, 514), (80, 80)]);
        assert_eq!(
            rule.protocols,
            vec![TransportProtocol::Udp, TransportProtocol::Tcp]
        );
        assert_eq!(rule.exposure, Exposure::NonLoopback);
    }

    #[test]
    fn bad_params_name_the_key() {
        for (params, key, words) in [
            (
                r#"{ protocols = ["tcp"], ports = ["514-512"], exposure = "any" }"#,
                "params.ports",
                "512-514",
            ),
            (
                r#"{ protocols = ["tcp"], ports = [0], exposure = "any" }"#,
                "params.ports",
                "1-65535",
            ),
            (
                r#"{ protocols = ["tcp"], ports = [65536], exposure = "any" }"#,
                "params.ports",
                "1-65535",
            ),
            (
                r#"{ protocols = ["tcp"], ports = ["2x-3"], exposure = "any" }"#,
                "params.ports",
                "\"2x\"",
            ),
            (
                r#"{ protocols = ["tcp"], ports = [], exposure = "any" }"#,
                "params.ports",
                "empty",
            ),
            (
                r#"{ protocols = ["tcp"], ports = 23, exposure = "any" }"#,
                "params.ports",
                "list",
            ),
            (
                r#"{ protocols = ["sctp"], ports = [1], exposure = "any" }"#,
                "params.protocols",
                "\"tcp\" or \"udp\"",
            ),
            (
                r#"{ ports = [1], exposure = "any" }"#,
                "params.protocols",
                "missing",
            ),
            (
                r#"{ protocols = ["tcp"], ports = [1], exposure = "public" }"#,
                "params.exposure",
                "non_loopback",
            ),
            (
                r#"{ protocols = ["tcp"], ports = [1] }"#,
                "params.exposure",
                "missing",
            ),
            (
                r#"{ protocols = ["tcp"], port = [1], ports = [1], exposure = "any" }"#,
                "params.port",
                "unknown",
            ),
        ] {
            let err = rule_error(params);
            assert_eq!(err.check.as_deref(), Some("ports.test"), "{params}");
            assert_eq!(err.key.as_deref(), Some(key), "{params}");
            assert!(err.message.contains(words), "{params}: {}", err.message);
        }
    }

    #[test]
    fn evidence_names_every_holder_or_says_none_is_visible() {
        let mut socket = ListeningSocket {
            protocol: TransportProtocol::Tcp,
            address: "0.0.0.0".parse().unwrap(),
            port: 23,
            state: SocketState::Listen,
            uid: 0,
            inode: 1,
            processes: vec![],
        };
        assert_eq!(
            evidence_line(&socket),
            "0.0.0.0:23 LISTEN uid 0 process not visible"
        );
        socket.processes = vec![
            SocketProcess {
                pid: 812,
                name: "inetd".into(),
                fd: 3,
            },
            SocketProcess {
                pid: 813,
                name: "inetd".into(),
                fd: 4,
            },
        ];
        assert_eq!(
            evidence_line(&socket),
            "0.0.0.0:23 LISTEN uid 0 pid 812 (inetd) fd 3, pid 813 (inetd) fd 4"
        );
    }

    #[test]
    fn allow_addresses_match_their_mapped_form() {
        let socket = ListeningSocket {
            protocol: TransportProtocol::Tcp,
            address: "::ffff:10.0.0.5".parse().unwrap(),
            port: 3306,
            state: SocketState::Listen,
            uid: 0,
            inode: 1,
            processes: vec![],
        };
        let check: CheckId = "ports.mysql".parse().unwrap();
        let entry = PortAllow {
            port: 3306,
            protocol: None,
            address: Some("10.0.0.5".parse().unwrap()),
            process: None,
            check: None,
            reason: "r".into(),
        };
        assert!(allows(&entry, &check, &socket));
        let process = PortAllow {
            process: Some("mysqld".into()),
            ..entry.clone()
        };
        assert!(
            !allows(&process, &check, &socket),
            "no visible process cannot match a name"
        );
        let other = PortAllow {
            check: Some("ports.redis".parse().unwrap()),
            ..entry
        };
        assert!(!allows(&other, &check, &socket));
    }
}
