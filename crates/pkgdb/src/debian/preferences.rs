//! apt's pins: `etc/apt/preferences` and `etc/apt/preferences.d/*` (files
//! with no extension or `.pref`), read the way apt 2.6's `ReadPinFile` reads
//! them, and apt's pattern matching (`pkgVersionMatch::ExpressionMatches`):
//! `/regex/` (POSIX extended, case-insensitive) or a glob (`fnmatch` with
//! case folding).
//!
//! What apt refuses (a record without `Package:`, a missing or zero
//! `Pin-Priority`, one out of range, `never` for a named package) is an error,
//! as it makes apt refuse to work; what apt only warns about (an unknown pin
//! type) is a warning and the record is skipped.

use super::pin_release::ReleaseSpec;
use selfcheck_hostfs::root::{HostRoot, MAX_TEXT_BYTES, read_regular_path};

/// The priority of `Pin-Priority: never` (only for `Package: *`).
pub const NEVER: i32 = i16::MIN as i32;

/// What a pin selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinKind {
    /// `Pin: version PATTERN` (named packages only).
    Version(String),
    /// `Pin: release ...`.
    Release(ReleaseSpec),
    /// `Pin: origin HOST`: the host of the source URI.
    Origin(String),
}

/// One pin record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// What it selects.
    pub kind: PinKind,
    /// `Pin-Priority` ([`NEVER`] for `never`).
    pub priority: i32,
    /// `file:line`, for messages.
    pub place: String,
}

/// One word of a `Package:` field: `[src:]NAME[:ARCH]`, NAME a name, a glob
/// or a `/regex/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagePattern {
    /// `src:`: matches versions by their source package.
    pub source: bool,
    /// The name or pattern.
    pub name: String,
    /// The architecture qualifier; none means the native architecture.
    pub arch: Option<String>,
}

impl PackagePattern {
    fn parse(word: &str) -> PackagePattern {
        let (source, rest) = match word.strip_prefix("src:") {
            Some(r) => (true, r),
            None => (false, word),
        };
        let (name, arch) = match rest.rfind(':') {
            Some(i) => (&rest[..i], Some(rest[i + 1..].to_string())),
            None => (rest, None),
        };
        PackagePattern {
            source,
            name: name.to_string(),
            arch,
        }
    }

    /// Whether the name is a pattern rather than a name (apt's test).
    pub fn is_wildcard(&self) -> bool {
        (self.name.len() > 1 && self.name.starts_with('/') && self.name.ends_with('/'))
            || self.name.contains(['*', '[', '?'])
    }

    /// Whether `name` (a binary name, or a source name for `src:`) matches.
    pub fn matches_name(&self, name: &str) -> bool {
        if self.is_wildcard() {
            self.name != name && expression_matches(&self.name, name)
        } else {
            self.name == name
        }
    }
}

/// The pins of a root, in apt's order.
#[derive(Debug, Clone, Default)]
pub struct Preferences {
    /// `Package: *` records: they set the priority of package files.
    pub generic: Vec<Pin>,
    /// Records naming packages: they set the priority of versions.
    pub specific: Vec<(Vec<PackagePattern>, Pin)>,
    /// Records apt warns about and skips.
    pub warnings: Vec<String>,
}

/// A preferences file apt would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {problem}")]
pub struct PreferencesError {
    /// `file:line`.
    pub place: String,
    /// What apt says.
    pub problem: String,
}

/// Read `etc/apt/preferences`, then `etc/apt/preferences.d/*`, of `root`.
pub fn read_preferences(root: &HostRoot) -> Result<Preferences, PreferencesError> {
    let mut prefs = Preferences::default();
    let mut files = Vec::new();
    if root.is_file("etc/apt/preferences") {
        files.extend(root.resolve("etc/apt/preferences").ok());
    }
    files.extend(super::sources::config_dir_files(
        root,
        "etc/apt/preferences.d",
        &["pref"],
        true,
    ));
    for file in files {
        let name = file.display().to_string();
        let bytes = read_regular_path(&file, MAX_TEXT_BYTES).map_err(|e| PreferencesError {
            place: name.clone(),
            problem: format!("cannot be read: {e}"),
        })?;
        parse_preferences(&String::from_utf8_lossy(&bytes), &name, &mut prefs)?;
    }
    Ok(prefs)
}

