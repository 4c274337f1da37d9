//! Reading sshd's configuration the way OpenSSH's servconf.c does: lines
//! split into a keyword and arguments, `Include` read in place (globs,
//! relative to `/etc/ssh`, at most 16 levels), and every setting tagged with
//! the `Match` block it belongs to.
//!
//! Lines sshd itself would reject without changing what the others mean (an
//! unknown keyword, a keyword without argument, unbalanced quotes) are
//! skipped: they cannot take effect. What makes the resolution ambiguous (a
//! `Match` line sshd cannot evaluate, an include loop, an unreadable file)
//! is an error: sshd refuses such a configuration too.

use super::matching::{Criterion, parse_criteria};
use crate::areas::baseline::read::read_text;
use selfcheck_hostfs::root::HostRoot;

/// Where relative `Include` paths are taken from (servconf.c: `SSHDIR`).
pub const SSH_DIR: &str = "/etc/ssh";

/// Deepest include nesting sshd accepts (servconf.c: `SERVCONF_MAX_DEPTH`).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// One setting line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The keyword, lower case.
    pub keyword: String,
    /// Its arguments (quotes removed, a trailing `# comment` dropped).
    pub args: Vec<String>,
    /// The host file it is in.
    pub file: String,
    /// Its line number (from 1).
    pub line_no: usize,
    /// The line as written, trimmed.
    pub line: String,
    /// The `Match` block it belongs to (index into [`SshdConfig::blocks`]); none: global.
    pub block: Option<usize>,
}

/// A `Match` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Its criteria, all of which must hold.
    pub criteria: Vec<Criterion>,
    /// The criteria as written, whitespace collapsed (`User backup`).
    pub text: String,
    /// The host file of the `Match` line.
    pub file: String,
    /// Its line number.
    pub line_no: usize,
    /// The block the `Include` that read this block's file was in: sshd only
    /// evaluates this block when that one applies (servconf.c `SSHCFG_NEVERMATCH`).
    pub parent: Option<usize>,
}

/// sshd's configuration, read: settings in file order, includes expanded in place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SshdConfig {
    /// The main file.
    pub main: String,
    /// Every setting line, in the order sshd reads them.
    pub entries: Vec<Entry>,
    /// Every `Match` block, in order.
    pub blocks: Vec<Block>,
    /// Lines skipped because sshd would reject them (`file:line: why`).
    pub skipped: Vec<String>,
}

/// Read the configuration rooted at `main`. `Ok(None)` when `main` does not exist.
pub fn read_config(root: &HostRoot, main: &str) -> Result<Option<SshdConfig>, String> {
    let Some(text) = read_text(root, main)? else {
        return Ok(None);
    };
    let mut cfg = SshdConfig {
        main: main.to_string(),
        ..SshdConfig::default()
    };
    scan(root, &mut cfg, main, &text, 0, None)?;
    Ok(Some(cfg))
}

/// Read one file's lines into `cfg`; `start` is the block in effect where it is included.
fn scan(
    root: &HostRoot,
    cfg: &mut SshdConfig,
    file: &str,
    text: &str,
    depth: usize,
    start: Option<usize>,
) -> Result<(), String> {
    let mut block = start;
    for (index, raw) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let (keyword, args) = match split_line(raw) {
            Ok(Some(kv)) => kv,
            Ok(None) => continue,
            Err(why) => {
                let first = raw.trim_start_matches(is_ws);
                let keyword = first.split(|c| is_ws(c) || c == '=').next().unwrap_or("");
                if keyword.eq_ignore_ascii_case("match") {
                    // A bare Match would change which block the lines below belong to.
                    return Err(format!(
                        "{file}:{line_no}: Match: {why}; sshd refuses this configuration (sshd -t shows it), so its effective settings are unknown"
                    ));
                }
                cfg.skipped.push(format!("{file}:{line_no}: {why}"));
                continue;
            }
        };
        let at = format!("{file}:{line_no}");
        match keyword.as_str() {
            "match" => {
                let criteria = parse_criteria(&args)
                    .map_err(|e| format!("{at}: Match {}: {e}; sshd refuses this configuration (sshd -t shows it), so its effective settings are unknown", args.join(" ")))?;
                cfg.blocks.push(Block {
                    criteria,
                    text: args.join(" "),
                    file: file.to_string(),
                    line_no,
                    parent: start,
                });
                block = Some(cfg.blocks.len() - 1);
            }
            "include" => {
                if depth + 1 > MAX_INCLUDE_DEPTH {
                    return Err(format!(
                        "{at}: Include nested more than {MAX_INCLUDE_DEPTH} levels (an include loop?); sshd refuses this configuration (\"Too many recursive configuration includes\")"
                    ));
                }
                for arg in &args {
                    let pattern = if arg.starts_with('/') || arg.starts_with('~') {
                        arg.clone()
                    } else {
                        format!("{SSH_DIR}/{arg}")
                    };
                    for path in glob(root, &pattern) {
                        if let Some(t) = read_text(root, &path)? {
                            scan(root, cfg, &path, &t, depth + 1, block)?;
                        }
                    }
                }
            }
            _ => cfg.entries.push(Entry {
                keyword,
                args,
                file: file.to_string(),
                line_no,
                line: raw.trim().to_string(),
                block,
            }),
        }
    }
    Ok(())
}

