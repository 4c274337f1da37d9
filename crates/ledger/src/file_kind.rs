//! What kind of file a path is, in words, for refusing anything but a regular
//! file (a FIFO or a device would block or never end) when reading reports
//! and registries.

use std::fs::FileType;
use std::os::unix::fs::FileTypeExt;

/// What a file that is not a regular file is, in words (`None`: it is regular).
pub(crate) fn not_regular(t: FileType) -> Option<&'static str> {
    Some(if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a file"
    })
}
