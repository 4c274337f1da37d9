//! What a FIM scan covers, as data: path rules with attribute sets and exclusions.
//!
//! The scope comes from the `params` of the catalog check
//! `fim.unexplained-change` (`checks/fim.toml`), like AIDE's rule groups:
//! `rules` is a list of `{ path, attrs, recurse, cross_fs }` tables and
//! `exclude` a list of patterns for files that change by design. A per-host
//! configuration can add rules and exclusions ([`Scope::with_host_changes`]).

use super::attrs::Attrs;
use super::cfg::FimConfig;
use super::entry::DigestAlg;
use selfcheck_catalog::checks::FIM_UNEXPLAINED_CHANGE;
use selfcheck_catalog::{Catalog, CatalogError, CheckDef};

/// One path rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Absolute host path without a trailing `/` (bytes; `/` itself allowed).
    pub path: Vec<u8>,
    /// What to record below it.
    pub attrs: Attrs,
    /// Walk the whole tree (`true`) or record the path itself only.
    pub recurse: bool,
    /// Descend into other file systems mounted below the path.
    pub cross_fs: bool,
}

/// An exclusion pattern on host paths: `*` matches within one path component,
/// `?` one byte other than `/`, `**` anything including `/`; the whole path must
/// match. An excluded directory is not entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: Vec<u8>,
    /// Bytes before the first wildcard: a path not starting with them cannot match.
    literal_prefix: usize,
    /// For `**/NAME` with no `/` in NAME: where NAME starts. Such a pattern
    /// matches exactly the paths whose last component matches NAME, which is
    /// checked without trying every split of the path.
    last_component: Option<usize>,
}

impl Pattern {
    /// A pattern; it must start with `/` or `**`.
    pub fn new(p: impl Into<Vec<u8>>) -> Result<Pattern, String> {
        let text = p.into();
        if !(text.starts_with(b"/") || text.starts_with(b"**")) {
            return Err(format!(
                "{:?} must be an absolute path pattern (start with / or **)",
                String::from_utf8_lossy(&text)
            ));
        }
        let literal_prefix = text
            .iter()
            .position(|&c| c == b'*' || c == b'?')
            .unwrap_or(text.len());
        let last_component = text
            .strip_prefix(b"**/")
            .filter(|name| !name.contains(&b'/'))
            .map(|_| 3);
        Ok(Pattern {
            text,
            literal_prefix,
            last_component,
        })
    }

    /// The pattern text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }

    /// Whether the host path matches.
    pub fn matches(&self, path: &[u8]) -> bool {
        if let Some(start) = self.last_component {
            let name_at = path.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
            // A path always has a `/` before its last component, which `**/` needs.
            return name_at > 0 && glob_match(&self.text[start..], &path[name_at..]);
        }
        path.starts_with(&self.text[..self.literal_prefix]) && glob_match(&self.text, path)
    }
}

fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') if p.get(1) == Some(&b'*') => {
            let rest = &p[2..];
            (0..=s.len()).any(|i| glob_match(rest, &s[i..]))
        }
        Some(b'*') => {
            let rest = &p[1..];
            let stop = s.iter().position(|&c| c == b'/').unwrap_or(s.len());
            (0..=stop).any(|i| glob_match(rest, &s[i..]))
        }
        Some(b'?') => s.first().is_some_and(|&c| c != b'/') && glob_match(&p[1..], &s[1..]),
        Some(&c) => s.first() == Some(&c) && glob_match(&p[1..], &s[1..]),
    }
}

/// Everything a scan covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Path rules, one per path.
    pub rules: Vec<Rule>,
    /// Exclusions.
    pub exclude: Vec<Pattern>,
}

impl Scope {
    /// The scope of the catalog's `fim.unexplained-change` check.
    pub fn from_catalog(catalog: &Catalog) -> Result<Scope, CatalogError> {
        let def = catalog
            .get(&FIM_UNEXPLAINED_CHANGE.id())
            .ok_or_else(|| CatalogError {
                file: "catalog".into(),
                check: Some(FIM_UNEXPLAINED_CHANGE.as_str().into()),
                key: None,
                message: "the check is missing, so file integrity monitoring has no scope; \
                      use a catalog with checks/fim.toml"
                    .into(),
            })?;
        Scope::from_check(def)
    }

