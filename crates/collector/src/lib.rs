//! selfcheck collector.
