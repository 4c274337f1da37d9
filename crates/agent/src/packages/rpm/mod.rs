//! The RPM-family package backend (openEuler, Kylin server, UOS server,
//! Anolis, CentOS/RHEL/Rocky/AlmaLinux): the rpm database, the package
//! manager's cached repository metadata, and RPM version ordering.

pub mod version;

use super::backend::HostPackages;
use crate::root::HostRoot;

/// Read an RPM host's packages (see [`super::backend::scan`]).
pub fn scan(_root: &HostRoot) -> Result<HostPackages, String> {
    Err("the RPM backend is being assembled".into())
}
