//! Which processes hold a socket: `/proc/PID/fd/N` links named `socket:[INODE]`.
//!
//! This is how `ss -p` finds owners too. Only the links themselves are read
//! (`readlink`); no descriptor is ever opened. A process whose `fd` directory
//! cannot be listed (another user's process when not root, or one that exited
//! meanwhile) is skipped: its sockets simply show no owner. The process name
//! comes from `/proc/PID/comm`, read only for processes that hold a wanted socket.
//! Everything is read through the [`HostRoot`], so an image's `proc` (or
//! `proc/PID`) linked to this machine's `/proc` is never followed out of it.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{ListeningSocket, SocketProcess};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// The longest `comm` read: the kernel's is 16 bytes.
const MAX_COMM_BYTES: u64 = 4096;

/// Fill `processes` of every socket in `sockets` from the process directories
/// of the host's `/proc`. Fails only when `/proc` itself cannot be listed;
/// each socket's processes end up sorted by pid, then fd.
pub(crate) fn attach_owners(
    root: &HostRoot,
    sockets: &mut [ListeningSocket],
) -> std::io::Result<()> {
    if sockets.is_empty() {
        return Ok(());
    }
    let mut by_inode: HashMap<u64, Vec<usize>> = HashMap::with_capacity(sockets.len());
    for (index, socket) in sockets.iter().enumerate() {
        by_inode.entry(socket.inode).or_default().push(index);
    }
    let mut held: Vec<(u64, u32)> = Vec::new();
    for entry in root.read_dir("/proc")? {
        // An entry that vanished while listing is a process that exited.
        let Ok(entry) = entry else { continue };
        let Some(pid) = number(&entry.file_name()) else {
            continue;
        };
        held.clear();
        sockets_held(root, &format!("/proc/{pid}/fd"), &by_inode, &mut held);
        if held.is_empty() {
            continue;
        }
        let Ok(comm) = root.read_bytes(format!("/proc/{pid}/comm"), MAX_COMM_BYTES) else {
            // The process exited after its descriptors were listed.
            continue;
        };
        let name = String::from_utf8_lossy(comm.strip_suffix(b"\n").unwrap_or(&comm)).into_owned();
        for &(inode, fd) in &held {
            for &index in by_inode.get(&inode).into_iter().flatten() {
                sockets[index].processes.push(SocketProcess {
                    pid,
                    name: name.clone(),
                    fd,
                });
            }
        }
    }
    for socket in sockets.iter_mut() {
        socket.processes.sort_unstable();
    }
    Ok(())
}

/// Add to `held` the (inode, fd) of every descriptor in the host directory
/// `fd_dir` that is a socket in `wanted`. An unreadable directory adds nothing.
fn sockets_held(
    root: &HostRoot,
    fd_dir: &str,
    wanted: &HashMap<u64, Vec<usize>>,
    held: &mut Vec<(u64, u32)>,
) {
    let Ok(entries) = root.read_dir(fd_dir) else {
        return;
    };
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let Some(fd) = number(&entry.file_name()) else {
            continue;
        };
        let Ok(target) = root.read_link(format!("{fd_dir}/{fd}")) else {
            continue;
        };
        if let Some(inode) = socket_inode(target.as_os_str().as_bytes())
            && wanted.contains_key(&inode)
        {
            held.push((inode, fd));
        }
    }
}

/// The inode of a link target `socket:[INODE]`.
fn socket_inode(target: &[u8]) -> Option<u64> {
    let digits = target.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    super::procnet::parse_decimal(digits)
}

/// A pid or fd directory entry name: decimal digits only.
fn number(name: &OsStr) -> Option<u32> {
    super::procnet::parse_decimal(name.as_bytes()).and_then(|n| u32::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_socket_links_name_an_inode() {
        assert_eq!(socket_inode(b"socket:[1145]"), Some(1145));
        assert_eq!(socket_inode(b"socket:[]"), None);
        assert_eq!(socket_inode(b"socket:[12"), None);
        assert_eq!(socket_inode(b"pipe:[1145]"), None);
        assert_eq!(socket_inode(b"/dev/null"), None);
        assert_eq!(socket_inode(b"anon_inode:[eventpoll]"), None);
    }

    #[test]
    fn only_numeric_entries_are_processes_or_descriptors() {
        assert_eq!(number(OsStr::new("812")), Some(812));
        assert_eq!(number(OsStr::new("self")), None);
        assert_eq!(number(OsStr::new("thread-self")), None);
        assert_eq!(number(OsStr::new("99999999999")), None);
    }
}
