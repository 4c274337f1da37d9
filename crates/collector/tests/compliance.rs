//! Not-applicable checks and the per-clause compliance view in the month's
//! ledger: stored and read back, counted apart from passed and failed, never
//! closing a finding, and summed per clause for the unit in the
//! 条款符合情况 sheet, at the level the asset registry (or else the agent) gives.

mod common;

use common::{DB, Sample, WEB};
use selfcheck_catalog::compliance::Verdict;
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::assets::parse_csv;
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::documents::{Documents, sheets};
use selfcheck_collector::engine::Status;
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::ledger::Ledger;
use selfcheck_collector::store::Store;
use selfcheck_report::{CheckOutcome, Period, ProtectionLevel, Severity};

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn month(s: &str) -> Period {
    s.parse().unwrap()
}

fn ledger_of(store: &mut Store, m: &str) -> Ledger {
    let p = month(m);
    Ledger::for_month(
        store,
        p,
        &catalog(),
        &CollectorConfig::default(),
        Some(p.last_day()),
    )
    .unwrap()
}

fn import(store: &mut Store, s: &Sample) {
    let outcome = import_bytes(
        store,
        &s.bytes(),
        &format!("{}-{}-{}.json", s.host.hostname, s.period, s.id),
        &catalog(),
        ImportOptions::default(),
    );
    assert!(
        matches!(outcome, ImportOutcome::Stored { .. }),
        "{outcome:?}"
    );
}

const SHELL: &str = "baseline.shell-timeout";
const TWO_FACTOR: &str = "baseline.sshd-password-authentication";

/// web-01 at level 3: one finding, two passes, an approved exception.
fn web(id: u8) -> Sample {
    Sample::new(WEB, "2026-11", id)
        .level(3)
        .findings(&[(
            "baseline.pass-max-days",
            "/etc/login.defs:PASS_MAX_DAYS",
            Severity::Medium,
        )])
        .passed(&["baseline.pass-min-days", TWO_FACTOR])
        .not_applicable(
            SHELL,
            "Operator console in a locked room",
            Some("Wang Min"),
            Some("2027-06-30"),
        )
}

/// db-01 at level 2: the two-factor check is outside its profile.
fn db(id: u8) -> Sample {
    Sample::new(DB, "2026-11", id)
        .level(2)
        .findings(&[])
        .passed(&["baseline.pass-max-days", "baseline.pass-min-days", SHELL])
        .not_applicable(
            TWO_FACTOR,
            "applies to protection level 3 only; this host's profile is level 2",
            None,
            None,
        )
}

#[test]
fn not_applicable_checks_are_stored_and_read_back_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    import(&mut store, &web(1));
    let stored = &store.reports(None).unwrap()[0];
    assert_eq!(stored.baseline_level, ProtectionLevel::new(3));
    assert_eq!(stored.checks_not_applicable, 1);
    // Passed: pass-min-days, two-factor, ports.ftp; findings: pass-max-days.
    assert_eq!(stored.checks_run, 4);
    let runs = store.check_runs(&web(1).report_id()).unwrap();
    let shell = runs.iter().find(|r| r.check_id.as_str() == SHELL).unwrap();
    assert_eq!(
        shell.outcome,
        CheckOutcome::NotApplicable {
            reason: "Operator console in a locked room".into(),
            approver: Some("Wang Min".into()),
            expires: chrono::NaiveDate::from_ymd_opt(2027, 6, 30),
        }
    );
}

