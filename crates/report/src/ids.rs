//! Small value types that give report fields their meaning: risk levels, check
//! ids, finding fingerprints, report ids and inspection periods.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Why a textual id or period was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not valid: {why}")]
pub struct IdError {
    /// Which kind of value was being parsed ("check id", "period", ...).
    pub what: &'static str,
    /// The rejected text.
    pub value: String,
    /// What a valid value looks like.
    pub why: &'static str,
}

/// Risk level of a finding, after GB/T 30279-2020: 超危 / 高危 / 中危 / 低危, plus 提示 (info).
///
/// Ordered from least to most severe, so `level >= Severity::High` reads naturally.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 提示: worth knowing, nothing to rectify.
    Info,
    /// 低危.
    Low,
    /// 中危.
    Medium,
    /// 高危.
    High,
    /// 超危.
    Critical,
}

impl Severity {
    /// All levels, most severe first (the order reports list them in).
    pub const ALL_DESC: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The English keyword used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The Chinese grade name used in ledgers (GB/T 30279-2020 vocabulary).
    pub fn zh(self) -> &'static str {
        match self {
            Severity::Info => "提示",
            Severity::Low => "低危",
            Severity::Medium => "中危",
            Severity::High => "高危",
            Severity::Critical => "超危",
        }
    }

    /// One letter for compact ids such as ledger finding numbers (`2026-11-H-001`).
    pub fn letter(self) -> char {
        match self {
            Severity::Info => 'I',
            Severity::Low => 'L',
            Severity::Medium => 'M',
            Severity::High => 'H',
            Severity::Critical => 'C',
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" | "提示" => Ok(Severity::Info),
            "low" | "低危" => Ok(Severity::Low),
            "medium" | "中危" => Ok(Severity::Medium),
            "high" | "高危" => Ok(Severity::High),
            "critical" | "超危" => Ok(Severity::Critical),
            _ => Err(IdError {
                what: "risk level",
                value: s.to_string(),
                why: "use one of critical, high, medium, low, info",
            }),
        }
    }
}

macro_rules! string_newtype_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl $t {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Stable identifier of a check in the catalog, e.g. `ports.telnet`.
///
/// Lowercase ASCII letters, digits, `.`, `-` and `_`, starting with a letter,
/// at most 64 characters. A check id never changes meaning once published.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(transparent)]
pub struct CheckId(#[schemars(regex(pattern = r"^[a-z][a-z0-9._-]{0,63}$"))] String);
string_newtype_serde!(CheckId);

impl FromStr for CheckId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok {
            Ok(CheckId(s.to_string()))
        } else {
            Err(IdError {
                what: "check id",
                value: s.to_string(),
                why: "lowercase letters, digits, '.', '-', '_', starting with a letter, at most 64 characters",
            })
        }
    }
}

/// Stable identity of a finding: asset + check id + subject, hashed.
///
/// Versions and timestamps are evidence, not identity, so the same problem on the
/// same host has the same fingerprint next month. 32 lowercase hex digits (the first
/// 128 bits of a SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(transparent)]
pub struct Fingerprint(#[schemars(regex(pattern = r"^[0-9a-f]{32}$"))] String);
string_newtype_serde!(Fingerprint);

impl Fingerprint {
    /// The fingerprint of `check` about `subject` on the asset known by `asset_key`
    /// (the host's machine id, or its hostname when it has none).
    pub fn compute(asset_key: &str, check: &CheckId, subject: &str) -> Fingerprint {
        let mut h = Sha256::new();
        for part in ["selfcheck-finding-v1", asset_key, check.as_str(), subject] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        Fingerprint(hex::encode(&h.finalize()[..16]))
    }
}

impl FromStr for Fingerprint {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Fingerprint(s.to_string()))
        } else {
            Err(IdError {
                what: "fingerprint",
                value: s.to_string(),
                why: "32 lowercase hex digits",
            })
        }
    }
}

/// Unique id of one report: 32 lowercase hex digits from the OS random source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(transparent)]
pub struct ReportId(#[schemars(regex(pattern = r"^[0-9a-f]{32}$"))] String);
string_newtype_serde!(ReportId);

impl ReportId {
    /// A report id made from 16 random bytes.
    pub fn from_random_bytes(bytes: [u8; 16]) -> ReportId {
        ReportId(hex::encode(bytes))
    }
}

impl FromStr for ReportId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(ReportId(s.to_string()))
        } else {
            Err(IdError {
                what: "report id",
                value: s.to_string(),
                why: "32 lowercase hex digits",
            })
        }
    }
}

