//! The areas a check belongs to: which audit runs it and under which heading people read it.

use crate::Lang;
use std::fmt;
use std::str::FromStr;

/// The area of a check. A catalog file naming any other area is refused when it loads,
/// so a report section, a document heading or an audit can never miss a check's area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    /// Listening ports against the high-risk-port policy.
    Ports,
    /// Pending updates, reboots and known vulnerabilities of installed packages.
    Patches,
    /// File integrity against a signed baseline.
    Fim,
    /// The configuration baseline: GB/T 22239-2019 host controls read from files.
    Baseline,
    /// Findings the collector itself raises (an asset without a report).
    Collector,
}

impl Area {
    /// Every area, in the order documents present them.
    pub const ALL: [Area; 5] = [
        Area::Ports,
        Area::Patches,
        Area::Fim,
        Area::Baseline,
        Area::Collector,
    ];

    /// The four areas an agent audits, in report order.
    pub const AGENT: [Area; 4] = [Area::Ports, Area::Patches, Area::Fim, Area::Baseline];

    /// The name catalog files and reports use (`ports`, `patches`, `fim`, `baseline`, `collector`).
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Ports => "ports",
            Area::Patches => "patches",
            Area::Fim => "fim",
            Area::Baseline => "baseline",
            Area::Collector => "collector",
        }
    }

    /// The heading people read, in `lang`.
    pub fn name(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Area::Ports => ("端口与服务", "Ports and services"),
            Area::Patches => ("补丁与漏洞", "Patches and vulnerabilities"),
            Area::Fim => ("文件完整性", "File integrity"),
            Area::Baseline => ("配置基线", "Configuration baseline"),
            Area::Collector => ("检查覆盖", "Inspection coverage"),
        };
        lang.pick(zh, en)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Area {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Area::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Area::ALL.iter().map(|a| a.as_str()).collect();
                format!("area {s:?} is not known; use one of {}", known.join(", "))
            })
    }
}

impl PartialEq<str> for Area {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Area {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for Area {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_round_trips_and_has_both_names() {
        for a in Area::ALL {
            assert_eq!(a.as_str().parse::<Area>(), Ok(a));
            assert!(!a.name(Lang::Zh).is_empty() && !a.name(Lang::En).is_empty());
        }
        let err = "config".parse::<Area>().unwrap_err();
        assert!(
            err.contains("ports, patches, fim, baseline, collector"),
            "{err}"
        );
    }
}
