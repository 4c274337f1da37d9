//! Check ids the code names: typed, so a misspelling is a build error, not a dropped finding.

use crate::Area;
use selfcheck_report::CheckId;
use std::fmt;

/// The id of a check of the repository's catalog, as a constant of [`crate::checks`].
///
/// Only the generated constants make one, so every `KnownCheck` is an id the embedded
/// catalog defines; a test keeps the constants and the catalog in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KnownCheck(&'static str, Area);

impl KnownCheck {
    /// Made only by the generated constants of [`crate::checks`].
    pub(crate) const fn new(id: &'static str, area: Area) -> KnownCheck {
        KnownCheck(id, area)
    }

    /// The area the catalog files the check under, known without loading the catalog.
    pub const fn area(self) -> Area {
        self.1
    }

    /// The id as text, e.g. `ports.telnet`.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The id as the report's [`CheckId`].
    pub fn id(self) -> CheckId {
        self.0
            .parse()
            .expect("generated constants hold ids the catalog parsed")
    }
}

impl fmt::Display for KnownCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for KnownCheck {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl PartialEq<CheckId> for KnownCheck {
    fn eq(&self, other: &CheckId) -> bool {
        self.0 == other.as_str()
    }
}

impl PartialEq<KnownCheck> for CheckId {
    fn eq(&self, other: &KnownCheck) -> bool {
        self.as_str() == other.0
    }
}
