//! dpkg's `status` database (Debian control paragraphs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = selfcheck_pkgdb::debian::status::parse_status(&text, "var/lib/dpkg/status");
});
