//! `selfcheck demo`: a fresh store filled with a realistic year of a unit of
//! 30 hosts, so a newcomer has a ledger, documents and an evidence package to
//! look at before they have a fleet. Every report is made by the real agent
//! on host roots written for each month ([`host`]); what changes and what
//! people do is the unit's year ([`year`]): patches applied late, a telnet port
//! closed and opened again, a new setuid program, a risk accepted until a date,
//! a desktop that stops reporting, and the vendor engineer's and the IT
//! contact's actions on the findings.

mod host;
mod year;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use selfcheck_agent::app::run::{RunOptions, run_audit};
use selfcheck_agent::audit::FixedClock;
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_collector::config::CollectorConfig;
use selfcheck_collector::engine::{Action, Status, may_set};
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::ledger::Ledger;
use selfcheck_collector::store::Store;
use selfcheck_report::Severity;
use std::path::{Path, PathBuf};

/// Options of `selfcheck demo`.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Fill a fresh collector store with a realistic year (December 2025 to November 2026) \
of a unit of 30 hosts: 12 servers (Debian 12 and openEuler) and 18 office desktops (Kylin, UOS), \
with a registry naming their owners. Each month every host is audited by the real agent on a host \
root written for that month, and its signed report imported: security updates applied late on six \
desktops, telnet on web-02 closed in April and opened again in July, a setuid program on app-02 in \
May, Redis on db-01 accepted as a risk until the end of June, remote control on a desktop, a \
desktop that stops reporting after July; and people act on the findings (in progress, fixed \
pending re-check, risk accepted). Then it prints the year's figures and where to look.\n\n\
DIR must not exist or be empty; it receives collector/ (the store), hosts/ (the host roots) and \
agents/ (each host's agent state). The same --seed tells the same year (report ids, keys and \
signatures are new each time). Nothing outside DIR is read or written but the built-in catalog.",
    after_help = "Examples:\n  selfcheck demo --data /tmp/selfcheck-demo\n  selfcheck collector --data /tmp/selfcheck-demo/collector ledger --month 2026-11\n  selfcheck collector --data /tmp/selfcheck-demo/collector ledger --month 2026-11 --format xlsx --out 台账-2026-11.xlsx"
)]
pub struct DemoArgs {
    /// Where to make the demo (must not exist, or be empty).
    #[arg(long, value_name = "DIR", default_value = "selfcheck-demo")]
    pub data: PathBuf,
    /// The seed of the year: machine ids and the order of events within a day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Language of the figures printed at the end.
    #[arg(long, default_value = "zh", value_parser = selfcheck_agent::cli::parse_lang)]
    pub lang: Lang,
}

/// One month's figures of the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub period: String,
    /// Reports imported.
    pub reports: usize,
    /// Rows of the rectification list.
    pub rows: usize,
    /// New this month.
    pub new: usize,
    /// Closed this month.
    pub closed: usize,
    /// Overdue at the month's end.
    pub overdue: usize,
    /// Assets registered / inspected.
    pub inspected: (usize, usize),
}

/// Run `selfcheck demo`.
pub fn run(args: &DemoArgs) -> Result<()> {
    let figures = make_year(&args.data, args.seed)?;
    print!("{}", figures_text(&figures, &args.data, args.lang));
    Ok(())
}

fn at(day: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    tz.from_local_datetime(&day.and_hms_opt(hour, 0, 0).expect("a valid time"))
        .single()
        .expect("a fixed offset has one local time")
}

