//! How wide tables may be: what `COLUMNS` says, else the terminal's width,
//! else (a file or a pipe) [`UNBOUNDED_WIDTH`], wide enough for every
//! column a table for people has and narrow enough to read in an editor.

/// The width used when standard output is not a terminal and `COLUMNS` is unset.
pub const UNBOUNDED_WIDTH: u16 = 160;

/// The width of standard output: `COLUMNS`, the terminal's, or [`UNBOUNDED_WIDTH`].
pub fn output_width() -> u16 {
    columns_env()
        .or_else(terminal_width)
        .unwrap_or(UNBOUNDED_WIDTH)
}

/// Whether standard output is a terminal (and not a file or a pipe).
pub fn stdout_is_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdout())
}

fn columns_env() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&w| w >= 20)
}

#[cfg(unix)]
fn terminal_width() -> Option<u16> {
    let size = rustix::termios::tcgetwinsize(std::io::stdout()).ok()?;
    (size.ws_col >= 20).then_some(size.ws_col)
}

#[cfg(not(unix))]
fn terminal_width() -> Option<u16> {
    None
}

/// Columns `text` takes on a terminal: CJK characters take two.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` followed by spaces up to `columns` terminal columns (CJK counted
/// as two), for aligned labels in zh and en alike.
pub fn pad(text: &str, columns: usize) -> String {
    let w = display_width(text);
    format!("{text}{}", " ".repeat(columns.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(display_width("资产"), 4);
        assert_eq!(pad("资产", 8), "资产    ");
        assert_eq!(pad("asset:", 8), "asset:  ");
        assert_eq!(pad("整改建议书", 8), "整改建议书");
    }
}
