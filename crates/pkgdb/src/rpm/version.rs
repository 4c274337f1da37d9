//! RPM version ordering, as rpm's `rpmvercmp` and `rpmVersionCompare` decide it.
//!
//! A package version is `[epoch:]version-release` (EVR). Epochs compare as
//! numbers (missing = 0); version, then release, compare with `rpmvercmp`:
//! the strings are split into runs of digits and runs of letters, everything
//! else only separates; digit runs compare as numbers (leading zeros ignored),
//! letter runs as bytes, and a digit run is newer than a letter run. `~` sorts
//! before everything (even the end: `1.0~rc1` < `1.0`), `^` after the end but
//! before any other run (`1.0^git1` > `1.0`, < `1.0.1`).

use std::cmp::Ordering;

/// Compare two version (or release) strings with rpm's `rpmvercmp`.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        // Tilde: sorts before everything else.
        let (at, bt) = (a.get(i) == Some(&b'~'), b.get(j) == Some(&b'~'));
        if at || bt {
            if !(at && bt) {
                return if at {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            i += 1;
            j += 1;
            continue;
        }
        // Caret: like the end of the string, but newer than it.
        let (ac, bc) = (a.get(i) == Some(&b'^'), b.get(j) == Some(&b'^'));
        if ac || bc {
            if i >= a.len() {
                return Ordering::Less;
            }
            if j >= b.len() {
                return Ordering::Greater;
            }
            if !(ac && bc) {
                return if ac {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            i += 1;
            j += 1;
            continue;
        }
        if i >= a.len() || j >= b.len() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let run = |s: &[u8], k: usize| -> usize {
            let mut e = k;
            while e < s.len()
                && (if numeric {
                    s[e].is_ascii_digit()
                } else {
                    s[e].is_ascii_alphabetic()
                })
            {
                e += 1;
            }
            e
        };
        let (ei, ej) = (run(a, i), run(b, j));
        let (sa, sb) = (&a[i..ei], &b[j..ej]);
        // b's run is of the other kind: a number is newer than letters.
        if sb.is_empty() {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = if numeric {
            let ta = trim_zeros(sa);
            let tb = trim_zeros(sb);
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        i = ei;
        j = ej;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let k = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[k..]
}

/// Split `[epoch:]version[-release]` into its parts; a missing epoch is `None`.
pub fn split_evr(evr: &str) -> (Option<&str>, &str, Option<&str>) {
    let (epoch, rest) = match evr.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => (Some(e), r),
        _ => (None, evr),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => (epoch, v, Some(r)),
        None => (epoch, rest, None),
    }
}

/// Compare two EVR strings as rpm compares package versions (`rpmverCmp`,
/// `rpm.labelCompare`): epoch (missing = 0), then version, then release, where
/// a missing release sorts before any release, even an empty one (`1.0` <
/// `1.0-` < `1.0-0`). A total order: rpm only skips a missing release when it
/// matches a dependency range (`rpmverOverlap`), which is not an ordering.
pub fn compare_evr(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = split_evr(a);
    let (eb, vb, rb) = split_evr(b);
    let (xa, xb) = (epoch_digits(ea), epoch_digits(eb));
    xa.len()
        .cmp(&xb.len())
        .then_with(|| xa.cmp(xb))
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(ra), Some(rb)) => rpmvercmp(ra, rb),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        })
}

/// An epoch's digits without leading zeros; a missing epoch is "0".
fn epoch_digits(e: Option<&str>) -> &str {
    let t = e.unwrap_or("0").trim_start_matches('0');
    if t.is_empty() { "0" } else { t }
}

/// RPM ordering for OSV matching.
pub struct RpmOrder;

impl crate::osv::VersionOrder for RpmOrder {
    fn compare(&self, a: &str, b: &str) -> Ordering {
        compare_evr(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn rpm_test_vectors() {
        // From rpm's tests/rpmvercmp.at.
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0.1", Equal),
            ("2.0", "2.0.1", Less),
            ("2.0.1a", "2.0.1a", Equal),
            ("2.0.1a", "2.0.1", Greater),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("xyz.4", "8", Less),
            ("5.5p2", "5.6p1", Less),
            ("6.0.rc1", "6.0", Greater),
            ("10b2", "10a1", Greater),
            ("1.0aa", "1.0a", Greater),
            ("10.0001", "10.1", Equal),
            ("10.0001", "10.0039", Less),
            ("4.999.9", "5.0", Less),
            ("20101121", "20101122", Less),
            ("2_0", "2_0", Equal),
            ("2.0", "2_0", Equal),
            ("a", "a", Equal),
            ("a+", "a+", Equal),
            ("a+", "a_", Equal),
            ("+a", "_a", Equal),
            ("+_", "_+", Equal),
            ("1.0~rc1", "1.0~rc1", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~rc1~git123", "1.0~rc1", Less),
            ("1.0^", "1.0^", Equal),
            ("1.0^", "1.0", Greater),
            ("1.0", "1.0git1^", Less),
            ("1.0^git1", "1.0^git2", Less),
            ("1.0^git1", "1.01", Less),
            ("1.0^20160101", "1.0.1", Less),
            ("1.0^20160101^git1", "1.0^20160101", Greater),
            ("1.0~rc1^git1", "1.0~rc1", Greater),
            ("1.0^git1~pre", "1.0^git1", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(rpmvercmp(a, b), want, "{a} vs {b}");
            assert_eq!(rpmvercmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn evr_epoch_first_then_version_then_release() {
        assert_eq!(compare_evr("1:1.0-1", "2.0-1"), Greater);
        assert_eq!(compare_evr("0:1.0-1", "1.0-1"), Equal);
        assert_eq!(compare_evr("1.0-1.oe2203", "1.0-2.oe2203"), Less);
        assert_eq!(compare_evr("1.0", "1.0-5"), Less);
        assert_eq!(compare_evr("1.0-", "1.0"), Greater);
        assert_eq!(
            split_evr("2:3.0.1-4.el9"),
            (Some("2"), "3.0.1", Some("4.el9"))
        );
    }
}
