//! The protection level (等保级别) of GB/T 22239-2019, as one type for every side.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A protection level of the classified protection scheme (等级保护), 1 to 5.
///
/// Reports, the catalog's check levels, the agent's profile and the asset registry all
/// carry this type, so a level is checked once, where it is read; the baseline has
/// profiles for levels 2 and 3 (see `has_baseline_profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(transparent)]
pub struct ProtectionLevel(#[schemars(range(min = 1, max = 5))] u8);

impl ProtectionLevel {
    /// Level 2 (第二级), the most common one for a unit's hosts.
    pub const TWO: ProtectionLevel = ProtectionLevel(2);
    /// Level 3 (第三级): the stricter profile and the default when nothing says otherwise.
    pub const THREE: ProtectionLevel = ProtectionLevel(3);

    /// The level numbered `n`, if it is 1 to 5.
    pub fn new(n: u8) -> Option<ProtectionLevel> {
        (1..=5).contains(&n).then_some(ProtectionLevel(n))
    }

    /// The level's number.
    pub fn get(self) -> u8 {
        self.0
    }

    /// Whether the configuration baseline has a profile for this level (2 and 3).
    pub fn has_baseline_profile(self) -> bool {
        matches!(self.0, 2 | 3)
    }

    /// The Chinese name, e.g. `三级`.
    pub fn zh_name(self) -> &'static str {
        ["一级", "二级", "三级", "四级", "五级"][usize::from(self.0 - 1)]
    }
}

/// A number that is not a protection level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{value} is not a protection level; use a level from 1 to 5 (the baseline has profiles for 2 and 3)"
)]
pub struct LevelError {
    /// What was given.
    pub value: String,
}

impl fmt::Display for ProtectionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ProtectionLevel {
    type Err = LevelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<u8>()
            .ok()
            .and_then(ProtectionLevel::new)
            .ok_or_else(|| LevelError {
                value: s.to_string(),
            })
    }
}

impl TryFrom<i64> for ProtectionLevel {
    type Error = LevelError;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        u8::try_from(n)
            .ok()
            .and_then(ProtectionLevel::new)
            .ok_or_else(|| LevelError {
                value: n.to_string(),
            })
    }
}

impl Serialize for ProtectionLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for ProtectionLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        ProtectionLevel::try_from(n).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_five_are_levels() {
        assert_eq!("3".parse::<ProtectionLevel>(), Ok(ProtectionLevel::THREE));
        for bad in ["0", "6", "-1", "二", "", "300"] {
            let e = bad.parse::<ProtectionLevel>().unwrap_err();
            assert!(e.to_string().contains("from 1 to 5"), "{e}");
        }
        assert!(ProtectionLevel::TWO.has_baseline_profile());
        assert!(!ProtectionLevel::new(4).unwrap().has_baseline_profile());
        assert_eq!(ProtectionLevel::THREE.zh_name(), "三级");
    }

    #[test]
    fn json_is_the_number_and_a_wrong_one_is_refused() {
        assert_eq!(serde_json::to_string(&ProtectionLevel::TWO).unwrap(), "2");
        let l: ProtectionLevel = serde_json::from_str("3").unwrap();
        assert_eq!(l, ProtectionLevel::THREE);
        let e = serde_json::from_str::<ProtectionLevel>("9").unwrap_err();
        assert!(e.to_string().contains("9 is not a protection level"), "{e}");
        assert!(serde_json::from_str::<ProtectionLevel>("\"3\"").is_err());
    }
}
