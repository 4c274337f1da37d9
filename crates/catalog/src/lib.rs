//! The check catalog: what every check is, as data.
//!
//! Each `checks/*.toml` file holds `[[check]]` tables with an id, area, risk
//! level, texts in Chinese and English (title, what it checks, why it matters,
//! how to fix it), references (GB/T 22239-2019 clauses) and check-specific
//! `params`. Configuration-baseline checks (area `baseline`) also carry the
//! GB/T 22239-2019 `clauses` they map to, the protection `levels` they apply
//! to, and a declarative `[check.rule]` ([`Rule`]). The repository's files are compiled in as the default catalog
//! ([`Catalog::embedded`]); `--checks DIR` loads another directory instead
//! ([`Catalog::load_dir`]). A malformed file is an error naming the file, the
//! check and the key.

mod area;
pub mod compliance;
mod known;
mod parse;
mod rule;

pub use area::Area;
pub use known::KnownCheck;

/// Every check id of the repository's catalog as a typed constant
/// (`checks::PORTS_TELNET` is `ports.telnet`), generated from `checks/*.toml` at build
/// time: code that names a check by a constant cannot misspell it.
///
/// ```
/// use selfcheck_catalog::checks;
/// assert_eq!(checks::PORTS_TELNET.as_str(), "ports.telnet");
/// ```
///
/// A misspelled name does not compile:
///
/// ```compile_fail
/// use selfcheck_catalog::checks;
/// let _ = checks::PORTS_TELNETT;
/// ```
pub mod checks {
    use crate::{Area, KnownCheck};
    include!(concat!(env!("OUT_DIR"), "/known_checks.rs"));
}

pub use rule::{
    AccountCheck, AccountsRule, Expect, FileModeRule, KeyValueRule, LineRule, Missing, Rule,
    SSHD_ALGORITHM_KEYS, Separator, SshdRule, SysctlRule, Take, UnitRule, UnitState,
};

use selfcheck_report::{CheckId, ProtectionLevel, Severity};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Language of texts shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 中文 (default: ledgers go to Chinese offices).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The Chinese or the English of a pair of texts written side by side.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The code `--lang` accepts for this language: `zh` or `en`.
    pub fn as_str(self) -> &'static str {
        self.pick("zh", "en")
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "zh" | "zh-CN" | "cn" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            _ => Err(format!("language {s:?} is not supported; use zh or en")),
        }
    }
}

/// A text in both catalog languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocalText {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl LocalText {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// One check as the catalog defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckDef {
    /// Stable id, e.g. `ports.telnet`.
    pub id: CheckId,
    /// Which audit runs it and under which heading documents list it.
    pub area: Area,
    /// Default risk level of its findings.
    pub risk: Severity,
    /// Short name of the problem.
    pub title: LocalText,
    /// What the check looks at.
    pub description: LocalText,
    /// Why the problem matters (the risk).
    pub why: LocalText,
    /// How to fix it.
    pub remediation: LocalText,
    /// Standards clauses and advisories, e.g. `GB/T 22239-2019 8.1.4.4 b)`; a baseline
    /// check's clauses come first, each as `GB/T 22239-2019 <clause>`.
    pub references: Vec<String>,
    /// Check-specific parameters, read by the audit that runs the check.
    pub params: toml::Table,
    /// GB/T 22239-2019 clauses the check maps to, e.g. `8.1.4.1 a)` (L3) and `7.1.4.1 a)` (L2).
    pub clauses: Vec<String>,
    /// Protection levels (等级) the check applies to: 2 and/or 3; empty for non-baseline checks.
    pub levels: Vec<ProtectionLevel>,
    /// The declarative rule of a configuration-baseline check.
    pub rule: Option<Rule>,
    /// The file the check came from (for error messages about its params).
    pub file: String,
}

impl CheckDef {
    /// An error about one of this check's params, naming file, check and key.
    pub fn param_error(&self, key: &str, message: impl Into<String>) -> CatalogError {
        CatalogError {
            file: self.file.clone(),
            check: Some(self.id.to_string()),
            key: Some(format!("params.{key}")),
            message: message.into(),
        }
    }
}

