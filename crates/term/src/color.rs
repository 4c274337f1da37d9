//! Colour for people at a terminal, and never anywhere else: risk levels and
//! overdue rows stand out on a screen, while files, pipes, logs and the
//! journal get plain text. `--color never|auto|always` decides, `auto` (the
//! default) meaning "standard output is a terminal, `NO_COLOR` is unset or
//! empty (<https://no-color.org>) and `TERM` is not `dumb`".
//!
//! The choice is made once per process ([`init`]) and read by every presenter
//! ([`enabled`]), so no presenter needs to be handed it.

use comfy_table::{Attribute, Cell, Color, Table};
use selfcheck_report::Severity;
use std::sync::atomic::{AtomicU8, Ordering};

/// `--color`: when to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// Only on a terminal, and not when NO_COLOR is set.
    #[default]
    Auto,
    /// Always, even into files and pipes (e.g. `| less -R`).
    Always,
    /// Never.
    Never,
}

const UNSET: u8 = 0;
const ON: u8 = 1;
const OFF: u8 = 2;
static CHOICE: AtomicU8 = AtomicU8::new(UNSET);

/// Decide, once, whether this process colours its output.
pub fn init(when: ColorWhen) {
    let on = match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => auto(),
    };
    CHOICE.store(if on { ON } else { OFF }, Ordering::Relaxed);
}

/// Whether output is coloured ([`ColorWhen::Auto`] when [`init`] was not called).
pub fn enabled() -> bool {
    match CHOICE.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => auto(),
    }
}

/// Whether text written to standard error (a server's log) is coloured under
/// `when`: as [`init`] decides for standard output, but asking about standard
/// error, so a log redirected to a file or the journal stays plain.
pub fn stderr_enabled(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => env_allows() && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    }
}

fn auto() -> bool {
    env_allows() && crate::width::stdout_is_terminal()
}

fn env_allows() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb
}

/// A colour for text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Bold red: 超危/严重, 逾期.
    Alarm,
    /// Red: 高危.
    Danger,
    /// Yellow: 中危.
    Warning,
    /// Cyan: 低危.
    Notice,
    /// Dim: 提示 and other quiet text.
    Quiet,
    /// Green: nothing wrong.
    Good,
}

impl Paint {
    /// The SGR parameters of this paint.
    fn sgr(self) -> &'static str {
        match self {
            Paint::Alarm => "1;31",
            Paint::Danger => "31",
            Paint::Warning => "33",
            Paint::Notice => "36",
            Paint::Quiet => "2",
            Paint::Good => "32",
        }
    }
}

/// `text` in `paint` when colour is [`enabled`], else `text` as it is. Give it
/// only text already escaped ([`crate::escape`]): the codes added here are the
/// only ones that must reach the terminal.
pub fn paint(text: &str, paint: Paint) -> String {
    if enabled() && !text.is_empty() {
        format!("\x1b[{}m{text}\x1b[0m", paint.sgr())
    } else {
        text.to_string()
    }
}

/// The paint of a risk level: 超危 bold red, 高危 red, 中危 yellow, 低危 cyan, 提示 dim.
pub fn risk_paint(risk: Severity) -> Paint {
    match risk {
        Severity::Critical => Paint::Alarm,
        Severity::High => Paint::Danger,
        Severity::Medium => Paint::Warning,
        Severity::Low => Paint::Notice,
        Severity::Info => Paint::Quiet,
    }
}

/// A table cell holding `text` (already escaped) in `paint` when colour is
/// [`enabled`]; comfy-table measures the text without the codes.
pub fn cell(text: impl Into<String>, paint: Paint) -> Cell {
    let cell = Cell::new(text.into());
    if !enabled() {
        return cell;
    }
    match paint {
        Paint::Alarm => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Paint::Danger => cell.fg(Color::Red),
        Paint::Warning => cell.fg(Color::Yellow),
        Paint::Notice => cell.fg(Color::Cyan),
        Paint::Quiet => cell.add_attribute(Attribute::Dim),
        Paint::Good => cell.fg(Color::Green),
    }
}

/// Make `table` emit the colours of its cells even when it cannot see a
/// terminal itself (`--color always`), or none at all when colour is off.
pub fn style_table(table: &mut Table) {
    if enabled() {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_and_always_override_the_terminal() {
        init(ColorWhen::Never);
        assert_eq!(paint("高危", Paint::Danger), "高危");
        init(ColorWhen::Always);
        assert_eq!(paint("高危", Paint::Danger), "\x1b[31m高危\x1b[0m");
        assert_eq!(paint("", Paint::Danger), "");
        init(ColorWhen::Never);
    }
}
