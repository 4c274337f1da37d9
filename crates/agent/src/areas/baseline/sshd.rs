//! `sshd` rules: the OpenSSH server's effective settings, resolved the way
//! sshd itself does (servconf.c), compared with what the baseline expects.
//!
//! Resolution ([`config`], [`resolve`], [`matching`], [`algorithms`]):
//! - keywords are case-insensitive; `Keyword value`, `Keyword=value`,
//!   quotes and `# comments` are read as sshd's `strdelim`/`argv_split` do;
//! - the first value obtained wins (accumulating keywords such as
//!   `AllowUsers` or `Port` are not merged: no check reads them);
//! - `Include` reads its files in place: globs in any component, sorted,
//!   relative paths from `/etc/ssh`, also inside `Match` blocks (where the
//!   included file's own `Match` blocks only apply when the outer one does),
//!   at most 16 levels (a loop ends there, as in sshd);
//! - `Match` blocks (User, Group, Host, Address, LocalAddress, LocalPort,
//!   RDomain, All; `*`/`?` patterns, `!` negation, comma lists, CIDR)
//!   override the global value for a connection they apply to, for the
//!   keywords sshd allows in them; `Match All` also applies at startup;
//! - algorithm lists take `+` (append), `-` (remove) and `^` (prepend)
//!   against the compiled-in defaults of the installed OpenSSH version.
//!
//! A check (`kind = "sshd"`):
//! - `expect`: the global effective value (the line, or sshd's built-in
//!   default) must satisfy it, and every `Match` block that sets the key to a
//!   value that fails is a problem of its own (subject
//!   `/etc/ssh/sshd_config:Match User backup:PermitRootLogin`): an sshd that
//!   lets some users in with weaker settings does not meet the control;
//! - `forbid`: no algorithm of the effective list may match a pattern; the
//!   evidence names the weak algorithms and whether they come from the
//!   configuration or the built-in default list (and which OpenSSH's).
//!
//! No `sshd_config`: the check could not run (the OpenSSH server is not
//! installed). A configuration sshd refuses in a way that leaves the settings
//! unknown (an unsupported `Match` criterion, an include loop, a FIFO or
//! unreadable file, a negated algorithm pattern) could not run either, with
//! the reason. Lines sshd rejects without changing the others (an unknown
//! keyword, binary garbage, a keyword without argument) are skipped.

pub mod algorithms;
pub mod config;
pub mod matching;
pub mod resolve;

pub use algorithms::{Defaults, Origin, defaults_for, detect_version};
pub use config::{Block, Entry, SshdConfig, read_config};
pub use matching::{Connection, Criterion};

use super::{Problem, RuleResult};
use algorithms::LIST_KEYWORDS;
use matching::match_pattern;
use resolve::{MATCH_KEYWORDS, default_value, normalize};
use selfcheck_catalog::{Expect, SshdRule};
use selfcheck_hostfs::root::HostRoot;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// The effective value of `keyword` for `conn` as `sshd -T -C` prints it
/// (lists comma-separated); `Ok(None)`: not set and no built-in value known.
pub fn effective_value(
    cfg: &SshdConfig,
    keyword: &str,
    conn: &Connection,
    defaults: &Defaults,
) -> Result<Option<String>, String> {
    let kw = keyword.to_ascii_lowercase();
    if LIST_KEYWORDS.contains(&kw.as_str()) {
        let (list, _) = cfg.algorithms(&kw, defaults)?;
        let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        return Ok(Some(names.join(",")));
    }
    Ok(cfg.value_for(&kw, conn).map(|v| v.value))
}

/// A configuration as read: none when the file does not exist, or why it could not be used.
type ConfigRead = Result<Option<SshdConfig>, String>;

/// What the sshd checks of one audit share, so that the ten of them read
/// and resolve each configuration once and look for the OpenSSH version
/// (in the 1 MB `sshd` binary) once.
#[derive(Default)]
pub(crate) struct SshdCache {
    configs: RefCell<HashMap<String, Rc<ConfigRead>>>,
    version: OnceCell<Option<(String, (u32, u32))>>,
}

impl SshdCache {
    fn config(&self, root: &HostRoot, path: &str) -> Rc<ConfigRead> {
        self.configs
            .borrow_mut()
            .entry(path.to_string())
            .or_insert_with(|| Rc::new(read_config(root, path)))
            .clone()
    }

    fn version(&self, root: &HostRoot) -> Option<&(String, (u32, u32))> {
        self.version.get_or_init(|| detect_version(root)).as_ref()
    }
}

/// Evaluate an `sshd` rule.
pub(crate) fn sshd(root: &HostRoot, rule: &SshdRule, cache: &SshdCache) -> RuleResult {
    let read = cache.config(root, &rule.config);
    let cfg = match &*read {
        Ok(Some(cfg)) => cfg,
        Ok(None) => {
            return Err(format!(
                "{} not found: the OpenSSH server is not installed on the audited root",
                rule.config
            ));
        }
        Err(e) => return Err(e.clone()),
    };
    match &rule.expect {
        Some(expect) => Ok(scalar(cfg, rule, expect)),
        None => algorithm_list(cfg, rule, cache.version(root)),
    }
}

