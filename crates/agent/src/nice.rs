//! `--nice`: keep a long audit out of the way of a production host's own work.
//!
//! The process is given the lowest CPU priority (nice 19) and the idle I/O
//! class, so its hashing only uses CPU time and disk bandwidth nothing else
//! wants. Linux applies both per thread and new threads inherit them, so this
//! runs before any worker thread is started.

/// Lower this process's CPU and I/O priority. Returns what could not be
/// lowered (the audit goes on either way).
pub fn lower_priority() -> Result<(), String> {
    let mut failed = Vec::new();
    if let Err(e) = rustix::process::setpriority_process(None, 19) {
        failed.push(format!("CPU priority (nice 19): {e}"));
    }
    if let Err(e) = set_idle_io_class() {
        failed.push(format!("idle I/O class: {e}"));
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// `ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE)`, which libc does not wrap.
#[allow(unsafe_code)] // one system call libc does not wrap; see SAFETY below
fn set_idle_io_class() -> std::io::Result<()> {
    const IOPRIO_WHO_PROCESS: nix::libc::c_long = 1;
    const IOPRIO_CLASS_IDLE: nix::libc::c_long = 3;
    const IOPRIO_CLASS_SHIFT: u32 = 13;
    // SAFETY: ioprio_set takes three integers and touches no memory of ours.
    let rc = unsafe {
        nix::libc::syscall(
            nix::libc::SYS_ioprio_set,
            IOPRIO_WHO_PROCESS,
            0 as nix::libc::c_long,
            IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    /// The priorities really change: read back with getpriority and ioprio_get.
    #[test]
    #[allow(unsafe_code)] // ioprio_get, to read the class back
    fn priorities_are_lowered_in_a_child_thread_of_ours() {
        std::thread::spawn(|| {
            super::lower_priority().unwrap();
            assert_eq!(rustix::process::getpriority_process(None).unwrap(), 19);
            // SAFETY: ioprio_get takes two integers.
            let prio = unsafe { nix::libc::syscall(nix::libc::SYS_ioprio_get, 1, 0) };
            assert_eq!(prio >> 13, 3, "I/O class should be idle, got {prio:#x}");
        })
        .join()
        .unwrap();
    }
}
