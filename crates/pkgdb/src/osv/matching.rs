//! One OSV record against the installed packages: the few fields matching
//! needs, read borrowed from the record's bytes, and the OSV rules for
//! "is this version affected".

use super::severity::{self, Grade, SeveritySources};
use super::{VersionOrder, VulnMatch};
use chrono::{DateTime, FixedOffset};
use selfcheck_report::{InstalledPackage, PackageState};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

/// Longest summary taken from the first line of `details` when a record has no `summary`.
const SUMMARY_CHARS: usize = 120;

/// The installed packages a feed is matched against, by source package name.
pub(super) struct Installed<'p> {
    by_source: HashMap<&'p str, Vec<&'p InstalledPackage>>,
}

impl<'p> Installed<'p> {
    /// Index `packages` by source name, leaving out packages of which only
    /// configuration files remain (nothing of them runs).
    pub(super) fn new(packages: &'p [InstalledPackage]) -> Installed<'p> {
        let mut by_source: HashMap<&str, Vec<&InstalledPackage>> = HashMap::new();
        for p in packages {
            if p.state == PackageState::ConfigFiles {
                continue;
            }
            by_source.entry(source_name(p)).or_default().push(p);
        }
        Installed { by_source }
    }
}

/// The source package name a feed knows a binary package by.
fn source_name(p: &InstalledPackage) -> &str {
    if p.source_name.is_empty() {
        &p.name
    } else {
        &p.source_name
    }
}

/// The version compared against a feed: the source version (a binNMU's binary
/// version `1.2-3+b1` belongs to source version `1.2-3`).
fn source_version(p: &InstalledPackage) -> &str {
    if p.source_version.is_empty() {
        &p.version
    } else {
        &p.source_version
    }
}

/// What one record told the feed reader.
pub(super) struct RecordOutcome {
    /// The record's `modified` time, when it has a valid one.
    pub(super) modified: Option<DateTime<FixedOffset>>,
    /// Matches against the installed packages (none for a withdrawn record).
    pub(super) matches: Vec<VulnMatch>,
}

/// Read one OSV record and match it; `Err` says why the record is unusable.
pub(super) fn match_record(
    bytes: &[u8],
    ecosystem: &str,
    installed: &Installed<'_>,
    order: &dyn VersionOrder,
) -> Result<RecordOutcome, String> {
    let raw: RawRecord<'_> =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid OSV JSON: {e}"))?;
    let id = match raw.id.as_ref().map(|t| t.0.trim()) {
        Some(id) if !id.is_empty() => id,
        _ => return Err("the record has no \"id\"".to_string()),
    };
    let modified = raw
        .modified
        .as_ref()
        .and_then(|t| DateTime::parse_from_rfc3339(t.0.trim()).ok());
    let withdrawn = raw
        .withdrawn
        .as_ref()
        .is_some_and(|t| !t.0.trim().is_empty());
    let mut outcome = RecordOutcome {
        modified,
        matches: Vec::new(),
    };
    if withdrawn {
        return Ok(outcome);
    }

    let mut pending: Vec<Pending<'_>> = Vec::new();
    for aff in raw.affected.iter().flatten() {
        let Some(pkg) = &aff.package else { continue };
        let (Some(eco), Some(name)) = (&pkg.ecosystem, &pkg.name) else {
            continue;
        };
        if eco.0 != ecosystem {
            continue;
        }
        let Some(binaries) = installed.by_source.get(name.0.as_ref()) else {
            continue;
        };
        let ranges = ecosystem_ranges(aff, order);
        let mut grade: Option<Grade> = None;
        for &bin in binaries {
            let Some(hit) = judge(aff, &ranges, source_version(bin), order) else {
                continue;
            };
            let grade = grade
                .get_or_insert_with(|| severity::grade(&severity_sources(&raw, aff)))
                .clone();
            match pending.iter_mut().find(|p| std::ptr::eq(p.package, bin)) {
                Some(p) => p.merge(hit, grade, order),
                None => pending.push(Pending {
                    package: bin,
                    hit,
                    grade,
                }),
            }
        }
    }
    if pending.is_empty() {
        return Ok(outcome);
    }

    let aliases = aliases(&raw);
    let summary = summary(&raw);
    outcome.matches = pending
        .into_iter()
        .map(|p| VulnMatch {
            advisory_id: id.to_string(),
            aliases: aliases.clone(),
            summary: summary.clone(),
            package: p.package.name.clone(),
            arch: p.package.arch.clone(),
            source_name: source_name(p.package).to_string(),
            installed_version: source_version(p.package).to_string(),
            fixed_version: p.hit.fixed.map(str::to_string),
            last_affected: p.hit.last_affected.map(str::to_string),
            risk: p.grade.risk,
            severity_basis: p.grade.basis,
            modified,
        })
        .collect();
    Ok(outcome)
}

/// A match being gathered over the record's `affected[]` entries.
struct Pending<'r> {
    package: &'r InstalledPackage,
    hit: Hit<'r>,
    grade: Grade,
}

