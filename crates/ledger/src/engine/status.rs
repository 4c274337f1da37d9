//! The status of one finding, derived from what the reports showed and what
//! people did, in time order. Pure logic: no store, no clock.
//!
//! | from | event | to |
//! |---|---|---|
//! | (none) | a report shows it | open 待整改 (deadline from the risk level) |
//! | open, in progress, reopened | a person sets in progress / fixed / risk accepted / false positive | that status |
//! | fixed pending re-check | a later report still shows it | back to in progress (owner set) or open |
//! | any but closed, false positive | a later report of the asset ran the check and does not show it | closed 已销号 (re-check report and date kept) |
//! | closed | a report shows it again | reopened 复发 (occurrences counted, new deadline) |
//! | risk accepted | its expiry date passes | open (new deadline from the day after expiry) |
//! | risk accepted, false positive | a person sets open | open |
//!
//! A report on which the check could not run changes nothing. Overdue 逾期 is
//! not stored: a finding is overdue when it is open, in progress or reopened
//! and its deadline is before the day the status is judged on.

use crate::calendar::Calendar;
use crate::deadlines::DeadlinePolicy;
use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use selfcheck_report::{ReportId, Severity};
use serde::{Deserialize, Serialize};

/// A finding's rectification status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待整改: found, nobody has acted yet.
    Open,
    /// 整改中: a person is fixing it (measure and owner recorded).
    InProgress,
    /// 已整改待复查: a person says it is fixed; the next report will tell.
    FixedPendingRecheck,
    /// 已销号: a later report ran the check and no longer shows it.
    Closed,
    /// 风险接受: accepted with a reason, an approver and an expiry date.
    RiskAccepted,
    /// 误报: not a real problem (reason kept); stays suppressed while it is seen.
    FalsePositive,
    /// 复发: closed once, seen again.
    Reopened,
}

impl Status {
    /// Every status, in the order of the table above.
    pub const ALL: [Status; 7] = [
        Status::Open,
        Status::InProgress,
        Status::FixedPendingRecheck,
        Status::Closed,
        Status::RiskAccepted,
        Status::FalsePositive,
        Status::Reopened,
    ];

    /// The keyword used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::FixedPendingRecheck => "fixed_pending_recheck",
            Status::Closed => "closed",
            Status::RiskAccepted => "risk_accepted",
            Status::FalsePositive => "false_positive",
            Status::Reopened => "reopened",
        }
    }

    /// The Chinese name the ledger uses.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Open => "待整改",
            Status::InProgress => "整改中",
            Status::FixedPendingRecheck => "已整改待复查",
            Status::Closed => "已销号",
            Status::RiskAccepted => "风险接受",
            Status::FalsePositive => "误报",
            Status::Reopened => "复发",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in progress",
            Status::FixedPendingRecheck => "fixed, pending re-check",
            Status::Closed => "closed",
            Status::RiskAccepted => "risk accepted",
            Status::FalsePositive => "false positive",
            Status::Reopened => "reopened",
        }
    }

    /// Whether a person may set this status (closed and reopened come only from reports).
    pub fn settable(self) -> bool {
        !matches!(self, Status::Closed | Status::Reopened)
    }

    /// Whether the finding still needs rectification (so it can be overdue).
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Open | Status::InProgress | Status::Reopened)
    }

    /// Whether it still counts as not rectified in the summary: pending, or
    /// said to be fixed and awaiting the re-check.
    pub fn awaits_rectification(self) -> bool {
        self.is_pending() || self == Status::FixedPendingRecheck
    }

    /// How far from done (0 = reopened … 6 = closed): a group of findings
    /// shows its least done member's status.
    pub fn doneness(self) -> u8 {
        match self {
            Status::Reopened => 0,
            Status::Open => 1,
            Status::InProgress => 2,
            Status::FixedPendingRecheck => 3,
            Status::RiskAccepted => 4,
            Status::FalsePositive => 5,
            Status::Closed => 6,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Status, String> {
        let t = s.trim();
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == t || st.zh() == t || st.as_str().replace('_', "-") == t)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a status; use one of: {}",
                    Status::ALL.map(|s| s.as_str()).join(", ")
                )
            })
    }
}

/// A person's status change, as the history records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// When it was entered.
    pub at: DateTime<FixedOffset>,
    /// Who entered it.
    pub by: String,
    /// The status set.
    pub status: Status,
    /// Why.
    pub reason: String,
    /// 整改措施: what is being done, or was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// 临时缓解措施: what limits the risk until it is fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<String>,
    /// 整改责任人.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Who approved a risk acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// Last day a risk acceptance holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

