//! Package audits: what is installed, what the package manager would upgrade,
//! and which installed packages a vulnerability feed says are affected.
//! One backend per package family ([`debian`]; RPM later), one shared set of
//! findings.

pub mod audit;
pub mod debian;
pub mod osv;
pub mod rpm;
