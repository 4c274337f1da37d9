//! An rpm database (`rpmdb.sqlite`) of an audited root: the SQLite page reader and the rpm
//! header blobs it holds, read as the patch audit reads them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfcheck_fuzz::put("var/lib/rpm/rpmdb.sqlite", data);
    let root = selfcheck_fuzz::host_root();
    let _ = selfcheck_pkgdb::rpm::scan(&root);
});