/// A catalog file or check that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// File name or path.
    pub file: String,
    /// Check id, when the fault is inside one check.
    pub check: Option<String>,
    /// Key, when the fault is one key.
    pub key: Option<String>,
    /// What is wrong and what would be right.
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "check catalog {}", self.file)?;
        if let Some(c) = &self.check {
            write!(f, ", check {c}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ", key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Where a catalog was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    /// Compiled into the program.
    Embedded,
    /// Loaded from a directory.
    Directory(String),
}

/// All known checks, by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    checks: BTreeMap<CheckId, CheckDef>,
    source: CatalogSource,
}

impl Catalog {
    /// The catalog compiled into this program from the repository's `checks/`.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        Catalog::from_files(
            embedded::EMBEDDED
                .iter()
                .map(|(n, t)| (format!("checks/{n}"), t.to_string())),
            CatalogSource::Embedded,
        )
    }

    /// Every `*.toml` file of `dir`, in file-name order.
    pub fn load_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        let shown = dir.display().to_string();
        let entries = std::fs::read_dir(dir).map_err(|e| CatalogError {
            file: shown.clone(),
            check: None,
            key: None,
            message: format!("cannot read the directory: {e}"),
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(CatalogError {
                file: shown,
                check: None,
                key: None,
                message: "no *.toml files here; point --checks at a directory like the repository's checks/".into(),
            });
        }
        let mut files = Vec::with_capacity(paths.len());
        for p in paths {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(&p).map_err(|e| CatalogError {
                file: name.clone(),
                check: None,
                key: None,
                message: format!("cannot read: {e}"),
            })?;
            files.push((name, text));
        }
        Catalog::from_files(files, CatalogSource::Directory(shown))
    }

    /// The embedded catalog, or `dir`'s when one is given (the `--checks DIR` option).
    pub fn embedded_or_dir(dir: Option<&Path>) -> Result<Catalog, CatalogError> {
        match dir {
            Some(d) => Catalog::load_dir(d),
            None => Catalog::embedded(),
        }
    }

    /// A catalog from (file name, contents) pairs.
    pub fn from_files(
        files: impl IntoIterator<Item = (String, String)>,
        source: CatalogSource,
    ) -> Result<Catalog, CatalogError> {
        let mut checks: BTreeMap<CheckId, CheckDef> = BTreeMap::new();
        for (name, text) in files {
            for def in parse::parse_file(&name, &text)? {
                if let Some(prev) = checks.get(&def.id) {
                    return Err(CatalogError {
                        file: name,
                        check: Some(def.id.to_string()),
                        key: Some("id".into()),
                        message: format!("the id is already defined in {}", prev.file),
                    });
                }
                checks.insert(def.id.clone(), def);
            }
        }
        Ok(Catalog { checks, source })
    }

    /// The check with this id.
    pub fn get(&self, id: &CheckId) -> Option<&CheckDef> {
        self.checks.get(id)
    }

    /// A check the code names by a constant of [`checks`]: `None` only when a catalog
    /// loaded with `--checks DIR` leaves it out (then the check does not run).
    pub fn get_known(&self, id: KnownCheck) -> Option<&CheckDef> {
        self.get_str(id.as_str())
    }

    /// The check with this textual id.
    pub fn get_str(&self, id: &str) -> Option<&CheckDef> {
        id.parse::<CheckId>()
            .ok()
            .and_then(|id| self.checks.get(&id))
    }

    /// All checks, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &CheckDef> {
        self.checks.values()
    }

    /// The checks of one area, ordered by id.
    pub fn area(&self, area: Area) -> impl Iterator<Item = &CheckDef> + '_ {
        self.checks.values().filter(move |c| c.area == area)
    }

    /// Number of checks.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    /// Whether there are no checks.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Where the catalog came from.
    pub fn source(&self) -> &CatalogSource {
        &self.source
    }
}
