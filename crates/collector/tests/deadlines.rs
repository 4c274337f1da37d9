//! Rectification deadlines by risk level: the defaults, working days over
//! weekends and the shipped 2026 holiday file, holiday-file errors, and
//! `collector.toml` loading.
//!
//! Every date below was checked by hand with `date -d` (weekday noted next to
//! it), and the working-day results also by a brute-force count in the shell.

use chrono::NaiveDate;
use selfcheck_collector::calendar::{Calendar, CalendarError};
use selfcheck_collector::config::{CollectorConfig, ConfigError};
use selfcheck_collector::deadlines::{DeadlinePolicy, Term};
use selfcheck_report::Severity;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn shipped_2026() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/holidays-2026.toml")
}

fn cal_2026() -> Calendar {
    Calendar::load(&shipped_2026()).unwrap()
}

#[test]
fn critical_found_on_a_friday_is_due_the_monday() {
    // Fri 2026-11-27 + 3 calendar days = Mon 2026-11-30.
    let p = DeadlinePolicy::default();
    assert_eq!(
        p.deadline(
            d("2026-11-27"),
            Severity::Critical,
            &Calendar::weekends_only()
        ),
        Some(d("2026-11-30"))
    );
    assert_eq!(
        p.deadline(d("2026-11-27"), Severity::Info, &Calendar::weekends_only()),
        None
    );
}

#[test]
fn medium_counts_fifteen_working_days_across_weekends() {
    // Found Fri 2026-11-27. Working days after it: Mon 11-30 .. Fri 12-04 (1-5),
    // Mon 12-07 .. Fri 12-11 (6-10), Mon 12-14 .. Fri 12-18 (11-15).
    let p = DeadlinePolicy::default();
    let due = p.deadline(
        d("2026-11-27"),
        Severity::Medium,
        &Calendar::weekends_only(),
    );
    assert_eq!(due, Some(d("2026-12-18")));
    // No 2026 holiday falls in that stretch, so the shipped file agrees.
    assert_eq!(
        p.deadline(d("2026-11-27"), Severity::Medium, &cal_2026()),
        Some(d("2026-12-18"))
    );
}

#[test]
fn shipped_2026_file_matches_the_state_council_notice() {
    let cal = cal_2026();
    assert_eq!(cal.years(), BTreeSet::from([2026]));
    // 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7 = 33 days.
    assert_eq!(cal.holidays().len(), 33);
    let workdays: Vec<String> = cal.workdays().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        workdays,
        [
            "2026-01-04", // Sun
            "2026-02-14", // Sat
            "2026-02-28", // Sat
            "2026-05-09", // Sat
            "2026-09-20", // Sun
            "2026-10-10", // Sat
        ]
    );
    assert!(!cal.is_working_day(d("2026-02-16"))); // Mon, 春节
    assert!(cal.is_working_day(d("2026-02-14"))); // Sat, 调休上班
    assert!(!cal.is_working_day(d("2026-02-21"))); // Sat, inside 春节 anyway
    assert!(!cal.is_working_day(d("2026-06-19"))); // Fri, 端午
    assert!(cal.is_working_day(d("2026-06-22"))); // Mon after 端午
}

#[test]
fn spring_festival_week_and_makeup_saturdays_move_a_medium_deadline() {
    // Found Fri 2026-02-13. Working days after it:
    //   Sat 02-14 (调休上班) = 1; Sun 02-15 .. Mon 02-23 春节;
    //   Tue 02-24 .. Fri 02-27 = 2-5; Sat 02-28 (调休上班) = 6;
    //   Mon 03-02 .. Fri 03-06 = 7-11; Mon 03-09 .. Thu 03-12 = 12-15.
    let cal = cal_2026();
    let p = DeadlinePolicy::default();
    assert_eq!(
        p.deadline(d("2026-02-13"), Severity::Medium, &cal),
        Some(d("2026-03-12"))
    );
    // Without the holiday file: Mon 02-16 .. Fri 03-06 is 15 working days.
    assert_eq!(
        p.deadline(
            d("2026-02-13"),
            Severity::Medium,
            &Calendar::weekends_only()
        ),
        Some(d("2026-03-06"))
    );
    // One working day after Fri 02-13 is the make-up Saturday.
    assert_eq!(cal.add_working_days(d("2026-02-13"), 1), d("2026-02-14"));
    // n = 0 on a holiday: the next working day, Tue 02-24.
    assert_eq!(cal.add_working_days(d("2026-02-16"), 0), d("2026-02-24"));
}

