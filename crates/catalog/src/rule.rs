//! Declarative rules of configuration-baseline checks (`[check.rule]`), parsed
//! and validated when the catalog loads so that a typo names its check and key.
//!
//! ```toml
//! [check.rule]
//! kind = "key_value"            # key_value | line | file_mode | sysctl | systemd_unit | accounts | sshd | function
//! files = ["/etc/login.defs"]   # the kind's own keys follow, see each struct below
//! key = "PASS_MAX_DAYS"
//! expect = { max = 90 }         # { equals = "no" } | { one_of = ["a", "b"] } | { min = 1, max = 600 }
//! default = "99999"             # the program's value when the key is absent
//! ```
//!
//! `kind = "function"` has no other keys: the check's logic is a Rust function
//! the agent registers under the check's id, reading its `[check.params]`.

use regex::Regex;
use toml::{Table, Value};

/// A declarative check rule: what to read below the audited root and what is expected.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// A key's value in a configuration file.
    KeyValue(KeyValueRule),
    /// A line matching a pattern is present in (or absent from) files.
    Line(LineRule),
    /// A file's permission bits and owner.
    FileMode(FileModeRule),
    /// A kernel parameter under `proc/sys`.
    Sysctl(SysctlRule),
    /// systemd units enabled or not.
    SystemdUnit(UnitRule),
    /// A named rule over passwd, shadow, group and login.defs.
    Accounts(AccountsRule),
    /// An OpenSSH server setting as sshd resolves it (Include, Match, algorithm lists).
    Sshd(SshdRule),
    /// Logic beyond the declarative kinds: the agent's function registered
    /// under the check's id, parameterised by the check's `params`.
    Function,
}

/// The expected value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Exactly this value (ASCII case ignored).
    Equals(String),
    /// One of these values (ASCII case ignored).
    OneOf(Vec<String>),
    /// A whole number within the bounds (both inclusive); a non-number fails.
    Range {
        /// Lowest allowed value.
        min: Option<i64>,
        /// Highest allowed value.
        max: Option<i64>,
    },
}

impl Expect {
    /// Whether `value` satisfies the expectation.
    pub fn accepts(&self, value: &str) -> bool {
        let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
        match self {
            Expect::Equals(e) => v.eq_ignore_ascii_case(e),
            Expect::OneOf(list) => list.iter().any(|e| v.eq_ignore_ascii_case(e)),
            Expect::Range { min, max } => match v.parse::<i64>() {
                Ok(n) => min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
                Err(_) => false,
            },
        }
    }

    /// The expectation in words, for evidence (`expected ≤ 90`).
    pub fn describe(&self) -> String {
        match self {
            Expect::Equals(e) => format!("expected {e}"),
            Expect::OneOf(l) => format!("expected one of {}", l.join(", ")),
            Expect::Range { min, max } => match (min, max) {
                (Some(a), Some(b)) => format!("expected {a}..={b}"),
                (Some(a), None) => format!("expected ≥ {a}"),
                (None, Some(b)) => format!("expected ≤ {b}"),
                (None, None) => "expected a number".into(),
            },
        }
    }
}

/// What a missing file means for a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The check could not run (the program is not installed).
    CouldNotRun,
    /// The absence is itself the problem.
    Finding,
}

/// How a key is separated from its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `Key value` (sshd_config, login.defs).
    Whitespace,
    /// `key = value` (pwquality.conf, faillock.conf).
    Equals,
}

/// Which occurrence of a repeated key counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// The first (sshd: the first value obtained is used).
    First,
    /// The last (most `key=value` files and shell-like configs).
    Last,
}

/// `kind = "key_value"`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValueRule {
    /// Host paths or globs (`*` within the last component), read in order; the
    /// first entry without a glob names the finding's subject.
    pub files: Vec<String>,
    /// Key/value separator.
    pub separator: Separator,
    /// Characters that start a comment line.
    pub comment: Vec<char>,
    /// Compare keys ignoring ASCII case.
    pub case_insensitive_keys: bool,
    /// First or last occurrence wins.
    pub take: Take,
    /// The key.
    pub key: String,
    /// The expected value.
    pub expect: Expect,
    /// The program's built-in value when the key is absent; none: absence is a finding.
    pub default: Option<String>,
    /// When no file exists.
    pub missing: Missing,
}

/// `kind = "line"`.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRule {
    /// Host paths or globs, read in order.
    pub files: Vec<String>,
    /// Regular expression matched against each non-comment line.
    pub pattern: String,
    /// With `present`, what a matching line is, in plain words (`a TMOUT=N
    /// setting (N 1-600)`), shown in evidence instead of the pattern.
    pub wanted: Option<String>,
    /// true: some line must match; false: no line may match.
    pub present: bool,
    /// With `present`, the first non-empty capture group of a matching line must satisfy this.
    pub expect: Option<Expect>,
    /// Characters that start a comment line.
    pub comment: Vec<char>,
    /// When no file exists.
    pub missing: Missing,
}