    /// The scope in one check's params.
    pub fn from_check(def: &CheckDef) -> Result<Scope, CatalogError> {
        let mut scope = Scope::default();
        let rules = match def.params.get("rules") {
            Some(toml::Value::Array(a)) => a,
            Some(_) => return Err(def.param_error("rules", "must be an array of tables")),
            None => return Err(def.param_error("rules", "is missing")),
        };
        for (i, v) in rules.iter().enumerate() {
            let rule = parse_rule(def, i, v)?;
            if scope.rules.iter().any(|r| r.path == rule.path) {
                return Err(def.param_error(
                    &format!("rules[{i}].path"),
                    format!(
                        "{:?} has a rule already; give each path one rule",
                        String::from_utf8_lossy(&rule.path)
                    ),
                ));
            }
            scope.rules.push(rule);
        }
        match def.params.get("exclude") {
            None => {}
            Some(toml::Value::Array(a)) => {
                for (i, v) in a.iter().enumerate() {
                    let key = format!("exclude[{i}]");
                    let s = v
                        .as_str()
                        .ok_or_else(|| def.param_error(&key, "must be a string"))?;
                    scope
                        .exclude
                        .push(Pattern::new(s).map_err(|m| def.param_error(&key, m))?);
                }
            }
            Some(_) => return Err(def.param_error("exclude", "must be an array of strings")),
        }
        for k in def.params.keys() {
            if k != "rules" && k != "exclude" {
                return Err(def.param_error(k, "unknown key; expected rules or exclude"));
            }
        }
        Ok(scope)
    }

    /// This scope with a host's own rules (replacing a rule of the same path) and exclusions.
    pub fn with_host_changes(
        mut self,
        extra_rules: impl IntoIterator<Item = Rule>,
        extra_excludes: impl IntoIterator<Item = Pattern>,
    ) -> Scope {
        for rule in extra_rules {
            match self.rules.iter_mut().find(|r| r.path == rule.path) {
                Some(r) => *r = rule,
                None => self.rules.push(rule),
            }
        }
        self.exclude.extend(extra_excludes);
        self
    }

    /// Whether a host path is excluded.
    pub fn is_excluded(&self, path: &[u8]) -> bool {
        self.exclude.iter().any(|p| p.matches(path))
    }

    /// Whether some rule starts at this host path.
    pub fn is_rule_start(&self, path: &[u8]) -> bool {
        self.rules.iter().any(|r| r.path == path)
    }
}

/// A host's additions to the catalog scope, from the `[fim]` section of the agent config.
#[derive(Debug, Clone, Default)]
pub struct HostScope {
    /// Extra or replacing rules.
    pub rules: Vec<Rule>,
    /// Extra exclusions.
    pub exclude: Vec<Pattern>,
    /// The digest new baselines use, when the config names one.
    pub digest: Option<DigestAlg>,
}

impl HostScope {
    /// Check and convert the config section; the message names the key at fault.
    pub fn from_config(c: &FimConfig) -> Result<HostScope, String> {
        let digest = c
            .digest
            .as_deref()
            .map(|d| DigestAlg::from_name(d).map_err(|m| format!("fim.digest: {m}")))
            .transpose()?;
        let mut rules = Vec::new();
        for (i, r) in c.rules.iter().enumerate() {
            let key = |k: &str| format!("fim.rules[{i}].{k}");
            let path =
                normalise_path(r.path.as_bytes()).map_err(|m| format!("{}: {m}", key("path")))?;
            let attrs = parse_attrs(&r.attrs).map_err(|m| format!("{}: {m}", key("attrs")))?;
            rules.push(Rule {
                path,
                attrs,
                recurse: r.recurse.unwrap_or(true),
                cross_fs: r.cross_fs.unwrap_or(false),
            });
        }
        let mut exclude = Vec::new();
        for (i, e) in c.exclude.iter().enumerate() {
            exclude.push(Pattern::new(e.as_bytes()).map_err(|m| format!("fim.exclude[{i}]: {m}"))?);
        }
        Ok(HostScope {
            rules,
            exclude,
            digest,
        })
    }
}

impl FimConfig {
    /// The section must make a valid scope (digest name, absolute paths,
    /// attribute sets); the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        HostScope::from_config(self).map(|_| ())
    }
}

