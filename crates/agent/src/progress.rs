//! The progress bar of long file-integrity scans, drawn on standard error only
//! when it is a terminal (never into logs, pipes or the report).

use crate::areas::fim::scan::ScanProgress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A bar following a scan's counters; it disappears when dropped.
pub struct ScanBar {
    bar: Option<ProgressBar>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScanBar {
    /// Start drawing `progress` (labelled `what`) when standard error is a terminal.
    pub fn start(what: &str, progress: Arc<ScanProgress>) -> ScanBar {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return ScanBar {
                bar: None,
                stop,
                thread: None,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(4));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(what.to_string());
        let (b, s) = (bar.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let queued = progress.bytes_queued.load(Ordering::Relaxed);
                b.set_length(queued.max(1));
                b.set_position(progress.bytes_hashed.load(Ordering::Relaxed));
                let walked = progress.entries.load(Ordering::Relaxed);
                b.set_message(if progress.walk_done.load(Ordering::Relaxed) {
                    format!("{walked} paths, hashing")
                } else {
                    format!("{walked} paths so far")
                });
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        ScanBar {
            bar: Some(bar),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for ScanBar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