/// `kind = "file_mode"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileModeRule {
    /// Host path.
    pub path: String,
    /// Highest permission bits allowed (no bit outside them may be set).
    pub max_mode: u32,
    /// Required owner (user name, looked up in the root's passwd).
    pub owner: Option<String>,
    /// Allowed groups (names, looked up in the root's group); empty: any.
    pub group: Vec<String>,
    /// When the file does not exist.
    pub missing: Missing,
}

/// `kind = "sysctl"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysctlRule {
    /// Dotted name, e.g. `kernel.randomize_va_space`.
    pub key: String,
    /// The expected value.
    pub expect: Expect,
}

/// Expected state of systemd units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitState {
    /// At least one of the units is enabled.
    Enabled,
    /// None of the units is enabled (absent, disabled or masked).
    NotEnabled,
}

/// `kind = "systemd_unit"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRule {
    /// Unit names (alternatives, e.g. chrony.service and systemd-timesyncd.service).
    pub units: Vec<String>,
    /// The expected state.
    pub state: UnitState,
}

/// The named account rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountCheck {
    /// Accounts other than root with UID 0.
    Uid0BesidesRoot,
    /// Accounts whose shadow password field is empty.
    EmptyPassword,
    /// Two or more accounts sharing a UID.
    DuplicateUid,
    /// System accounts (UID below UID_MIN) with a login shell.
    SystemAccountWithShell,
}

/// `kind = "accounts"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountsRule {
    /// Which rule.
    pub check: AccountCheck,
    /// Account names the rule leaves alone (e.g. `sync` whose shell is /bin/sync).
    pub allow: Vec<String>,
}

/// The algorithm-list keywords of `kind = "sshd"` (they take `forbid`, the others `expect`).
pub const SSHD_ALGORITHM_KEYS: &[&str] = &[
    "Ciphers",
    "MACs",
    "KexAlgorithms",
    "HostKeyAlgorithms",
    "PubkeyAcceptedAlgorithms",
];

/// `kind = "sshd"`: a setting of the OpenSSH server, resolved as sshd does
/// (Include in place, the first value wins, Match blocks, `+`/`-`/`^` lists).
#[derive(Debug, Clone, PartialEq)]
pub struct SshdRule {
    /// The main configuration file (default `/etc/ssh/sshd_config`).
    pub config: String,
    /// The keyword as sshd_config(5) spells it (`PermitRootLogin`, `Ciphers`).
    pub key: String,
    /// For a scalar keyword: what the global value and every Match block's value must satisfy.
    pub expect: Option<Expect>,
    /// For an algorithm list: patterns (`*-cbc`, `hmac-sha1*`) no enabled algorithm may match.
    pub forbid: Vec<String>,
}