/// Parse an `attrs` value: `"full"`, `"content+perms"` or a list of names.
pub fn parse_attrs(v: &toml::Value) -> Result<Attrs, String> {
    match v {
        toml::Value::String(s) => match s.as_str() {
            "full" => Ok(Attrs::FULL),
            "content+perms" => Ok(Attrs::CONTENT_PERMS),
            other => Err(format!(
                "{other:?} is not an attribute set; use \"full\", \"content+perms\" or a list of attribute names"
            )),
        },
        toml::Value::Array(a) => {
            let mut attrs = Attrs::default();
            for item in a {
                let name = item.as_str().ok_or("attribute names must be strings")?;
                let bit = Attrs::NAMES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, b)| *b)
                    .ok_or_else(|| {
                        let known: Vec<&str> = Attrs::NAMES.iter().map(|(n, _)| *n).collect();
                        format!("unknown attribute {name:?}; known: {}", known.join(", "))
                    })?;
                attrs = attrs.union(bit);
            }
            if attrs.contains(Attrs::SHA256.union(Attrs::SM3)) {
                return Err("choose one digest per rule: sha256 or sm3".into());
            }
            Ok(attrs)
        }
        _ => Err("must be \"full\", \"content+perms\" or a list of attribute names".into()),
    }
}

/// Normalise a rule path: absolute, no `.`/`..` components, no trailing `/`.
pub fn normalise_path(p: &[u8]) -> Result<Vec<u8>, String> {
    if !p.starts_with(b"/") {
        return Err("must be an absolute path".into());
    }
    let mut out = Vec::with_capacity(p.len());
    for part in p.split(|&c| c == b'/').filter(|c| !c.is_empty()) {
        if part == b"." || part == b".." {
            return Err("must not contain . or .. components".into());
        }
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    Ok(out)
}

fn parse_rule(def: &CheckDef, i: usize, v: &toml::Value) -> Result<Rule, CatalogError> {
    let key = |k: &str| format!("rules[{i}].{k}");
    let t = v
        .as_table()
        .ok_or_else(|| def.param_error(&format!("rules[{i}]"), "must be a table"))?;
    let path = match t.get("path") {
        Some(toml::Value::String(s)) => {
            normalise_path(s.as_bytes()).map_err(|m| def.param_error(&key("path"), m))?
        }
        Some(_) => return Err(def.param_error(&key("path"), "must be a string")),
        None => return Err(def.param_error(&key("path"), "is missing")),
    };
    let attrs = match t.get("attrs") {
        Some(a) => parse_attrs(a).map_err(|m| def.param_error(&key("attrs"), m))?,
        None => return Err(def.param_error(&key("attrs"), "is missing")),
    };
    let flag = |name: &str, default: bool| match t.get(name) {
        None => Ok(default),
        Some(toml::Value::Boolean(b)) => Ok(*b),
        Some(_) => Err(def.param_error(&key(name), "must be true or false")),
    };
    let recurse = flag("recurse", true)?;
    let cross_fs = flag("cross_fs", false)?;
    for k in t.keys() {
        if !["path", "attrs", "recurse", "cross_fs"].contains(&k.as_str()) {
            return Err(def.param_error(
                &key(k),
                "unknown key; expected path, attrs, recurse or cross_fs",
            ));
        }
    }
    Ok(Rule {
        path,
        attrs,
        recurse,
        cross_fs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_globs() {
        let p = |s: &str| Pattern::new(s).unwrap();
        assert!(p("/var/log/*").matches(b"/var/log/syslog"));
        assert!(!p("/var/log/*").matches(b"/var/log/apt/history.log"));
        assert!(p("**/*.cache").matches(b"/usr/lib/x/icon.cache"));
        assert!(p("**/*.cache").matches(b"/a.cache"));
        assert!(!p("**/*.cache").matches(b"/etc/cache"));
        assert!(p("/etc/mtab").matches(b"/etc/mtab"));
        assert!(!p("/etc/mtab").matches(b"/etc/mtab2"));
        assert!(p("/etc/?djtime").matches(b"/etc/adjtime"));
        assert!(p("**/__pycache__").matches(b"/usr/lib/python3/__pycache__"));
        assert!(!p("**/__pycache__").matches(b"/usr/lib/__pycache__/x.pyc"));
        assert!(p("**/*.pyc").matches(b"/usr/lib/__pycache__/x.pyc"));
        assert!(p("**/a/*.pyc").matches(b"/usr/a/x.pyc"));
        assert!(!p("**/a/*.pyc").matches(b"/usr/b/x.pyc"));
        assert!(Pattern::new("etc/mtab").is_err());
    }

    #[test]
    fn rule_paths_are_normalised() {
        assert_eq!(normalise_path(b"/etc/").unwrap(), b"/etc");
        assert_eq!(normalise_path(b"//usr//lib").unwrap(), b"/usr/lib");
        assert_eq!(normalise_path(b"/").unwrap(), b"/");
        assert!(normalise_path(b"etc").is_err());
        assert!(normalise_path(b"/etc/../root").is_err());
    }
}
