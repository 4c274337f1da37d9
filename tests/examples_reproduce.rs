//! `reports/examples/` is what `reports/make-examples.sh` makes today: the script is run into
//! a temporary directory with this build's binary and every file is compared with the
//! committed one, report ids, times, dates, digests, signatures and scan figures aside.
//! After an intended change of the output, run `reports/make-examples.sh` and commit.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text with what differs on every run masked by runs of the same width, so
/// tables keep their shape.
fn normalised(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A run of 16 or more hex digits: an id, a digest, a key, a signature.
        let hex = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if hex >= 16 {
            out.extend(std::iter::repeat_n('#', hex));
            i += hex;
            continue;
        }
        // A date (YYYY-MM-DD), maybe with a time after it.
        if is_date(&chars[i..]) {
            out.push_str("YYYY-MM-DD");
            i += 10;
            continue;
        }
        // Digits after a time's colon or a scan figure: masked one for one.
        out.push(chars[i]);
        i += 1;
    }
    // Times (HH:MM:SS with a fraction) and the report's scan figures.
    regex_lite(&out)
}

fn is_date(c: &[char]) -> bool {
    c.len() >= 10
        && c[..4].iter().all(char::is_ascii_digit)
        && c[4] == '-'
        && c[5..7].iter().all(char::is_ascii_digit)
        && c[7] == '-'
        && c[8..10].iter().all(char::is_ascii_digit)
}

/// Mask `HH:MM:SS(.fraction)`, `"scan_millis": N`, `"peak_rss_kib": N` and the sizes of
/// files that embed ids.
fn regex_lite(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let mut l = line.to_string();
        for key in ["\"scan_millis\":", "\"peak_rss_kib\":", "\"bytes_hashed\":"] {
            if let Some(at) = l.find(key) {
                let start = at + key.len();
                let digits = l[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == ' ')
                    .count();
                l.replace_range(start..start + digits, "N");
            }
        }
        // Times: "T12:34:56.123Z" or " 12:34:56 +08:00".
        let bytes: Vec<char> = l.chars().collect();
        let mut masked = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let is_time = i + 8 <= bytes.len()
                && bytes[i].is_ascii_digit()
                && bytes[i + 1].is_ascii_digit()
                && bytes[i + 2] == ':'
                && bytes[i + 3].is_ascii_digit()
                && bytes[i + 4].is_ascii_digit()
                && bytes[i + 5] == ':'
                && bytes[i + 6].is_ascii_digit()
                && bytes[i + 7].is_ascii_digit();
            if is_time {
                masked.push_str("HH:MM:SS");
                i += 8;
                if i < bytes.len() && bytes[i] == '.' {
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                continue;
            }
            masked.push(bytes[i]);
            i += 1;
        }
        out.push_str(&masked);
    }
    out
}

#[test]
fn the_committed_examples_are_what_make_examples_makes_today() {
    let tmp = tempfile::tempdir().unwrap();
    let status = Command::new("bash")
        .arg(root().join("reports/make-examples.sh"))
        .arg(tmp.path())
        .env("SELFCHECK", env!("CARGO_BIN_EXE_selfcheck"))
        .status()
        .unwrap();
    assert!(status.success(), "reports/make-examples.sh failed");
    let committed = root().join("reports/examples");
    let names = |dir: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names(tmp.path()),
        names(&committed),
        "reports/examples holds other files than the script makes; run reports/make-examples.sh"
    );
    for name in names(&committed) {
        let made = std::fs::read_to_string(tmp.path().join(&name)).unwrap();
        let kept = std::fs::read_to_string(committed.join(&name)).unwrap();
        let (made, kept) = (normalised(&made), normalised(&kept));
        if made != kept {
            let line = made
                .lines()
                .zip(kept.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(made.lines().count().min(kept.lines().count()));
            panic!(
                "reports/examples/{name} is not what reports/make-examples.sh makes today \
                 (first difference at line {}):\n  made: {}\n  kept: {}\n\
                 If the change is intended, run reports/make-examples.sh and commit the result.",
                line + 1,
                made.lines().nth(line).unwrap_or(""),
                kept.lines().nth(line).unwrap_or("")
            );
        }
    }
}

#[test]
fn the_normalisation_keeps_shape_and_hides_what_varies() {
    let a =
        normalised("报告 31d506b91ca93d4360b5e24bb9989a7d at 2026-12-08T00:36:30.123456Z, 3 files");
    let b = normalised("报告 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa at 2026-12-09T11:02:03.5Z, 3 files");
    assert_eq!(a, b);
    assert_ne!(normalised("3 files"), normalised("4 files"));
}
