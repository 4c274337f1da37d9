//! Network-facing host controls (GB/T 22239-2019 8.1.4.4 b) c)): a host
//! firewall with rules, management access limited by address, and NFS
//! exports that are not open to everyone.
//!
//! - host-firewall passes with any of: nftables.service enabled and
//!   `/etc/nftables.conf` (with its `include`s) holding at least one rule or
//!   a `policy drop` chain; firewalld.service enabled; `ENABLED=yes` in
//!   `/etc/ufw/ufw.conf`; `/etc/iptables/rules.v4` (netfilter-persistent.service
//!   enabled) or `/etc/sysconfig/iptables` (iptables.service enabled) with an
//!   `-A` rule or a `DROP` chain policy. Only the saved configuration is read,
//!   not the ruleset loaded in the kernel. A root without systemd and without
//!   ufw could not run.
//! - management-access passes with any of: `/etc/hosts.deny` denying sshd
//!   (`sshd: ALL` or `ALL: ALL`) and `/etc/hosts.allow` allowing sshd from
//!   listed addresses (only effective where sshd is built with TCP wrappers);
//!   an sshd `AllowUsers` entry with a `user@host` pattern or a
//!   `ListenAddress` that is not a wildcard (a simple scan of
//!   `/etc/ssh/sshd_config` and `sshd_config.d/*.conf`); a firewall rule
//!   naming port 22 (or ssh) together with a source address (nftables,
//!   iptables, ufw, firewalld). Without sshd_config it could not run.
//! - nfs-exports: each export of `/etc/exports` and `/etc/exports.d/*.exports`
//!   open to everyone (`*`, or options without a host) or with
//!   `no_root_squash` or `insecure` is a finding; without either file (no NFS
//!   server) it could not run.

use super::super::read::{read_all, read_some};
use super::super::units::enabled_unit;
use super::super::{Problem, RuleResult};
use chrono::{DateTime, FixedOffset};
use regex::Regex;
use selfcheck_catalog::CheckDef;
use selfcheck_hostfs::root::HostRoot;

/// Non-comment lines of a text (`#` comments, also trailing ones).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.split('#').next().unwrap_or("").trim();
        (!l.is_empty()).then_some((i + 1, l))
    })
}

/// nftables.conf and the files its `include` lines name (one level).
fn nftables_files(root: &HostRoot) -> Result<Vec<(String, String)>, String> {
    let mut files = read_all(root, &["/etc/nftables.conf".to_string()])?;
    let includes: Vec<String> = files
        .iter()
        .flat_map(|(_, t)| lines(t).map(|(_, l)| l.to_string()).collect::<Vec<_>>())
        .filter_map(|l| {
            let rest = l.strip_prefix("include")?.trim().trim_matches('"');
            (rest.starts_with('/') && !rest.split('/').any(|c| c == "..")).then(|| rest.to_string())
        })
        .collect();
    files.extend(read_all(root, &includes)?);
    Ok(files)
}

/// Rule lines of nftables files: statements inside chains, not the
/// `type ... hook` declaration, unless it sets `policy drop`.
fn nft_rules(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        let mut in_chain = false;
        for (n, l) in lines(text) {
            if l.starts_with("chain ") {
                in_chain = true;
                continue;
            }
            if l == "}" || l.starts_with("table ") {
                in_chain = false;
                continue;
            }
            if !in_chain {
                continue;
            }
            let setting =
                (l.starts_with("type ") && l.contains("hook")) || l.starts_with("policy ");
            if !setting || l.contains("policy drop") {
                out.push(format!("{path}:{n}: {l}"));
            }
        }
    }
    out
}

/// `-A` rules and DROP policies of an iptables-save file.
fn iptables_rules(text: &str) -> usize {
    lines(text)
        .filter(|(_, l)| {
            l.starts_with("-A ")
                || (l.starts_with(':') && l.split_whitespace().nth(1) == Some("DROP"))
        })
        .count()
}

