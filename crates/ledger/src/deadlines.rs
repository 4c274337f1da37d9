//! Rectification deadlines (整改时限) by risk level: how long each grade may
//! stay open, in calendar days or working days, and the due date of a finding.
//!
//! Defaults follow `COMPLIANCE.md` §4: 超危 3 days, 高危 7 days, 中危 15 working
//! days, 低危 90 days, 提示 none. A notice's own deadline always wins; units
//! set theirs in `collector.toml` (see the `config` module).

use crate::calendar::Calendar;
use chrono::NaiveDate;
use selfcheck_report::Severity;
use std::fmt;
use std::str::FromStr;

/// The longest term accepted, in days or working days (ten years): anything
/// longer is a typo.
pub const MAX_TERM: u32 = 3650;

/// How long a finding may stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// Calendar days (自然日): due `n` days after it was found.
    Days(u32),
    /// Working days (工作日): due on the n-th working day after it was found.
    WorkingDays(u32),
}

/// A text that is not a [`Term`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a term; write e.g. \"15 working days\" or \"7 days\"{hint}")]
pub struct TermError {
    /// The text as given.
    pub value: String,
    /// Extra advice, empty or starting with "; ".
    hint: &'static str,
}

impl FromStr for Term {
    type Err = TermError;

    /// `3d`, `3 days`, `3 天`, `7日`, `3 calendar days`, `3 自然日`;
    /// `15wd`, `15 working days`, `15 工作日`, `15个工作日`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |hint| TermError {
            value: s.to_string(),
            hint,
        };
        let t = s.trim();
        let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(err(""));
        }
        let n: u32 = t[..digits]
            .parse()
            .map_err(|_| err("; the number is too large"))?;
        if n > MAX_TERM {
            return Err(err("; at most 3650 days"));
        }
        let unit = t[digits..].trim().to_lowercase();
        let unit = unit.strip_prefix('个').unwrap_or(&unit).trim();
        match unit {
            "d" | "day" | "days" | "calendar day" | "calendar days" | "天" | "日" | "自然日" => {
                Ok(Term::Days(n))
            }
            "wd" | "working day" | "working days" | "workday" | "workdays" | "business day"
            | "business days" | "工作日" => Ok(Term::WorkingDays(n)),
            _ => Err(err("")),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Term::Days(1) => f.write_str("1 day"),
            Term::Days(n) => write!(f, "{n} days"),
            Term::WorkingDays(1) => f.write_str("1 working day"),
            Term::WorkingDays(n) => write!(f, "{n} working days"),
        }
    }
}

impl Term {
    /// The term in Chinese, for ledgers: `3天`, `15个工作日`.
    pub fn zh(self) -> String {
        match self {
            Term::Days(n) => format!("{n}天"),
            Term::WorkingDays(n) => format!("{n}个工作日"),
        }
    }
}

/// The term each risk level gets; `None` means no deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlinePolicy {
    /// 超危.
    pub critical: Option<Term>,
    /// 高危.
    pub high: Option<Term>,
    /// 中危.
    pub medium: Option<Term>,
    /// 低危.
    pub low: Option<Term>,
    /// 提示.
    pub info: Option<Term>,
}

impl Default for DeadlinePolicy {
    /// 超危 3 days, 高危 7 days, 中危 15 working days, 低危 90 days, 提示 none.
    fn default() -> Self {
        DeadlinePolicy {
            critical: Some(Term::Days(3)),
            high: Some(Term::Days(7)),
            medium: Some(Term::WorkingDays(15)),
            low: Some(Term::Days(90)),
            info: None,
        }
    }
}

