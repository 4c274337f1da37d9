//! The patches area: the host's package database judged against the
//! `patches.*` checks of the catalog.

pub mod audit;
pub mod cfg;