#[test]
fn mid_autumn_and_national_day_move_a_medium_deadline() {
    // Found Fri 2026-09-18. Working days after it:
    //   Sun 09-20 (调休上班) = 1; Mon 09-21 .. Thu 09-24 = 2-5;
    //   Fri 09-25 .. Sun 09-27 中秋; Mon 09-28 .. Wed 09-30 = 6-8;
    //   Thu 10-01 .. Wed 10-07 国庆; Thu 10-08, Fri 10-09 = 9, 10;
    //   Sat 10-10 (调休上班) = 11; Mon 10-12 .. Thu 10-15 = 12-15.
    let cal = cal_2026();
    assert_eq!(cal.add_working_days(d("2026-09-18"), 15), d("2026-10-15"));
    // Wed 09-30 + 1 working day = Thu 10-08, the first day back.
    assert_eq!(cal.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
}

#[test]
fn calendar_day_terms_are_not_moved_off_holidays() {
    // Critical found Wed 2026-09-30: + 3 days = Sat 10-03, inside 国庆.
    let p = DeadlinePolicy::default();
    assert_eq!(
        p.deadline(d("2026-09-30"), Severity::Critical, &cal_2026()),
        Some(d("2026-10-03"))
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn holiday_file_errors_name_the_file_key_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[&str]); 6] = [
        (
            r#"holidays = ["2026-02-31"]"#,
            "bad-date",
            &["holidays", "2026-02-31", "not a date"],
        ),
        (
            r#"holidays = ["2026-10-07..2026-10-01"]"#,
            "reversed",
            &[
                "holidays",
                "2026-10-07..2026-10-01",
                "ends before it starts",
            ],
        ),
        (
            r#"holidays = ["2026-01-01..2026-12-31"]"#,
            "too-long",
            &["holidays", "2026-01-01..2026-12-31", "365 days"],
        ),
        (
            // Sat 2026-10-10 both off and worked.
            "holidays = [\"2026-10-10\"]\nworkdays = [\"2026-10-10\"]",
            "both",
            &["2026-10-10", "both in holidays and in workdays"],
        ),
        (
            // Mon 2026-02-16 cannot be a make-up working day.
            r#"workdays = ["2026-02-16"]"#,
            "weekday-workday",
            &["workdays", "2026-02-16", "Mon", "Saturday or Sunday"],
        ),
        (
            r#"holidays = ["2026-01-01"]
               extra_days = ["2026-01-02"]"#,
            "unknown-key",
            &["extra_days"],
        ),
    ];
    for (text, name, needles) in cases {
        let path = write(tmp.path(), &format!("{name}.toml"), text);
        let e = Calendar::load(&path).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(&format!("{name}.toml")), "{name}: {msg}");
        for n in needles {
            assert!(msg.contains(n), "{name}: {msg:?} lacks {n:?}");
        }
    }
    let e = Calendar::load(&tmp.path().join("missing.toml")).unwrap_err();
    assert!(matches!(e, CalendarError::Io { .. }), "{e}");
}

#[test]
fn config_in_the_data_dir_with_a_relative_holiday_file() {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir(data.path().join("cal")).unwrap();
    std::fs::copy(shipped_2026(), data.path().join("cal/holidays-2026.toml")).unwrap();
    write(
        data.path(),
        "collector.toml",
        "[deadlines]\nhigh = \"5 工作日\"\nholidays = \"cal/holidays-2026.toml\"\n",
    );
    let c = CollectorConfig::load(None, data.path()).unwrap();
    assert_eq!(c.source, Some(data.path().join("collector.toml")));
    assert_eq!(c.deadlines.high, Some(Term::WorkingDays(5)));
    assert_eq!(c.deadlines.medium, Some(Term::WorkingDays(15)));
    assert_eq!(c.calendar.years(), BTreeSet::from([2026]));
    // High found Fri 2026-02-13: Sat 02-14 (1), Tue 02-24 .. Fri 02-27 (2-5).
    assert_eq!(
        c.deadlines
            .deadline(d("2026-02-13"), Severity::High, &c.calendar),
        Some(d("2026-02-27"))
    );
}

#[test]
fn config_takes_several_holiday_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(shipped_2026(), dir.path().join("holidays-2026.toml")).unwrap();
    // A local fragment for the next year (dates illustrative, not a notice):
    // Fri 2027-01-01 off.
    write(
        dir.path(),
        "local-2027.toml",
        "holidays = [\"2027-01-01\"]\n",
    );
    let cfg = write(
        dir.path(),
        "site.toml",
        "[deadlines]\nholidays = [\"holidays-2026.toml\", \"local-2027.toml\"]\n",
    );
    let c = CollectorConfig::load(Some(&cfg), Path::new("/nonexistent")).unwrap();
    assert_eq!(c.calendar.years(), BTreeSet::from([2026, 2027]));
    assert_eq!(c.calendar.sources().len(), 2);
    // Thu 2026-12-31 + 1 working day: Fri 2027-01-01 is off, so Mon 2027-01-04.
    assert_eq!(
        c.calendar.add_working_days(d("2026-12-31"), 1),
        d("2027-01-04")
    );
}

#[test]
fn config_errors_name_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "collector.toml",
        "[deadlines]\nmedium = \"15 weeks\"\n",
    );
    let e = CollectorConfig::load(None, dir.path()).unwrap_err();
    assert!(matches!(e, ConfigError::Term { .. }));
    let msg = e.to_string();
    assert!(msg.contains(&cfg.display().to_string()), "{msg}");
    assert!(
        msg.ends_with(
            r#"deadlines.medium: "15 weeks" is not a term; write e.g. "15 working days" or "7 days""#
        ),
        "{msg}"
    );
    // A bad holiday file names both files.
    write(dir.path(), "h.toml", "workdays = [\"2026-02-16\"]\n");
    let cfg = write(
        dir.path(),
        "collector.toml",
        "[deadlines]\nholidays = \"h.toml\"\n",
    );
    let msg = CollectorConfig::load(None, dir.path())
        .unwrap_err()
        .to_string();
    assert!(msg.contains(&cfg.display().to_string()), "{msg}");
    assert!(
        msg.contains(&dir.path().join("h.toml").display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("deadlines.holidays"), "{msg}");
}

#[test]
fn missing_config_means_defaults_unless_named_explicitly() {
    let dir = tempfile::tempdir().unwrap();
    let c = CollectorConfig::load(None, dir.path()).unwrap();
    assert_eq!(c.deadlines, DeadlinePolicy::default());
    assert_eq!(c.calendar, Calendar::weekends_only());
    assert!(c.source.is_none());
    let e = CollectorConfig::load(Some(&dir.path().join("nope.toml")), dir.path()).unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }), "{e}");
    assert!(e.to_string().contains("nope.toml"));
}
