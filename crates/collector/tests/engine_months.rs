//! The ledger engine month by month, on facts built in the test: every status
//! transition, deadlines with the 2026 holiday calendar, expected assets
//! without a report and hosts outside the registry. Pure logic: no store.

// Scenarios build their input step by step, field by field, for readability.
#![allow(clippy::field_reassign_with_default)]

use chrono::{DateTime, FixedOffset, NaiveDate};
use selfcheck_collector::assets::Asset;
use selfcheck_collector::calendar::Calendar;
use selfcheck_collector::deadlines::DeadlinePolicy;
use selfcheck_collector::engine::{
    Action, FindingRow, LedgerInput, MonthLedger, NOT_INSPECTED_CHECK, ReportFacts, Rules, Status,
    build,
};
use selfcheck_collector::store::StoredReport;
use selfcheck_report::{CheckId, Finding, Fingerprint, Period, ReportId, Severity};
use std::path::Path;

const CHECK: &str = "ports.telnet";
const SUBJECT: &str = "tcp/23";

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

fn fp(asset: &str) -> Fingerprint {
    Fingerprint::compute(asset, &CHECK.parse().unwrap(), SUBJECT)
}

/// How a report treats the telnet check.
#[derive(Clone, Copy)]
enum Telnet {
    /// The check ran and found tcp/23 at this risk.
    Found(Severity),
    /// The check ran and found nothing.
    Passed,
    /// The check could not run.
    NotRun,
}

/// A report of `host` finished at `at`.
fn report(host: &str, n: u8, at: &str, telnet: Telnet) -> ReportFacts {
    let finished = t(at);
    let check: CheckId = CHECK.parse().unwrap();
    let findings = match telnet {
        Telnet::Found(risk) => vec![Finding {
            fingerprint: fp(host),
            check_id: check.clone(),
            risk,
            subject: SUBJECT.into(),
            evidence: vec!["0.0.0.0:23 LISTEN".into()],
            detected_at: finished,
        }],
        _ => Vec::new(),
    };
    let ran = !matches!(telnet, Telnet::NotRun);
    ReportFacts {
        meta: StoredReport {
            report_id: ReportId::from_random_bytes([n; 16]),
            asset_key: host.into(),
            hostname: host.into(),
            machine_id: Some(format!("{host}-machine-id")),
            os_name: "Kylin Linux Advanced Server V10".into(),
            ip_addresses: vec![format!("10.0.0.{n}")],
            kernel: None,
            period: Period::of(&finished),
            started_at: finished,
            finished_at: finished,
            agent_version: "0.1.0".into(),
            key_fingerprint: "sha256:00".into(),
            file_sha256: format!("{n:02x}").repeat(32),
            source_name: "test".into(),
            imported_at: finished,
            checks_run: usize::from(ran),
            checks_could_not_run: usize::from(!ran),
            checks_not_applicable: 0,
            findings: findings.len(),
            baseline_level: None,
            clock_skew: None,
        },
        checks: vec![(check.clone(), ran)],
        could_not_run: if ran {
            Vec::new()
        } else {
            vec![(check, "cannot read /proc/net/tcp".into())]
        },
        not_applicable: Vec::new(),
        findings,
    }
}

fn action(at: &str, status: Status) -> Action {
    Action {
        at: t(at),
        by: "张工".into(),
        status,
        reason: format!("set to {status}"),
        measure: Some("disable telnet.socket".into()),
        mitigation: None,
        owner: Some("张工".into()),
        approver: Some("王处".into()),
        until: None,
    }
}

fn ledger(input: &LedgerInput, month: &str, calendar: &Calendar) -> MonthLedger {
    let period = p(month);
    build(
        input,
        period,
        period.last_day(),
        Rules {
            policy: &DeadlinePolicy::default(),
            calendar,
        },
    )
}

fn row<'a>(l: &'a MonthLedger, host: &str) -> &'a FindingRow {
    l.rows
        .iter()
        .find(|r| &*r.asset_key == host && r.check_id.as_str() == CHECK)
        .unwrap_or_else(|| panic!("no telnet row for {host} in {}: {:#?}", l.period, l.rows))
}

fn weekends() -> Calendar {
    Calendar::weekends_only()
}

