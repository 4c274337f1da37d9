//! The `[baseline]` section of agent.toml: the host's protection level and
//! the exceptions the unit approved.

use selfcheck_report::{CheckId, ProtectionLevel};
use serde::Deserialize;

/// The host's baseline profile and its approved exceptions (`[baseline]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineConfig {
    /// The host's protection level (等保级别), 2 or 3; checks that apply
    /// only to other levels are not applicable (`--level` wins) [default: 3].
    pub level: Option<u8>,
    /// Checks the unit exempted on this host (`[[baseline.exception]]`).
    #[serde(default, rename = "exception")]
    pub exceptions: Vec<CheckException>,
}

/// One approved exception: the check does not apply to this host until `expires`.
/// Any catalog check may be exempted; the report shows it as not applicable
/// with the reason, the approver and the expiry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckException {
    /// The exempted check.
    pub check: CheckId,
    /// Why it does not apply (the compensating measure, the ticket).
    pub reason: String,
    /// Who approved it.
    pub approver: String,
    /// The last day it holds (a TOML date, `2027-06-30`).
    pub expires: toml::value::Datetime,
}

impl CheckException {
    /// The expiry as a calendar date (checked when the configuration is parsed).
    pub fn expires_on(&self) -> Option<chrono::NaiveDate> {
        let d = self.expires.date?;
        if self.expires.time.is_some() {
            return None;
        }
        chrono::NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
    }
}

impl BaselineConfig {
    /// `baseline.level` as a protection level with a baseline profile (2 or
    /// 3); `None` when the file does not say, or says something
    /// [`BaselineConfig::validate`] refuses.
    pub fn protection_level(&self) -> Option<ProtectionLevel> {
        self.level
            .and_then(ProtectionLevel::new)
            .filter(|l| l.has_baseline_profile())
    }

    /// The rules `[baseline]` must follow beyond its types; the message says
    /// which entry is wrong.
    pub fn validate(&self) -> Result<(), String> {
        check_baseline(self)
    }
}

/// The rules `[baseline]` must follow beyond its types.
fn check_baseline(b: &BaselineConfig) -> Result<(), String> {
    if let Some(level) = b.level
        && b.protection_level().is_none()
    {
        return Err(format!(
            "baseline.level = {level}: the baseline has profiles for protection levels 2 and 3 only"
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, e) in b.exceptions.iter().enumerate() {
        let at = format!("baseline.exception entry {} ({})", i + 1, e.check);
        if e.reason.trim().is_empty() {
            return Err(format!(
                "{at} has an empty reason; write why the check does not apply (the compensating measure, the ticket)"
            ));
        }
        if e.approver.trim().is_empty() {
            return Err(format!("{at} has an empty approver; name who approved it"));
        }
        if e.expires_on().is_none() {
            return Err(format!(
                "{at}: expires = {} is not a date; write the last day it holds as YYYY-MM-DD, without quotes",
                e.expires
            ));
        }
        if !seen.insert(&e.check) {
            return Err(format!(
                "{at}: the check has an exception already; keep one entry per check"
            ));
        }
    }
    Ok(())
}
