//! A report file as `import` and `serve` read it: signature, schema, content rules, check ids.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = selfcheck_ledger::import::verify_report(data, selfcheck_fuzz::catalog());
});