#[test]
fn open_in_progress_fixed_then_closed_by_the_recheck_report() {
    let mut input = LedgerInput::default();
    input.reports = vec![
        report(
            "web",
            1,
            "2026-09-07T10:00:00+08:00",
            Telnet::Found(Severity::High),
        ),
        report("web", 2, "2026-10-12T10:00:00+08:00", Telnet::Passed),
    ];
    input.actions.insert(
        fp("web"),
        vec![
            action("2026-09-08T09:00:00+08:00", Status::InProgress),
            action("2026-09-10T17:00:00+08:00", Status::FixedPendingRecheck),
        ],
    );
    let sep = ledger(&input, "2026-09", &weekends());
    let r = row(&sep, "web");
    assert_eq!(r.state.status, Status::FixedPendingRecheck);
    assert_eq!(r.state.deadline, Some(d("2026-09-14")), "high: 7 days");
    assert!(!r.state.overdue, "fixed pending re-check is not overdue");
    assert_eq!(r.state.owner.as_deref(), Some("张工"));
    assert_eq!(r.state.fixed_on, Some(d("2026-09-10")));
    assert!(r.new_this_month && r.seen_this_month);

    let oct = ledger(&input, "2026-10", &weekends());
    let r = row(&oct, "web");
    assert_eq!(r.state.status, Status::Closed);
    assert_eq!(
        r.state.closed_by,
        Some((ReportId::from_random_bytes([2; 16]), d("2026-10-12")))
    );
    assert!(r.closed_this_month && !r.seen_this_month && !r.new_this_month);
    let high = oct.summary.by_level[1].1;
    assert_eq!(
        (high.closed_this_month, high.pending, high.carried_over),
        (1, 0, 1)
    );
    assert_eq!(oct.summary.rectification_rate, Some(1.0));

    // Closed in October: not a row of November.
    let nov = ledger(&input, "2026-11", &weekends());
    assert!(nov.rows.is_empty(), "{:#?}", nov.rows);
}

#[test]
fn a_check_that_could_not_run_closes_nothing() {
    let mut input = LedgerInput::default();
    input.reports = vec![
        report(
            "web",
            1,
            "2026-09-07T10:00:00+08:00",
            Telnet::Found(Severity::High),
        ),
        report("web", 2, "2026-10-12T10:00:00+08:00", Telnet::NotRun),
    ];
    let oct = ledger(&input, "2026-10", &weekends());
    let r = row(&oct, "web");
    assert_eq!(r.state.status, Status::Open);
    assert!(r.state.overdue, "deadline 2026-09-14 passed by 2026-10-31");
    assert!(!r.seen_this_month && !r.new_this_month, "carried over");
    assert_eq!(oct.summary.by_level[1].1.carried_over, 1);
    assert_eq!(oct.summary.by_level[1].1.overdue, 1);
    let rec = &oct.inspections[0];
    assert!(rec.inspected);
    assert_eq!(rec.could_not_run.len(), 1);
}

#[test]
fn a_closed_finding_seen_again_is_reopened_with_a_new_deadline() {
    let mut input = LedgerInput::default();
    input.reports = vec![
        report(
            "web",
            1,
            "2026-09-07T10:00:00+08:00",
            Telnet::Found(Severity::High),
        ),
        report("web", 2, "2026-10-12T10:00:00+08:00", Telnet::Passed),
        report(
            "web",
            3,
            "2026-11-16T10:00:00+08:00",
            Telnet::Found(Severity::Critical),
        ),
    ];
    let nov = ledger(&input, "2026-11", &weekends());
    let r = row(&nov, "web");
    assert_eq!(r.state.status, Status::Reopened);
    assert_eq!(r.state.occurrences, 2);
    assert_eq!(r.state.first_seen, d("2026-09-07"), "first seen stays");
    assert_eq!(r.state.opened_on, d("2026-11-16"));
    assert_eq!(
        r.state.deadline,
        Some(d("2026-11-19")),
        "critical: 3 days from the reopening"
    );
    assert_eq!(r.state.risk, Severity::Critical);
    assert!(r.state.closed_by.is_none());
    assert!(r.new_this_month);
    assert!(r.state.overdue, "2026-11-19 < 2026-11-30");
}