/// sshd's whitespace (servconf.c `WHITESPACE`).
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A line's lower-case keyword and arguments, like servconf.c's `strdelim`
/// and `argv_split`: `Keyword value`, `Keyword=value` or `Keyword = value`;
/// `Ok(None)` for blank and comment lines; `Err` for lines sshd rejects.
pub fn split_line(raw: &str) -> Result<Option<(String, Vec<String>)>, String> {
    let line = raw.trim_end_matches(|c| is_ws(c) || c == '\u{c}');
    let line = line.trim_start_matches(is_ws);
    let end = line
        .find(|c: char| is_ws(c) || c == '=' || c == '"')
        .unwrap_or(line.len());
    let keyword = &line[..end];
    if keyword.is_empty() || keyword.starts_with('#') {
        return Ok(None);
    }
    let mut rest = line[end..].trim_start_matches(is_ws);
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start_matches(is_ws);
    }
    if rest.is_empty() {
        return Err(format!("no argument after keyword \"{keyword}\""));
    }
    let args = argv_split(rest).ok_or("unbalanced quotes")?;
    if args.is_empty() {
        return Err(format!("no argument after keyword \"{keyword}\""));
    }
    Ok(Some((keyword.to_ascii_lowercase(), args)))
}

/// OpenSSH's `argv_split` with comments ending the line: whitespace-separated
/// words, `"..."` and `'...'` quoting, `\` escaping a quote, backslash or
/// space. `None` when a quote is left open.
fn argv_split(s: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' || chars[i] == '\t' {
            i += 1;
            continue;
        }
        if chars[i] == '#' {
            break;
        }
        let mut arg = String::new();
        let mut quote = None;
        while i < chars.len() {
            let c = chars[i];
            match (c, quote) {
                ('\\', q) if i + 1 < chars.len() => {
                    let n = chars[i + 1];
                    if matches!(n, '\'' | '"' | '\\') || (q.is_none() && n == ' ') {
                        i += 1;
                        arg.push(n);
                    } else {
                        arg.push(c);
                    }
                }
                (' ' | '\t', None) => break,
                ('"' | '\'', None) => quote = Some(c),
                (c, Some(q)) if c == q => quote = None,
                (c, _) => arg.push(c),
            }
            i += 1;
        }
        if quote.is_some() {
            return None;
        }
        out.push(arg);
    }
    Some(out)
}

/// The existing host paths a glob(3) pattern names, sorted; `*`, `?` and
/// `[...]` in any component; names starting with `.` only match a pattern
/// starting with `.`. A plain path is returned when it exists.
pub fn glob(root: &HostRoot, pattern: &str) -> Vec<String> {
    let mut found = vec![String::new()];
    for part in pattern.split('/').filter(|p| !p.is_empty()) {
        let mut next = Vec::new();
        for dir in &found {
            if !part.contains(['*', '?', '[']) {
                next.push(format!("{dir}/{part}"));
                continue;
            }
            let host_dir = if dir.is_empty() { "/" } else { dir.as_str() };
            let Ok(entries) = root.read_dir(host_dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| (!n.starts_with('.') || part.starts_with('.')) && glob_match(part, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
        }
        found = next;
        if found.len() > 4096 {
            break;
        }
    }
    let mut out: Vec<String> = found
        .into_iter()
        .filter(|p| !p.is_empty() && root.symlink_metadata(p).is_ok())
        .collect();
    out.sort();
    out
}

/// fnmatch(3) of one component: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
fn glob_match(pat: &str, name: &str) -> bool {
    selfcheck_hostfs::wildcard::wildcard_match(pat, name, true)
}

#[cfg(test)]
mod tests {
    use super::{argv_split, glob_match, split_line};

    fn kv(line: &str) -> Option<(String, Vec<String>)> {
        split_line(line).unwrap()
    }

    #[test]
    fn lines_split_like_servconf() {
        let want = Some(("permitrootlogin".to_string(), vec!["no".to_string()]));
        assert_eq!(kv("PermitRootLogin no"), want);
        assert_eq!(kv("  permitrootlogin=no  "), want);
        assert_eq!(kv("PermitRootLogin = no # comment"), want);
        assert_eq!(kv("PermitRootLogin\tno\r\u{c}"), want);
        assert_eq!(kv("# PermitRootLogin yes"), None);
        assert_eq!(kv("==="), None);
        assert_eq!(kv(""), None);
        assert!(split_line("PermitRootLogin").is_err());
        assert!(split_line("Banner \"/etc/x").is_err());
        assert_eq!(
            kv("Match User \"a b\",c Address 10.0.0.0/8").unwrap().1,
            vec!["User", "a b,c", "Address", "10.0.0.0/8"]
        );
    }

    #[test]
    fn arguments_unquote_and_unescape() {
        assert_eq!(
            argv_split(r#"a\ b 'c d' "e'f" g\"h #x"#).unwrap(),
            vec!["a b", "c d", "e'f", "g\"h"]
        );
        assert_eq!(argv_split("a#b").unwrap(), vec!["a#b"]);
    }

    #[test]
    fn globs_match_like_fnmatch() {
        assert!(glob_match("*.conf", "50-local.conf"));
        assert!(!glob_match("*.conf", "50-local.conf.bak"));
        assert!(glob_match("[0-4]?-*", "10-x"));
        assert!(!glob_match("[!0-4]?-*", "10-x"));
        assert!(glob_match("a[", "a["));
    }
}