impl<'r> Pending<'r> {
    /// Another `affected[]` entry matched the same package: keep the nearest
    /// fix and the higher grade.
    fn merge(&mut self, other: Hit<'r>, grade: Grade, order: &dyn VersionOrder) {
        self.hit.fixed = min_version(self.hit.fixed, other.fixed, order);
        self.hit.last_affected = min_version(self.hit.last_affected, other.last_affected, order);
        if grade.risk > self.grade.risk {
            self.grade = grade;
        }
    }
}

fn min_version<'s>(
    a: Option<&'s str>,
    b: Option<&'s str>,
    order: &dyn VersionOrder,
) -> Option<&'s str> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if order.compare(b, a) == Ordering::Less {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

/// Why a version is affected: the versions that bound it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Hit<'s> {
    /// The smallest `fixed` above the version.
    fixed: Option<&'s str>,
    /// The smallest `last_affected` at or above the version.
    last_affected: Option<&'s str>,
}

/// One event of an `ECOSYSTEM` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event<'s> {
    Introduced(&'s str),
    Fixed(&'s str),
    LastAffected(&'s str),
    Limit(&'s str),
}

impl<'s> Event<'s> {
    fn version(self) -> &'s str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }

    /// Where the event sits on the version line: `introduced: "0"` before
    /// every version, a `limit` containing `*` after every version.
    fn bound(self) -> Bound<'s> {
        match self {
            Event::Introduced("0") => Bound::Min,
            Event::Limit(v) if v.contains('*') => Bound::Max,
            e => Bound::At(e.version()),
        }
    }
}

#[derive(Clone, Copy)]
enum Bound<'s> {
    Min,
    At(&'s str),
    Max,
}

fn compare_bounds(a: Bound<'_>, b: Bound<'_>, order: &dyn VersionOrder) -> Ordering {
    match (a, b) {
        (Bound::Min, Bound::Min) | (Bound::Max, Bound::Max) => Ordering::Equal,
        (Bound::Min, _) | (_, Bound::Max) => Ordering::Less,
        (_, Bound::Min) | (Bound::Max, _) => Ordering::Greater,
        (Bound::At(x), Bound::At(y)) => order.compare(x, y),
    }
}

/// The events of each `ECOSYSTEM` range of an `affected[]` entry, sorted by
/// version as the schema's evaluation algorithm requires (stable, so events
/// at the same version keep the record's order).
fn ecosystem_ranges<'s>(aff: &'s RawAffected<'_>, order: &dyn VersionOrder) -> Vec<Vec<Event<'s>>> {
    aff.ranges
        .iter()
        .flatten()
        .filter(|r| r.kind.as_ref().is_some_and(|k| k.0 == "ECOSYSTEM"))
        .map(|r| {
            let mut events = Vec::new();
            for e in r.events.iter().flatten() {
                let pairs = [
                    (&e.introduced, Event::Introduced as fn(&'s str) -> Event<'s>),
                    (&e.fixed, Event::Fixed),
                    (&e.last_affected, Event::LastAffected),
                    (&e.limit, Event::Limit),
                ];
                for (field, make) in pairs {
                    if let Some(t) = field {
                        events.push(make(t.0.trim()));
                    }
                }
            }
            events.sort_by(|a, b| compare_bounds(a.bound(), b.bound(), order));
            events
        })
        .collect()
}

/// Whether `version` is affected per one `affected[]` entry (`ranges` are its
/// sorted `ECOSYSTEM` ranges): in any range, or listed in `versions` (equal by the ecosystem's
/// ordering, so `0:1.0` is `1.0`).
fn judge<'s>(
    aff: &'s RawAffected<'_>,
    ranges: &[Vec<Event<'s>>],
    version: &str,
    order: &dyn VersionOrder,
) -> Option<Hit<'s>> {
    let mut hit: Option<Hit<'s>> = None;
    for events in ranges {
        if let Some(h) = range_hit(events, version, order) {
            hit = Some(match hit {
                None => h,
                Some(prev) => Hit {
                    fixed: min_version(prev.fixed, h.fixed, order),
                    last_affected: min_version(prev.last_affected, h.last_affected, order),
                },
            });
        }
    }
    if hit.is_some() {
        return hit;
    }
    let listed = aff
        .versions
        .iter()
        .flatten()
        .any(|v| order.compare(v.0.trim(), version) == Ordering::Equal);
    if !listed {
        return None;
    }
    // Listed but in no range: the nearest fix any range names still helps.
    let mut h = Hit::default();
    for events in ranges {
        let b = bounds_above(events, version, order);
        h.fixed = min_version(h.fixed, b.fixed, order);
        h.last_affected = min_version(h.last_affected, b.last_affected, order);
    }
    Some(h)
}

/// The schema's `IncludedInRanges` for one range whose events are sorted.
fn range_hit<'s>(events: &[Event<'s>], v: &str, order: &dyn VersionOrder) -> Option<Hit<'s>> {
    let ge = |x: &str| order.compare(v, x) != Ordering::Less;
    let limits: Vec<Event<'s>> = events
        .iter()
        .copied()
        .filter(|e| matches!(e, Event::Limit(_)))
        .collect();
    let before_limits = limits.is_empty()
        || limits
            .iter()
            .any(|l| compare_bounds(Bound::At(v), l.bound(), order) == Ordering::Less);
    if !before_limits {
        return None;
    }
    let mut vulnerable = false;
    for e in events {
        match *e {
            Event::Introduced(x) => {
                if x == "0" || ge(x) {
                    vulnerable = true;
                }
            }
            Event::Fixed(x) => {
                if ge(x) {
                    vulnerable = false;
                }
            }
            Event::LastAffected(x) => {
                if order.compare(v, x) == Ordering::Greater {
                    vulnerable = false;
                }
            }
            Event::Limit(_) => {}
        }
    }
    vulnerable.then(|| bounds_above(events, v, order))
}