/// `baseline.host-firewall`.
pub(crate) fn host_firewall(
    root: &HostRoot,
    _def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let mut evidence = Vec::new();
    let ufw = read_all(root, &["/etc/ufw/ufw.conf".to_string()])?;
    let ufw_on = ufw.iter().any(|(_, t)| {
        lines(t).any(|(_, l)| {
            l.split_once('=').is_some_and(|(k, v)| {
                k.trim() == "ENABLED" && v.trim().trim_matches('"').eq_ignore_ascii_case("yes")
            })
        })
    });
    if ufw_on {
        return Ok(Vec::new());
    }
    evidence.push(if ufw.is_empty() {
        "ufw: not installed".to_string()
    } else {
        "ufw: /etc/ufw/ufw.conf does not say ENABLED=yes".to_string()
    });
    let unit = |u: &str| enabled_unit(root, u);
    let systemd = unit("firewalld.service");
    let Ok(firewalld) = systemd else {
        return Err(format!(
            "{} and ufw is not installed",
            systemd.err().unwrap_or_default()
        ));
    };
    if firewalld.is_some() {
        return Ok(Vec::new());
    }
    evidence.push("firewalld.service: not enabled".to_string());
    let nft = nftables_files(root)?;
    let nft_enabled = unit("nftables.service")?.is_some();
    let rules = nft_rules(&nft);
    match (nft_enabled, nft.is_empty(), rules.len()) {
        (true, false, n) if n > 0 => return Ok(Vec::new()),
        (true, false, _) => evidence.push(
            "nftables.service: enabled, but /etc/nftables.conf has no rule and no policy drop"
                .to_string(),
        ),
        (true, true, _) => {
            evidence.push("nftables.service: enabled, but /etc/nftables.conf is missing".into())
        }
        (false, true, _) => evidence.push("nftables.service: not enabled".to_string()),
        (false, false, n) => evidence.push(format!(
            "nftables.service: not enabled ({n} rules in /etc/nftables.conf are not loaded at boot)"
        )),
    }
    for (file, service) in [
        ("/etc/iptables/rules.v4", "netfilter-persistent.service"),
        ("/etc/sysconfig/iptables", "iptables.service"),
    ] {
        let saved = read_all(root, &[file.to_string()])?;
        let Some((_, text)) = saved.first() else {
            continue;
        };
        let n = iptables_rules(text);
        let on = unit(service)?.is_some();
        if on && n > 0 {
            return Ok(Vec::new());
        }
        evidence.push(format!(
            "{file}: {n} rules; {service} {}",
            if on { "enabled" } else { "not enabled" }
        ));
    }
    Ok(vec![Problem {
        subject: "host firewall".to_string(),
        evidence,
    }])
}

/// Whether a hosts.allow/deny daemon list names sshd (or ALL).
fn names_sshd(daemons: &str) -> bool {
    daemons
        .split([',', ' '])
        .map(str::trim)
        .any(|d| d == "ALL" || d == "sshd" || d.starts_with("sshd@"))
}

/// Whether an sshd `ListenAddress` value (`host`, `host:port`, `[v6]:port`,
/// `v6`) listens on every address.
fn is_wildcard(a: &str) -> bool {
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else if a.matches(':').count() == 1 {
        a.split(':').next().unwrap_or("")
    } else {
        a
    };
    matches!(host, "0.0.0.0" | "::" | "*" | "")
}

