//! selfcheck host access: every read of the audited host goes through this crate.
//!
//! A [`HostRoot`] is the file tree of a Linux host: `/` on the live machine, or
//! a mounted image or test fixture below a directory, read alike. On top of it
//! sit the host's identity files ([`identity`]), the wildcard patterns the
//! host's programs use in their configuration ([`wildcard`]), and a read-only
//! SQLite page reader ([`sqlite`]) for databases the host keeps (rpm, wtmpdb).
//!
//! A second kind of host will stand beside [`HostRoot`] later: a Windows host,
//! live or as a mounted volume, whose configuration lives in registry hives as
//! well as files. It gets its own type here rather than a mode of this one.

pub mod identity;
pub mod root;
pub mod sqlite;
pub mod wildcard;

pub use root::HostRoot;
