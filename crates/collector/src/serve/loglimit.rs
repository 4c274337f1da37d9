//! The server's own log volume, bounded: of each kind of line about one
//! subject (refused handshakes from one address, refusals of one
//! certificate, ...) only the first few of a window are written; the rest are
//! counted and summarised once the window is over ("N more refused handshakes
//! from 10.0.0.9 in the last 30 s"). A client that fails a thousand
//! handshakes a second costs a few lines a window, not megabytes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Subjects tracked at most per window; beyond that, new subjects share one
/// count ("other subjects"), so the limiter's own memory is bounded too.
const MAX_SUBJECTS: usize = 10_000;

/// What a line is about: its kind (a plural noun phrase, e.g. "refused
/// handshakes") and its subject (an address, a serial).
type Key = (&'static str, String);

#[derive(Debug)]
struct Window {
    started: Instant,
    written: u32,
    suppressed: u64,
}

/// Per-subject log line limiter.
#[derive(Debug)]
pub struct LogLimiter {
    window: Duration,
    lines_per_window: u32,
    windows: Mutex<HashMap<Key, Window>>,
}

/// A summary of the lines not written in a window that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    /// The kind of line, e.g. "refused handshakes".
    pub kind: &'static str,
    /// Its subject, e.g. the peer address.
    pub subject: String,
    /// How many were not written.
    pub count: u64,
    /// The window's length.
    pub window: Duration,
}

impl std::fmt::Display for Suppressed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} more {} from {} in the last {} s",
            self.count,
            self.kind,
            self.subject,
            self.window.as_secs()
        )
    }
}

impl LogLimiter {
    /// Write at most `lines_per_window` lines per kind and subject each `window`.
    pub fn new(window: Duration, lines_per_window: u32) -> LogLimiter {
        LogLimiter {
            window,
            lines_per_window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a line of `kind` about `subject` is written now; when not, it
    /// is counted for the window's summary.
    pub fn allow(&self, kind: &'static str, subject: &str) -> bool {
        let now = Instant::now();
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut key = (kind, subject.to_string());
        if !windows.contains_key(&key) && windows.len() >= MAX_SUBJECTS {
            key = (kind, "other subjects".to_string());
        }
        let window = windows.entry(key).or_insert(Window {
            started: now,
            written: 0,
            suppressed: 0,
        });
        if window.written < self.lines_per_window {
            window.written += 1;
            true
        } else {
            window.suppressed += 1;
            false
        }
    }

    /// The summaries of the windows that ended, which are then forgotten.
    pub fn take_ended(&self) -> Vec<Suppressed> {
        let now = Instant::now();
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut ended = Vec::new();
        windows.retain(|(kind, subject), w| {
            if now.duration_since(w.started) < self.window {
                return true;
            }
            if w.suppressed > 0 {
                ended.push(Suppressed {
                    kind,
                    subject: subject.clone(),
                    count: w.suppressed,
                    window: self.window,
                });
            }
            false
        });
        ended.sort_by(|a, b| (a.kind, &a.subject).cmp(&(b.kind, &b.subject)));
        ended
    }

    /// Write the summaries of the windows that ended to the log.
    pub fn log_ended(&self) {
        for s in self.take_ended() {
            tracing::warn!(kind = s.kind, subject = %s.subject, suppressed = s.count, "{s}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_lines_are_written_and_the_rest_summarised_per_subject() {
        let limiter = LogLimiter::new(Duration::from_millis(50), 2);
        let written = (0..100)
            .filter(|_| limiter.allow("refused handshakes", "10.0.0.9"))
            .count();
        assert_eq!(written, 2);
        // Another subject has its own allowance.
        assert!(limiter.allow("refused handshakes", "10.0.0.10"));
        assert!(limiter.take_ended().is_empty(), "the window is not over");
        std::thread::sleep(Duration::from_millis(60));
        let ended = limiter.take_ended();
        assert_eq!(ended.len(), 1, "{ended:?}");
        assert_eq!(ended[0].count, 98);
        assert_eq!(
            ended[0].to_string(),
            "98 more refused handshakes from 10.0.0.9 in the last 0 s"
        );
        // A new window starts afresh.
        assert!(limiter.allow("refused handshakes", "10.0.0.9"));
    }
}
