//! The working-day calendar used for rectification deadlines counted in
//! working days (工作日): Monday to Friday, minus statutory holidays, plus the
//! make-up working days (调休上班) the State Council moves onto weekends.
//!
//! Holidays come from a small TOML file per year (see `docs/deadlines.md` and
//! `reports/holidays-2026.toml`):
//!
//! ```toml
//! name = "2026年部分节假日安排"
//! source = "https://..."
//! holidays = ["2026-01-01..2026-01-03", "2026-02-15..2026-02-23"]
//! workdays = ["2026-01-04", "2026-02-14", "2026-02-28"]
//! ```

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The longest holiday range one entry may span, in days (inclusive). The
/// longest statutory break is nine days; anything near this is a typo.
pub const MAX_RANGE_DAYS: i64 = 60;

/// Why a holiday file was refused. Every variant names the file; those about
/// one entry also name the key (`holidays` / `workdays`) and the bad value.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The file could not be read.
    #[error("cannot read holiday file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not TOML, a value of the wrong type, or an unknown key.
    #[error("holiday file {}: {message}", path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (with line and column).
        message: String,
    },
    /// A date that is not `YYYY-MM-DD` or does not exist.
    #[error("holiday file {}: {key}: {value:?} is not a date: {why}", path.display())]
    BadDate {
        /// The file.
        path: PathBuf,
        /// `holidays` or `workdays`.
        key: &'static str,
        /// The entry as written.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A range `A..B` with B before A.
    #[error("holiday file {}: {key}: range {value:?} ends before it starts; write the earlier date first", path.display())]
    ReversedRange {
        /// The file.
        path: PathBuf,
        /// `holidays` or `workdays`.
        key: &'static str,
        /// The entry as written.
        value: String,
    },
    /// A range longer than [`MAX_RANGE_DAYS`].
    #[error("holiday file {}: {key}: range {value:?} spans {days} days; at most {MAX_RANGE_DAYS} are allowed (is a year or month wrong?)", path.display())]
    RangeTooLong {
        /// The file.
        path: PathBuf,
        /// `holidays` or `workdays`.
        key: &'static str,
        /// The entry as written.
        value: String,
        /// How many days it spans, both ends included.
        days: i64,
    },
    /// A make-up working day that is a Monday–Friday: it is a working day anyway.
    #[error("holiday file {}: workdays: {value:?} is a {weekday}; a make-up working day (调休上班) is always a Saturday or Sunday", path.display())]
    WorkdayNotWeekend {
        /// The file.
        path: PathBuf,
        /// The entry as written.
        value: String,
        /// Its day of the week.
        weekday: Weekday,
    },
    /// A date listed both as a holiday and as a make-up working day.
    #[error("holiday file {}: {date} is listed both in holidays and in workdays", path.display())]
    Conflict {
        /// The file (for merged calendars: the file being added).
        path: PathBuf,
        /// The date.
        date: NaiveDate,
    },
}

/// Working days: Monday–Friday, minus holidays, plus make-up working days.
///
/// The default calendar knows no holidays: working days are Monday to Friday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    sources: Vec<PathBuf>,
}

/// The holiday file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
    #[allow(dead_code)] // documentation for people; checked to be a string
    name: Option<String>,
    #[allow(dead_code)]
    source: Option<String>,
}

impl Calendar {
    /// Monday to Friday are working days; no holidays are known.
    pub fn weekends_only() -> Calendar {
        Calendar::default()
    }