/// The value as written, with sshd's reading when it differs (`2m = 120`).
fn shown(e: &Entry, normalized: &str) -> String {
    if e.args[0] == normalized {
        normalized.to_string()
    } else {
        format!("{} = {normalized}", e.args[0])
    }
}

fn quote(e: &Entry) -> String {
    format!("{}:{}: {}", e.file, e.line_no, e.line)
}

fn scalar(cfg: &SshdConfig, rule: &SshdRule, expect: &Expect) -> Vec<Problem> {
    let kw = rule.key.to_ascii_lowercase();
    let expected = expect.describe();
    let mut problems = Vec::new();
    let global = cfg.global_entry(&kw);
    let evidence = match global {
        Some(e) => {
            let v = normalize(&kw, &e.args[0]);
            (!expect.accepts(&v)).then(|| {
                vec![
                    quote(e),
                    format!("{} = {} ({expected})", rule.key, shown(e, &v)),
                ]
            })
        }
        None => match default_value(&kw) {
            Some(d) if expect.accepts(d) => None,
            Some(d) => Some(vec![format!(
                "{} is not set; the built-in default {d} applies ({expected})",
                rule.key
            )]),
            None => Some(vec![format!("{} is not set ({expected})", rule.key)]),
        },
    };
    if let Some(evidence) = evidence {
        problems.push(Problem {
            subject: format!("{}:{}", rule.config, rule.key),
            evidence,
        });
    }
    if !MATCH_KEYWORDS.contains(&kw.as_str()) {
        return problems;
    }
    for (b, block) in cfg.blocks.iter().enumerate() {
        let Some(e) = cfg.block_entry(&kw, b) else {
            continue;
        };
        // `Match All` at startup: already reported as the global value.
        if global == Some(e) {
            continue;
        }
        let v = normalize(&kw, &e.args[0]);
        if expect.accepts(&v) {
            continue;
        }
        let label = cfg.block_label(b);
        problems.push(Problem {
            subject: format!("{}:{label}:{}", rule.config, rule.key),
            evidence: vec![
                quote(e),
                format!(
                    "{label} ({}:{}): {} = {} ({expected}) for the connections it matches",
                    block.file,
                    block.line_no,
                    rule.key,
                    shown(e, &v)
                ),
            ],
        });
    }
    problems
}

fn algorithm_list(
    cfg: &SshdConfig,
    rule: &SshdRule,
    version: Option<&(String, (u32, u32))>,
) -> RuleResult {
    let defaults = defaults_for(version.map(|v| v.1));
    let (list, entry) = cfg.algorithms(&rule.key, defaults)?;
    let forbidden = |n: &str| {
        let n = n.to_ascii_lowercase();
        rule.forbid
            .iter()
            .any(|p| match_pattern(&n, &p.to_ascii_lowercase()))
    };
    let weak: Vec<&(String, Origin)> = list.iter().filter(|(n, _)| forbidden(n)).collect();
    if weak.is_empty() {
        return Ok(Vec::new());
    }
    let names = |o: Origin| -> Vec<&str> {
        weak.iter()
            .filter(|(_, w)| *w == o)
            .map(|(n, _)| n.as_str())
            .collect()
    };
    let mut evidence = Vec::new();
    if let Some(e) = entry {
        evidence.push(quote(e));
    }
    let all: Vec<&str> = weak.iter().map(|(n, _)| n.as_str()).collect();
    evidence.push(format!(
        "{} enables {} (forbidden: {})",
        rule.key,
        all.join(", "),
        rule.forbid.join(", ")
    ));
    let configured = names(Origin::Configured);
    let from_default = names(Origin::Default);
    let whose = match version {
        Some((release, _)) => format!("{release} (/usr/sbin/sshd)"),
        None => format!(
            "{} (assumed: no OpenSSH version found in /usr/sbin/sshd)",
            defaults.version
        ),
    };
    let default_list = match entry {
        Some(_) => format!("kept from the built-in default list of {whose}"),
        None => format!(
            "{} is not set: the built-in default list of {whose} applies",
            rule.key
        ),
    };
    match (configured.is_empty(), from_default.is_empty()) {
        (false, true) => evidence.push("set in the configuration".to_string()),
        (true, false) => evidence.push(default_list),
        _ => {
            evidence.push(format!(
                "set in the configuration: {}",
                configured.join(", ")
            ));
            evidence.push(format!("{default_list}: {}", from_default.join(", ")));
        }
    }
    Ok(vec![Problem {
        subject: format!("{}:{}", rule.config, rule.key),
        evidence,
    }])
}
