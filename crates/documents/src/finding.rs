//! One finding for people (`finding show`), and the history's entries
//! (`history list`, `history verify`), in zh or en. Report-supplied text is
//! escaped by the caller ([`selfcheck_term::escape_lines`]).

use selfcheck_catalog::{CheckDef, Lang};
use selfcheck_ledger::engine::{Action, FindingState};
use selfcheck_ledger::history::{HistoryEntry, Verification};
use selfcheck_ledger::ledger::risk_label;
use selfcheck_ledger::store::RegistryEntry;
use selfcheck_term::width::{display_width, pad};
use std::fmt::Write as _;

/// What `finding show` shows of a finding.
pub struct FindingText<'a> {
    /// Its registry entry.
    pub entry: &'a RegistryEntry,
    /// Its state today (`None`: closed before this month).
    pub state: Option<&'a FindingState>,
    /// People's actions on it.
    pub actions: &'a [Action],
    /// Host name and addresses from its latest report.
    pub host: Option<&'a (String, Vec<String>)>,
    /// The registered asset's name.
    pub asset_name: Option<&'a str>,
    /// The check, from the catalog.
    pub check: Option<&'a CheckDef>,
    /// The evidence of its latest sighting.
    pub evidence: &'a [String],
}

/// A finding as labelled lines: where, what, its status, deadline, sightings,
/// evidence, how to fix it, and every action on it.
pub fn finding_text(f: &FindingText<'_>, lang: Lang) -> String {
    let mut out = String::new();
    let label = |zh: &str, en: &str| format!("  {}", pad(lang.pick(zh, en), 10));
    let e = f.entry;
    let _ = writeln!(out, "{} {}", e.finding_no, e.fingerprint);
    let asset = match (f.asset_name, f.host) {
        (Some(name), Some((host, ips))) => format!("{name}（{host}，{}）", ips.join(", ")),
        (None, Some((host, ips))) => format!("{host}（{}）", ips.join(", ")),
        (Some(name), None) => name.to_string(),
        (None, None) => e.asset_key.clone(),
    };
    let _ = writeln!(out, "{}{asset}", label("资产", "asset:"));
    let title = f.check.map(|c| c.title.get(lang)).unwrap_or("");
    let _ = writeln!(
        out,
        "{}{} {title}{}{}",
        label("检查项", "check:"),
        e.check_id,
        lang.pick("：", ": "),
        e.subject
    );
    match f.state {
        Some(s) => {
            let status = match lang {
                Lang::Zh => s.status.zh(),
                Lang::En => s.status.en(),
            };
            let overdue = if s.overdue {
                lang.pick("（逾期）", " (overdue)")
            } else {
                ""
            };
            let deadline = s.deadline.map_or_else(|| "—".into(), |d| d.to_string());
            let _ = writeln!(
                out,
                "{}{status}{overdue}  {} {}  {} {deadline}",
                label("状态", "status:"),
                lang.pick("风险", "risk"),
                risk_label(s.risk, lang),
                lang.pick("整改时限", "deadline"),
            );
            let _ = writeln!(
                out,
                "{}{}",
                label("发现", "seen:"),
                match lang {
                    Lang::Zh => format!(
                        "首次 {}，最近 {}（报告 {}），共 {} 次",
                        s.first_seen, s.last_seen, s.last_report, s.occurrences
                    ),
                    Lang::En => format!(
                        "first {}, last {} (report {}), occurrences {}",
                        s.first_seen, s.last_seen, s.last_report, s.occurrences
                    ),
                }
            );
            if let Some((report, day)) = &s.closed_by {
                let _ = writeln!(
                    out,
                    "{}{}",
                    label("销号", "closed:"),
                    match lang {
                        Lang::Zh => format!("{day}，复查报告 {report}"),
                        Lang::En => format!("{day} by re-check report {report}"),
                    }
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "{}{}",
                label("状态", "status:"),
                lang.pick("本月之前已销号", "closed before this month")
            );
        }
    }
    if !f.evidence.is_empty() {
        let _ = writeln!(out, "{}", label("证据", "evidence:").trim_end());
        for line in f.evidence {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(c) = f.check {
        let _ = writeln!(
            out,
            "{}{}",
            label("整改建议", "fix:"),
            c.remediation.get(lang)
        );
    }
    if !f.actions.is_empty() {
        let _ = writeln!(out, "{}", label("处置记录", "actions:").trim_end());
    }
    for a in f.actions {
        // In English the status as `finding set --status` spells it.
        let status = match lang {
            Lang::Zh => a.status.zh().to_string(),
            Lang::En => a.status.to_string(),
        };
        let mut line = format!(
            "    {} {} → {status}：{}",
            a.at.to_rfc3339(),
            a.by,
            a.reason
        );
        if lang == Lang::En {
            line = format!(
                "    {} {} -> {status}: {}",
                a.at.to_rfc3339(),
                a.by,
                a.reason
            );
        }
        if let Some(m) = &a.measure {
            let _ = write!(line, "{}{m}", lang.pick("；整改措施：", "; measure: "));
        }
        if let Some(o) = &a.owner {
            let _ = write!(line, "{}{o}", lang.pick("；责任人：", "; owner: "));
        }
        if let (Some(who), Some(until)) = (&a.approver, a.until) {
            let _ = write!(
                line,
                "{}",
                match lang {
                    Lang::Zh => format!("；批准人：{who}，有效期至 {until}"),
                    Lang::En => format!("; approved by {who} until {until}"),
                }
            );
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The result of `history verify` for people.
pub fn verification_text(v: &Verification, lang: Lang) -> String {
    if v.is_intact() {
        let seals = match (&v.key_fingerprint, lang) {
            (Some(key), Lang::Zh) => format!("{} 条已由收集端密钥 {key} 封签", v.sealed),
            (Some(key), Lang::En) => format!("{} sealed by collector key {key}", v.sealed),
            (None, Lang::Zh) => "未校验封签（没有收集端密钥）".to_string(),
            (None, Lang::En) => "seals not checked (no collector key)".to_string(),
        };
        return match lang {
            Lang::Zh => format!("历史记录完整：{} 条，链头 {}，{seals}\n", v.entries, v.head),
            Lang::En => format!(
                "history intact: {} entries, head {}, {seals}\n",
                v.entries, v.head
            ),
        };
    }
    let mut out: String = v.problems.iter().map(|p| format!("{p}\n")).collect();
    out.push_str(&match lang {
        Lang::Zh => format!(
            "历史记录已损坏：{} 条中有 {} 处问题\n",
            v.entries,
            v.problems.len()
        ),
        Lang::En => format!(
            "history BROKEN: {} problem(s) in {} entries\n",
            v.problems.len(),
            v.entries
        ),
    });
    out
}

/// `history list` for people: a header, then one line per entry.
pub fn history_text(entries: &[HistoryEntry], lang: Lang) -> String {
    let headers = match lang {
        Lang::Zh => ["序号", "时间", "类型", "操作人", "问题指纹", "摘要"],
        Lang::En => ["seq", "at", "kind", "by", "finding", "digest"],
    };
    let mut out = format!(
        "{}{} {} {} {} {} {}\n",
        " ".repeat(6 - display_width(headers[0]).min(6)),
        headers[0],
        pad(headers[1], 27),
        pad(headers[2], 20),
        pad(headers[3], 16),
        pad(headers[4], 32),
        headers[5]
    );
    for e in entries {
        let _ = writeln!(
            out,
            "{:>6} {} {} {} {} {}",
            e.seq,
            pad(&e.at, 27),
            pad(&e.kind, 20),
            pad(&e.actor, 16),
            pad(e.fingerprint.as_deref().unwrap_or("-"), 32),
            e.digest
        );
    }
    out
}
