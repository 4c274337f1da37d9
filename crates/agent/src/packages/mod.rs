//! Package audits: what is installed, what the package manager would upgrade,
//! and which installed packages a vulnerability feed says are affected.
//! One backend per package family ([`debian`], [`rpm`]), chosen by [`os`],
//! one shared set of findings ([`audit`]).

pub mod audit;
pub mod backend;
pub mod debian;
pub mod files;
pub mod os;
pub mod osv;
pub mod reboot;
pub mod rpm;