#[test]
fn fixed_but_still_seen_goes_back_to_in_progress() {
    let mut input = LedgerInput::default();
    input.reports = vec![
        report(
            "web",
            1,
            "2026-09-07T10:00:00+08:00",
            Telnet::Found(Severity::Medium),
        ),
        report(
            "web",
            2,
            "2026-10-12T10:00:00+08:00",
            Telnet::Found(Severity::Medium),
        ),
    ];
    input.actions.insert(
        fp("web"),
        vec![
            action("2026-09-08T09:00:00+08:00", Status::InProgress),
            action("2026-09-20T09:00:00+08:00", Status::FixedPendingRecheck),
        ],
    );
    let r = ledger(&input, "2026-10", &weekends()).rows[0].clone();
    assert_eq!(r.state.status, Status::InProgress);
    assert_eq!(r.state.failed_rechecks, 1);
    assert_eq!(r.state.fixed_on, None);
}

#[test]
fn risk_acceptance_expires_back_to_open() {
    let mut input = LedgerInput::default();
    input.reports = vec![
        report(
            "web",
            1,
            "2026-09-07T10:00:00+08:00",
            Telnet::Found(Severity::Low),
        ),
        report(
            "web",
            2,
            "2026-10-12T10:00:00+08:00",
            Telnet::Found(Severity::Low),
        ),
        report(
            "web",
            3,
            "2026-11-09T10:00:00+08:00",
            Telnet::Found(Severity::Low),
        ),
    ];
    let mut accept = action("2026-09-09T09:00:00+08:00", Status::RiskAccepted);
    accept.until = Some(d("2026-10-31"));
    input.actions.insert(fp("web"), vec![accept]);

    let oct = ledger(&input, "2026-10", &weekends());
    let r = row(&oct, "web");
    assert_eq!(r.state.status, Status::RiskAccepted);
    assert_eq!(r.state.accepted_until, Some(d("2026-10-31")));
    assert!(!r.state.overdue);
    assert_eq!(oct.summary.by_level[3].1.risk_accepted, 1);

    let nov = ledger(&input, "2026-11", &weekends());
    let r = row(&nov, "web");
    assert_eq!(
        r.state.status,
        Status::Open,
        "the acceptance ended on 2026-10-31"
    );
    assert_eq!(r.state.opened_on, d("2026-11-01"));
    assert_eq!(
        r.state.deadline,
        Some(d("2027-01-30")),
        "low: 90 days from 2026-11-01"
    );
}

#[test]
fn false_positives_stay_marked_while_seen_and_count_apart() {
    let mut input = LedgerInput::default();
    input.reports = vec![
        report(
            "web",
            1,
            "2026-09-07T10:00:00+08:00",
            Telnet::Found(Severity::High),
        ),
        report(
            "web",
            2,
            "2026-10-12T10:00:00+08:00",
            Telnet::Found(Severity::High),
        ),
    ];
    input.actions.insert(
        fp("web"),
        vec![action("2026-09-08T09:00:00+08:00", Status::FalsePositive)],
    );
    let oct = ledger(&input, "2026-10", &weekends());
    let r = row(&oct, "web");
    assert_eq!(r.state.status, Status::FalsePositive);
    assert!(!r.state.overdue);
    let high = oct.summary.by_level[1].1;
    assert_eq!((high.false_positive, high.pending), (1, 0));
    assert_eq!(oct.summary.rectification_rate, None);
}

#[test]
fn overdue_is_judged_at_the_months_end() {
    let mut input = LedgerInput::default();
    input.reports = vec![report(
        "web",
        1,
        "2026-11-20T10:00:00+08:00",
        Telnet::Found(Severity::High),
    )];
    let period = p("2026-11");
    let judge = |day: &str| {
        build(
            &input,
            period,
            d(day),
            Rules {
                policy: &DeadlinePolicy::default(),
                calendar: &weekends(),
            },
        )
        .rows[0]
            .state
            .overdue
    };
    assert!(
        !judge("2026-11-27"),
        "deadline 2026-11-27 is still in time that day"
    );
    assert!(judge("2026-11-28"));
    assert!(judge("2026-11-30"));
}

