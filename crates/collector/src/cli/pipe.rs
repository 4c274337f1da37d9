//! Printing into a pipe whose reader has gone (`selfcheck-collector enroll |
//! head`): the Rust runtime ignores SIGPIPE, so every `println!` after the
//! reader closed would panic ("failed printing to stdout: Broken pipe", exit
//! 101). The printing commands instead take the default action back, as
//! standard Unix tools have it: the process ends quietly at the first write
//! into the closed pipe. Whatever a command changed before printing is
//! already committed (the store writes in transactions), so nothing is left
//! half done. `serve` keeps SIGPIPE ignored: it writes to sockets and its log,
//! and a closed peer must never end the server.

/// Restore the default action of SIGPIPE (end the process) for this process.
pub fn end_quietly_on_closed_stdout() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_DFL is not a Rust handler, so no code runs in signal
    // context; this is called before any thread is started.
    #[allow(unsafe_code)] // signal(2): nix marks every handler change unsafe
    let restored = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    // Failing leaves SIGPIPE ignored: a closed pipe then ends in an error
    // message instead, which is no worse than before.
    let _ = restored;
}