/// Parse one preferences file's text into `prefs`.
pub fn parse_preferences(
    text: &str,
    file: &str,
    prefs: &mut Preferences,
) -> Result<(), PreferencesError> {
    let paragraphs = super::control::paragraphs(text).map_err(|e| PreferencesError {
        place: format!("{file}:{}", e.line),
        problem: e.problem,
    })?;
    for p in paragraphs {
        let place = format!("{file}:{}", p.line);
        let fail = |problem: String| PreferencesError {
            place: place.clone(),
            problem,
        };
        let get = |name: &str| super::sources::field(&p, name);
        let names = get("Package").unwrap_or_default();
        let names = names.trim();
        if names.is_empty() {
            return Err(fail(
                "invalid record in the preferences file, no Package header".into(),
            ));
        }
        let generic = names == "*";
        let Some(pin) = get("Pin") else {
            continue;
        };
        let pin = pin.trim();
        let (word, data) = pin
            .split_once(|c: char| c.is_ascii_whitespace())
            .map_or((pin, ""), |(w, d)| (w, d.trim_start()));
        let kind = if word.eq_ignore_ascii_case("version") && !generic {
            PinKind::Version(data.to_string())
        } else if word.eq_ignore_ascii_case("release") {
            PinKind::Release(ReleaseSpec::parse(data))
        } else if word.eq_ignore_ascii_case("origin") {
            let site = data
                .strip_prefix('"')
                .and_then(|d| d.strip_suffix('"'))
                .unwrap_or(data);
            PinKind::Origin(site.to_string())
        } else {
            prefs.warnings.push(format!(
                "{place}: did not understand pin type {word} (apt skips the record)"
            ));
            continue;
        };
        let raw = get("Pin-Priority").unwrap_or_default();
        let raw = raw.trim();
        let priority = if raw == "never" {
            if !generic {
                return Err(fail(
                    "the special 'Pin-Priority: never' can only be used for 'Package: *' records"
                        .into(),
                ));
            }
            NEVER
        } else {
            match strtol(raw) {
                None => 0,
                Some(v) if v == i64::from(NEVER) => NEVER + 1,
                Some(v) if v < i64::from(NEVER) || v > i64::from(i16::MAX) => {
                    return Err(fail(format!(
                        "value {raw} is outside the range of valid pin priorities (-32768 to 32767)"
                    )));
                }
                Some(v) => v as i32,
            }
        };
        if priority == 0 {
            return Err(fail("no priority (or zero) specified for pin".into()));
        }
        let pin = Pin {
            kind,
            priority,
            place,
        };
        if generic {
            prefs.generic.push(pin);
        } else {
            let patterns = names
                .split_whitespace()
                .map(PackagePattern::parse)
                .collect();
            prefs.specific.push((patterns, pin));
        }
    }
    Ok(())
}

