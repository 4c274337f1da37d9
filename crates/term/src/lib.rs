//! What every selfcheck binary does with its terminal, in one place:
//!
//! - [`pipe`]: a closed pipe (`| head`) or Ctrl-C ends a command quietly, never with a panic;
//! - [`color`]: colour only on a terminal, honouring `NO_COLOR` and `--color`;
//! - [`width`]: how wide tables may be;
//! - [`escape`]: report-supplied text shown with its control characters escaped.

pub mod color;
pub mod escape;
pub mod pipe;
pub mod width;

pub use escape::{escape, escape_lines};
