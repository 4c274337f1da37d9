//! Effective values, the way sshd computes them: at startup the global
//! settings (lines outside `Match` blocks, and inside `Match All`), the first
//! value obtained winning; for a connection, the first value from a `Match`
//! block that applies to it overrides the global one, for the keywords
//! sshd_config(5) allows in `Match` blocks (servconf.c
//! `copy_set_server_options`). Values are normalised as `sshd -T` prints
//! them: flags in lower case, times in seconds, `prohibit-password` for its
//! alias `without-password`, algorithm lists assembled.

use super::algorithms::{AlgorithmList, Defaults, LIST_KEYWORDS, assemble};
use super::config::{Entry, SshdConfig};
use super::matching::{Connection, Criterion};

/// Keywords (lower case) allowed inside `Match` blocks (sshd_config(5)).
pub const MATCH_KEYWORDS: &[&str] = &[
    "acceptenv",
    "allowagentforwarding",
    "allowgroups",
    "allowstreamlocalforwarding",
    "allowtcpforwarding",
    "allowusers",
    "authenticationmethods",
    "authorizedkeyscommand",
    "authorizedkeyscommanduser",
    "authorizedkeysfile",
    "authorizedprincipalscommand",
    "authorizedprincipalscommanduser",
    "authorizedprincipalsfile",
    "banner",
    "casignaturealgorithms",
    "channeltimeout",
    "chrootdirectory",
    "clientalivecountmax",
    "clientaliveinterval",
    "denygroups",
    "denyusers",
    "disableforwarding",
    "exposeauthinfo",
    "forcecommand",
    "gatewayports",
    "gssapiauthentication",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "hostbasedusesnamefrompacketonly",
    "ignorerhosts",
    "ipqos",
    "kbdinteractiveauthentication",
    "kerberosauthentication",
    "loglevel",
    "maxauthtries",
    "maxsessions",
    "passwordauthentication",
    "permitemptypasswords",
    "permitlisten",
    "permitopen",
    "permitrootlogin",
    "permittty",
    "permittunnel",
    "permituserrc",
    "pubkeyacceptedalgorithms",
    "pubkeyauthentication",
    "pubkeyauthoptions",
    "rekeylimit",
    "revokedkeys",
    "rdomain",
    "setenv",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "trustedusercakeys",
    "unusedconnectiontimeout",
    "x11displayoffset",
    "x11forwarding",
    "x11uselocalhost",
];

/// sshd's built-in value of a keyword (lower case), as `sshd -T` prints it.
pub fn default_value(keyword: &str) -> Option<&'static str> {
    Some(match keyword {
        "permitrootlogin" => "prohibit-password",
        "passwordauthentication" | "kbdinteractiveauthentication" | "pubkeyauthentication" => "yes",
        "permitemptypasswords" | "hostbasedauthentication" | "x11forwarding" => "no",
        "ignorerhosts" | "strictmodes" | "allowagentforwarding" | "allowtcpforwarding" => "yes",
        "permittunnel" | "gatewayports" | "usedns" | "permituserenvironment" => "no",
        "maxauthtries" => "6",
        "maxsessions" => "10",
        "clientaliveinterval" => "0",
        "clientalivecountmax" => "3",
        "logingracetime" => "120",
        _ => return None,
    })
}

const FLAG_VALUES: &[&str] = &[
    "yes",
    "no",
    "all",
    "local",
    "remote",
    "shosts-only",
    "forced-commands-only",
    "prohibit-password",
    "clientspecified",
    "point-to-point",
    "ethernet",
];

/// A configured value as `sshd -T` prints it.
pub fn normalize(keyword: &str, value: &str) -> String {
    match keyword {
        "clientaliveinterval" | "logingracetime" => {
            convtime(value).map_or_else(|| value.to_string(), |s| s.to_string())
        }
        "permitrootlogin" if value.eq_ignore_ascii_case("without-password") => {
            "prohibit-password".into()
        }
        _ if FLAG_VALUES.iter().any(|f| f.eq_ignore_ascii_case(value))
            && default_value(keyword).is_some() =>
        {
            value.to_ascii_lowercase()
        }
        _ => value.to_string(),
    }
}

