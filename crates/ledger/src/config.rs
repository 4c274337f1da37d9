//! The collector configuration file, `collector.toml`: rectification
//! deadlines by risk level and the holiday files for working-day counting.
//!
//! ```toml
//! [deadlines]
//! critical = "3 days"
//! high = "7 days"
//! medium = "15 working days"
//! low = "90 days"
//! # info = "30 days"                  # default: no deadline; "none" removes one
//! holidays = "holidays-2026.toml"     # relative to this file; or an array of files
//!
//! [ledger]                            # the ledger documents (xlsx, csv per sheet)
//! preset = "short"                    # or: columns = ["序号", "问题编号", ...]
//! group_rows = true                   # one row per check and asset in 整改台账
//!
//! [ledger.presets."市网信办2026"]       # an office's template (quote non-ASCII names); `--preset 市网信办2026`
//! columns = ["序号", "单位", "资产名称/IP", "问题描述", "风险等级", "整改状态"]
//! # group_rows = false
//!
//! [evidence]                          # the monthly evidence package
//! sm2_key = "sm2-key.pem"             # also sign the manifest with this SM2 key (relative to this file); `--sm2` wins
//! ```
//!
//! It is read from `--config FILE`, or from `DATA_DIR/collector.toml` when
//! that exists; without either, the defaults apply (see [`DeadlinePolicy`]).

use crate::calendar::{Calendar, CalendarError};
use crate::columns::Column;
use crate::deadlines::{DeadlinePolicy, Term, TermError};
use selfcheck_report::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "collector.toml";

/// Why the configuration was refused. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (for `--config`, also when it is missing).
    #[error("cannot read collector configuration {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not TOML, a value of the wrong type, or an unknown key.
    #[error("collector configuration {}: {message}", path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (with line and column).
        message: String,
    },
    /// A deadline that is not a term.
    #[error("collector configuration {}: {key}: {source}", path.display())]
    Term {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `deadlines.medium`.
        key: String,
        /// What is wrong with the value.
        source: TermError,
    },
    /// `deadlines.holidays` is neither a file name nor an array of them.
    #[error("collector configuration {}: deadlines.holidays: {why}", path.display())]
    HolidayList {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A holiday file named by `deadlines.holidays` was refused.
    #[error("collector configuration {}: deadlines.holidays: {source}", path.display())]
    Calendar {
        /// The configuration file.
        path: PathBuf,
        /// The holiday file's error (naming that file).
        source: CalendarError,
    },
    /// A `[ledger]` column name that names no column.
    #[error(
        "collector configuration {}: {key}: unknown column \"{name}\"; known columns (header or key): {}",
        path.display(),
        known_columns()
    )]
    LedgerColumn {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `ledger.presets.市网信办2026.columns`.
        key: String,
        /// The name as written.
        name: String,
    },
    /// A `[ledger]` setting that cannot be used (unknown preset, empty or
    /// repeated columns, a preset named like a built-in one).
    #[error("collector configuration {}: {key}: {why}", path.display())]
    Ledger {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `ledger.preset`.
        key: String,
        /// What is wrong.
        why: String,
    },
}

