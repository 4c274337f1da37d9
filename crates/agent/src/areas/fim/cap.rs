//! Keeping a report under the collector's size limit when file integrity
//! fires on a huge number of paths.
//!
//! The report lists at most [`MAX_LISTED_PER_KIND`] changes of each kind
//! (added, removed, changed, type-changed), the first by path, and one
//! finding per listed path; the rest are counted. The full list is written
//! to the agent's state directory ([`FULL_LIST_FILE`] below `fim/`), and its
//! SHA-256 goes into the report, so the office can ask for the file and check
//! it is the one the signed report names. 300,000 changed files then give a
//! report of a few MiB instead of 121 MB, which the collector (32 MiB limit)
//! would refuse.

use super::diff::{Change, ChangeKind};
use crate::state::{StateDir, write_file_atomically};
use selfcheck_report::ChangeSummary;
use sha2::Digest;
use std::collections::BTreeMap;

/// The most changes of one kind the report lists (and gives findings of).
pub const MAX_LISTED_PER_KIND: usize = 2_000;

/// The full list of the last comparison, below the state directory's `fim/`.
pub const FULL_LIST_FILE: &str = "last-changes.tsv";

/// The name a change kind has in the report.
pub fn kind_label(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed { .. } => "changed",
        ChangeKind::TypeChanged { .. } => "type-changed",
    }
}

/// Which of `changes` (in path order) the report lists: the first
/// [`MAX_LISTED_PER_KIND`] of each kind. All of them when none is past it.
pub fn listed(changes: &[Change], max_per_kind: usize) -> Vec<bool> {
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    changes
        .iter()
        .map(|c| {
            let n = seen.entry(kind_label(&c.kind)).or_default();
            *n += 1;
            *n <= max_per_kind
        })
        .collect()
}

/// Write the full list of `changes` to the state directory and say how many
/// there were of each kind. `describe` gives a change's line text. A list
/// that cannot be written is named as such in `full_list_file`; its digest
/// is still that of the list.
pub fn summarise(
    state: &StateDir,
    changes: &[Change],
    explained: &[Option<String>],
    max_per_kind: usize,
    describe: impl Fn(&Change) -> String,
) -> ChangeSummary {
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut text = Vec::with_capacity(changes.len() * 64);
    for (c, why) in changes.iter().zip(explained) {
        let kind = kind_label(&c.kind);
        *by_kind.entry(kind.to_string()).or_default() += 1;
        text.extend_from_slice(kind.as_bytes());
        text.push(b'\t');
        match std::str::from_utf8(&c.path) {
            Ok(p) if !p.contains(['\t', '\n']) => text.extend_from_slice(p.as_bytes()),
            _ => {
                text.extend_from_slice(b"hex:");
                text.extend_from_slice(hex::encode(&c.path).as_bytes());
            }
        }
        text.push(b'\t');
        text.extend_from_slice(describe(c).replace(['\t', '\n'], " ").as_bytes());
        if let Some(why) = why {
            text.extend_from_slice(
                format!(" (explained: {why})")
                    .replace(['\t', '\n'], " ")
                    .as_bytes(),
            );
        }
        text.push(b'\n');
    }
    let sha = hex::encode(sha2::Sha256::digest(&text));
    let path = state.path().join("fim").join(FULL_LIST_FILE);
    let full_list_file = match write_file_atomically(&path, &text, 0o600) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("not kept: {e}"),
    };
    ChangeSummary {
        total: changes.len() as u64,
        by_kind,
        listed_per_kind: max_per_kind as u64,
        full_list_sha256: format!("sha256:{sha}"),
        full_list_file,
    }
}