/// Make the year in `dir`; the figures of every month.
pub fn make_year(dir: &Path, seed: u64) -> Result<Vec<MonthFigures>> {
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty; the demo makes a fresh store: give a new directory with --data",
            dir.display()
        );
    }
    let (data, hosts_dir, agents_dir) =
        (dir.join("collector"), dir.join("hosts"), dir.join("agents"));
    let catalog = Catalog::embedded().context("cannot load the built-in check catalog")?;
    let config = CollectorConfig::default();
    let unit = year::unit(seed);
    for h in &unit {
        host::write_static(&hosts_dir.join(&h.hostname), h)?;
    }
    let mut store = selfcheck_collector::app::open_or_create_store(&data)?;
    let registry = registry(&unit);
    store.replace_assets_at(
        &registry,
        "资产台账-demo.csv",
        "张工",
        at(year::first_month().first_day(), 9),
    )?;
    let mut figures = Vec::new();
    for m in 0..year::MONTHS {
        let period = year::month(m);
        let audit_day = period.first_day() + chrono::Days::new(19);
        let mut reports = 0;
        for (i, h) in unit.iter().enumerate() {
            if !year::reports(h, m) {
                continue;
            }
            let root = hosts_dir.join(&h.hostname);
            host::write_month(&root, h, &year::state(h, m, audit_day))?;
            // Hosts are audited through the morning, ten minutes apart.
            let audited = at(audit_day, 9) + chrono::Duration::minutes(10 * i as i64);
            let clock: &'static FixedClock = Box::leak(Box::new(FixedClock(audited)));
            let result = run_audit(&RunOptions {
                root: Some(root.clone()),
                state_dir: agents_dir.join(&h.hostname),
                checks_dir: None,
                config: Some(PathBuf::from("/dev/null")),
                out: None,
                period: Some(period),
                vuln_db: None,
                threads: 1,
                fim_progress: None,
                level: None,
                fim_init: true,
                clock,
            })
            .with_context(|| format!("the audit of {} for {period} failed", h.hostname))?;
            let outcome = import_bytes(
                &mut store,
                &result.file_bytes,
                &result.stored_at.display().to_string(),
                &catalog,
                ImportOptions {
                    imported_at: Some(at(audit_day, 17)),
                    ..ImportOptions::default()
                },
            );
            if let ImportOutcome::Refused { error } = outcome {
                bail!(
                    "the report of {} for {period} was refused: {error}",
                    h.hostname
                );
            }
            reports += 1;
        }
        let ledger = Ledger::for_month(&mut store, period, &catalog, &config, Some(audit_day))?;
        act(&mut store, &ledger, m, audit_day)?;
        let ledger = Ledger::for_month(&mut store, period, &catalog, &config, None)?;
        let s = &ledger.summary;
        let sum = |f: fn(&selfcheck_collector::engine::LevelSummary) -> usize| {
            s.by_level.iter().map(|(_, c)| f(c)).sum()
        };
        figures.push(MonthFigures {
            period: period.to_string(),
            reports,
            rows: ledger.rows.len(),
            new: sum(|c| c.new),
            closed: sum(|c| c.closed_this_month),
            overdue: sum(|c| c.overdue),
            inspected: (s.assets_expected, s.assets_inspected),
        });
    }
    Ok(figures)
}

/// The registry the unit keeps: every host with its department and owner.
fn registry(unit: &[host::Host]) -> Vec<selfcheck_collector::assets::Asset> {
    unit.iter()
        .enumerate()
        .map(|(i, h)| selfcheck_collector::assets::Asset {
            row_no: i as u32 + 2,
            asset_name: h.asset_name.clone(),
            hostname: Some(h.hostname.clone()),
            machine_id: Some(h.machine_id.clone()),
            ip: Some(h.ip.to_string()),
            unit: Some(h.unit.to_string()),
            asset_type: Some(h.asset_type.to_string()),
            os: None,
            protection_level: Some(
                if h.asset_type == "服务器" {
                    "三级"
                } else {
                    "二级"
                }
                .into(),
            ),
            responsible_unit: Some("信息中心".into()),
            responsible_person: Some(h.owner.to_string()),
            contact: None,
        })
        .collect()
}