/// C's `strtol` as apt's `FindI` uses it: leading white space, a sign and
/// digits; `None` without digits.
fn strtol(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v: i64 = digits[..n].parse().unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// apt's `ExpressionMatches`: `/re/` is a case-insensitive POSIX extended
/// regular expression searched in `s`; anything else a case-folding glob.
pub fn expression_matches(pattern: &str, s: &str) -> bool {
    if pattern.len() >= 2 && pattern.starts_with('/') && pattern.ends_with('/') {
        return regex::Regex::parse(&pattern[1..pattern.len() - 1])
            .is_some_and(|re| re.is_match(s));
    }
    fnmatch(pattern.as_bytes(), s.as_bytes())
}

/// `fnmatch(pattern, s, FNM_CASEFOLD)`: `*`, `?`, `[...]`, `\` escapes; `/`
/// and leading dots are not special.
pub fn fnmatch(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        let step = match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
                continue;
            }
            Some(b'?') => Some(pi + 1),
            Some(b'[') => match bracket(&p[pi..], s[si], true) {
                Some((true, len)) => Some(pi + len),
                Some((false, _)) => None,
                None => (s[si] == b'[').then_some(pi + 1),
            },
            Some(b'\\') if pi + 1 < p.len() => {
                p[pi + 1].eq_ignore_ascii_case(&s[si]).then_some(pi + 2)
            }
            Some(c) => c.eq_ignore_ascii_case(&s[si]).then_some(pi + 1),
            None => None,
        };
        match (step, star) {
            (Some(next), _) => {
                pi = next;
                si += 1;
            }
            (None, Some((sp, ss))) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Match `c` against the bracket expression at the start of `p` (`[...]`):
/// `Some((matched, length of the expression))`, `None` when unterminated.
/// Case-insensitive; `[:class:]` supported. `escapes` is for globs: `\`
/// quotes the next character and `!` negates like `^`.
pub(crate) fn bracket(p: &[u8], c: u8, escapes: bool) -> Option<(bool, usize)> {
    let mut i = 1;
    // glob: `!` or `^`; POSIX brackets: `^` only.
    let negate = p.get(i) == Some(&b'^') || (escapes && p.get(i) == Some(&b'!'));
    if negate {
        i += 1;
    }
    let (lc, uc) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
    let mut matched = false;
    let mut first = true;
    loop {
        let mut a = *p.get(i)?;
        if a == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if a == b'[' && p.get(i + 1) == Some(&b':') {
            let rest = &p[i + 2..];
            let end = rest.windows(2).position(|w| w == b":]")?;
            let class = &rest[..end];
            matched |= class_has(class, c);
            i += 2 + end + 2;
            continue;
        }
        if a == b'\\' && escapes {
            i += 1;
            a = *p.get(i)?;
        }
        i += 1;
        if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|&e| e != b']') {
            let mut b = p[i + 1];
            i += 2;
            if b == b'\\' && escapes {
                b = *p.get(i)?;
                i += 1;
            }
            matched |= (a..=b).contains(&lc) || (a..=b).contains(&uc);
        } else {
            matched |= a == lc || a == uc;
        }
    }
}

fn class_has(class: &[u8], c: u8) -> bool {
    match class {
        b"alpha" => c.is_ascii_alphabetic(),
        b"digit" => c.is_ascii_digit(),
        b"alnum" => c.is_ascii_alphanumeric(),
        b"upper" | b"lower" => c.is_ascii_alphabetic(), // case-insensitive
        b"space" => c.is_ascii_whitespace() || c == 0x0b,
        b"blank" => c == b' ' || c == b'\t',
        b"punct" => c.is_ascii_punctuation(),
        b"xdigit" => c.is_ascii_hexdigit(),
        b"cntrl" => c.is_ascii_control(),
        b"print" => (0x20..0x7f).contains(&c),
        b"graph" => c.is_ascii_graphic(),
        _ => false,
    }
}

mod regex {
    //! A small backtracking matcher for POSIX extended regular expressions
    //! (what apt's `regcomp(REG_EXTENDED | REG_ICASE)` accepts in pins):
    //! alternation, groups, `.`, brackets, `^`, `$`, `*`, `+`, `?`, `{m,n}`.

    enum Node {
        Byte(u8),
        Any,
        Class(Box<[bool; 256]>),
        Start,
        End,
        Alt(Vec<Vec<Node>>),
        Repeat(Box<Node>, u32, Option<u32>),
    }

    pub struct Regex(Vec<Vec<Node>>);

    impl Regex {
        /// `None` for an expression regcomp would refuse.
        pub fn parse(p: &str) -> Option<Regex> {
            let bytes = p.as_bytes();
            let mut i = 0;
            let alts = parse_alt(bytes, &mut i, 0)?;
            (i == bytes.len()).then_some(Regex(alts))
        }

