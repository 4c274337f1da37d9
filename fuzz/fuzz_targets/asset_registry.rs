//! The asset registry (资产台账) as `assets import` reads it: CSV or xlsx by the first byte.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((which, bytes)) = selfcheck_fuzz::select(data, 2) else {
        return;
    };
    let name = if which == 0 { "assets.csv" } else { "assets.xlsx" };
    let path = selfcheck_fuzz::put(name, bytes);
    let _ = selfcheck_ledger::assets::read_file(&path);
});