/// What people do after month `m`'s reports, on the days after the audit:
/// the vendor engineer takes every new high or critical finding in hand, the
/// telnet port is reported fixed in March, Redis on db-01 is accepted in January.
fn act(store: &mut Store, ledger: &Ledger, m: u32, audit_day: NaiveDate) -> Result<()> {
    let day = |n: u64| at(audit_day + chrono::Days::new(n), 10);
    for row in &ledger.rows {
        let r = &row.row;
        let host = r.hostname.as_ref();
        let check = r.check_id.as_str();
        let action = |status, by: &str, reason: &str, at| Action {
            at,
            by: by.to_string(),
            status,
            reason: reason.to_string(),
            measure: None,
            mitigation: None,
            owner: None,
            approver: None,
            until: None,
        };
        let chosen = if host == "db-01" && check == "ports.redis" && m == 1 {
            Some(Action {
                approver: Some("王处".into()),
                until: Some(year::month(6).last_day()),
                mitigation: Some("防火墙仅允许应用服务器访问 6379".into()),
                ..action(
                    Status::RiskAccepted,
                    "李工",
                    "内网缓存，仅应用 VLAN 可达；迁移计划在 6 月",
                    day(6),
                )
            })
        } else if host == "web-02" && check == "ports.telnet" && m == 3 {
            Some(action(
                Status::FixedPendingRecheck,
                "张工",
                "已停用 inetd 中的 telnet",
                day(8),
            ))
        } else if r.new_this_month
            && r.state.risk >= Severity::High
            && r.state.status == Status::Open
        {
            Some(Action {
                measure: Some(row.remediation.get(Lang::Zh).chars().take(60).collect()),
                owner: Some(
                    r.asset
                        .as_ref()
                        .and_then(|a| a.responsible_person.clone())
                        .unwrap_or_else(|| "张工".into()),
                ),
                ..action(Status::InProgress, "张工", "已安排整改", day(6))
            })
        } else {
            None
        };
        let Some(action) = chosen else { continue };
        if action.problem().is_some() || may_set(r.state.status, action.status).is_err() {
            continue;
        }
        store.record_action(&r.fingerprint, &action)?;
    }
    Ok(())
}

/// The year's figures and where to look next.
fn figures_text(figures: &[MonthFigures], dir: &Path, lang: Lang) -> String {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(match lang {
        Lang::Zh => [
            "月份",
            "报告",
            "台账问题",
            "新增",
            "本月销号",
            "逾期",
            "已检/应检",
        ],
        Lang::En => [
            "month",
            "reports",
            "rows",
            "new",
            "closed",
            "overdue",
            "inspected",
        ],
    });
    for f in figures {
        t.add_row([
            f.period.clone(),
            f.reports.to_string(),
            f.rows.to_string(),
            f.new.to_string(),
            f.closed.to_string(),
            f.overdue.to_string(),
            format!("{}/{}", f.inspected.1, f.inspected.0),
        ]);
    }
    let data = dir.join("collector");
    let d = data.display();
    let last = figures.last().map_or("2026-11", |f| f.period.as_str());
    match lang {
        Lang::Zh => format!(
            "演示数据已生成：{} 个单位资产一年的检查（{}）\n{t}\n查看：\n  selfcheck collector --data {d} ledger --month {last}\n  selfcheck collector --data {d} ledger --month {last} --format xlsx --out 台账-{last}.xlsx\n  selfcheck collector --data {d} ledger --month {last} --format html --out 自查报告-{last}.html\n  selfcheck collector --data {d} evidence --month {last} --out 佐证材料-{last}.zip\n  selfcheck collector --data {d} finding show {last}-H-001\n",
            30,
            dir.display()
        ),
        Lang::En => format!(
            "Demo made: a year of inspections of a unit of {} assets ({})\n{t}\nLook at it:\n  selfcheck collector --data {d} ledger --month {last}\n  selfcheck collector --data {d} ledger --month {last} --format xlsx --out ledger-{last}.xlsx\n  selfcheck collector --data {d} ledger --month {last} --format html --out report-{last}.html\n  selfcheck collector --data {d} evidence --month {last} --out evidence-{last}.zip\n  selfcheck collector --data {d} finding show {last}-H-001\n",
            30,
            dir.display()
        ),
    }
}