/// The first `fixed` above `v` and the first `last_affected` at or above `v`
/// in sorted events.
fn bounds_above<'s>(events: &[Event<'s>], v: &str, order: &dyn VersionOrder) -> Hit<'s> {
    let fixed = events.iter().find_map(|e| match *e {
        Event::Fixed(x) if order.compare(x, v) == Ordering::Greater => Some(x),
        _ => None,
    });
    let last_affected = events.iter().find_map(|e| match *e {
        Event::LastAffected(x) if order.compare(x, v) != Ordering::Less => Some(x),
        _ => None,
    });
    Hit {
        fixed,
        last_affected,
    }
}

/// Everything the record says about severity for one `affected[]` entry.
fn severity_sources<'a>(raw: &RawRecord<'a>, aff: &RawAffected<'a>) -> SeveritySources {
    let entries = raw
        .severity
        .iter()
        .flatten()
        .chain(aff.severity.iter().flatten())
        .filter_map(|s| match (&s.kind, &s.score) {
            (Some(k), Some(v)) => Some((k.0.trim().to_string(), v.0.trim().to_string())),
            _ => None,
        })
        .collect();
    let specific = |field: for<'r> fn(&'r RawSpecific<'a>) -> Option<&'r str>| -> Option<String> {
        [&aff.ecosystem_specific, &aff.database_specific]
            .into_iter()
            .flatten()
            .find_map(field)
            .map(str::to_string)
    };
    SeveritySources {
        entries,
        ubuntu_priority: specific(|s| s.ubuntu_priority.as_ref()?.0.as_deref()),
        debian_urgency: specific(|s| s.urgency.as_ref()?.0.as_deref()),
    }
}

