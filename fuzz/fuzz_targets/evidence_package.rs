//! An evidence package as `verify` reads it: the zip, its members, manifest and signatures.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = selfcheck_collector::evidence::verify_package(data);
});
