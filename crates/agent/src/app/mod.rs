//! The agent's use cases, each assembled once: the full audit into a signed
//! report ([`run`]), the baseline alone ([`baseline`]). The agent CLI and the
//! `selfcheck` umbrella binary both call these.

pub mod baseline;
pub mod run;
