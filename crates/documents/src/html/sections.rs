//! Sections 1 to 3 of the monthly report: the basis (检查依据), the scope
//! with the inspection record (检查范围) and the methods (检查方法).

use super::{escape, level_class, month_name, put, t, t_w, table_head};
use crate::Documents;
use selfcheck_catalog::{Area, Catalog, Lang};
use selfcheck_ledger::engine::InspectionRecord;
use selfcheck_ledger::ledger::risk_label;
use selfcheck_report::Severity;
use std::collections::BTreeSet;
use std::fmt::Write;

pub(super) fn basis(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    put!(
        out,
        "<section id=\"basis\">\n<h2>{}</h2>\n<ol>\n",
        t(lang, "一、检查依据", "1. Basis")
    );
    let items: [(&str, &str); 3] = [
        (
            "《中华人民共和国网络安全法》第二十一条：网络运营者应当按照网络安全等级保护制度的要求履行安全保护义务，采取防范计算机病毒和网络攻击、网络侵入等危害网络安全行为的技术措施，监测、记录网络运行状态和网络安全事件，并按照规定留存相关的网络日志不少于六个月。",
            "Cybersecurity Law of the PRC, Art. 21: operators follow the multi-level protection scheme, take technical measures against viruses, attacks and intrusions, monitor and record the network's state and security events, and keep the related network logs for at least six months.",
        ),
        (
            "《党委（党组）网络安全工作责任制实施办法》：按照“谁主管谁负责、属地管理”的原则落实网络安全工作责任制；单位主要负责人是网络安全第一责任人，分管网络安全的负责人是直接责任人。",
            "Implementing Measures for the Cybersecurity Responsibility System of Party Committees (Party Groups): whoever is in charge is responsible, with local jurisdiction; the unit's head is the first responsible person and the leader in charge of network security the directly responsible person.",
        ),
        (
            "GB/T 22239-2019《信息安全技术 网络安全等级保护基本要求》安全计算环境（第二级 7.1.4，第三级 8.1.4）：身份鉴别、访问控制、安全审计、入侵防范、恶意代码防范、数据完整性等控制点。",
            "GB/T 22239-2019 Baseline for classified protection of cybersecurity, security computing environment (level 2: 7.1.4, level 3: 8.1.4): identity authentication, access control, security audit, intrusion prevention, malicious code prevention, data integrity and related controls.",
        ),
    ];
    for (zh, en) in items {
        put!(out, "<li>{}</li>\n", t(lang, zh, en));
    }
    out.push_str("</ol>\n");
    let clauses: BTreeSet<&str> = docs
        .ledger
        .rows
        .iter()
        .flat_map(|r| r.references.iter().map(String::as_str))
        .collect();
    if !clauses.is_empty() {
        put!(
            out,
            "<p>{}{}</p>\n",
            t(
                lang,
                "本月台账中的问题对应的检查条款：",
                "Clauses cited by this month's findings: "
            ),
            escape(
                &clauses
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(t(lang, "；", "; "))
            )
        );
    }
    out.push_str("</section>\n");
}

fn record_name(h: &InspectionRecord) -> &str {
    h.asset
        .as_ref()
        .map_or(h.hostname.as_str(), |a| a.asset_name.as_str())
}