        pub fn is_match(&self, s: &str) -> bool {
            let s = s.to_ascii_lowercase();
            let s = s.as_bytes();
            (0..=s.len()).any(|start| alt(&self.0, s, start, &mut |_| true))
        }
    }

    fn parse_alt(p: &[u8], i: &mut usize, depth: usize) -> Option<Vec<Vec<Node>>> {
        if depth > 50 {
            return None;
        }
        let mut alts = vec![Vec::new()];
        while *i < p.len() {
            let c = p[*i];
            *i += 1;
            let atom = match c {
                b'|' => {
                    alts.push(Vec::new());
                    continue;
                }
                b')' if depth > 0 => {
                    *i -= 1;
                    return Some(alts);
                }
                b'(' => {
                    let inner = parse_alt(p, i, depth + 1)?;
                    if p.get(*i) != Some(&b')') {
                        return None;
                    }
                    *i += 1;
                    Node::Alt(inner)
                }
                b'.' => Node::Any,
                b'^' => Node::Start,
                b'$' => Node::End,
                b'[' => {
                    let mut set = Box::new([false; 256]);
                    let mut len = 0;
                    for b in 0..=255u8 {
                        let (m, l) = super::bracket(&p[*i - 1..], b, false)?;
                        set[b as usize] = m;
                        len = l;
                    }
                    *i += len - 1;
                    Node::Class(set)
                }
                b'\\' => {
                    let e = *p.get(*i)?;
                    *i += 1;
                    Node::Byte(e.to_ascii_lowercase())
                }
                b'*' | b'+' | b'?' | b'{' => return None,
                c => Node::Byte(c.to_ascii_lowercase()),
            };
            let atom = parse_quantifiers(p, i, atom)?;
            alts.last_mut()?.push(atom);
        }
        Some(alts)
    }

    fn parse_quantifiers(p: &[u8], i: &mut usize, mut atom: Node) -> Option<Node> {
        loop {
            let (min, max) = match p.get(*i) {
                Some(b'*') => (0, None),
                Some(b'+') => (1, None),
                Some(b'?') => (0, Some(1)),
                Some(b'{') => {
                    let close = p[*i..].iter().position(|&c| c == b'}')? + *i;
                    let body = std::str::from_utf8(&p[*i + 1..close]).ok()?;
                    let (lo, hi) = match body.split_once(',') {
                        None => (body.parse().ok()?, Some(body.parse().ok()?)),
                        Some((lo, "")) => (lo.parse().ok()?, None),
                        Some((lo, hi)) => (lo.parse().ok()?, Some(hi.parse().ok()?)),
                    };
                    *i = close;
                    (lo, hi)
                }
                _ => return Some(atom),
            };
            *i += 1;
            atom = Node::Repeat(Box::new(atom), min, max);
        }
    }

    type K<'a> = &'a mut dyn FnMut(usize) -> bool;

    fn alt(alts: &[Vec<Node>], s: &[u8], i: usize, k: K<'_>) -> bool {
        alts.iter().any(|seq| concat(seq, s, i, k))
    }

    fn concat(seq: &[Node], s: &[u8], i: usize, k: K<'_>) -> bool {
        match seq.split_first() {
            None => k(i),
            Some((first, rest)) => node(first, s, i, &mut |j| concat(rest, s, j, k)),
        }
    }

    fn node(n: &Node, s: &[u8], i: usize, k: K<'_>) -> bool {
        match n {
            Node::Byte(c) => s.get(i) == Some(c) && k(i + 1),
            Node::Any => i < s.len() && k(i + 1),
            Node::Class(set) => s.get(i).is_some_and(|&c| set[c as usize]) && k(i + 1),
            Node::Start => i == 0 && k(i),
            Node::End => i == s.len() && k(i),
            Node::Alt(alts) => alt(alts, s, i, k),
            Node::Repeat(inner, min, max) => repeat(inner, *min, *max, 0, s, i, k),
        }
    }