/// The inspection month a report belongs to, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(transparent)]
pub struct Period(#[schemars(with = "PeriodSchema")] (i32, u32));

/// Schema stand-in for [`Period`]: its JSON form is a `YYYY-MM` string.
#[derive(JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)] // only its schema is used
struct PeriodSchema(#[schemars(regex(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$"))] String);

impl Period {
    /// The period for a year and month (1–12), if valid.
    pub fn new(year: i32, month: u32) -> Option<Period> {
        ((1970..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(Period((year, month)))
    }

    /// The period a moment in time falls in, in that moment's own offset.
    pub fn of<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> Period {
        use chrono::Datelike;
        Period((t.year(), t.month()))
    }

    /// Calendar year.
    pub fn year(self) -> i32 {
        self.0.0
    }

    /// Calendar month, 1–12.
    pub fn month(self) -> u32 {
        self.0.1
    }

    /// The month before this one.
    pub fn previous(self) -> Period {
        if self.month() == 1 {
            Period((self.year() - 1, 12))
        } else {
            Period((self.year(), self.month() - 1))
        }
    }

    /// The month after this one (December 9999 has none and stays itself).
    pub fn next(self) -> Period {
        let (y, m) = if self.month() == 12 {
            (self.year() + 1, 1)
        } else {
            (self.year(), self.month() + 1)
        };
        Period::new(y, m).unwrap_or(self)
    }

    /// The month's first day: where deadlines, trends and "expected since" start counting.
    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year(), self.month(), 1)
            .expect("a Period is always a real month")
    }

    /// The month's last day: the day a month's ledger is judged on by default.
    pub fn last_day(self) -> chrono::NaiveDate {
        let next = self.next();
        if next == self {
            return chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a real day");
        }
        next.first_day()
            .pred_opt()
            .expect("the day before a month's first day exists")
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Period {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IdError {
            what: "period",
            value: s.to_string(),
            why: "write the month as YYYY-MM, e.g. 2026-11",
        };
        let b = s.as_bytes();
        if b.len() != 7
            || b[4] != b'-'
            || !s[..4]
                .bytes()
                .chain(s[5..].bytes())
                .all(|c| c.is_ascii_digit())
        {
            return Err(err());
        }
        let year: i32 = s[..4].parse().map_err(|_| err())?;
        let month: u32 = s[5..].parse().map_err(|_| err())?;
        Period::new(year, month).ok_or_else(err)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_from_info_to_critical() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info < Severity::Low);
        assert_eq!("高危".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn period_parses_only_real_months() {
        assert_eq!(
            "2026-11".parse::<Period>().map(|p| p.to_string()),
            Ok("2026-11".into())
        );
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "２０２６-11",
            "2026-1a",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        assert_eq!(
            "2026-01".parse::<Period>().unwrap().previous().to_string(),
            "2025-12"
        );
    }

    #[test]
    fn period_knows_its_days_and_neighbours() {
        let p = |s: &str| s.parse::<Period>().unwrap();
        assert_eq!(p("2026-12").next(), p("2027-01"));
        assert_eq!(p("2026-11").next().previous(), p("2026-11"));
        assert_eq!(p("9999-12").next(), p("9999-12"));
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(p("2026-11").first_day(), day(2026, 11, 1));
        assert_eq!(p("2026-11").last_day(), day(2026, 11, 30));
        assert_eq!(p("2026-12").last_day(), day(2026, 12, 31));
        assert_eq!(p("2028-02").last_day(), day(2028, 2, 29));
        assert_eq!(p("2026-02").last_day(), day(2026, 2, 28));
        assert_eq!(p("9999-12").last_day(), day(9999, 12, 31));
    }

    #[test]
    fn check_ids_are_restricted() {
        assert!("ports.telnet".parse::<CheckId>().is_ok());
        for bad in ["", "Ports.telnet", "1ports", "ports telnet", "ports/telnet"] {
            assert!(bad.parse::<CheckId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fingerprint_depends_on_asset_check_and_subject_only() {
        let c: CheckId = "ports.telnet".parse().unwrap();
        let a = Fingerprint::compute("m1", &c, "tcp/23");
        assert_eq!(a, Fingerprint::compute("m1", &c, "tcp/23"));
        assert_ne!(a, Fingerprint::compute("m2", &c, "tcp/23"));
        assert_ne!(a, Fingerprint::compute("m1", &c, "udp/23"));
        // Length-prefixing keeps part boundaries apart.
        let d: CheckId = "ports.telnetx".parse().unwrap();
        assert_ne!(
            Fingerprint::compute("m1", &c, "xtcp/23"),
            Fingerprint::compute("m1", &d, "tcp/23")
        );
    }
}
