//! The audit areas: each owns its checks, its audit code and its section of
//! the agent configuration (`cfg.rs`, validated there).

pub mod baseline;
pub mod fim;
pub mod patches;
pub mod ports;