/// Every nameable column as `序号 (row_no)`, for error messages.
pub fn known_columns() -> String {
    Column::NAMEABLE
        .iter()
        .map(|c| format!("{} ({})", c.header(selfcheck_catalog::Lang::Zh), c.key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The built-in column presets: `full` (every column) and `short` (11 columns).
pub const BUILTIN_PRESETS: [&str; 2] = ["full", "short"];

/// The `[ledger]` section: which columns the ledger documents show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerConfig {
    /// `preset`: the preset used when `--preset` is not given (checked to exist).
    pub preset: Option<String>,
    /// `columns`: the columns used when no preset is chosen.
    pub columns: Option<Vec<Column>>,
    /// `group_rows`: one 整改台账 row per check and asset (default: true).
    pub group_rows: Option<bool>,
    /// `[ledger.presets.NAME]`: the office's own templates.
    pub presets: BTreeMap<String, LedgerPreset>,
}

/// One office-defined preset.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerPreset {
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// Overrides `[ledger] group_rows` when set.
    pub group_rows: Option<bool>,
}

/// The collector's configuration.
#[derive(Debug, Clone, Default)]
pub struct CollectorConfig {
    /// Deadlines by risk level.
    pub deadlines: DeadlinePolicy,
    /// Working days for terms counted in working days.
    pub calendar: Calendar,
    /// The file read, if any.
    pub source: Option<PathBuf>,
    /// The `[ledger]` section: columns and grouping of the ledger documents.
    pub ledger: LedgerConfig,
    /// The `[evidence]` section: how the evidence package is signed.
    pub evidence: EvidenceConfig,
}

/// The `[evidence]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceConfig {
    /// `sm2_key`: an SM2 private key (PEM) that also signs the manifest,
    /// resolved against the configuration file's directory.
    pub sm2_key: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    deadlines: RawDeadlines,
    #[serde(default)]
    ledger: RawLedger,
    #[serde(default)]
    evidence: RawEvidence,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    sm2_key: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLedger {
    preset: Option<String>,
    columns: Option<Vec<String>>,
    group_rows: Option<bool>,
    #[serde(default)]
    presets: BTreeMap<String, RawPreset>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    columns: Vec<String>,
    group_rows: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadlines {
    critical: Option<String>,
    high: Option<String>,
    medium: Option<String>,
    low: Option<String>,
    info: Option<String>,
    holidays: Option<toml::Value>,
}

impl CollectorConfig {
    /// `--config FILE` (must exist) or `DATA_DIR/collector.toml` when it exists, else defaults.
    pub fn load(explicit: Option<&Path>, data_dir: &Path) -> Result<CollectorConfig, ConfigError> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (data_dir.join(CONFIG_FILE), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => CollectorConfig::parse(&text, &path),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(CollectorConfig::default())
            }
            Err(source) => Err(ConfigError::Io { path, source }),
        }
    }

    /// Parse a configuration's text. `path` names the file in errors, and
    /// holiday files are found relative to its directory (and read here).
    pub fn parse(text: &str, path: &Path) -> Result<CollectorConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let d = raw.deadlines;
        let mut deadlines = DeadlinePolicy::default();
        for (risk, value) in [
            (Severity::Critical, d.critical),
            (Severity::High, d.high),
            (Severity::Medium, d.medium),
            (Severity::Low, d.low),
            (Severity::Info, d.info),
        ] {
            if let Some(value) = value {
                *deadlines.term_mut(risk) =
                    parse_optional_term(&value).map_err(|source| ConfigError::Term {
                        path: path.to_path_buf(),
                        key: format!("deadlines.{}", risk.as_str()),
                        source,
                    })?;
            }
        }
        let mut calendar = Calendar::weekends_only();
        let base = path.parent().unwrap_or(Path::new(""));
        for file in holiday_files(d.holidays, path)? {
            let file = base.join(file);
            let cal_err = |source| ConfigError::Calendar {
                path: path.to_path_buf(),
                source,
            };
            let one = Calendar::load(&file).map_err(cal_err)?;
            calendar.merge(one).map_err(cal_err)?;
        }
        let ledger = ledger_config(raw.ledger, path)?;
        let evidence = EvidenceConfig {
            sm2_key: raw.evidence.sm2_key.map(|key| base.join(key)),
        };
        Ok(CollectorConfig {
            deadlines,
            calendar,
            source: Some(path.to_path_buf()),
            ledger,
            evidence,
        })
    }
}