impl Action {
    /// What is missing or wrong for this status (`None`: the action is complete).
    pub fn problem(&self) -> Option<String> {
        if !self.status.settable() {
            return Some(format!(
                "{} is set by a report, not by a person: a finding closes when a later report ran its check and no longer shows it",
                self.status
            ));
        }
        if self.by.trim().is_empty() {
            return Some("--by must name who makes the change".into());
        }
        if self.reason.trim().is_empty() {
            return Some("--reason must say why".into());
        }
        match self.status {
            Status::InProgress if self.measure.is_none() || self.owner.is_none() => {
                Some("in_progress needs --measure (what is being done) and --owner (who does it)".into())
            }
            Status::RiskAccepted if self.approver.is_none() || self.until.is_none() => {
                Some("risk_accepted needs --approver (who accepted the risk) and --until (the last day it holds)".into())
            }
            _ => None,
        }
    }
}

/// What one report of the asset said about the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// When the report was finished.
    pub at: DateTime<FixedOffset>,
    /// The report.
    pub report_id: ReportId,
    /// `Some(risk)` when the report shows the finding.
    pub present: Option<Severity>,
    /// Whether the finding's check ran on that report (passed or had findings).
    pub check_ran: bool,
}

/// A finding's state at a point in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingState {
    /// The status.
    pub status: Status,
    /// Pending and past its deadline on the day judged.
    pub overdue: bool,
    /// The risk of the latest sighting.
    pub risk: Severity,
    /// 发现时间: the first sighting.
    pub first_seen: NaiveDate,
    /// The latest sighting.
    pub last_seen: NaiveDate,
    /// The report of the latest sighting.
    pub last_report: ReportId,
    /// When the current round (first sighting, or reopening) began.
    pub opened_on: NaiveDate,
    /// 整改时限 (none for levels without a term).
    pub deadline: Option<NaiveDate>,
    /// How many times it was (re)opened: 1, then 2 after the first reopening.
    pub occurrences: u32,
    /// The re-check report that closed it and its date.
    pub closed_by: Option<(ReportId, NaiveDate)>,
    /// Times a person said "fixed" and a later report still showed it.
    pub failed_rechecks: u32,
    /// 整改措施 from the latest action that gave one.
    pub measure: Option<String>,
    /// 临时缓解措施.
    pub mitigation: Option<String>,
    /// 整改责任人.
    pub owner: Option<String>,
    /// Approver of a risk acceptance.
    pub approver: Option<String>,
    /// Last day of a risk acceptance.
    pub accepted_until: Option<NaiveDate>,
    /// The reason of the latest action.
    pub reason: Option<String>,
    /// When a person said it was fixed.
    pub fixed_on: Option<NaiveDate>,
    /// The latest action: who and when.
    pub last_action: Option<(String, DateTime<FixedOffset>)>,
}

/// Deadline rules and the working-day calendar.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// Terms per risk level.
    pub policy: &'a DeadlinePolicy,
    /// Working days.
    pub calendar: &'a Calendar,
}

impl Rules<'_> {
    fn deadline(&self, from: NaiveDate, risk: Severity) -> Option<NaiveDate> {
        self.policy.deadline(from, risk, self.calendar)
    }
}

enum Event<'a> {
    Seen(&'a Observation),
    Acted(&'a Action),
}

impl Event<'_> {
    fn at(&self) -> DateTime<FixedOffset> {
        match self {
            Event::Seen(o) => o.at,
            Event::Acted(a) => a.at,
        }
    }
}

/// The state of one finding on day `judged_on`, from every observation and
/// action up to then (callers pass only those); `None` if no report ever showed it.
pub fn evaluate(
    observations: &[Observation],
    actions: &[Action],
    judged_on: NaiveDate,
    rules: Rules<'_>,
) -> Option<FindingState> {
    let mut events: Vec<Event<'_>> = observations
        .iter()
        .map(Event::Seen)
        .chain(actions.iter().map(Event::Acted))
        .collect();
    // Reports before actions at the same instant: a person acts on what was seen.
    events.sort_by_key(|e| (e.at(), matches!(e, Event::Acted(_))));
    let mut state: Option<FindingState> = None;
    for event in events {
        if let Some(s) = state.as_mut() {
            expire_acceptance(s, event.at().date_naive(), rules);
        }
        match event {
            Event::Seen(o) => seen(&mut state, o, rules),
            Event::Acted(a) => {
                if let Some(s) = state.as_mut() {
                    acted(s, a, rules);
                }
            }
        }
    }
    let mut s = state?;
    expire_acceptance(&mut s, judged_on, rules);
    s.overdue = s.status.is_pending() && s.deadline.is_some_and(|d| d < judged_on);
    Some(s)
}

/// A risk acceptance whose last day is before `day` returns to open.
fn expire_acceptance(s: &mut FindingState, day: NaiveDate, rules: Rules<'_>) {
    if s.status != Status::RiskAccepted {
        return;
    }
    if let Some(until) = s.accepted_until
        && until < day
    {
        let reopened_on = until.checked_add_days(Days::new(1)).unwrap_or(until);
        s.status = Status::Open;
        s.opened_on = reopened_on;
        s.deadline = rules.deadline(reopened_on, s.risk);
    }
}

