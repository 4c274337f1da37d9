//! Text for a terminal: report-supplied text (host names, evidence lines,
//! reasons, file names) shown with its control characters escaped, so a
//! hostile report cannot move the cursor, recolour, retitle or rewrite the
//! screen of the person reading it, nor reorder what they read.
//!
//! Escaped, as visible text: C0 controls (`\x1b`, and `\n`, `\r`, `\t`), DEL
//! (`\x7f`), C1 controls (`\u{9b}`), and the Unicode bidirectional and line
//! controls (`\u{202e}`, `\u{2066}`, `\u{2028}`, ...). Everything else,
//! Chinese included, is shown as it is. JSON and CSV output is never passed
//! through here: it keeps the data exact (the CSV writer defuses formulas).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character escaped visibly (`\x1b[31m` shows as
/// the six characters `\x1b[31m`), line breaks included: for one field.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_keeping(text, false)
}

/// Like [`escape`], but line breaks (`\n`) stay line breaks: for a whole
/// block of text made for the terminal (a rendered table, a list of lines).
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_keeping(text, true)
}

fn escape_keeping(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let needs = |c: char| is_control(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Whether a terminal could act on `c` rather than show it.
fn is_control(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_acted_on() {
        assert_eq!(escape("web-01"), "web-01");
        assert!(matches!(escape("整改 web-01"), Cow::Borrowed(_)));
        assert_eq!(
            escape("evil\u{1b}]0;owned\u{7}\u{1b}[2J"),
            "evil\\x1b]0;owned\\x07\\x1b[2J"
        );
        assert_eq!(escape("a\r\nb\tc\u{7f}"), "a\\r\\nb\\tc\\x7f");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("x\u{2066}y\u{2069}"), "x\\u{2066}y\\u{2069}");
    }

    #[test]
    fn a_block_keeps_its_line_breaks() {
        assert_eq!(escape_lines("a\nb\u{1b}[1A\n"), "a\nb\\x1b[1A\n");
        assert_eq!(escape_lines("a\r\n"), "a\\r\n");
    }
}