/// misc.c `convtime`: `90`, `5m`, `1h30m` (s, m, h, d, w) in seconds.
pub fn convtime(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604800,
            _ => return None,
        };
        let n: u64 = num.parse().ok()?;
        total = total.checked_add(n.checked_mul(mult)?)?;
        num.clear();
    }
    if !num.is_empty() {
        total = total.checked_add(num.parse().ok()?)?;
    }
    i32::try_from(total).ok().map(|_| total)
}

/// An effective value and the line it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value<'a> {
    /// As `sshd -T` prints it.
    pub value: String,
    /// The line that set it; none: the built-in default.
    pub source: Option<&'a Entry>,
}

impl SshdConfig {
    /// Whether block `b` applies: to `conn`, or with `None` at startup (only
    /// `Match All` applies then). A block read through an `Include` inside
    /// another block applies only when that one does.
    pub fn active(&self, b: usize, conn: Option<&Connection>) -> bool {
        let block = &self.blocks[b];
        let own = match conn {
            Some(c) => c.matches(&block.criteria),
            None => block.criteria == [Criterion::All],
        };
        own && block.parent.is_none_or(|p| self.active(p, conn))
    }

    /// The line that sets `keyword` (lower case) globally: the first outside
    /// `Match` blocks or inside one that applies at startup.
    pub fn global_entry(&self, keyword: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.keyword == keyword && e.block.is_none_or(|b| self.active(b, None)))
    }

    /// The first line setting `keyword` inside block `b` itself.
    pub fn block_entry(&self, keyword: &str, b: usize) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.keyword == keyword && e.block == Some(b))
    }

    /// The line that sets `keyword` for `conn`: the first from an applying
    /// `Match` block (keywords allowed there), else the global one.
    pub fn entry_for(&self, keyword: &str, conn: &Connection) -> Option<&Entry> {
        if MATCH_KEYWORDS.contains(&keyword) {
            let hit = self.entries.iter().find(|e| {
                e.keyword == keyword && e.block.is_some_and(|b| self.active(b, Some(conn)))
            });
            if hit.is_some() {
                return hit;
            }
        }
        self.global_entry(keyword)
    }

    /// The effective value of a scalar keyword for `conn`, as `sshd -T -C` prints it.
    pub fn value_for(&self, keyword: &str, conn: &Connection) -> Option<Value<'_>> {
        let keyword = keyword.to_ascii_lowercase();
        match self.entry_for(&keyword, conn) {
            Some(e) => Some(Value {
                value: normalize(&keyword, &e.args[0]),
                source: Some(e),
            }),
            None => default_value(&keyword).map(|d| Value {
                value: d.to_string(),
                source: None,
            }),
        }
    }

    /// The effective algorithm list of a list keyword (global only: these are
    /// not allowed in `Match` blocks), each name with its origin, and the line.
    pub fn algorithms(
        &self,
        keyword: &str,
        defaults: &Defaults,
    ) -> Result<(AlgorithmList, Option<&Entry>), String> {
        let keyword = keyword.to_ascii_lowercase();
        let (def, all) = defaults
            .lists(&keyword)
            .ok_or_else(|| format!("{keyword} is not one of {}", LIST_KEYWORDS.join(", ")))?;
        let entry = self.global_entry(&keyword);
        let list = assemble(entry.map(|e| e.args[0].as_str()), def, all).map_err(|e| {
            let at = entry.map(|e| format!("{}:{}: ", e.file, e.line_no));
            format!(
                "{}{e}; sshd refuses this configuration",
                at.unwrap_or_default()
            )
        })?;
        Ok((list, entry))
    }

    /// The block's criteria for people: `Match User backup`, nested blocks joined by ` > `.
    pub fn block_label(&self, b: usize) -> String {
        let block = &self.blocks[b];
        let own = format!("Match {}", block.text);
        match block.parent {
            Some(p) => format!("{} > {own}", self.block_label(p)),
            None => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{convtime, normalize};

    #[test]
    fn values_print_like_sshd_t() {
        assert_eq!(convtime("5m"), Some(300));
        assert_eq!(convtime("1h30m10"), Some(5410));
        assert_eq!(convtime("5x"), None);
        assert_eq!(normalize("clientaliveinterval", "2M"), "120");
        assert_eq!(
            normalize("permitrootlogin", "Without-Password"),
            "prohibit-password"
        );
        assert_eq!(normalize("passwordauthentication", "YES"), "yes");
        assert_eq!(normalize("maxauthtries", "4"), "4");
    }
}