pub(super) fn scope(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    let l = docs.ledger;
    let s = &l.summary;
    let not_inspected = l.hosts.iter().filter(|h| !h.inspected).count();
    put!(
        out,
        "<section id=\"scope\">\n<h2>{}</h2>\n",
        t(lang, "二、检查范围", "2. Scope")
    );
    let text = match lang {
        Lang::Zh => format!(
            "本次检查覆盖资产台账中登记的应检资产 {} 台，本月已检 {} 台，未检 {} 台；本月提交检查报告的主机 {} 台，其中未在资产台账中登记的 {} 台。时间范围为 {} 全月，问题状态判定至 {}。",
            s.assets_expected,
            s.assets_inspected,
            not_inspected,
            s.hosts_reporting,
            s.hosts_unregistered,
            month_name(l.period, lang),
            l.judged_on
        ),
        Lang::En => format!(
            "The inspection covers the {} assets expected by the asset registry: {} inspected this month, {} not inspected. {} hosts sent a report this month, {} of them not in the asset registry. The period is all of {}; statuses are judged as of {}.",
            s.assets_expected,
            s.assets_inspected,
            not_inspected,
            s.hosts_reporting,
            s.hosts_unregistered,
            month_name(l.period, lang),
            l.judged_on
        ),
    };
    put!(out, "<p>{}</p>\n", escape(&text));
    put!(
        out,
        "<h3>{}</h3>\n",
        t(lang, "检查记录", "Inspection record")
    );
    let mut columns: Vec<(&str, f32)> = vec![
        (t(lang, "序号", "No."), 5.0),
        (t(lang, "资产名称", "Asset"), 16.0),
        (t(lang, "IP地址", "IP address"), t_w(lang, 13.0, 12.0)),
        (t(lang, "检查日期", "Inspected on"), 10.5),
        (t(lang, "已运行检查", "Checks run"), 7.0),
        (t(lang, "未能运行", "Could not run"), t_w(lang, 16.5, 14.0)),
    ];
    for &level in &Severity::ALL_DESC {
        // Short English names keep the five count columns narrow.
        let short = match level {
            Severity::Critical => "crit.",
            Severity::High => "high",
            Severity::Medium => "med.",
            Severity::Low => "low",
            Severity::Info => "info",
        };
        columns.push((t(lang, risk_label(level, lang), short), 5.0));
    }
    columns.push((t(lang, "备注", "Remarks"), t_w(lang, 7.0, 10.5)));
    table_head(out, "record", &columns);
    for (i, h) in l.hosts.iter().enumerate() {
        let mut remarks = Vec::new();
        if !h.inspected {
            remarks.push(t(lang, "未检查", "not inspected").to_string());
        }
        if h.unregistered {
            remarks.push(t(lang, "未登记资产", "not in the registry").to_string());
        }
        if h.reports_in_month > 1 {
            remarks.push(match lang {
                Lang::Zh => format!("本月 {} 份报告，取最新", h.reports_in_month),
                Lang::En => format!("{} reports; latest counts", h.reports_in_month),
            });
        }
        let class = if h.inspected {
            ""
        } else {
            " class=\"not-inspected\""
        };
        let date = h.report.as_ref().map_or_else(
            || t(lang, "未检查", "not inspected").to_string(),
            |(_, at, _)| at.date_naive().to_string(),
        );
        let could_not = if h.could_not_run.is_empty() {
            if h.inspected {
                "0".into()
            } else {
                "—".into()
            }
        } else {
            h.could_not_run
                .iter()
                .map(|(id, why)| {
                    format!(
                        "{}<br><span class=\"small\">{}</span>",
                        escape(id.as_str()),
                        escape(why)
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        put!(
            out,
            "<tr{class}><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td class=\"num\">{}</td><td>{could_not}</td>",
            i + 1,
            escape(record_name(h)),
            escape(&h.ip_addresses.join(", ")),
            escape(&date),
            if h.inspected {
                h.checks_run.to_string()
            } else {
                "—".into()
            },
        );
        for &level in &Severity::ALL_DESC {
            let n = h
                .findings_by_level
                .iter()
                .find(|(l, _)| *l == level)
                .map_or(0, |(_, n)| *n);
            let class = if n > 0 { level_class(level) } else { "" };
            put!(out, "<td class=\"num {class}\">{n}</td>");
        }
        put!(out, "<td>{}</td></tr>\n", escape(&remarks.join("; ")));
    }
    if l.hosts.is_empty() {
        put!(
            out,
            "<tr><td colspan=\"{}\">{}</td></tr>\n",
            columns.len(),
            t(
                lang,
                "本月没有检查报告，资产台账中也没有应检资产。",
                "No report this month and no expected asset."
            )
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// What the agent checks in an area, in zh and en: one arm per area, so a
/// new area of the catalog cannot be left out of the methods section. `None`
/// for the collector's own findings, which no agent check produces.
fn what_is_checked(area: Area) -> Option<(&'static str, &'static str)> {
    Some(match area {
        Area::Ports => (
            "监听端口与高危服务（Telnet、FTP、数据库、远程管理等端口的暴露情况）",
            "listening ports and high-risk services (Telnet, FTP, databases, remote management)",
        ),
        Area::Patches => (
            "补丁与安全更新（待安装的安全更新、软件源是否过旧、是否需要重启）",
            "patches and security updates (pending security updates, stale package lists, pending reboots)",
        ),
        Area::Fim => (
            "重要文件完整性（账户、口令、sudo、SSH、PAM、计划任务及系统程序与基线比对）",
            "file integrity of important files (accounts, passwords, sudo, SSH, PAM, cron, system binaries) against a baseline",
        ),
        Area::Baseline => (
            "配置基线（GB/T 22239-2019 主机安全控制：口令策略、登录失败处理、SSH 有效配置、账户、文件权限、审计与日志、服务、防火墙、备份）",
            "Configuration baseline (GB/T 22239-2019 host controls: password policy, login lockout, sshd's effective settings, accounts, file permissions, audit and logging, services, firewall, backup)",
        ),
        Area::Collector => return None,
    })
}

pub(super) fn methods(out: &mut String, docs: &Documents<'_>, lang: Lang) {
    let l = docs.ledger;
    put!(
        out,
        "<section id=\"methods\">\n<h2>{}</h2>\n<p>{}</p>\n",
        t(lang, "三、检查方法", "3. Methods"),
        t(
            lang,
            "采用技术检测方式：在每台被检主机上运行 selfcheck-agent，按检查目录逐项进行只读检查（不修改主机上的任何配置和文件），生成检查报告；检查项包括：",
            "Technical inspection: selfcheck-agent runs on every inspected host and performs the catalog's checks read-only (it changes no setting or file on the host), then writes a report. The checks by area:"
        )
    );
    table_head(
        out,
        "methods",
        &[
            (t(lang, "检查领域", "Area"), 16.0),
            (t(lang, "检查内容", "What is checked"), 70.0),
            (t(lang, "检查项数", "Checks"), 14.0),
        ],
    );
    // The embedded catalog: the checks this collector knows (an agent with
    // another catalog is refused at import).
    let catalog = Catalog::embedded().ok();
    let count = |area: Area| {
        catalog
            .as_ref()
            .map(|c| c.iter().filter(|d| d.area == area).count())
    };
    let mut total = 0;
    for (area, (zh, en)) in Area::ALL
        .into_iter()
        .filter_map(|a| what_is_checked(a).map(|w| (a, w)))
    {
        let n = count(area);
        total += n.unwrap_or(0);
        put!(
            out,
            "<tr><td>{area}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
            t(lang, zh, en),
            n.map_or_else(|| "—".into(), |n| n.to_string())
        );
    }
    put!(
        out,
        "<tr class=\"total\"><td>{}</td><td></td><td class=\"num\">{total}</td></tr>\n</tbody></table>\n",
        t(lang, "合计", "Total")
    );
    let reports: usize = l.hosts.iter().map(|h| h.reports_in_month).sum();
    let checks_run: usize = l.hosts.iter().map(|h| h.checks_run).sum();
    let could_not: usize = l.hosts.iter().map(|h| h.could_not_run.len()).sum();
    let text = match lang {
        Lang::Zh => format!(
            "每份检查报告由该主机的 agent 密钥（Ed25519）签名。采集端导入时逐份验证签名、核对该主机固定的 agent 密钥和检查目录，验证不通过的报告不予采用；同一报告只存储一次。问题的整改状态、整改时限和逾期情况由采集端根据各月报告和整改记录统一计算，整改记录写入哈希链（SM3）历史，可验证未被篡改。本月共采用检查报告 {reports} 份，以各主机的最新报告计，运行检查 {checks_run} 项次，未能运行 {could_not} 项次（见检查记录）。"
        ),
        Lang::En => format!(
            "Each report is signed with the host's agent key (Ed25519). On import the collector verifies every signature and checks the key pinned for the host and the check catalog; a report that fails is not used, and each report is stored once. Statuses, deadlines and overdue items are computed by the collector from the reports of every month and the recorded actions; actions are kept in a hash-chained (SM3) history that shows any tampering. This month {reports} report(s) were used; on each host's latest report {checks_run} checks ran and {could_not} could not run (see the inspection record)."
        ),
    };
    put!(out, "<p>{}</p>\n</section>\n", escape(&text));
}
