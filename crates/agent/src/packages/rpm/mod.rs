//! The RPM-family package backend (openEuler, Kylin server, UOS server,
//! Anolis, CentOS/RHEL/Rocky/AlmaLinux): the rpm database, the package
//! manager's cached repository metadata, and RPM version ordering.

pub mod version;
