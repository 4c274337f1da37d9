//! Wildcard patterns as the programs the baseline reads use them (`*`, `?`
//! and, for fnmatch-style globs, `[abc]`, `[a-z]`, `[!x]`), matched in time
//! linear in the text: a pattern from the audited host such as
//! `*a*a*a*a*a*b` cannot make the audit backtrack exponentially.

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    Any,
    /// A character class: negated, and its ranges (a single character is `(c, c)`).
    Class(bool, Vec<(char, char)>),
    /// This character.
    Literal(char),
}

impl Token {
    fn matches(&self, c: char) -> bool {
        match self {
            Token::Star | Token::Any => true,
            Token::Class(negated, ranges) => {
                ranges.iter().any(|(a, b)| *a <= c && c <= *b) != *negated
            }
            Token::Literal(l) => *l == c,
        }
    }
}

fn tokens(pattern: &str, classes: bool) -> Vec<Token> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => {
                // A run of stars is one star.
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::Any),
            '[' if classes => {
                // `]` right after `[` or `[!` belongs to the set; an unclosed `[` is a literal.
                let start = if matches!(p.get(i + 1), Some('!' | '^')) {
                    i + 2
                } else {
                    i + 1
                };
                match p.iter().skip(start + 1).position(|c| *c == ']') {
                    Some(k) => {
                        let close = start + 1 + k;
                        let set = &p[start..close];
                        let mut ranges = Vec::new();
                        let mut j = 0;
                        while j < set.len() {
                            if j + 2 < set.len() && set[j + 1] == '-' {
                                ranges.push((set[j], set[j + 2]));
                                j += 3;
                            } else {
                                ranges.push((set[j], set[j]));
                                j += 1;
                            }
                        }
                        out.push(Token::Class(start == i + 2, ranges));
                        i = close;
                    }
                    None => out.push(Token::Literal('[')),
                }
            }
            c => out.push(Token::Literal(c)),
        }
        i += 1;
    }
    out
}

/// Whether all of `text` matches `pattern`; with `classes`, `[...]` is a
/// character class (fnmatch), else a literal (OpenSSH's match.c).
pub fn wildcard_match(pattern: &str, text: &str, classes: bool) -> bool {
    let toks = tokens(pattern, classes);
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // The last star seen and the text position it is tried to cover up to.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if toks.get(p) == Some(&Token::Star) {
            star = Some((p, t));
            p += 1;
            continue;
        }
        if t == text.len() {
            break;
        }
        if toks.get(p).is_some_and(|tok| tok.matches(text[t])) {
            p += 1;
            t += 1;
            continue;
        }
        // Let the last star take one more character and retry from there;
        // earlier stars never need to, which keeps the match linear.
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    toks[p..].iter().all(|tok| *tok == Token::Star)
}

/// Whether a whole host path matches a shell glob whose `*` and `?` stay
/// within one path component (`/etc/logrotate.d/*`).
pub fn path_match(pattern: &str, path: &str) -> bool {
    let (pc, tc) = (pattern.split('/'), path.split('/'));
    pc.clone().count() == tc.clone().count() && pc.zip(tc).all(|(p, t)| wildcard_match(p, t, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_questions_and_classes() {
        assert!(wildcard_match("*.conf", "50-local.conf", true));
        assert!(!wildcard_match("*.conf", "50-local.conf.bak", true));
        assert!(wildcard_match("a?c", "abc", false));
        assert!(wildcard_match("*", "", false));
        assert!(!wildcard_match("?", "", false));
        assert!(wildcard_match("[0-9]*", "10-x", true));
        assert!(!wildcard_match("[!0-9]*", "10-x", true));
        assert!(wildcard_match("[]x]", "]", true));
        assert!(wildcard_match("[abc", "[abc", true));
        assert!(wildcard_match("[ab]", "[ab]", false));
        assert!(wildcard_match("a*b*c", "aXXbYYc", false));
        assert!(!wildcard_match("a*b*c", "aXXbYY", false));
        assert!(wildcard_match("*ab", "aab", false));
        assert!(wildcard_match("10.0.*", "10.0.1.2", false));
    }

    #[test]
    fn hostile_patterns_stay_fast() {
        let name = "a".repeat(5000);
        let pattern = format!("{}b", "*a".repeat(40));
        let started = std::time::Instant::now();
        assert!(!wildcard_match(&pattern, &name, true));
        assert!(wildcard_match(
            &format!("{}*", "*a".repeat(40)),
            &name,
            true
        ));
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn path_globs_do_not_cross_slashes() {
        assert!(path_match("/etc/logrotate.d/*", "/etc/logrotate.d/rsyslog"));
        assert!(!path_match("/etc/*", "/etc/logrotate.d/rsyslog"));
        assert!(path_match("/var/log/*.log", "/var/log/syslog.log"));
    }
}
