//! The demo unit and its year: who the 30 hosts are, what changes on them
//! month by month, and what people do about it. Everything here is a
//! function of the seed, so two demos with one seed tell the same year.

use super::host::{Host, Listener, Month, Os};
use chrono::NaiveDate;
use selfcheck_report::Period;
use std::net::Ipv4Addr;

/// Months in the demo year.
pub const MONTHS: u32 = 12;

/// The first month of the demo year (December 2025; the year ends with November 2026).
pub fn first_month() -> Period {
    "2025-12".parse().expect("a valid month")
}

/// The `i`-th month of the year (0-based).
pub fn month(i: u32) -> Period {
    (0..i).fold(first_month(), |p, _| p.next())
}

/// A deterministic stream of numbers from a seed (SplitMix64).
pub struct Rng(u64);

impl Rng {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The unit's 30 hosts: 12 servers (Debian 12 and openEuler) and 18 office
/// desktops (Kylin and UOS).
pub fn unit(seed: u64) -> Vec<Host> {
    let mut rng = Rng::new(seed);
    let mut id = || format!("{:016x}{:016x}", rng.next(), rng.next());
    let servers: [(&str, &str, Os, &str); 12] = [
        ("web-01", "门户网站服务器", Os::Debian12, "信息中心"),
        ("web-02", "政务服务网站服务器", Os::Debian12, "信息中心"),
        ("web-03", "内网门户服务器", Os::Debian12, "信息中心"),
        ("db-01", "业务数据库服务器", Os::Debian12, "信息中心"),
        ("db-02", "备份数据库服务器", Os::Debian12, "信息中心"),
        ("app-01", "OA 应用服务器", Os::Debian12, "办公室"),
        ("app-02", "档案管理应用服务器", Os::Debian12, "综合科"),
        ("app-03", "财务应用服务器", Os::Debian12, "财务科"),
        ("oa-01", "OA 数据库服务器", Os::OpenEuler, "办公室"),
        ("mail-01", "邮件服务器", Os::OpenEuler, "信息中心"),
        ("file-01", "文件服务器", Os::Debian12, "综合科"),
        ("dns-01", "内网 DNS 服务器", Os::Debian12, "信息中心"),
    ];
    let mut hosts = Vec::new();
    for (i, (name, asset, os, unit)) in servers.into_iter().enumerate() {
        hosts.push(Host {
            hostname: name.to_string(),
            asset_name: asset.to_string(),
            asset_type: "服务器",
            os,
            ip: Ipv4Addr::new(10, 10, 1, 10 + i as u8),
            machine_id: id(),
            unit,
            owner: "张工",
            ssh_root_login: name == "db-02",
        });
    }
    let offices = ["办公室", "财务科", "综合科"];
    for i in 1..=18u8 {
        hosts.push(Host {
            hostname: format!("pc-{i:02}"),
            asset_name: format!("{}终端{i:02}", offices[usize::from(i) % 3]),
            asset_type: "终端",
            os: if i % 2 == 0 {
                Os::UosDesktop
            } else {
                Os::KylinDesktop
            },
            ip: Ipv4Addr::new(10, 10, 2, 20 + i),
            machine_id: id(),
            unit: offices[usize::from(i) % 3],
            owner: "李工",
            ssh_root_login: false,
        });
    }
    hosts
}

/// Whether `host` reports in month `m`: pc-18 stops after July (month 7).
pub fn reports(host: &Host, m: u32) -> bool {
    !(host.hostname == "pc-18" && m > 7)
}

/// The desktops that fall behind on patches from February to May.
fn patches_late(host: &Host, m: u32) -> bool {
    let late = ["pc-01", "pc-02", "pc-03", "pc-04", "pc-05", "pc-06"];
    late.contains(&host.hostname.as_str()) && (2..=5).contains(&m)
}

/// What `host` looks like in month `m`, audited on `day`.
pub fn state(host: &Host, m: u32, day: NaiveDate) -> Month {
    let mut listeners = Vec::new();
    let tcp = |port, all, process| Listener {
        udp: false,
        port,
        all_addresses: all,
        process,
    };
    if host.asset_type == "服务器" {
        listeners.push(tcp(22, false, ("sshd", 700)));
    }
    if host.hostname.starts_with("web-") {
        listeners.push(tcp(80, true, ("nginx", 800)));
        listeners.push(tcp(443, true, ("nginx", 800)));
    }
    // The business database's Redis answers on every address all year.
    if host.hostname == "db-01" {
        listeners.push(tcp(6379, true, ("redis-server", 900)));
    }
    // Telnet on web-02: closed in April, opened again in July, closed for good in August.
    if host.hostname == "web-02" && (m <= 3 || m == 7) {
        listeners.push(tcp(23, true, ("inetd", 812)));
    }
    // Remote control on a desktop for most of the year.
    if host.hostname == "pc-07" && (2..=9).contains(&m) {
        listeners.push(tcp(5900, true, ("x11vnc", 1500)));
    }
    if host.hostname == "dns-01" {
        listeners.push(Listener {
            udp: true,
            port: 53,
            all_addresses: false,
            process: ("named", 1100),
        });
    }
    let available = m + 2;
    let installed = if patches_late(host, m) {
        available - 2
    } else {
        available
    };
    Month {
        listeners,
        openssl_installed: installed,
        openssl_available: available,
        lists_date: day.pred_opt().unwrap_or(day),
        // A setuid shell wrapper appears on app-02 in May and is removed in July.
        setuid_helper: host.hostname == "app-02" && (5..=6).contains(&m),
    }
}