#[test]
fn medium_deadlines_skip_the_national_day_holidays_and_count_makeup_days() {
    let calendar = Calendar::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/holidays-2026.toml"),
    )
    .unwrap();
    let mut input = LedgerInput::default();
    // Found Friday 2026-09-18. Fifteen working days, counted by hand from the
    // State Council's 2026 notice (中秋 09-25..09-27, 国庆 10-01..10-07,
    // make-up working days Sunday 09-20 and Saturday 10-10):
    // 09-20(Su), 21, 22, 23, 24, 28, 29, 30, 10-08, 09, 10(Sa), 12, 13, 14, 15.
    input.reports = vec![report(
        "web",
        1,
        "2026-09-18T10:00:00+08:00",
        Telnet::Found(Severity::Medium),
    )];
    let r = ledger(&input, "2026-09", &calendar).rows[0].clone();
    assert_eq!(r.state.deadline, Some(d("2026-10-15")));
    let plain = ledger(&input, "2026-09", &weekends()).rows[0].clone();
    assert_eq!(plain.state.deadline, Some(d("2026-10-09")), "weekends only");
}

fn asset(name: &str, host: &str) -> Asset {
    Asset {
        row_no: 2,
        asset_name: name.into(),
        hostname: Some(host.into()),
        machine_id: None,
        ip: None,
        unit: Some("信息中心".into()),
        asset_type: Some("服务器".into()),
        os: Some("Kylin V10".into()),
        protection_level: Some("三级".into()),
        responsible_unit: Some("运维公司".into()),
        responsible_person: Some("赵工".into()),
        contact: None,
    }
}

#[test]
fn an_expected_asset_without_a_report_is_not_inspected_until_one_arrives() {
    let mut input = LedgerInput::default();
    input.assets = vec![asset("门户网站服务器", "web"), asset("数据库服务器", "db")];
    input
        .asset_since
        .insert("门户网站服务器".into(), p("2026-10"));
    input
        .asset_since
        .insert("数据库服务器".into(), p("2026-10"));
    input.reports = vec![
        report("web", 1, "2026-10-12T10:00:00+08:00", Telnet::Passed),
        report("web", 2, "2026-11-12T10:00:00+08:00", Telnet::Passed),
        report("db", 3, "2026-11-13T10:00:00+08:00", Telnet::Passed),
        // A host nobody registered.
        report(
            "laptop-7",
            4,
            "2026-11-14T10:00:00+08:00",
            Telnet::Found(Severity::High),
        ),
    ];
    let oct = ledger(&input, "2026-10", &weekends());
    let missing: Vec<&FindingRow> = oct
        .rows
        .iter()
        .filter(|r| r.check_id.as_str() == NOT_INSPECTED_CHECK)
        .collect();
    assert_eq!(missing.len(), 1, "{:#?}", oct.rows);
    assert_eq!(
        missing[0].asset.as_ref().unwrap().asset_name,
        "数据库服务器"
    );
    assert_eq!(missing[0].state.status, Status::Open);
    assert_eq!(missing[0].state.risk, Severity::Medium);
    assert_eq!(oct.summary.assets_expected, 2);
    assert_eq!(oct.summary.assets_inspected, 1);
    let db = oct.inspections.iter().find(|i| !i.inspected).unwrap();
    assert_eq!(db.asset.as_ref().unwrap().asset_name, "数据库服务器");
    let web = oct.inspections.iter().find(|i| i.inspected).unwrap();
    assert_eq!(
        web.asset.as_ref().unwrap().unit.as_deref(),
        Some("信息中心")
    );

    let nov = ledger(&input, "2026-11", &weekends());
    let closed = nov
        .rows
        .iter()
        .find(|r| r.check_id.as_str() == NOT_INSPECTED_CHECK)
        .expect("closed this month, so still a row");
    assert_eq!(closed.state.status, Status::Closed);
    assert_eq!(closed.state.closed_by.as_ref().unwrap().1, d("2026-11-13"));
    assert_eq!(nov.summary.assets_inspected, 2);
    assert_eq!(nov.summary.hosts_unregistered, 1);
    let laptop = row(&nov, "laptop-7");
    assert!(laptop.unregistered && laptop.asset.is_none());
    assert!(
        nov.inspections
            .iter()
            .any(|i| i.hostname == "laptop-7" && i.unregistered)
    );
    // Registered hosts' rows carry the registry's details.
    assert!(
        nov.rows
            .iter()
            .all(|r| &*r.asset_key == "laptop-7" || r.asset.is_some())
    );
}
