//! Writing a package as a stream: each member is hashed (size, SHA-256, SM3)
//! while it is compressed into the zip, so no member is held whole for it;
//! and the file gets its final name only once it is complete and synced.

use super::manifest::{ManifestMember, MemberKind};
use super::{Digests, EvidenceError};
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A zip being written, member by member, in the package's fixed settings:
/// deflate, the package's creation time, mode 0644.
pub(super) struct ZipSink<W: Write + Seek> {
    zip: ZipWriter<W>,
    options: SimpleFileOptions,
}

fn zip_error(e: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::Zip(e.to_string())
}

impl<W: Write + Seek> ZipSink<W> {
    pub(super) fn new(out: W, created_at: DateTime<FixedOffset>) -> ZipSink<W> {
        ZipSink {
            zip: ZipWriter::new(out),
            options: SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .last_modified_time(zip_time(created_at))
                .unix_permissions(0o644),
        }
    }

    /// Start a member of `size` bytes, when known (4 GiB and more need zip64).
    fn start(&mut self, name: &str, size: Option<u64>) -> Result<(), EvidenceError> {
        let large = size.is_some_and(|s| s >= u64::from(u32::MAX));
        self.zip
            .start_file(name, self.options.large_file(large))
            .map_err(zip_error)
    }

    /// A member that the manifest does not list (the manifest, its signatures).
    pub(super) fn unlisted(&mut self, name: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
        self.start(name, Some(bytes.len() as u64))?;
        self.zip.write_all(bytes).map_err(zip_error)
    }

    /// A listed member from memory, with its listing.
    pub(super) fn bytes(
        &mut self,
        name: &str,
        kind: MemberKind,
        bytes: &[u8],
    ) -> Result<ManifestMember, EvidenceError> {
        self.start(name, Some(bytes.len() as u64))?;
        let mut digests = Digests::default();
        digests.update(bytes);
        self.zip.write_all(bytes).map_err(zip_error)?;
        Ok(listing(name, kind, digests))
    }

    /// A listed member copied from a file, a piece at a time, with its listing.
    pub(super) fn file(
        &mut self,
        name: &str,
        kind: MemberKind,
        path: &Path,
    ) -> Result<ManifestMember, EvidenceError> {
        let read_error = |source| EvidenceError::Io {
            action: "cannot read document",
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(read_error)?;
        let size = file.metadata().map_err(read_error)?.len();
        self.start(name, Some(size))?;
        let mut digests = Digests::default();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(e)),
            };
            digests.update(&buf[..n]);
            self.zip.write_all(&buf[..n]).map_err(zip_error)?;
        }
        Ok(listing(name, kind, digests))
    }

    /// Finish the zip (its central directory) and hand back the output.
    pub(super) fn finish(self) -> Result<W, EvidenceError> {
        self.zip.finish().map_err(zip_error)
    }
}

fn listing(name: &str, kind: MemberKind, digests: Digests) -> ManifestMember {
    let (size, sha256, sm3) = digests.finish();
    ManifestMember {
        name: name.to_string(),
        kind,
        size,
        sha256,
        sm3,
        report_id: None,
        asset_key: None,
        hostname: None,
        agent_key_fingerprint: None,
    }
}

/// Write a new file at `path` through a temporary file in the same directory
/// (`.NAME.tmp-PID`, mode 0644): `write` fills it, then it is synced and
/// renamed over `path`. When anything fails the temporary file is removed, so
/// a half-written package never carries the final name.
pub fn write_new_file<T>(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<T, EvidenceError>,
) -> Result<T, EvidenceError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .map_err(|source| EvidenceError::Io {
            action: "cannot create the temporary file",
            path: tmp.clone(),
            source,
        })?;
    let written = write(&mut file).and_then(|value| {
        file.sync_all().map_err(|source| EvidenceError::Io {
            action: "cannot write",
            path: tmp.clone(),
            source,
        })?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|source| EvidenceError::Io {
            action: "cannot move the finished file into place at",
            path: path.to_path_buf(),
            source,
        })?;
        Ok(value)
    });
    match written {
        Ok(value) => {
            // The rename itself is durable once the directory is synced.
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = File::open(dir).and_then(|d| d.sync_all());
            }
            Ok(value)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// A zip timestamp (local time of `at`; zip has no time zones), clamped to
/// the range zip can hold.
fn zip_time(at: DateTime<FixedOffset>) -> zip::DateTime {
    let year = u16::try_from(at.year()).unwrap_or(1980).clamp(1980, 2107);
    // Month, day, hour, minute and second always fit a u8.
    zip::DateTime::from_date_and_time(
        year,
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second().min(58) as u8,
    )
    .unwrap_or_default()
}
