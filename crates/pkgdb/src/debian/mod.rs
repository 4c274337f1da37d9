//! The Debian-family package backend (Debian, Ubuntu, Kylin desktop, UOS
//! desktop): dpkg's status file, apt's lists, release files and pins, and the
//! candidate version apt would install.

pub mod apt;
pub(crate) mod control;
pub(crate) mod dpkg_log;
mod lists;
mod pin_release;
mod policy;
mod preferences;
mod release;
mod sources;
pub mod status;
pub mod version;
