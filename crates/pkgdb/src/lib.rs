//! selfcheck package databases: what is installed on a host, what its package
//! manager would upgrade, which files its packages own, and which installed
//! packages an offline vulnerability feed says are affected.
//!
//! One backend per package family ([`debian`]: dpkg and apt; [`rpm`]: the rpm
//! database and dnf's repository cache), chosen by [`os`] and driven through
//! [`backend`]. Everything is read through a [`selfcheck_hostfs::HostRoot`],
//! read-only and without running the package manager. Judging what is found
//! (findings, check outcomes) is the agent's patch audit, not this crate.

pub mod backend;
pub mod debian;
pub mod files;
pub mod host_packages;
pub mod inventory;
pub mod os;
pub mod osv;
mod reboot;
pub mod rpm;
