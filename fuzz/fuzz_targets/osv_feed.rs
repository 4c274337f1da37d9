//! An offline OSV feed: the bytes as one JSON record of a directory feed and as a zip feed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use selfcheck_report::{InstalledPackage, PackageFamily, PackageState};

fuzz_target!(|data: &[u8]| {
    let installed = [InstalledPackage {
        name: "openssl".into(),
        version: "3.0.11-1~deb12u1".into(),
        arch: "amd64".into(),
        source_name: "openssl".into(),
        source_version: "3.0.11-1~deb12u1".into(),
        state: PackageState::Installed,
        reinstall_required: false,
    }];
    let order = selfcheck_pkgdb::backend::version_order(PackageFamily::Deb);
    let dir = selfcheck_fuzz::put("osv/dir/DSA-0000-1.json", data);
    let _ = selfcheck_pkgdb::osv::load_and_match(dir.parent().unwrap(), "Debian:12", &installed, order);
    let zip = selfcheck_fuzz::put("osv/all.zip", data);
    let _ = selfcheck_pkgdb::osv::load_and_match(&zip, "Debian:12", &installed, order);
});