/// The record's `aliases`, then its `upstream` ids (Debian and Ubuntu
/// records name their CVE there), without repeats.
fn aliases(raw: &RawRecord<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in raw
        .aliases
        .iter()
        .flatten()
        .chain(raw.upstream.iter().flatten())
    {
        let a = t.0.trim();
        if !a.is_empty() && !out.iter().any(|o| o == a) {
            out.push(a.to_string());
        }
    }
    out
}

/// `summary`, or else the first line of `details` (cut to [`SUMMARY_CHARS`]).
fn summary(raw: &RawRecord<'_>) -> String {
    if let Some(s) = raw
        .summary
        .as_ref()
        .map(|t| t.0.trim())
        .filter(|s| !s.is_empty())
    {
        return s.to_string();
    }
    let first = raw
        .details
        .as_ref()
        .and_then(|d| d.0.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("");
    match first.char_indices().nth(SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", first[..cut].trim_end()),
        None => first.to_string(),
    }
}

// ---- The record as read: only the fields used, strings borrowed where the
// ---- JSON has no escapes. Unknown fields are skipped by serde.

#[derive(Deserialize)]
#[serde(expecting = "an OSV record (a JSON object)")]
struct RawRecord<'a> {
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    modified: Option<Text<'a>>,
    #[serde(borrow)]
    withdrawn: Option<Text<'a>>,
    #[serde(borrow)]
    aliases: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    upstream: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    summary: Option<Text<'a>>,
    #[serde(borrow)]
    details: Option<Text<'a>>,
    #[serde(borrow)]
    severity: Option<Vec<RawSeverity<'a>>>,
    #[serde(borrow)]
    affected: Option<Vec<RawAffected<'a>>>,
}

#[derive(Deserialize)]
struct RawSeverity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    score: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawAffected<'a> {
    #[serde(borrow)]
    package: Option<RawPackage<'a>>,
    #[serde(borrow)]
    severity: Option<Vec<RawSeverity<'a>>>,
    #[serde(borrow)]
    ranges: Option<Vec<RawRange<'a>>>,
    #[serde(borrow)]
    versions: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    ecosystem_specific: Option<RawSpecific<'a>>,
    #[serde(borrow)]
    database_specific: Option<RawSpecific<'a>>,
}

#[derive(Deserialize)]
struct RawPackage<'a> {
    #[serde(borrow)]
    ecosystem: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawRange<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    events: Option<Vec<RawEvent<'a>>>,
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow)]
    introduced: Option<Text<'a>>,
    #[serde(borrow)]
    fixed: Option<Text<'a>>,
    #[serde(borrow)]
    last_affected: Option<Text<'a>>,
    #[serde(borrow)]
    limit: Option<Text<'a>>,
}

/// `ecosystem_specific` / `database_specific`: free-form objects; only two
/// string fields are read, and a value of another type there is ignored.
#[derive(Deserialize)]
struct RawSpecific<'a> {
    #[serde(borrow)]
    urgency: Option<Loose<'a>>,
    #[serde(borrow)]
    ubuntu_priority: Option<Loose<'a>>,
}

/// A JSON string, borrowed from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(s))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(s.to_string()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(s))
            }
        }
        d.deserialize_str(V).map(Text)
    }
}

/// Any JSON value, kept only when it is a string.
struct Loose<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(s)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
        }
        d.deserialize_any(V).map(Loose)
    }
}
