//! Grading an OSV advisory's severity into a report risk level.
//!
//! The mapping (the module docs of [`super`] give the same table for the
//! report documentation):
//!
//! | Source in the advisory | Value | Risk |
//! |---|---|---|
//! | `severity[]` `CVSS_V3` / `CVSS_V4` vector, base score | ≥ 9.0 / ≥ 7.0 / ≥ 4.0 / > 0 / 0 | critical / high / medium / low / info |
//! | Ubuntu priority (`severity[]` type `Ubuntu`, or `ecosystem_specific.ubuntu_priority`) | critical / high / medium / low / negligible | critical / high / medium / low / info |
//! | Debian urgency (`ecosystem_specific.urgency`, or `database_specific.urgency`) | high / medium / low / unimportant / not yet assigned / end-of-life | high / medium / low / info / high / high |
//! | `severity[]` `CVSS_V2` vector, base score (only when nothing above is present) | ≥ 7.0 / ≥ 4.0 / > 0 / 0 | high / medium / low / info |
//! | nothing usable | | high |
//!
//! Precedence: a CVSS v3.x/v4 score wins over the distribution's own grade;
//! when several CVSS v3/v4 vectors are given the highest base score counts.
//! Without one, the distribution's grade counts (the higher one if an advisory
//! carried both an Ubuntu priority and a Debian urgency). An advisory with no
//! usable severity at all is graded high, because an unpatched vulnerability of
//! unknown severity must not be under-rated. Values that are not recognised
//! (an unparsable vector, Ubuntu's `untriaged`) are not a source.

use selfcheck_report::Severity;
use std::str::FromStr;

/// One grade and the words saying where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    /// The risk level.
    pub risk: Severity,
    /// Where it came from, e.g. `CVSS:3.1 base 9.8`, `Ubuntu priority high`,
    /// `Debian urgency medium`, `no severity in advisory: high by default`.
    pub basis: String,
}

/// What an advisory says about its severity, gathered from its top-level
/// `severity[]`, the matching `affected[]` entry's `severity[]`, and that
/// entry's `ecosystem_specific` / `database_specific`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeveritySources {
    /// `(type, score)` pairs of `severity[]` entries, e.g. `("CVSS_V3", "CVSS:3.1/AV:N/...")`.
    pub entries: Vec<(String, String)>,
    /// Ubuntu priority from `ecosystem_specific.ubuntu_priority` (older Ubuntu records).
    pub ubuntu_priority: Option<String>,
    /// Debian urgency from `ecosystem_specific.urgency` or `database_specific.urgency`.
    pub debian_urgency: Option<String>,
}

/// The basis text of the fallback grade.
pub const DEFAULT_BASIS: &str = "no severity in advisory: high by default";

/// Risk of a CVSS v3.x or v4 base score.
pub fn risk_from_cvss_score(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else if score > 0.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

/// Risk of a CVSS v2 base score (v2 has no "critical" band).
fn risk_from_cvss_v2_score(score: f64) -> Severity {
    risk_from_cvss_score(score).min(Severity::High)
}

/// Risk of an Ubuntu priority; `None` for values that are not a grade (`untriaged`).
pub fn risk_from_ubuntu_priority(priority: &str) -> Option<Severity> {
    match priority.trim().to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "negligible" => Some(Severity::Info),
        _ => None,
    }
}

/// Risk of a Debian security-tracker urgency; `None` for unknown values.
///
/// Trailing `*` marks (the tracker's "guessed" urgencies) are ignored.
/// `not yet assigned` and `end-of-life` (no security support for the package
/// in that release) count as high: nobody has said the issue is minor.
pub fn risk_from_debian_urgency(urgency: &str) -> Option<Severity> {
    let u = urgency
        .trim()
        .trim_end_matches('*')
        .trim()
        .to_ascii_lowercase();
    match u.as_str() {
        "high" => Some(Severity::High),
        "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "unimportant" => Some(Severity::Info),
        "not yet assigned" | "end-of-life" => Some(Severity::High),
        _ => None,
    }
}

/// A CVSS vector's version label (`CVSS:3.1`) and base score, if it parses.
fn cvss_score(vector: &str) -> Option<(String, f64, bool)> {
    let parsed = cvss::Cvss::from_str(vector.trim()).ok()?;
    let (label, v2) = match parsed {
        cvss::Cvss::CvssV20(_) => ("CVSS:2.0".to_string(), true),
        _ => (vector.trim().split('/').next()?.to_string(), false),
    };
    Some((label, parsed.score(), v2))
}

/// Grade an advisory from what it says; see the module docs for the rules.
pub fn grade(sources: &SeveritySources) -> Grade {
    let mut best_cvss: Option<(f64, String)> = None;
    let mut best_v2: Option<(f64, String)> = None;
    let mut distro: Option<(Severity, String)> = None;
    let mut consider_distro = |risk: Option<Severity>, basis: String| {
        if let Some(risk) = risk
            && distro.as_ref().is_none_or(|(r, _)| risk > *r)
        {
            distro = Some((risk, basis));
        }
    };
    for (kind, score) in &sources.entries {
        match kind.as_str() {
            "CVSS_V2" | "CVSS_V3" | "CVSS_V4" => {
                let Some((label, value, v2)) = cvss_score(score) else {
                    continue;
                };
                let slot = if v2 { &mut best_v2 } else { &mut best_cvss };
                if slot.as_ref().is_none_or(|(b, _)| value > *b) {
                    *slot = Some((value, label));
                }
            }
            "Ubuntu" => consider_distro(
                risk_from_ubuntu_priority(score),
                format!("Ubuntu priority {}", score.trim()),
            ),
            _ => {}
        }
    }
    if let Some(p) = &sources.ubuntu_priority {
        consider_distro(
            risk_from_ubuntu_priority(p),
            format!("Ubuntu priority {}", p.trim()),
        );
    }
    if let Some(u) = &sources.debian_urgency {
        consider_distro(
            risk_from_debian_urgency(u),
            format!("Debian urgency {}", u.trim()),
        );
    }
    if let Some((score, label)) = best_cvss {
        return Grade {
            risk: risk_from_cvss_score(score),
            basis: format!("{label} base {score:.1}"),
        };
    }
    if let Some((risk, basis)) = distro {
        return Grade { risk, basis };
    }
    if let Some((score, label)) = best_v2 {
        return Grade {
            risk: risk_from_cvss_v2_score(score),
            basis: format!("{label} base {score:.1}"),
        };
    }
    Grade {
        risk: Severity::High,
        basis: DEFAULT_BASIS.to_string(),
    }
}
