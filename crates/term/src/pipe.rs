//! Printing into a pipe whose reader has gone (`selfcheck-collector ledger |
//! head -1`): the Rust runtime ignores SIGPIPE, so every `println!` after the
//! reader closed would panic ("failed printing to stdout: Broken pipe", exit
//! 101). The printing commands instead take the default action back, as
//! standard Unix tools have it: the process ends quietly at the first write
//! into the closed pipe, with the shell's status 141 (128 + SIGPIPE).
//!
//! Whatever a command changed before printing is already committed (stores
//! write in transactions, files through a temporary name and a rename), so
//! nothing is left half done. Ctrl-C (SIGINT) keeps its default action too: the
//! process ends at once with status 130, for the same reason.
//!
//! Network writes are not affected: the standard library and tokio send with
//! `MSG_NOSIGNAL`, so a closed peer gives an error, not a signal. `serve`
//! still keeps SIGPIPE ignored: its log may be a pipe, and a closed reader
//! must never end the server.

/// Restore the default action of SIGPIPE (end the process) for this process.
/// Call it before any thread is started. A no-op where there is no SIGPIPE.
pub fn end_quietly_on_closed_stdout() {
    #[cfg(unix)]
    {
        use nix::sys::signal::{SigHandler, Signal, signal};
        // SAFETY: SIG_DFL is not a Rust handler, so no code runs in signal
        // context; this is called before any thread is started.
        #[allow(unsafe_code)] // signal(2): nix marks every handler change unsafe
        let restored = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
        // Failing leaves SIGPIPE ignored: a closed pipe then ends in an error
        // message instead, which is no worse than before.
        let _ = restored;
    }
}