/// Reads one rule table; errors are (key, message) with the key below `rule.`.
pub(crate) fn parse_rule(t: &Table) -> Result<Rule, (String, String)> {
    let r = Reader { t };
    let kind = r.string("kind")?;
    let (rule, keys): (Rule, &[&str]) = match kind.as_str() {
        "key_value" => (
            Rule::KeyValue(KeyValueRule {
                files: r.files()?,
                separator: match r.opt_string("separator")?.as_deref() {
                    None | Some("whitespace") => Separator::Whitespace,
                    Some("=") => Separator::Equals,
                    Some(o) => return Err(bad("separator", o, "\"whitespace\" or \"=\"")),
                },
                comment: r.comment()?,
                case_insensitive_keys: r.bool("case_insensitive_keys", false)?,
                take: match r.opt_string("match")?.as_deref() {
                    None | Some("last") => Take::Last,
                    Some("first") => Take::First,
                    Some(o) => return Err(bad("match", o, "\"first\" or \"last\"")),
                },
                key: r.string("key")?,
                expect: r.expect("expect")?,
                default: r.opt_string("default")?,
                missing: r.missing(Missing::CouldNotRun)?,
            }),
            &[
                "files",
                "separator",
                "comment",
                "case_insensitive_keys",
                "match",
                "key",
                "expect",
                "default",
                "missing",
            ],
        ),
        "line" => {
            let pattern = r.string("pattern")?;
            Regex::new(&pattern)
                .map_err(|e| ("pattern".to_string(), format!("not a valid regex: {e}")))?;
            let present = r.bool("present", true)?;
            let expect = match r.t.get("expect") {
                Some(_) => Some(r.expect("expect")?),
                None => None,
            };
            if expect.is_some() && !present {
                return Err(("expect".into(), "only allowed with present = true".into()));
            }
            let wanted = r.opt_string("wanted")?;
            if wanted.is_some() && !present {
                return Err(("wanted".into(), "only allowed with present = true".into()));
            }
            (
                Rule::Line(LineRule {
                    files: r.files()?,
                    pattern,
                    wanted,
                    present,
                    expect,
                    comment: r.comment()?,
                    missing: r.missing(Missing::CouldNotRun)?,
                }),
                &[
                    "files", "pattern", "wanted", "present", "expect", "comment", "missing",
                ],
            )
        }
        "file_mode" => {
            let mode = r.string("max_mode")?;
            let max_mode = u32::from_str_radix(&mode, 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .ok_or_else(|| bad("max_mode", &mode, "an octal mode like \"0644\""))?;
            (
                Rule::FileMode(FileModeRule {
                    path: r.path("path")?,
                    max_mode,
                    owner: r.opt_string("owner")?,
                    group: r.strings("group")?,
                    missing: r.missing(Missing::CouldNotRun)?,
                }),
                &["path", "max_mode", "owner", "group", "missing"],
            )
        }
        "sysctl" => {
            let key = r.string("key")?;
            if key.split('.').any(|p| p.is_empty() || p == "..") || key.contains('/') {
                return Err(bad(
                    "key",
                    &key,
                    "a dotted name like kernel.randomize_va_space",
                ));
            }
            (
                Rule::Sysctl(SysctlRule {
                    key,
                    expect: r.expect("expect")?,
                }),
                &["key", "expect"],
            )
        }
        "systemd_unit" => {
            let units = r.strings("units")?;
            if units.is_empty() || units.iter().any(|u| u.contains('/') || !u.contains('.')) {
                return Err((
                    "units".into(),
                    "must list unit names like \"auditd.service\"".into(),
                ));
            }
            let state = match r.string("state")?.as_str() {
                "enabled" => UnitState::Enabled,
                "not_enabled" => UnitState::NotEnabled,
                o => return Err(bad("state", o, "\"enabled\" or \"not_enabled\"")),
            };
            (
                Rule::SystemdUnit(UnitRule { units, state }),
                &["units", "state"],
            )
        }
        "accounts" => {
            let name = r.string("check")?;
            let check = match name.as_str() {
                "uid0_besides_root" => AccountCheck::Uid0BesidesRoot,
                "empty_password" => AccountCheck::EmptyPassword,
                "duplicate_uid" => AccountCheck::DuplicateUid,
                "system_account_with_shell" => AccountCheck::SystemAccountWithShell,
                o => {
                    return Err(bad(
                        "check",
                        o,
                        "uid0_besides_root, empty_password, duplicate_uid or system_account_with_shell",
                    ));
                }
            };
            (
                Rule::Accounts(AccountsRule {
                    check,
                    allow: r.strings("allow")?,
                }),
                &["check", "allow"],
            )
        }
        "sshd" => {
            let key = r.string("key")?;
            let list = SSHD_ALGORITHM_KEYS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&key));
            let forbid = r.strings("forbid")?;
            let expect = match r.t.get("expect") {
                Some(_) if list => {
                    return Err((
                        "expect".into(),
                        format!("{key} is an algorithm list; use forbid = [patterns]"),
                    ));
                }
                Some(_) => Some(r.expect("expect")?),
                None if list => None,
                None => return Err(("expect".into(), "missing".into())),
            };
            if list && forbid.is_empty() {
                return Err((
                    "forbid".into(),
                    format!("missing; list the {key} patterns that must not be enabled"),
                ));
            }
            if !list && !forbid.is_empty() {
                return Err((
                    "forbid".into(),
                    format!(
                        "only for the algorithm lists {}",
                        SSHD_ALGORITHM_KEYS.join(", ")
                    ),
                ));
            }
            let config = match r.t.get("config") {
                Some(_) => r.path("config")?,
                None => "/etc/ssh/sshd_config".to_string(),
            };
            (
                Rule::Sshd(SshdRule {
                    config,
                    key,
                    expect,
                    forbid,
                }),
                &["config", "key", "expect", "forbid"],
            )
        }
        "function" => (Rule::Function, &[]),
        o => {
            return Err(bad(
                "kind",
                o,
                "key_value, line, file_mode, sysctl, systemd_unit, accounts, sshd or function",
            ));
        }
    };
    for key in t.keys() {
        if key != "kind" && !keys.contains(&key.as_str()) {
            if keys.is_empty() {
                return Err((
                    key.clone(),
                    format!("kind {kind} takes no other keys; put parameters in [check.params]"),
                ));
            }
            return Err((
                key.clone(),
                format!(
                    "unknown key for kind {kind}; its keys are kind, {}",
                    keys.join(", ")
                ),
            ));
        }
    }
    Ok(rule)
}