    fn repeat(
        n: &Node,
        min: u32,
        max: Option<u32>,
        count: u32,
        s: &[u8],
        i: usize,
        k: K<'_>,
    ) -> bool {
        if max.is_none_or(|m| count < m)
            && node(n, s, i, &mut |j| {
                (j != i || count < min) && repeat(n, min, max, count + 1, s, j, k)
            })
        {
            return true;
        }
        count >= min && k(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_regexes_like_apt() {
        assert!(expression_matches("gnome*", "gnome-shell"));
        assert!(expression_matches("GNOME*", "gnome-shell"));
        assert!(!expression_matches("gnome*", "libgnome"));
        assert!(expression_matches("lunar*", "lunar-updates"));
        assert!(expression_matches("lib[a-c]?", "libB2"));
        assert!(expression_matches("lib[!a-c]*", "libz"));
        assert!(expression_matches("/kde/", "plasma-kde-x"));
        assert!(expression_matches("/^lib(ssl|crypto)[0-9]+$/", "LIBSSL3"));
        assert!(!expression_matches(
            "/^lib(ssl|crypto)[0-9]+$/",
            "libssl3-dev"
        ));
        assert!(expression_matches("/^a{2,3}b?$/", "aaa"));
        assert!(!expression_matches("/^a{2,3}$/", "aaaa"));
        assert!(!expression_matches("/(/", "("));
        assert!(expression_matches("/^[!a]$/", "!") && !expression_matches("lib[!a]", "liba"));
        assert!(expression_matches("deb.debian.org", "deb.debian.org"));
        assert!(expression_matches("", ""));
    }

    #[test]
    fn records_priorities_and_errors() {
        let text = "Explanation: x\nPackage: nodejs src:apt:any /^lib/\nPin: origin \"deb.nodesource.com\"\n\
                    # a comment between fields\nPin-Priority: 600\n\n# only a comment\n\n\
                    Package: *\nPin: release a=stable, v=12*\nPin-Priority: never\n\n\
                    Package: *\nPin: version 1.0\nPin-Priority: 5\n\n\
                    Package: foo\nPin-Priority: 5\n\n\
                    Package: bar\nPin: version 2.*\nPin-Priority: 5x\n";
        let mut prefs = Preferences::default();
        parse_preferences(text, "p", &mut prefs).unwrap();
        let (patterns, pin) = &prefs.specific[0];
        assert_eq!(pin.kind, PinKind::Origin("deb.nodesource.com".into()));
        assert_eq!(pin.priority, 600);
        assert!(patterns[1].source && patterns[1].arch.as_deref() == Some("any"));
        assert!(patterns[2].is_wildcard() && patterns[2].matches_name("libc6"));
        let PinKind::Release(spec) = &prefs.generic[0].kind else {
            panic!()
        };
        assert_eq!(spec.archive.as_deref(), Some("stable"));
        assert_eq!(spec.version, Some(("12".into(), true)));
        assert_eq!(prefs.generic[0].priority, NEVER);
        assert_eq!(prefs.warnings.len(), 1, "{:?}", prefs.warnings);
        assert_eq!(prefs.specific[1].1.priority, 5);

        for bad in [
            "Pin: version 1\nPin-Priority: 5\n",
            "Package: a\nPin: version 1\nPin-Priority: 0\n",
            "Package: a\nPin: version 1\nPin-Priority: abc\n",
            "Package: a\nPin: version 1\n",
            "Package: a\nPin: version 1\nPin-Priority: 40000\n",
            "Package: a\nPin: version 1\nPin-Priority: never\n",
        ] {
            let e = parse_preferences(bad, "p", &mut Preferences::default());
            assert!(e.is_err(), "{bad}");
        }
        let mut prefs = Preferences::default();
        parse_preferences(
            "Package: a\nPin: version 1\nPin-Priority: -32768\n",
            "p",
            &mut prefs,
        )
        .unwrap();
        assert_eq!(prefs.specific[0].1.priority, NEVER + 1);
    }
}