impl DeadlinePolicy {
    /// The term for a risk level.
    pub fn term(&self, risk: Severity) -> Option<Term> {
        match risk {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// The slot for a risk level, to set it.
    pub fn term_mut(&mut self, risk: Severity) -> &mut Option<Term> {
        match risk {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    /// The deadline of a finding first found on `found_on`: `found_on` + n calendar days, or the n-th working day after `found_on`.
    ///
    /// Calendar-day deadlines are not moved off weekends or holidays. `None`
    /// when the level has no deadline (or the date would overflow).
    pub fn deadline(
        &self,
        found_on: NaiveDate,
        risk: Severity,
        cal: &Calendar,
    ) -> Option<NaiveDate> {
        match self.term(risk)? {
            Term::Days(n) => found_on.checked_add_days(chrono::Days::new(u64::from(n))),
            Term::WorkingDays(n) => Some(cal.add_working_days(found_on, n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn terms_parse_in_english_and_chinese() {
        for (text, term) in [
            ("3d", Term::Days(3)),
            ("3 days", Term::Days(3)),
            ("1 day", Term::Days(1)),
            (" 3 Days ", Term::Days(3)),
            ("3 天", Term::Days(3)),
            ("7日", Term::Days(7)),
            ("30 自然日", Term::Days(30)),
            ("3 calendar days", Term::Days(3)),
            ("15wd", Term::WorkingDays(15)),
            ("15 working days", Term::WorkingDays(15)),
            ("15 工作日", Term::WorkingDays(15)),
            ("15个工作日", Term::WorkingDays(15)),
            ("0 days", Term::Days(0)),
        ] {
            assert_eq!(text.parse::<Term>(), Ok(term), "{text}");
        }
    }

    #[test]
    fn bad_terms_are_refused_with_a_hint() {
        for bad in [
            "",
            "days",
            "15 weeks",
            "-3 days",
            "3.5 days",
            "十五个工作日",
            "99999999999 days",
            "3651 days",
        ] {
            let e = bad.parse::<Term>().unwrap_err();
            assert!(e.to_string().contains("working days"), "{bad}: {e}");
        }
        assert_eq!(
            "15 weeks".parse::<Term>().unwrap_err().to_string(),
            r#""15 weeks" is not a term; write e.g. "15 working days" or "7 days""#
        );
    }

    #[test]
    fn terms_display_and_parse_back() {
        for t in [
            Term::Days(1),
            Term::Days(90),
            Term::WorkingDays(1),
            Term::WorkingDays(15),
        ] {
            assert_eq!(t.to_string().parse::<Term>(), Ok(t));
        }
        assert_eq!(Term::Days(3).to_string(), "3 days");
        assert_eq!(Term::WorkingDays(15).to_string(), "15 working days");
        assert_eq!(Term::WorkingDays(15).zh(), "15个工作日");
        assert_eq!(Term::Days(7).zh(), "7天");
    }

    #[test]
    fn default_policy_matches_the_recommended_deadlines() {
        let p = DeadlinePolicy::default();
        assert_eq!(p.term(Severity::Critical), Some(Term::Days(3)));
        assert_eq!(p.term(Severity::High), Some(Term::Days(7)));
        assert_eq!(p.term(Severity::Medium), Some(Term::WorkingDays(15)));
        assert_eq!(p.term(Severity::Low), Some(Term::Days(90)));
        assert_eq!(p.term(Severity::Info), None);
    }

    #[test]
    fn deadlines_count_calendar_or_working_days() {
        let p = DeadlinePolicy::default();
        let cal = Calendar::weekends_only();
        // Fri 2026-11-27 + 3 days = Mon 11-30; + 7 = Fri 12-04; + 90 = Thu 2027-02-25.
        let found = d("2026-11-27");
        assert_eq!(
            p.deadline(found, Severity::Critical, &cal),
            Some(d("2026-11-30"))
        );
        assert_eq!(
            p.deadline(found, Severity::High, &cal),
            Some(d("2026-12-04"))
        );
        assert_eq!(
            p.deadline(found, Severity::Low, &cal),
            Some(d("2027-02-25"))
        );
        assert_eq!(p.deadline(found, Severity::Info, &cal), None);
        let mut p = p;
        *p.term_mut(Severity::Info) = Some(Term::WorkingDays(1));
        assert_eq!(
            p.deadline(found, Severity::Info, &cal),
            Some(d("2026-11-30"))
        );
    }
}
