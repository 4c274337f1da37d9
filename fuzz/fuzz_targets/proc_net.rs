//! `/proc/net/{tcp,tcp6,udp,udp6}` of an audited root, read as the ports area reads them.
#![no_main]
use libfuzzer_sys::fuzz_target;

const TABLES: [&str; 4] = ["proc/net/tcp", "proc/net/tcp6", "proc/net/udp", "proc/net/udp6"];

fuzz_target!(|data: &[u8]| {
    let Some((which, table)) = selfcheck_fuzz::select(data, 4) else {
        return;
    };
    for (i, rel) in TABLES.iter().enumerate() {
        if i == which as usize {
            selfcheck_fuzz::put(rel, table);
        } else {
            selfcheck_fuzz::remove(rel);
        }
    }
    let root = selfcheck_fuzz::host_root();
    let _ = selfcheck_agent::areas::ports::collect_listening_sockets(&root);
});