    /// Parse a holiday file's text; `source` names the file in errors.
    pub fn parse(text: &str, source: &Path) -> Result<Calendar, CalendarError> {
        let raw: RawCalendar = toml::from_str(text).map_err(|e| CalendarError::Toml {
            path: source.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let mut cal = Calendar {
            sources: vec![source.to_path_buf()],
            ..Calendar::default()
        };
        for entry in &raw.holidays {
            let (a, b) = parse_entry(entry, "holidays", source)?;
            let mut d = a;
            while d <= b {
                cal.holidays.insert(d);
                match d.succ_opt() {
                    Some(next) => d = next,
                    None => break,
                }
            }
        }
        for entry in &raw.workdays {
            let (a, b) = parse_entry(entry, "workdays", source)?;
            let mut d = a;
            while d <= b {
                if !is_weekend(d) {
                    return Err(CalendarError::WorkdayNotWeekend {
                        path: source.to_path_buf(),
                        value: if a == b {
                            entry.trim().to_string()
                        } else {
                            d.to_string()
                        },
                        weekday: d.weekday(),
                    });
                }
                cal.workdays.insert(d);
                match d.succ_opt() {
                    Some(next) => d = next,
                    None => break,
                }
            }
        }
        if let Some(&date) = cal.holidays.intersection(&cal.workdays).next() {
            return Err(CalendarError::Conflict {
                path: source.to_path_buf(),
                date,
            });
        }
        Ok(cal)
    }

    /// Read and parse a holiday file.
    pub fn load(path: &Path) -> Result<Calendar, CalendarError> {
        let text = std::fs::read_to_string(path).map_err(|source| CalendarError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Calendar::parse(&text, path)
    }

    /// Add another file's dates to this calendar (one file per year, say).
    /// Refused, leaving `self` unchanged, when a date would be both a holiday
    /// and a make-up working day.
    pub fn merge(&mut self, other: Calendar) -> Result<(), CalendarError> {
        let path = || other.sources.last().cloned().unwrap_or_default();
        if let Some(&date) = self
            .holidays
            .intersection(&other.workdays)
            .chain(self.workdays.intersection(&other.holidays))
            .next()
        {
            return Err(CalendarError::Conflict { path: path(), date });
        }
        self.holidays.extend(other.holidays);
        self.workdays.extend(other.workdays);
        self.sources.extend(other.sources);
        Ok(())
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            true
        } else if self.holidays.contains(&d) {
            false
        } else {
            !is_weekend(d)
        }
    }

    /// The n-th working day after `from` (n = 0: `from` itself if it is a working day, else the next one).
    ///
    /// Whether `from` is a working day does not matter for n ≥ 1: a finding
    /// found on a Saturday with one working day to go is due on Monday.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from;
        if n == 0 {
            while !self.is_working_day(d) {
                match d.succ_opt() {
                    Some(next) => d = next,
                    None => return d,
                }
            }
            return d;
        }
        let mut left = n;
        while left > 0 {
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Years the file has dates for (so the ledger can warn when a deadline falls in a year the file does not cover).
    pub fn years(&self) -> BTreeSet<i32> {
        self.holidays
            .iter()
            .chain(&self.workdays)
            .map(|d| d.year())
            .collect()
    }

    /// The statutory holidays (weekends not included unless listed).
    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// The make-up working days (调休上班), all Saturdays or Sundays.
    pub fn workdays(&self) -> &BTreeSet<NaiveDate> {
        &self.workdays
    }

    /// The holiday files this calendar was read from, in order; empty for
    /// [`Calendar::weekends_only`].
    pub fn sources(&self) -> &[PathBuf] {
        &self.sources
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// One entry: `YYYY-MM-DD` or the inclusive range `YYYY-MM-DD..YYYY-MM-DD`.
fn parse_entry(
    entry: &str,
    key: &'static str,
    path: &Path,
) -> Result<(NaiveDate, NaiveDate), CalendarError> {
    let bad = |why| CalendarError::BadDate {
        path: path.to_path_buf(),
        key,
        value: entry.to_string(),
        why,
    };
    let (a, b) = match entry.split_once("..") {
        Some((a, b)) => (
            parse_date(a.trim()).map_err(bad)?,
            parse_date(b.trim()).map_err(bad)?,
        ),
        None => {
            let d = parse_date(entry.trim()).map_err(bad)?;
            (d, d)
        }
    };
    if b < a {
        return Err(CalendarError::ReversedRange {
            path: path.to_path_buf(),
            key,
            value: entry.to_string(),
        });
    }
    let days = (b - a).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(CalendarError::RangeTooLong {
            path: path.to_path_buf(),
            key,
            value: entry.to_string(),
            days,
        });
    }
    Ok((a, b))
}

/// A strict `YYYY-MM-DD` date.
fn parse_date(s: &str) -> Result<NaiveDate, &'static str> {
    const FORMAT: &str = "write dates as YYYY-MM-DD, ranges as YYYY-MM-DD..YYYY-MM-DD";
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(FORMAT);
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| FORMAT);
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or("no such day in the calendar")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn parse(text: &str) -> Result<Calendar, CalendarError> {
        Calendar::parse(text, Path::new("h.toml"))
    }

    #[test]
    fn weekends_only_counts_monday_to_friday() {
        let cal = Calendar::weekends_only();
        // 2026-11-27 is a Friday, 11-28/29 the weekend, 11-30 a Monday.
        assert!(cal.is_working_day(d("2026-11-27")));
        assert!(!cal.is_working_day(d("2026-11-28")));
        assert!(!cal.is_working_day(d("2026-11-29")));
        assert_eq!(cal.add_working_days(d("2026-11-27"), 1), d("2026-11-30"));
        assert_eq!(cal.add_working_days(d("2026-11-27"), 0), d("2026-11-27"));
        assert_eq!(cal.add_working_days(d("2026-11-28"), 0), d("2026-11-30"));
        // From a Saturday, the first working day after it is Monday.
        assert_eq!(cal.add_working_days(d("2026-11-28"), 1), d("2026-11-30"));
        assert_eq!(cal.add_working_days(d("2026-11-27"), 5), d("2026-12-04"));
        assert!(cal.years().is_empty());
    }

    #[test]
    fn holidays_are_skipped_and_makeup_days_counted() {
        // 2026-01-01 (Thu) .. 01-03 (Sat) off, 01-04 (Sun) worked.
        let cal = parse(
            r#"holidays = ["2026-01-01..2026-01-03"]
               workdays = ["2026-01-04"]"#,
        )
        .unwrap();
        assert!(!cal.is_working_day(d("2026-01-01")));
        assert!(!cal.is_working_day(d("2026-01-02")));
        assert!(cal.is_working_day(d("2026-01-04")));
        // Found Wed 2025-12-31: 1st working day after is Sun 01-04, 2nd Mon 01-05.
        assert_eq!(cal.add_working_days(d("2025-12-31"), 1), d("2026-01-04"));
        assert_eq!(cal.add_working_days(d("2025-12-31"), 2), d("2026-01-05"));
        assert_eq!(cal.years(), BTreeSet::from([2026]));
        assert_eq!(cal.holidays().len(), 3);
    }

    #[test]
    fn malformed_dates_are_refused_with_key_and_value() {
        for bad in [
            "2026-1-01",
            "2026/01/01",
            "2026-02-30",
            "tomorrow",
            "２０２６-01-01",
        ] {
            let e = parse(&format!("holidays = [{bad:?}]")).unwrap_err();
            assert!(matches!(e, CalendarError::BadDate { .. }), "{bad}: {e}");
            let msg = e.to_string();
            assert!(msg.contains("h.toml") && msg.contains("holidays"), "{msg}");
            assert!(msg.contains(bad), "{msg}");
        }
    }

    #[test]
    fn reversed_and_long_ranges_are_refused() {
        let e = parse(r#"holidays = ["2026-02-23..2026-02-15"]"#).unwrap_err();
        assert!(matches!(e, CalendarError::ReversedRange { .. }), "{e}");
        // 2026-01-01..2026-03-01 is 31 + 28 + 1 = 60 days: allowed; one more is not.
        assert!(parse(r#"holidays = ["2026-01-01..2026-03-01"]"#).is_ok());
        let e = parse(r#"holidays = ["2026-01-01..2026-03-02"]"#).unwrap_err();
        assert!(
            matches!(e, CalendarError::RangeTooLong { days: 61, .. }),
            "{e}"
        );
    }

    #[test]
    fn workdays_must_be_weekend_days_and_not_holidays() {
        // 2026-02-16 is a Monday.
        let e = parse(r#"workdays = ["2026-02-16"]"#).unwrap_err();
        assert!(
            matches!(
                e,
                CalendarError::WorkdayNotWeekend {
                    weekday: Weekday::Mon,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("2026-02-16"));
        let e = parse(
            r#"holidays = ["2026-02-15..2026-02-23"]
               workdays = ["2026-02-15"]"#,
        )
        .unwrap_err();
        assert!(matches!(e, CalendarError::Conflict { .. }), "{e}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        let e = parse(r#"holiday = ["2026-01-01"]"#).unwrap_err();
        assert!(matches!(e, CalendarError::Toml { .. }));
        assert!(e.to_string().contains("holiday"), "{e}");
        let e = parse(r#"holidays = "2026-01-01""#).unwrap_err();
        assert!(matches!(e, CalendarError::Toml { .. }), "{e}");
    }

    #[test]
    fn merging_files_keeps_both_and_refuses_contradictions() {
        let mut a = parse(r#"holidays = ["2026-10-01..2026-10-07"]"#).unwrap();
        let b = Calendar::parse(r#"holidays = ["2027-01-01"]"#, Path::new("h2027.toml")).unwrap();
        a.merge(b).unwrap();
        assert_eq!(a.years(), BTreeSet::from([2026, 2027]));
        assert_eq!(a.sources().len(), 2);
        // 2026-10-10 is a Saturday; a holiday in one file, a workday in another.
        let mut x = parse(r#"holidays = ["2026-10-10"]"#).unwrap();
        let y = Calendar::parse(r#"workdays = ["2026-10-10"]"#, Path::new("y.toml")).unwrap();
        let before = x.clone();
        let e = x.merge(y).unwrap_err();
        assert!(e.to_string().contains("y.toml"), "{e}");
        assert_eq!(x, before);
    }
}
