//! The host's inventory for people: listening sockets (`ports`) and pending
//! updates (`packages`).

use super::table;
use selfcheck_catalog::Lang;
use selfcheck_report::{ListeningSocket, PackageInventory};

fn processes(s: &ListeningSocket) -> String {
    if s.processes.is_empty() {
        return "-".to_string();
    }
    s.processes
        .iter()
        .map(|p| format!("{} ({})", p.name, p.pid))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The listening sockets as a table.
pub fn sockets_table(sockets: &[ListeningSocket], lang: Lang) -> String {
    let mut t = table(vec![
        lang.pick("协议", "proto"),
        lang.pick("本地地址", "local address"),
        lang.pick("状态", "state"),
        "uid",
        lang.pick("进程", "process"),
    ]);
    for s in sockets {
        t.add_row(vec![
            s.protocol.as_str().to_string(),
            s.endpoint(),
            s.state.as_str().to_string(),
            s.uid.to_string(),
            processes(s),
        ]);
    }
    t.to_string()
}

/// The pending updates as a table, with a line on how many packages are installed.
pub fn upgradable_table(inv: &PackageInventory, lang: Lang) -> String {
    let mut t = table(vec![
        lang.pick("软件包", "package"),
        lang.pick("架构", "arch"),
        lang.pick("已安装版本", "installed"),
        lang.pick("候选版本", "candidate"),
        lang.pick("来源", "suites"),
        lang.pick("安全更新", "security"),
    ]);
    for u in &inv.upgradable {
        t.add_row(vec![
            u.name.clone(),
            u.arch.clone(),
            u.installed.clone(),
            u.candidate.clone(),
            u.suites.join(", "),
            if u.security {
                lang.pick("是", "yes")
            } else {
                ""
            }
            .to_string(),
        ]);
    }
    let security = inv.upgradable.iter().filter(|u| u.security).count();
    let dated = inv
        .indexes_updated_at
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".into());
    let mut out = format!(
        "{} {} · {} {} ({} {security}) · {} {dated}\n{t}\n",
        lang.pick("已安装软件包", "installed packages"),
        inv.installed.len(),
        lang.pick("可升级", "upgradable"),
        inv.upgradable.len(),
        lang.pick("其中安全更新", "security"),
        lang.pick("软件源索引日期", "package lists dated"),
    );
    for w in &inv.warnings {
        out.push_str(&format!("{}: {w}\n", lang.pick("警告", "warning")));
    }
    out
}
