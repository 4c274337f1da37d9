//! Debian version ordering, as `dpkg --compare-versions` decides it.
//!
//! A version is `[epoch:]upstream[-revision]`. Epochs compare as numbers; the
//! upstream part and the revision compare with dpkg's `verrevcmp`: alternating
//! runs of non-digits (compared character by character, where `~` sorts before
//! everything, even the end of the string, and letters sort before all other
//! characters) and runs of digits (compared as numbers of any length).
//! Debian Policy §5.6.12.

use std::cmp::Ordering;

/// Compare two Debian versions the way dpkg does.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    compare_epoch(ea, eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

/// A Debian version string with dpkg's ordering, for sorting and `max`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DebVersion(pub String);

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0)
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Split into (epoch, upstream, revision). The epoch is what precedes the first
/// `:`, the revision what follows the last `-`; both may be empty.
fn split(v: &str) -> (&str, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.find(':') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => ("", v),
    };
    let (upstream, revision) = match rest.rfind('-') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    (epoch, upstream, revision)
}

/// Epochs compare as non-negative integers of any length; an empty epoch is 0.
fn compare_epoch(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// dpkg's character weight in a non-digit run: `~` lowest, then the end of the
/// run (and digits), then letters, then everything else.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    let is_digit = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        while (i < a.len() && !is_digit(at(a, i))) || (j < b.len() && !is_digit(at(b, j))) {
            let (ac, bc) = (order(at(a, i)), order(at(b, j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == Some(b'0') {
            i += 1;
        }
        while at(b, j) == Some(b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while is_digit(at(a, i)) && is_digit(at(b, j)) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if is_digit(at(a, i)) {
            return Ordering::Greater;
        }
        if is_digit(at(b, j)) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn policy_examples() {
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0a", "1.0+", Less), // letters sort before non-letters
            ("1:0.1", "2.0", Greater),
            ("2.0-1", "2.0-10", Less),
            ("1.00", "1.0", Equal),
            ("1.0-0", "1.0", Equal),
            ("0:1.0", "1.0", Equal),
            ("1.2.3", "1.2.10", Less),
            (
                "10000000000000000000001",
                "10000000000000000000000",
                Greater,
            ),
            ("1.0-1~bpo1", "1.0-1", Less),
            ("2.30-1+deb12u1", "2.30-1", Greater),
            ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", Less),
            ("a", "", Greater),
            ("1:1", "0:99", Greater),
            ("00001:1", "1:1", Equal),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn revision_is_after_the_last_hyphen() {
        assert_eq!(split("1:2.3-4-5"), ("1", "2.3-4", "5"));
        assert_eq!(split("2.3"), ("", "2.3", ""));
    }
}