#[test]
fn hosts_are_judged_per_clause_of_their_own_level() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    import(&mut store, &web(1));
    import(&mut store, &db(2));
    let ledger = ledger_of(&mut store, "2026-11");
    let host = |name: &str| ledger.hosts.iter().find(|h| h.hostname == name).unwrap();

    let w = host("web-01");
    assert_eq!(
        (w.agent_level, w.judged_level),
        (ProtectionLevel::new(3), ProtectionLevel::new(3))
    );
    assert_eq!(w.not_applicable.len(), 1);
    assert!(w.not_applicable[0].is_exception());
    assert!(w.compliance.iter().all(|t| t.clause.starts_with("8.1.4.")));
    let a = w
        .compliance
        .iter()
        .find(|t| t.clause == "8.1.4.1 a)")
        .unwrap();
    assert_eq!((a.passed, a.findings), (1, 1));
    assert_eq!(a.verdict(), Verdict::PartlyMet);
    let b = w
        .compliance
        .iter()
        .find(|t| t.clause == "8.1.4.1 b)")
        .unwrap();
    assert_eq!((b.not_applicable, b.verdict()), (1, Verdict::NotApplicable));
    let d = w
        .compliance
        .iter()
        .find(|t| t.clause == "8.1.4.1 d)")
        .unwrap();
    assert_eq!(d.verdict(), Verdict::Met);

    let d2 = host("db-01");
    assert_eq!(d2.judged_level, ProtectionLevel::new(2));
    assert!(
        d2.compliance
            .iter()
            .all(|t| t.clause.starts_with("7.1.4.") && t.verdict() == Verdict::Met),
        "{:?}",
        d2.compliance
    );

    // The unit's sheet: level-3 clauses from web-01, level-2 clauses from db-01.
    let docs = Documents {
        ledger: &ledger,
        trend: Vec::new(),
        previous: None,
    };
    let sheet = sheets::compliance(&docs, Lang::Zh);
    assert_eq!(sheet.title, "条款符合情况");
    let row = |clause: &str| {
        sheet
            .rows
            .iter()
            .find(|r| r.cells[0] == clause)
            .unwrap_or_else(|| panic!("no row for {clause}"))
            .cells
            .clone()
    };
    // clause, control, hosts, met, partly, not met, unverified, n/a, rate, passed, findings, …
    let a = row("8.1.4.1 a)");
    assert_eq!(a[1], "身份鉴别");
    assert_eq!(&a[2..9], ["1", "0", "1", "0", "0", "0", "0.0%"]);
    assert_eq!(&a[9..11], ["1", "1"]);
    assert_eq!(
        &row("8.1.4.1 b)")[2..9],
        ["1", "0", "0", "0", "0", "1", "—"]
    );
    assert_eq!(
        &row("7.1.4.1 a)")[2..9],
        ["1", "1", "0", "0", "0", "0", "100.0%"]
    );
    assert!(sheet.rows.iter().all(|r| r.cells[0] != "7.1.4.1 d)"));
    // Clause order is numeric.
    let clauses: Vec<&str> = sheet.rows.iter().map(|r| r.cells[0].as_str()).collect();
    assert!(
        clauses.windows(2).all(|w| {
            selfcheck_catalog::compliance::clause_order(w[0], w[1]) == std::cmp::Ordering::Less
        }),
        "{clauses:?}"
    );

    // The inspection record counts the exception apart and names its approver.
    let inspections = sheets::inspections(&docs, Lang::En);
    let col = |name: &str| inspections.headers.iter().position(|h| h == name).unwrap();
    let web_row = inspections
        .rows
        .iter()
        .find(|r| r.cells.iter().any(|c| c == "10.1.2.3"))
        .unwrap();
    assert!(
        web_row.cells[col("Not applicable")].contains("approved by Wang Min, until 2027-06-30"),
        "{:?}",
        web_row.cells
    );
    assert_eq!(web_row.cells[col("Protection level")], "level 3");
    let db_row = inspections
        .rows
        .iter()
        .find(|r| r.cells.iter().any(|c| c == "10.1.2.4"))
        .unwrap();
    assert!(
        db_row.cells[col("Not applicable")].contains("1 check(s) outside this level's profile")
    );
    // The monthly report shows the same counts.
    let html = selfcheck_collector::documents::html::monthly_report_html(
        &docs,
        Lang::Zh,
        &Default::default(),
    );
    assert!(html.contains("等级保护条款符合情况"));
    assert!(html.contains("<td class=\"nowrap\">8.1.4.1 a)</td><td>身份鉴别</td>"));
    // Every sheet of the month includes the compliance one, for xlsx and csv alike.
    let all = sheets::sheets(
        &docs,
        Lang::Zh,
        &sheets::LedgerLayout::builtin("full").unwrap(),
    );
    assert!(all.iter().any(|s| s.key == "compliance"));
}

#[test]
fn the_registry_level_wins_and_an_agent_on_a_lower_profile_leaves_clauses_unverified() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let registry = "资产名称,主机名,IP地址,等保级别\n数据库服务器,db-01,10.1.2.4,三级\n门户网站,web-01,10.1.2.3,二级\n办公终端,pc-07,10.1.9.7,二级\n";
    let assets = parse_csv(registry.as_bytes(), "assets.csv").unwrap();
    let november = chrono::DateTime::parse_from_rfc3339("2026-11-02T09:00:00+08:00").unwrap();
    store
        .replace_assets_at(&assets, "assets.csv", "张工", november)
        .unwrap();
    import(&mut store, &db(2));
    // web-01 runs an agent without baseline checks: judged at the registry's level, not "default".
    import(&mut store, &Sample::new(WEB, "2026-11", 3).findings(&[]));
    let ledger = ledger_of(&mut store, "2026-11");
    let h = ledger.hosts.iter().find(|h| h.hostname == "db-01").unwrap();
    assert_eq!(
        (h.agent_level, h.judged_level),
        (ProtectionLevel::new(2), ProtectionLevel::new(3))
    );
    let d = h
        .compliance
        .iter()
        .find(|t| t.clause == "8.1.4.1 d)")
        .unwrap();
    assert_eq!((d.could_not_run, d.not_applicable), (1, 0));
    assert_eq!(d.verdict(), Verdict::Unverified);
    let docs = Documents {
        ledger: &ledger,
        trend: Vec::new(),
        previous: None,
    };
    let inspections = sheets::inspections(&docs, Lang::Zh);
    let col = inspections
        .headers
        .iter()
        .position(|h| h == "等保级别")
        .unwrap();
    let row_of = |ip: &str| {
        inspections
            .rows
            .iter()
            .find(|r| r.cells.iter().any(|c| c == ip))
            .unwrap()
            .cells
            .clone()
    };
    assert_eq!(row_of("10.1.2.4")[col], "三级（agent 按二级检查）");
    assert_eq!(row_of("10.1.2.3")[col], "二级");
    assert_eq!(row_of("10.1.9.7")[col], "—");
    // The asset without a report is said under the clause table, not counted in it.
    let sheet = sheets::compliance(&docs, Lang::Zh);
    let last = &sheet.rows.last().unwrap().cells[0];
    assert!(
        last.starts_with("另有 1 台应检资产本月无检查报告"),
        "{last}"
    );
}

#[test]
fn an_exception_keeps_an_open_finding_open_rather_than_closing_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    // October: the shell timeout is missing.
    let october = Sample::new(WEB, "2026-10", 1)
        .finished("2026-10-20T10:00:00+08:00")
        .level(3)
        .findings(&[(SHELL, "/etc/profile", Severity::Medium)]);
    import(&mut store, &october);
    // November: the unit approved an exception; the agent no longer runs the check.
    import(&mut store, &web(2));
    let ledger = ledger_of(&mut store, "2026-11");
    let row = ledger
        .rows
        .iter()
        .find(|r| r.row.check_id.as_str() == SHELL)
        .expect("the October finding is still in November's ledger");
    assert_ne!(row.row.state.status, Status::Closed);
    assert!(row.row.state.status.awaits_rectification());
}
