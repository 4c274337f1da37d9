//! Debian version ordering, as `dpkg --compare-versions` decides it.
//!
//! A version is `[epoch:]upstream[-revision]`. Epochs compare as numbers; the
//! upstream part and the revision compare with dpkg's `verrevcmp`: alternating
//! runs of non-digits (compared character by character, where `~` sorts before
//! everything, even the end of the string, and letters sort before all other
//! characters) and runs of digits (compared as numbers of any length).
//! Debian Policy §5.6.12.
//!
//! Outside Policy's syntax it follows dpkg 1.21 too (all checked against
//! `dpkg --compare-versions` by `tests/debian_version.rs`): only spaces and tabs
//! around a version are ignored; the epoch is read like C's `strtol` (white
//! space and a sign before the digits); bytes beyond ASCII weigh what dpkg's C
//! `char` gives them; and an empty version (or `<unknown>`) is "no version",
//! earlier than every version.

use std::cmp::Ordering;
use std::ffi::c_char;
use std::hash::{Hash, Hasher};

/// Compare two Debian versions the way dpkg does.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (is_none(a), is_none(b)) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => {}
    }
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    compare_epoch(ea, eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

/// `dpkg --compare-versions` takes these for "no version", earlier than any.
fn is_none(v: &str) -> bool {
    v.is_empty() || v == "<unknown>"
}

/// A Debian version string with dpkg's ordering, for sorting and `max`.
/// Equality is dpkg's too (`1.0` == `0:1.00-0`), and the hash agrees with it.
#[derive(Debug, Clone)]
pub struct DebVersion(pub String);

impl PartialEq for DebVersion {
    fn eq(&self, other: &Self) -> bool {
        compare(&self.0, &other.0) == Ordering::Equal
    }
}

impl Eq for DebVersion {}

impl Hash for DebVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if is_none(&self.0) {
            state.write_u8(0);
            return;
        }
        state.write_u8(1);
        let (epoch, upstream, revision) = split(&self.0);
        epoch_digits(epoch).hash(state);
        hash_verrev(upstream.as_bytes(), state);
        hash_verrev(revision.as_bytes(), state);
    }
}

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
/// `:`, the revision what follows the last `-`; both may be empty. dpkg trims
/// blanks only: a newline stays, and counts.
fn split(v: &str) -> (&str, &str, &str) {
    let v = v.trim_matches([' ', '\t']);
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
    let a = epoch_digits(a);
    let b = epoch_digits(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The digits of an epoch as dpkg's `strtol` reads them (after C white space
/// and a sign: `+1:` is epoch 1), without leading zeros. dpkg refuses negative,
/// non-numeric and too large epochs.
fn epoch_digits(e: &str) -> &str {
    let e = e.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    e.strip_prefix(['+', '-'])
        .unwrap_or(e)
        .trim_start_matches('0')
}

/// dpkg's character weight in a non-digit run: `~` lowest, then the end of the
/// run (and digits), then letters, then everything else. "Everything else" is
/// the C `char` plus 256, so where `char` is signed (x86) bytes beyond ASCII
/// weigh 128..=255: after letters, before ASCII punctuation.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c_char::from_ne_bytes([c])) + 256,
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

/// Hash a part so that parts [`verrevcmp`] finds equal hash alike: runs of
/// non-digits as they are, runs of digits as numbers (no leading zeros). A
/// zero run at the end is the same as none, so zero runs without non-digits
/// before them are left out.
fn hash_verrev<H: Hasher>(s: &[u8], state: &mut H) {
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest
            .iter()
            .position(u8::is_ascii_digit)
            .unwrap_or(rest.len());
        let (non_digits, tail) = rest.split_at(n);
        let n = tail
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (digits, tail) = tail.split_at(n);
        let digits = &digits[digits.iter().take_while(|&&c| c == b'0').count()..];
        if !(non_digits.is_empty() && digits.is_empty()) {
            non_digits.hash(state);
            digits.hash(state);
        }
        rest = tail;
    }
    state.write_u8(0xff);
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
            ("~", "", Greater), // "" is no version at all
            ("0", "", Greater),
            ("1.0\n", "1.0", Greater), // only blanks are trimmed
            (" 1.0\t", "1.0", Equal),
            ("+1:1.0", "1:1.0", Equal), // strtol reads the epoch
            ("1.0\u{e9}", "1.0z", Greater),
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

    #[test]
    fn equal_versions_are_equal_and_hash_alike() {
        use std::hash::DefaultHasher;
        let hash = |v: &DebVersion| {
            let mut h = DefaultHasher::new();
            v.hash(&mut h);
            h.finish()
        };
        let groups: [&[&str]; 4] = [
            &["1.0", "0:1.00", "1.0-0", "01.0-00", " 1.0", "+0:1.0"],
            &["1.", "1.0"],
            &["", "<unknown>"],
            &["1:2.0~rc1-1", "001:2.00~rc01-01"],
        ];
        for group in groups {
            for a in group {
                for b in group {
                    let (x, y) = (DebVersion(a.to_string()), DebVersion(b.to_string()));
                    assert_eq!(x, y, "{a:?} vs {b:?}");
                    assert_eq!(hash(&x), hash(&y), "{a:?} vs {b:?}");
                }
            }
        }
        assert_ne!(DebVersion("1.0".into()), DebVersion("1.0+".into()));
    }
}
