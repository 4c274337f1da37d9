//! `selfcheck-agent fim verify-packages`: every package-owned file checked
//! against its package digest ([`crate::app::fim::verify`]), printed the way
//! `dpkg --verify` prints ([`crate::present::fim::render`]).

use super::args::{CommonArgs, VerifyArgs};
use crate::present::fim::render;
use anyhow::Result;
use std::io::Write;
use std::process::ExitCode;

/// Run `fim verify-packages`. Exit status 1 when a problem is shown, else 0.
pub fn run(common: &CommonArgs, args: VerifyArgs) -> Result<ExitCode> {
    let verified = crate::app::fim::verify(common.root.as_deref(), args.hashing.threads)?;
    for w in verified.files.warnings() {
        eprintln!("warning: {w}");
    }
    let mut out = std::io::stdout().lock();
    let shown = render(
        &verified.result,
        &verified.files,
        args.include_config,
        common.format,
        &mut out,
    )?;
    out.flush()?;
    Ok(if shown > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