/// `baseline.management-access`.
pub(crate) fn management_access(
    root: &HostRoot,
    _def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let sshd = read_all(
        root,
        &[
            "/etc/ssh/sshd_config".to_string(),
            "/etc/ssh/sshd_config.d/*.conf".to_string(),
        ],
    )?;
    if !sshd.iter().any(|(p, _)| p == "/etc/ssh/sshd_config") {
        return Err(
            "/etc/ssh/sshd_config not found: the OpenSSH server is not installed on the audited root"
                .to_string(),
        );
    }
    // TCP wrappers.
    let deny = read_all(root, &["/etc/hosts.deny".to_string()])?;
    let allow = read_all(root, &["/etc/hosts.allow".to_string()])?;
    let denies = deny.iter().any(|(_, t)| {
        lines(t).any(|(_, l)| {
            let mut f = l.split(':');
            let (d, c) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
            names_sshd(d) && c.split([',', ' ']).any(|c| c.trim() == "ALL")
        })
    });
    let allowed_from: Vec<String> = allow
        .iter()
        .flat_map(|(p, t)| {
            lines(t)
                .filter(|(_, l)| {
                    let mut f = l.split(':');
                    let (d, c) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
                    names_sshd(d)
                        && !c.trim().is_empty()
                        && !c.split([',', ' ']).any(|c| c.trim() == "ALL")
                })
                .map(|(n, l)| format!("{p}:{n}: {l}"))
                .collect::<Vec<_>>()
        })
        .collect();
    if denies && !allowed_from.is_empty() {
        return Ok(Vec::new());
    }
    // sshd settings.
    for (_, text) in &sshd {
        for (_, l) in lines(text) {
            let mut w = l.split_whitespace();
            let key = w.next().unwrap_or("").to_ascii_lowercase();
            let values: Vec<&str> = w.collect();
            if key == "match" {
                break;
            }
            let restricted = match key.as_str() {
                "allowusers" => values.iter().any(|v| v.contains('@')),
                "listenaddress" => values.first().is_some_and(|a| !is_wildcard(a)),
                _ => false,
            };
            if restricted {
                return Ok(Vec::new());
            }
        }
    }
    // Firewall rules naming port 22 and a source.
    let port22 = Regex::new(r"(dport\s+(\{[^}]*\b22\b[^}]*\}|22\b|ssh\b)|--dport\s+(22|ssh)\b|port=.22.|service name=.ssh.|\b22/tcp\b)")
        .map_err(|e| e.to_string())?;
    let source =
        Regex::new(r"(saddr\s+\S|(^|\s)-s\s+\S|--source\s+\S|source address=|\bfrom\s+\d)")
            .map_err(|e| e.to_string())?;
    let (fw, _) = read_some(
        root,
        &[
            "/etc/nftables.conf",
            "/etc/iptables/rules.v4",
            "/etc/iptables/rules.v6",
            "/etc/sysconfig/iptables",
            "/etc/ufw/user.rules",
            "/etc/firewalld/zones/*.xml",
        ],
    );
    for (_, text) in &fw {
        if text
            .lines()
            .map(str::to_lowercase)
            .any(|l| !l.trim_start().starts_with('#') && port22.is_match(&l) && source.is_match(&l))
        {
            return Ok(Vec::new());
        }
    }
    let mut evidence = Vec::new();
    evidence.push(match (denies, allowed_from.is_empty()) {
        (true, true) => "hosts.deny denies sshd but hosts.allow allows it from no address list".to_string(),
        (false, false) => format!(
            "hosts.allow limits sshd ({}) but hosts.deny does not deny the rest (sshd: ALL or ALL: ALL)",
            allowed_from.join("; ")
        ),
        _ => "no TCP-wrappers restriction for sshd in /etc/hosts.allow and /etc/hosts.deny".to_string(),
    });
    evidence.push(
        "no AllowUsers user@host pattern and no specific ListenAddress in /etc/ssh/sshd_config(.d)"
            .to_string(),
    );
    evidence.push(format!(
        "no firewall rule limits port 22 to a source address (read {})",
        if fw.is_empty() {
            "no firewall configuration".to_string()
        } else {
            fw.iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    Ok(vec![Problem {
        subject: "/etc/ssh/sshd_config".to_string(),
        evidence,
    }])
}

/// `baseline.nfs-exports`.
pub(crate) fn nfs_exports(
    root: &HostRoot,
    _def: &CheckDef,
    _now: DateTime<FixedOffset>,
) -> RuleResult {
    let files = read_all(
        root,
        &[
            "/etc/exports".to_string(),
            "/etc/exports.d/*.exports".to_string(),
        ],
    )?;
    if files.is_empty() {
        return Err(
            "neither /etc/exports nor /etc/exports.d/*.exports exists: no NFS server is installed on the audited root"
                .to_string(),
        );
    }
    let mut problems = Vec::new();
    for (path, text) in &files {
        // Join continuation lines, keeping the first line's number.
        let mut joined: Vec<(usize, String)> = Vec::new();
        let mut cont = false;
        for (i, raw) in text.lines().enumerate() {
            let l = raw.split('#').next().unwrap_or("");
            let (body, more) = match l.trim_end().strip_suffix('\\') {
                Some(b) => (b, true),
                None => (l, false),
            };
            match (cont, joined.last_mut()) {
                (true, Some((_, s))) => {
                    s.push(' ');
                    s.push_str(body.trim());
                }
                _ => joined.push((i + 1, body.trim().to_string())),
            }
            cont = more;
        }
        for (n, l) in joined.iter().filter(|(_, l)| !l.is_empty()) {
            let (export, rest) = match l.strip_prefix('"') {
                Some(q) => match q.split_once('"') {
                    Some((e, r)) => (e.to_string(), r.trim()),
                    None => continue,
                },
                None => match l.split_once(char::is_whitespace) {
                    Some((e, r)) => (e.to_string(), r.trim()),
                    None => (l.clone(), ""),
                },
            };
            let mut issues = Vec::new();
            if rest.is_empty() {
                issues.push("no client list: open to everyone".to_string());
            }
            for client in rest.split_whitespace() {
                let (host, opts) = match client.split_once('(') {
                    Some((h, o)) => (h, o.trim_end_matches(')')),
                    None => (client, ""),
                };
                if host.is_empty() || host == "*" {
                    issues.push(format!("{client}: open to everyone"));
                }
                for o in opts.split(',').map(str::trim) {
                    if o == "no_root_squash" || o == "insecure" {
                        issues.push(format!("{client}: {o}"));
                    }
                }
            }
            if !issues.is_empty() {
                problems.push(Problem {
                    subject: format!("{path}:{export}"),
                    evidence: vec![format!("{path}:{n}: {l} ({})", issues.join("; "))],
                });
            }
        }
    }
    Ok(problems)
}
