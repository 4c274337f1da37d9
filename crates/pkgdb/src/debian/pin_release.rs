//! `Pin: release` data (and `APT::Default-Release`): the conditions a
//! package file's release must meet, read once and shared by the pin file
//! reader and the policy.

/// `Pin: release` conditions, as apt's `pkgVersionMatch` splits them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseSpec {
    /// `release *`: every file.
    pub match_all: bool,
    /// `v=` (and a bare value starting with a digit); `true` when it ended in
    /// `*` (prefix match).
    pub version: Option<(String, bool)>,
    /// `o=`
    pub origin: Option<String>,
    /// `a=` (the Suite)
    pub archive: Option<String>,
    /// `n=`
    pub codename: Option<String>,
    /// `l=`
    pub label: Option<String>,
    /// A bare value not starting with a digit: Suite or Codename.
    pub release: Option<String>,
    /// `c=`
    pub component: Option<String>,
    /// `b=`
    pub architecture: Option<String>,
}

impl ReleaseSpec {
    /// Parse the data of `Pin: release DATA` (or `APT::Default-Release`).
    pub fn parse(data: &str) -> ReleaseSpec {
        let mut spec = ReleaseSpec::default();
        if data.is_empty() {
            return spec;
        }
        if data == "*" {
            spec.match_all = true;
            return spec;
        }
        if !data.contains('=') {
            if data.starts_with(|c: char| c.is_ascii_digit()) {
                spec.version = Some(prefix(data));
            } else {
                spec.release = Some(data.to_string());
            }
            return spec;
        }
        for fragment in data.split(',').map(str::trim) {
            if fragment.len() < 3 || !fragment.is_char_boundary(2) {
                continue;
            }
            let (key, value) = fragment.split_at(2);
            let value = value.to_string();
            match key.to_ascii_lowercase().as_str() {
                "v=" => spec.version = Some(prefix(&value)),
                "o=" => spec.origin = Some(value),
                "a=" => spec.archive = Some(value),
                "n=" => spec.codename = Some(value),
                "l=" => spec.label = Some(value),
                "c=" => spec.component = Some(value),
                "b=" => spec.architecture = Some(value),
                _ => {}
            }
        }
        spec
    }
}

fn prefix(v: &str) -> (String, bool) {
    match v.strip_suffix('*') {
        Some(p) => (p.to_string(), true),
        None => (v.to_string(), false),
    }
}