/// Check and resolve the `[ledger]` section: every column name known, no
/// column twice, `preset` naming a built-in or defined preset.
fn ledger_config(raw: RawLedger, path: &Path) -> Result<LedgerConfig, ConfigError> {
    let bad = |key: &str, why: String| ConfigError::Ledger {
        path: path.to_path_buf(),
        key: key.to_string(),
        why,
    };
    let columns = |key: &str, names: &[String]| -> Result<Vec<Column>, ConfigError> {
        if names.is_empty() {
            return Err(bad(key, "the column list is empty".into()));
        }
        let mut out: Vec<Column> = Vec::with_capacity(names.len());
        for name in names {
            let column = Column::from_name(name).ok_or_else(|| ConfigError::LedgerColumn {
                path: path.to_path_buf(),
                key: key.to_string(),
                name: name.clone(),
            })?;
            if out.contains(&column) {
                return Err(bad(
                    key,
                    format!("column \"{name}\" ({}) is listed twice", column.key()),
                ));
            }
            out.push(column);
        }
        Ok(out)
    };
    let mut presets = BTreeMap::new();
    for (name, preset) in raw.presets {
        let key = format!("ledger.presets.{name}");
        if BUILTIN_PRESETS.contains(&name.as_str()) {
            return Err(bad(
                &key,
                format!("\"{name}\" is a built-in preset; give the office's template another name"),
            ));
        }
        let cols = columns(&format!("{key}.columns"), &preset.columns)?;
        presets.insert(
            name,
            LedgerPreset {
                columns: cols,
                group_rows: preset.group_rows,
            },
        );
    }
    let cols = match &raw.columns {
        Some(names) => Some(columns("ledger.columns", names)?),
        None => None,
    };
    if let Some(preset) = &raw.preset {
        if cols.is_some() {
            return Err(bad(
                "ledger.preset",
                "set either ledger.preset or ledger.columns, not both".into(),
            ));
        }
        if !BUILTIN_PRESETS.contains(&preset.as_str()) && !presets.contains_key(preset) {
            let known: Vec<&str> = BUILTIN_PRESETS
                .iter()
                .copied()
                .chain(presets.keys().map(String::as_str))
                .collect();
            return Err(bad(
                "ledger.preset",
                format!(
                    "unknown preset \"{preset}\"; known presets: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(LedgerConfig {
        preset: raw.preset,
        columns: cols,
        group_rows: raw.group_rows,
        presets,
    })
}

/// A term, or `None` for "none" / "无" (no deadline for that level).
fn parse_optional_term(value: &str) -> Result<Option<Term>, TermError> {
    match value.trim().to_lowercase().as_str() {
        "none" | "无" | "不限" => Ok(None),
        _ => value.parse().map(Some),
    }
}

/// The holiday file names: one string or an array of strings.
fn holiday_files(value: Option<toml::Value>, path: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let bad = |why: String| ConfigError::HolidayList {
        path: path.to_path_buf(),
        why,
    };
    let one = |v: &toml::Value| match v {
        toml::Value::String(s) if !s.trim().is_empty() => Ok(PathBuf::from(s)),
        toml::Value::String(_) => Err(bad("a file name is empty".into())),
        other => Err(bad(format!(
            "expected a file name, found {} {other}",
            other.type_str()
        ))),
    };
    match value {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(items)) => items.iter().map(one).collect(),
        Some(v) => one(&v).map(|p| vec![p]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn parse(text: &str) -> Result<CollectorConfig, ConfigError> {
        CollectorConfig::parse(text, Path::new("/nonexistent/collector.toml"))
    }

    #[test]
    fn empty_file_gives_the_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.deadlines, DeadlinePolicy::default());
        assert_eq!(c.calendar, Calendar::weekends_only());
        assert_eq!(
            c.source.as_deref(),
            Some(Path::new("/nonexistent/collector.toml"))
        );
    }

    #[test]
    fn deadlines_override_single_levels() {
        let c = parse("[deadlines]\nhigh = \"3 工作日\"\ninfo = \"30 days\"\nlow = \"none\"\n")
            .unwrap();
        assert_eq!(c.deadlines.high, Some(Term::WorkingDays(3)));
        assert_eq!(c.deadlines.info, Some(Term::Days(30)));
        assert_eq!(c.deadlines.low, None);
        assert_eq!(c.deadlines.critical, Some(Term::Days(3)));
    }

    #[test]
    fn bad_term_names_file_key_and_value() {
        let e = parse("[deadlines]\nmedium = \"15 weeks\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "collector configuration /nonexistent/collector.toml: deadlines.medium: \
             \"15 weeks\" is not a term; write e.g. \"15 working days\" or \"7 days\""
        );
    }

    #[test]
    fn unknown_keys_and_types_are_refused() {
        for text in [
            "[deadline]\nhigh = \"7 days\"\n",
            "[deadlines]\nurgent = \"1 day\"\n",
            "[deadlines]\nhigh = 7\n",
        ] {
            let e = parse(text).unwrap_err();
            assert!(matches!(e, ConfigError::Toml { .. }), "{text}: {e}");
        }
        let e = parse("[deadlines]\nholidays = 2026\n").unwrap_err();
        assert!(matches!(e, ConfigError::HolidayList { .. }), "{e}");
        let e = parse("[deadlines]\nholidays = [\"a.toml\", 1]\n").unwrap_err();
        assert!(matches!(e, ConfigError::HolidayList { .. }), "{e}");
    }

    #[test]
    fn ledger_section_names_columns_by_header_or_key() {
        let c = parse(
            "[ledger]\ngroup_rows = false\ncolumns = [\"序号\", \"finding_no\", \"Risk level\", \"单位(部门)\"]\n\
             [ledger.presets.\"市网信办2026\"]\ncolumns = [\"序号\", \"资产名称/IP\", \"责任人\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.ledger.columns,
            Some(vec![
                Column::RowNo,
                Column::FindingNo,
                Column::Risk,
                Column::Unit
            ])
        );
        assert_eq!(c.ledger.group_rows, Some(false));
        assert_eq!(
            c.ledger.presets["市网信办2026"].columns,
            [Column::RowNo, Column::AssetNameAndIp, Column::Owner]
        );
    }

    #[test]
    fn bad_ledger_sections_are_refused_with_the_key() {
        let e = parse("[ledger.presets.x]\ncolumns = [\"序号\", \"资产\"]\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("ledger.presets.x.columns: unknown column \"资产\"; known columns"),
            "{msg}"
        );
        assert!(msg.contains("资产名称 (asset_name)"), "{msg}");
        for (text, wanted) in [
            (
                "[ledger]\npreset = \"nope\"\n",
                "known presets: full, short",
            ),
            ("[ledger]\ncolumns = []\n", "empty"),
            ("[ledger]\ncolumns = [\"序号\", \"row_no\"]\n", "twice"),
            ("[ledger.presets.short]\ncolumns = [\"序号\"]\n", "built-in"),
            (
                "[ledger]\npreset = \"short\"\ncolumns = [\"序号\"]\n",
                "not both",
            ),
        ] {
            let msg = parse(text).unwrap_err().to_string();
            assert!(msg.contains(wanted), "{text}: {msg}");
        }
    }

    #[test]
    fn evidence_section_names_the_sm2_key_relative_to_the_file() {
        let c = parse("[evidence]\nsm2_key = \"keys/sm2.pem\"\n").unwrap();
        assert_eq!(
            c.evidence.sm2_key.as_deref(),
            Some(Path::new("/nonexistent/keys/sm2.pem"))
        );
        let c = parse("[evidence]\nsm2_key = \"/etc/selfcheck/sm2.pem\"\n").unwrap();
        assert_eq!(
            c.evidence.sm2_key.as_deref(),
            Some(Path::new("/etc/selfcheck/sm2.pem"))
        );
        assert_eq!(parse("").unwrap().evidence, EvidenceConfig::default());
        let e = parse("[evidence]\nsm2 = \"x.pem\"\n").unwrap_err();
        assert!(matches!(e, ConfigError::Toml { .. }), "{e}");
    }

    #[test]
    fn missing_holiday_file_names_both_files() {
        let e = parse("[deadlines]\nholidays = \"h.toml\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/collector.toml"), "{msg}");
        assert!(msg.contains("/nonexistent/h.toml"), "{msg}");
    }

    #[test]
    fn load_without_a_file_gives_defaults_but_explicit_must_exist() {
        let tmp = std::env::temp_dir().join("selfcheck-config-unit-test-missing");
        let c = CollectorConfig::load(None, &tmp).unwrap();
        assert!(c.source.is_none());
        assert_eq!(
            c.deadlines.deadline(
                NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
                Severity::Critical,
                &c.calendar
            ),
            NaiveDate::from_ymd_opt(2026, 11, 30)
        );
        let e = CollectorConfig::load(Some(&tmp.join("collector.toml")), &tmp).unwrap_err();
        assert!(matches!(e, ConfigError::Io { .. }), "{e}");
    }
}
