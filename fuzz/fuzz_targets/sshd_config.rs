//! `sshd_config` of an audited root (with its `Include`s and `Match` blocks), read as the
//! baseline reads it; the first byte chooses the main file or an included one.
#![no_main]
use libfuzzer_sys::fuzz_target;

const MAIN: &str = "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n";

fuzz_target!(|data: &[u8]| {
    let Some((which, bytes)) = selfcheck_fuzz::select(data, 2) else {
        return;
    };
    if which == 0 {
        selfcheck_fuzz::put("etc/ssh/sshd_config", bytes);
        selfcheck_fuzz::remove("etc/ssh/sshd_config.d/50-local.conf");
    } else {
        selfcheck_fuzz::put("etc/ssh/sshd_config", MAIN.as_bytes());
        selfcheck_fuzz::put("etc/ssh/sshd_config.d/50-local.conf", bytes);
    }
    let root = selfcheck_fuzz::host_root();
    let _ = selfcheck_agent::areas::baseline::sshd::config::read_config(&root, "/etc/ssh/sshd_config");
});
