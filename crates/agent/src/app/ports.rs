//! The listening sockets alone (`selfcheck-agent ports`), as `ss -tulpn` would list them.

use super::run::open_root;
use anyhow::{Context, Result};
use selfcheck_report::ListeningSocket;
use std::path::Path;

/// The listening TCP and bound UDP sockets of the host at `root` (the live
/// host for `None`), with the processes that hold them.
pub fn listening_sockets(root: Option<&Path>) -> Result<Vec<ListeningSocket>> {
    let root = open_root(root)?;
    crate::areas::ports::collect_listening_sockets(&root).with_context(|| {
        format!(
            "cannot list listening sockets under {}",
            root.dir().display()
        )
    })
}
