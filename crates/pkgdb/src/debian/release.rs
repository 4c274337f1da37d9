//! What a suite's `InRelease` (or `Release`) file says about it, and the
//! target release (`APT::Default-Release`) from apt's configuration.
//!
//! apt reads `InRelease` when it exists, else `Release`, and keeps only the
//! fields below (`debReleaseIndex::Merge`); a field that is absent or empty is
//! "not set" (a pin on it never matches, and `apt list` shows the suite of such
//! a file as `unknown`).

use chrono::{DateTime, FixedOffset};
use selfcheck_hostfs::root::{HostRoot, MAX_TABLE_BYTES, MAX_TEXT_BYTES, read_regular_path};
use std::path::PathBuf;

/// The fields of a release file that apt's policy and `apt list` use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// The file read (`..._InRelease` or `..._Release`).
    pub file: PathBuf,
    /// `Origin:` (a vendor, matched by `o=`).
    pub origin: Option<String>,
    /// `Label:` (`l=`).
    pub label: Option<String>,
    /// `Suite:` (`a=`; what `apt list` prints).
    pub suite: Option<String>,
    /// `Codename:` (`n=`).
    pub codename: Option<String>,
    /// `Version:` (`v=`).
    pub version: Option<String>,
    /// `Date:`.
    pub date: Option<DateTime<FixedOffset>>,
    /// `NotAutomatic: yes`: priority 1.
    pub not_automatic: bool,
    /// `ButAutomaticUpgrades: yes`: priority 100 (apt 2.6 gives it 100 even
    /// without `NotAutomatic`).
    pub but_automatic_upgrades: bool,
}