fn bad(key: &str, value: &str, want: &str) -> (String, String) {
    (
        key.to_string(),
        format!("{value:?} is not valid; use {want}"),
    )
}

struct Reader<'a> {
    t: &'a Table,
}

impl Reader<'_> {
    fn opt_string(&self, key: &str) -> Result<Option<String>, (String, String)> {
        match self.t.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err((key.into(), "must be a non-empty string".into())),
        }
    }

    fn string(&self, key: &str) -> Result<String, (String, String)> {
        self.opt_string(key)?
            .ok_or_else(|| (key.to_string(), "missing".to_string()))
    }

    fn path(&self, key: &str) -> Result<String, (String, String)> {
        let p = self.string(key)?;
        if !p.starts_with('/') {
            return Err(bad(key, &p, "an absolute host path like /etc/passwd"));
        }
        Ok(p)
    }

    fn bool(&self, key: &str, default: bool) -> Result<bool, (String, String)> {
        match self.t.get(key) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(_) => Err((key.into(), "must be true or false".into())),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, (String, String)> {
        match self.t.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) if !s.is_empty() => Ok(s.clone()),
                    _ => Err((key.into(), "must be a list of non-empty strings".into())),
                })
                .collect(),
            Some(_) => Err((key.into(), "must be a list of strings".into())),
        }
    }

    fn files(&self) -> Result<Vec<String>, (String, String)> {
        let files = self.strings("files")?;
        if files.is_empty() {
            return Err((
                "files".into(),
                "missing; list at least one host path".into(),
            ));
        }
        for f in &files {
            if !f.starts_with('/') || f.split('/').any(|c| c == "..") {
                return Err(bad("files", f, "absolute host paths without `..`"));
            }
            let (dir, _) = f.rsplit_once('/').unwrap_or(("", f));
            if dir.contains(['*', '?', '[']) {
                return Err(bad("files", f, "a glob only in the last path component"));
            }
        }
        Ok(files)
    }

    fn comment(&self) -> Result<Vec<char>, (String, String)> {
        match self.t.get("comment") {
            None => Ok(vec!['#']),
            Some(Value::String(s)) if !s.is_empty() => Ok(s.chars().collect()),
            Some(_) => Err((
                "comment".into(),
                "must be a non-empty string of comment characters, like \"#;\"".into(),
            )),
        }
    }

    fn missing(&self, default: Missing) -> Result<Missing, (String, String)> {
        match self.opt_string("missing")?.as_deref() {
            None => Ok(default),
            Some("could_not_run") => Ok(Missing::CouldNotRun),
            Some("finding") => Ok(Missing::Finding),
            Some(o) => Err(bad("missing", o, "\"could_not_run\" or \"finding\"")),
        }
    }

    fn expect(&self, key: &str) -> Result<Expect, (String, String)> {
        let Some(Value::Table(e)) = self.t.get(key) else {
            return Err((
                key.into(),
                "missing or not a table; write { equals = \"no\" }, { one_of = [..] } or { min = 1, max = 90 }".into(),
            ));
        };
        let num = |k: &str| -> Result<Option<i64>, (String, String)> {
            match e.get(k) {
                None => Ok(None),
                Some(Value::Integer(n)) => Ok(Some(*n)),
                Some(_) => Err((format!("{key}.{k}"), "must be a whole number".into())),
            }
        };
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        match keys.as_slice() {
            ["equals"] => match e.get("equals") {
                Some(Value::String(s)) => Ok(Expect::Equals(s.clone())),
                Some(Value::Integer(n)) => Ok(Expect::Equals(n.to_string())),
                _ => Err((format!("{key}.equals"), "must be a string or number".into())),
            },
            ["one_of"] => match e.get("one_of") {
                Some(Value::Array(a)) if !a.is_empty() => a
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Integer(n) => Ok(n.to_string()),
                        _ => Err((format!("{key}.one_of"), "must list strings".into())),
                    })
                    .collect::<Result<_, _>>()
                    .map(Expect::OneOf),
                _ => Err((format!("{key}.one_of"), "must be a non-empty list".into())),
            },
            ks if !ks.is_empty() && ks.iter().all(|k| *k == "min" || *k == "max") => {
                Ok(Expect::Range {
                    min: num("min")?,
                    max: num("max")?,
                })
            }
            _ => Err((
                key.into(),
                "use exactly one of equals, one_of, or min and/or max".into(),
            )),
        }
    }
}
