//! The Debian-family package backend (Debian, Ubuntu, Kylin desktop, UOS
//! desktop): dpkg's status file, apt's lists, release files and pins, and the
//! candidate version apt would install.

pub mod apt;
pub mod control;
pub mod dpkg_log;
pub mod lists;
pub mod policy;
pub mod preferences;
pub mod release;
pub mod sources;
pub mod status;
pub mod version;