/// Read a suite's release file: `InRelease` if it exists, else `Release`.
/// `Ok(None)` when neither exists; `Err` (a message naming the file) when the
/// file cannot be read.
pub fn read_release(
    root: &HostRoot,
    lists: &str,
    in_release: &str,
    release: &str,
) -> Result<Option<ReleaseInfo>, String> {
    let mut host = format!("{lists}/{in_release}");
    if !root.exists(&host) {
        host = format!("{lists}/{release}");
        if !root.exists(&host) {
            return Ok(None);
        }
    }
    let path = root
        .resolve(&host)
        .map_err(|e| format!("cannot be read: {e}"))?;
    let bytes = root
        .read_bytes(&host, MAX_TABLE_BYTES)
        .map_err(|e| format!("cannot be read: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut info = parse_release(super::control::strip_pgp_signature(&text));
    info.file = path;
    Ok(Some(info))
}

/// Parse the first paragraph of release text (already without its signature).
/// Lenient like apt: lines that are not fields are skipped.
pub fn parse_release(text: &str) -> ReleaseInfo {
    let mut info = ReleaseInfo::default();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if info != ReleaseInfo::default() {
                break;
            }
            continue;
        }
        if line.starts_with([' ', '\t', '#']) {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let text = || (!value.is_empty()).then(|| value.to_string());
        match name.to_ascii_lowercase().as_str() {
            "origin" => info.origin = text(),
            "label" => info.label = text(),
            "suite" => info.suite = text(),
            "codename" => info.codename = text(),
            "version" => info.version = text(),
            "date" => info.date = parse_date(value),
            "notautomatic" => info.not_automatic = bool_flag(value),
            "butautomaticupgrades" => info.but_automatic_upgrades = bool_flag(value),
            _ => {}
        }
    }
    info
}

fn bool_flag(value: &str) -> bool {
    super::sources::string_to_bool(value).unwrap_or(false)
}

/// An RFC 1123 date as release files write it (`Sat, 16 May 2026 10:54:28 UTC`).
pub fn parse_date(value: &str) -> Option<DateTime<FixedOffset>> {
    let value = value.trim();
    DateTime::parse_from_rfc2822(value).ok().or_else(|| {
        // chrono takes an alphabetic zone other than UT/GMT for "unknown".
        let base = value.strip_suffix("UTC")?;
        DateTime::parse_from_rfc2822(&format!("{base}+0000")).ok()
    })
}

/// `APT::Default-Release` as apt's configuration below `root_dir` sets it
/// (`etc/apt/apt.conf.d/*`, then `etc/apt/apt.conf`; the last setting wins),
/// with the file that set it. `#include` and `#clear` are not followed, and
/// the `APT_CONFIG` variable of the audited host cannot be seen.
pub fn default_release(root: &HostRoot) -> Option<(String, PathBuf)> {
    let mut files = super::sources::config_dir_files(root, "etc/apt/apt.conf.d", &["conf"], true);
    if root.is_file("etc/apt/apt.conf") {
        files.extend(root.resolve("etc/apt/apt.conf").ok());
    }
    let mut found = None;
    for file in files {
        let Ok(bytes) = read_regular_path(&file, MAX_TEXT_BYTES) else {
            continue;
        };
        for (name, value) in config_assignments(&String::from_utf8_lossy(&bytes)) {
            if name.eq_ignore_ascii_case("APT::Default-Release") {
                found = (!value.is_empty()).then(|| (value, file.clone()));
            }
        }
    }
    found
}

/// The `Full::Name value` assignments of apt.conf text, in order: nested
/// `A { B "x"; };` scopes joined with `::`, comments (`//`, `/* */`, `#`)
/// removed, list items (values without a name) skipped.
pub fn config_assignments(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut scopes: Vec<String> = Vec::new();
    let mut statement: Vec<String> = Vec::new();
    for token in config_tokens(text) {
        match token {
            Token::Open => {
                let tag = statement.first().cloned().unwrap_or_default();
                scopes.push(tag);
                statement.clear();
            }
            Token::Close => {
                statement.clear();
                scopes.pop();
            }
            Token::End => {
                if statement.len() >= 2 {
                    let mut name = scopes.join("::");
                    if !name.is_empty() {
                        name.push_str("::");
                    }
                    name.push_str(&statement[0]);
                    out.push((name, statement[1..].concat()));
                }
                statement.clear();
            }
            Token::Word(w) => statement.push(w),
        }
    }
    out
}

enum Token {
    Word(String),
    Open,
    Close,
    End,
}

fn config_tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && next == Some('/') || c == '#' {
            // Comments; `#include`/`#clear` directives are not followed.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
            continue;
        }
        match c {
            '{' => out.push(Token::Open),
            '}' => out.push(Token::Close),
            ';' => out.push(Token::End),
            '"' => {
                let start = i + 1;
                i = start;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                out.push(Token::Word(
                    chars[start..i.min(chars.len())].iter().collect(),
                ));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '{' | '}' | ';' | '"')
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inrelease_fields_flags_and_date() {
        let text = "Origin: Debian\nLabel: Debian-Security\nSuite: oldstable-security\n\
                    Version: 12\nCodename: bookworm-security\n\
                    Date: Sat, 16 May 2026 10:54:28 UTC\nNotAutomatic: yes\n\
                    ButAutomaticUpgrades: yes\nMD5Sum:\n 0ed6 148 main/x\n";
        let r = parse_release(text);
        assert_eq!(r.suite.as_deref(), Some("oldstable-security"));
        assert_eq!(r.codename.as_deref(), Some("bookworm-security"));
        assert_eq!(r.label.as_deref(), Some("Debian-Security"));
        assert!(r.not_automatic && r.but_automatic_upgrades);
        assert_eq!(r.date.unwrap().to_rfc3339(), "2026-05-16T10:54:28+00:00");
        let r = parse_release("Suite:\nNotAutomatic: maybe\n");
        assert_eq!(r.suite, None);
        assert!(!r.not_automatic);
    }

    #[test]
    fn default_release_in_nested_scopes_and_comments() {
        let text = "// c\nAPT { Get { Show \"1\"; }; Default-Release \"stable\"; };\n\
                    # APT::Default-Release \"no\";\n/* APT::Default-Release \"no\"; */\n\
                    apt::default-release \"bookworm\" ;\n";
        let got = config_assignments(text);
        assert_eq!(
            got,
            [
                ("APT::Get::Show".to_string(), "1".to_string()),
                ("APT::Default-Release".to_string(), "stable".to_string()),
                ("apt::default-release".to_string(), "bookworm".to_string()),
            ]
        );
    }
}
