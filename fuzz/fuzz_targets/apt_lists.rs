//! apt's view of a root: the fuzzed bytes become one of the Packages list, its InRelease,
//! sources.list or preferences (chosen by the first byte); the rest is a fixed small host.
#![no_main]
use libfuzzer_sys::fuzz_target;

const STATUS: &str = "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2\n\nPackage: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\n";
const SOURCES: &str = "deb http://deb.example/debian bookworm main\n";
const LIST: &str = "var/lib/apt/lists/deb.example_debian_dists_bookworm_main_binary-amd64_Packages";
const RELEASE: &str = "var/lib/apt/lists/deb.example_debian_dists_bookworm_InRelease";
const PACKAGES: &str = "Package: openssl\nVersion: 3.0.13-1~deb12u1\nArchitecture: amd64\n\nPackage: bash\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n";
const INRELEASE: &str = "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nDate: Sat, 10 Feb 2024 09:00:00 UTC\n";

fuzz_target!(|data: &[u8]| {
    let Some((which, bytes)) = selfcheck_fuzz::select(data, 4) else {
        return;
    };
    let pick = |n: u8, fixed: &str| if which == n { bytes.to_vec() } else { fixed.as_bytes().to_vec() };
    selfcheck_fuzz::put("var/lib/dpkg/status", STATUS.as_bytes());
    selfcheck_fuzz::put(LIST, &pick(0, PACKAGES));
    selfcheck_fuzz::put(RELEASE, &pick(1, INRELEASE));
    selfcheck_fuzz::put("etc/apt/sources.list", &pick(2, SOURCES));
    selfcheck_fuzz::put("etc/apt/preferences", &pick(3, ""));
    let root = selfcheck_fuzz::host_root();
    if let Ok(status) = selfcheck_pkgdb::backend::read_dpkg_status(&root) {
        let _ = selfcheck_pkgdb::debian::apt::upgradable(&root, &status);
    }
});
