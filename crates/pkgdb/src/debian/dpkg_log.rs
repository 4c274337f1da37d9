//! When packages last changed: `var/log/dpkg.log` and its rotated copies.
//!
//! dpkg writes one line per action, e.g.
//! `2026-09-22 04:51:26 upgrade libssl3:amd64 3.0.11-1 3.0.13-1`. An `install`,
//! `upgrade`, `remove` or `purge` line is a package change. Times are the host's
//! local time without a zone; they are read in the agent's local offset.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, TimeZone};
use selfcheck_hostfs::root::{BoundedReader, HostRoot};
use std::io::Read;

/// The largest dpkg log read: years of a busy host's log are a few MiB.
pub const MAX_LOG_BYTES: u64 = 64 * 1024 * 1024;

/// The newest package change in one log's text.
pub fn newest_change(text: &str) -> Option<NaiveDateTime> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(4, ' ');
            let (date, time, action) = (parts.next()?, parts.next()?, parts.next()?);
            if !matches!(action, "install" | "upgrade" | "remove" | "purge") {
                return None;
            }
            NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S").ok()
        })
        .max()
}

/// The logs below the root, newest first: `dpkg.log`, `dpkg.log.1`, `dpkg.log.2.gz`, ...,
/// as host paths.
fn log_files(root: &HostRoot) -> Vec<String> {
    let Ok(entries) = root.read_dir("var/log") else {
        return Vec::new();
    };
    let mut logs: Vec<(u32, String)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let rest = name.strip_prefix("dpkg.log")?;
            let n = match rest.trim_end_matches(".gz") {
                "" => 0,
                r => r.strip_prefix('.')?.parse().ok()?,
            };
            Some((n, format!("var/log/{name}")))
        })
        .collect();
    logs.sort();
    logs.into_iter().map(|(_, p)| p).collect()
}

/// One log's text (a host path; at most [`MAX_LOG_BYTES`], compressed or not).
fn read_log(root: &HostRoot, path: &str) -> std::io::Result<String> {
    let bytes = root.read_bytes(path, MAX_LOG_BYTES)?;
    if path.ends_with(".gz") {
        let mut text = String::new();
        let decoded = flate2::read::MultiGzDecoder::new(&bytes[..]);
        BoundedReader::new(
            decoded,
            MAX_LOG_BYTES,
            format!("{} (decompressed)", root.join(path).display()),
        )
        .read_to_string(&mut text)?;
        Ok(text)
    } else {
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The time of the newest package change recorded below the root, and the
/// logs that could not be read (named, for the report's warnings).
pub fn last_package_change(root: &HostRoot) -> (Option<DateTime<FixedOffset>>, Vec<String>) {
    let mut warnings = Vec::new();
    for path in log_files(root) {
        match read_log(root, &path) {
            Ok(text) => {
                if let Some(t) = newest_change(&text) {
                    let local = Local
                        .from_local_datetime(&t)
                        .earliest()
                        .map(|d| d.fixed_offset());
                    return (local, warnings);
                }
            }
            Err(e) => warnings.push(format!("cannot read /{path}: {e}")),
        }
    }
    (None, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn only_package_changes_count() {
        let log = "2026-09-22 04:51:26 install qemu-utils:amd64 <none> 1:10.0.2\n\
                   2026-09-22 04:51:30 configure osslsigncode:amd64 2.9-1 2.9-1\n\
                   2026-09-21 01:00:00 upgrade bash:amd64 5.2-1 5.2-2\n\
                   garbage line\n";
        assert_eq!(
            newest_change(log).unwrap().to_string(),
            "2026-09-22 04:51:26"
        );
        assert_eq!(
            newest_change("2026-09-22 04:51:30 startup archives unpack\n"),
            None
        );
    }

    #[test]
    fn rotated_and_compressed_logs_are_searched_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("var/log");
        std::fs::create_dir_all(&log).unwrap();
        std::fs::write(
            log.join("dpkg.log"),
            "2026-11-01 00:00:00 startup archives unpack\n",
        )
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"2026-10-03 10:00:00 upgrade a:amd64 1 2\n")
            .unwrap();
        std::fs::write(log.join("dpkg.log.2.gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(
            log.join("dpkg.log.1"),
            "2026-10-20 08:30:00 remove b:amd64 1 <none>\n",
        )
        .unwrap();
        let root = HostRoot::at(dir.path()).unwrap();
        let (t, warnings) = last_package_change(&root);
        assert!(warnings.is_empty());
        assert_eq!(t.unwrap().naive_local().to_string(), "2026-10-20 08:30:00");
    }
}