fn seen(state: &mut Option<FindingState>, o: &Observation, rules: Rules<'_>) {
    let day = o.at.date_naive();
    let Some(s) = state.as_mut() else {
        if let Some(risk) = o.present {
            *state = Some(FindingState {
                status: Status::Open,
                overdue: false,
                risk,
                first_seen: day,
                last_seen: day,
                last_report: o.report_id.clone(),
                opened_on: day,
                deadline: rules.deadline(day, risk),
                occurrences: 1,
                closed_by: None,
                failed_rechecks: 0,
                measure: None,
                mitigation: None,
                owner: None,
                approver: None,
                accepted_until: None,
                reason: None,
                fixed_on: None,
                last_action: None,
            });
        }
        return;
    };
    match o.present {
        Some(risk) => {
            s.last_seen = day;
            s.last_report = o.report_id.clone();
            let escalated = risk > s.risk;
            s.risk = risk;
            match s.status {
                Status::Closed => {
                    s.status = Status::Reopened;
                    s.occurrences += 1;
                    s.opened_on = day;
                    s.deadline = rules.deadline(day, risk);
                    s.closed_by = None;
                    s.fixed_on = None;
                }
                Status::FixedPendingRecheck => {
                    s.failed_rechecks += 1;
                    s.fixed_on = None;
                    s.status = if s.owner.is_some() {
                        Status::InProgress
                    } else {
                        Status::Open
                    };
                }
                _ => {}
            }
            // A higher risk shortens the term, counted from when the round began.
            if escalated && s.status.is_pending() {
                let sooner = rules.deadline(s.opened_on, risk);
                s.deadline = match (s.deadline, sooner) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        None if o.check_ran && !matches!(s.status, Status::Closed | Status::FalsePositive) => {
            s.status = Status::Closed;
            s.closed_by = Some((o.report_id.clone(), day));
        }
        // The check could not run: the report proves nothing either way.
        None => {}
    }
}

fn acted(s: &mut FindingState, a: &Action, rules: Rules<'_>) {
    let day = a.at.date_naive();
    let was = s.status;
    s.status = a.status;
    s.reason = Some(a.reason.clone());
    s.last_action = Some((a.by.clone(), a.at));
    if a.measure.is_some() {
        s.measure = a.measure.clone();
    }
    if a.mitigation.is_some() {
        s.mitigation = a.mitigation.clone();
    }
    if a.owner.is_some() {
        s.owner = a.owner.clone();
    }
    match a.status {
        Status::FixedPendingRecheck => s.fixed_on = Some(day),
        Status::RiskAccepted => {
            s.approver = a.approver.clone();
            s.accepted_until = a.until;
        }
        Status::Open if matches!(was, Status::RiskAccepted | Status::FalsePositive) => {
            // A revoked acceptance or false-positive mark starts a new term.
            s.opened_on = day;
            s.deadline = rules.deadline(day, s.risk);
        }
        _ => {}
    }
    if a.status != Status::RiskAccepted {
        s.accepted_until = None;
    }
}

/// Whether a person may move a finding from `from` to `to` (the CLI checks
/// this before writing the history).
pub fn may_set(from: Status, to: Status) -> Result<(), String> {
    if !to.settable() {
        return Err(format!(
            "{to} is set by reports, not by people: a finding closes when a later report ran its check and no longer shows it"
        ));
    }
    if from == Status::Closed {
        return Err(
            "the finding is closed (a re-check report no longer shows it); nothing is left to set"
                .into(),
        );
    }
    if from == to && from != Status::InProgress {
        return Err(format!("the finding is already {from}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn statuses_parse_from_keywords_and_chinese() {
        assert_eq!("in_progress".parse::<Status>().unwrap(), Status::InProgress);
        assert_eq!("整改中".parse::<Status>().unwrap(), Status::InProgress);
        assert_eq!(
            "risk-accepted".parse::<Status>().unwrap(),
            Status::RiskAccepted
        );
        assert!(
            "done"
                .parse::<Status>()
                .unwrap_err()
                .contains("in_progress")
        );
    }

    #[test]
    fn actions_need_their_fields() {
        let a = Action {
            at: t("2026-11-20T10:00:00+08:00"),
            by: "张工".into(),
            status: Status::RiskAccepted,
            reason: "legacy system".into(),
            measure: None,
            mitigation: None,
            owner: None,
            approver: Some("李处".into()),
            until: None,
        };
        assert!(a.problem().unwrap().contains("--until"));
        let a = Action {
            until: Some(d("2027-03-31")),
            ..a
        };
        assert_eq!(a.problem(), None);
        let closed = Action {
            status: Status::Closed,
            ..a
        };
        assert!(closed.problem().unwrap().contains("set by a report"));
    }

    #[test]
    fn closed_findings_accept_no_action() {
        assert!(may_set(Status::Closed, Status::InProgress).is_err());
        assert!(may_set(Status::Open, Status::Reopened).is_err());
        assert!(may_set(Status::Open, Status::InProgress).is_ok());
        assert!(may_set(Status::RiskAccepted, Status::Open).is_ok());
    }
}
