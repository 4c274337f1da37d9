//! The generated fleet of the `ledger_scale` benchmark: hosts with their own
//! agent keys, and the signed report each sends for a month.
//!
//! Everything is a pure function of the host's number and the month, so the
//! second month can repeat most of the first month's findings, fix some and
//! add others without keeping the first month in memory. Per host: about 25
//! check runs from the embedded catalog (every `patches.*` and `fim.*` check,
//! twelve `ports.*` checks), 5–35 findings (security updates one per package,
//! pending updates, known vulnerabilities, listening ports, file changes),
//! and an inventory of 80–300 installed packages, so a file is 15–60 KB.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use selfcheck_catalog::Catalog;
use selfcheck_collector::assets::Asset;
use selfcheck_report::{
    AgentInfo, AgentKey, CheckId, CheckOutcome, CheckRun, Finding, Fingerprint, HostIdentity,
    InstalledPackage, Inventory, ListeningSocket, OsRelease, PackageFamily, PackageInventory,
    PackageState, PendingUpdate, Period, Report, ReportId, SCHEMA_VERSION, Severity, SocketProcess,
    SocketState, TransportProtocol,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// Which of the two months a report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Month {
    /// The first month (2026-11): every host reports.
    First,
    /// The second month (2026-12): most findings repeat, some are fixed,
    /// some new, some checks could not run, about 1% of hosts send nothing.
    Second,
}

impl Month {
    /// The inspection month.
    pub fn period(self) -> Period {
        match self {
            Month::First => Period::new(2026, 11),
            Month::Second => Period::new(2026, 12),
        }
        .expect("valid month")
    }
}

/// Ports checks with the socket each one flags.
const PORTS: [(&str, TransportProtocol, u16, &str); 18] = [
    ("ports.telnet", TransportProtocol::Tcp, 23, "inetd"),
    ("ports.ftp", TransportProtocol::Tcp, 21, "vsftpd"),
    ("ports.tftp", TransportProtocol::Udp, 69, "in.tftpd"),
    ("ports.r-services", TransportProtocol::Tcp, 513, "rlogind"),
    ("ports.smb", TransportProtocol::Tcp, 445, "smbd"),
    ("ports.rdp", TransportProtocol::Tcp, 3389, "xrdp"),
    ("ports.vnc", TransportProtocol::Tcp, 5900, "Xvnc"),
    ("ports.rpcbind-nfs", TransportProtocol::Tcp, 111, "rpcbind"),
    ("ports.snmp", TransportProtocol::Udp, 161, "snmpd"),
    ("ports.x11", TransportProtocol::Tcp, 6000, "Xorg"),
    ("ports.mysql", TransportProtocol::Tcp, 3306, "mysqld"),
    ("ports.postgresql", TransportProtocol::Tcp, 5432, "postgres"),
    ("ports.mssql", TransportProtocol::Tcp, 1433, "sqlservr"),
    ("ports.oracle", TransportProtocol::Tcp, 1521, "tnslsnr"),
    ("ports.redis", TransportProtocol::Tcp, 6379, "redis-server"),
    (
        "ports.memcached",
        TransportProtocol::Tcp,
        11211,
        "memcached",
    ),
    ("ports.mongodb", TransportProtocol::Tcp, 27017, "mongod"),
    ("ports.elasticsearch", TransportProtocol::Tcp, 9200, "java"),
];

/// Package names installed hosts share; more are made up from them.
const PACKAGES: [&str; 48] = [
    "openssl",
    "libssl3",
    "openssh-server",
    "openssh-client",
    "curl",
    "libcurl4",
    "bash",
    "coreutils",
    "sudo",
    "systemd",
    "libsystemd0",
    "udev",
    "glibc",
    "libc6",
    "libc-bin",
    "linux-image-amd64",
    "tzdata",
    "ca-certificates",
    "gnupg",
    "gpgv",
    "apt",
    "dpkg",
    "perl-base",
    "python3.11",
    "libpython3.11",
    "libxml2",
    "libexpat1",
    "zlib1g",
    "liblzma5",
    "libzstd1",
    "libgnutls30",
    "libkrb5-3",
    "libgssapi-krb5-2",
    "libsqlite3-0",
    "libpam-modules",
    "login",
    "passwd",
    "nginx",
    "libnginx-mod-http-geoip",
    "postgresql-15",
    "redis-server",
    "rsyslog",
    "logrotate",
    "cron",
    "vim-tiny",
    "less",
    "git",
    "wget",
];

/// Deterministic pseudo-random numbers (SplitMix64), so no RNG crate is needed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66_D1CE_5EED)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// When a thing happens in a month: present in the first, the second, or both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Life {
    Both,
    FixedInSecond,
    NewInSecond,
}

impl Life {
    fn pick(rng: &mut Rng, fixed_percent: u64, new_percent: u64) -> Life {
        let r = rng.below(100);
        if r < fixed_percent {
            Life::FixedInSecond
        } else if r < fixed_percent + new_percent {
            Life::NewInSecond
        } else {
            Life::Both
        }
    }

    fn present(self, month: Month) -> bool {
        !matches!(
            (self, month),
            (Life::FixedInSecond, Month::Second) | (Life::NewInSecond, Month::First)
        )
    }
}

/// One host of the fleet.
pub struct Host {
    /// Its number, from 0.
    pub index: usize,
    /// Its agent's own key.
    pub key: AgentKey,
    /// Host name.
    pub hostname: String,
    /// `/etc/machine-id`.
    pub machine_id: String,
    /// Its one address.
    pub ip: Ipv4Addr,
}

impl Host {
    /// Host number `index`, with a key derived from it.
    pub fn new(index: usize) -> Host {
        let i = index as u64;
        let secret = digest(&[b"selfcheck-bench-agent-key", &i.to_be_bytes()]);
        let id = digest(&[b"selfcheck-bench-machine-id", &i.to_be_bytes()]);
        Host {
            index,
            key: AgentKey::from_secret_bytes(secret),
            hostname: format!("srv-{index:05}"),
            machine_id: hex::encode(&id[..16]),
            ip: Ipv4Addr::new(
                10,
                (index / 62_500) as u8,
                (index / 250 % 250) as u8,
                (index % 250 + 1) as u8,
            ),
        }
    }

    /// Whether the host sends a report in `month` (about 1% miss the second).
    pub fn reports_in(&self, month: Month) -> bool {
        month == Month::First || self.index % 100 != 57
    }

    /// The registry row of this host.
    pub fn asset(&self) -> Asset {
        let i = self.index;
        Asset {
            row_no: (i + 2) as u32,
            asset_name: format!("业务服务器-{i:05}"),
            hostname: Some(self.hostname.clone()),
            machine_id: Some(self.machine_id.clone()),
            ip: Some(self.ip.to_string()),
            unit: Some(format!("第{}业务处", i % 24 + 1)),
            asset_type: Some("服务器".into()),
            os: Some(os_of(i).1.into()),
            protection_level: Some(
                if i.is_multiple_of(3) {
                    "三级"
                } else {
                    "二级"
                }
                .into(),
            ),
            responsible_unit: Some(format!("信息中心第{}组", i % 12 + 1)),
            responsible_person: Some(format!("运维{}", i % 150 + 1)),
            contact: Some(format!("010-6{:07}", i)),
        }
    }

    /// The signed report file's bytes for `month`.
    pub fn report_bytes(&self, month: Month, catalog: &Catalog) -> Vec<u8> {
        self.key
            .sign(self.report(month, catalog))
            .expect("sign a generated report")
            .to_file_bytes()
            .expect("serialise a generated report")
    }

    /// Report number `n` of this host in `month` (its own report id), grown
    /// to at least `size` bytes with more installed packages, as a host with
    /// a full package list sends (about 1,500 packages make 200 KB).
    #[allow(dead_code)] // used by the serve_load bench only
    pub fn sized_report_bytes(
        &self,
        month: Month,
        catalog: &Catalog,
        n: u32,
        size: usize,
    ) -> Vec<u8> {
        let mut report = self.report(month, catalog);
        report.report_id = ReportId::from_random_bytes(
            digest(&[
                b"selfcheck-bench-sized-report",
                &(self.index as u64).to_be_bytes(),
                &n.to_be_bytes(),
            ])[..16]
                .try_into()
                .expect("16 bytes"),
        );
        let sign = |report: &Report| {
            self.key
                .sign(report.clone())
                .expect("sign a generated report")
                .to_file_bytes()
                .expect("serialise a generated report")
        };
        let mut bytes = sign(&report);
        if let Some(packages) = report.inventory.packages.as_mut() {
            let per_package = 140;
            let more = size.saturating_sub(bytes.len()) / per_package + 1;
            let start = packages.installed.len();
            for k in start..start + more {
                let base = PACKAGES[k % PACKAGES.len()];
                let version = format!("{}.{}.{}-{}", 1 + k % 5, k % 17, k % 11, 1 + k % 4);
                packages.installed.push(InstalledPackage {
                    source_name: base.to_string(),
                    source_version: version.clone(),
                    name: format!("{base}-extra{k}"),
                    version,
                    arch: "amd64".into(),
                    state: PackageState::Installed,
                    reinstall_required: false,
                });
            }
            packages.installed.sort_by(|a, b| a.name.cmp(&b.name));
            bytes = sign(&report);
        }
        bytes
    }

    fn report(&self, month: Month, catalog: &Catalog) -> Report {
        let i = self.index as u64;
        let period = month.period();
        let host = HostIdentity {
            hostname: self.hostname.clone(),
            machine_id: Some(self.machine_id.clone()),
            os: OsRelease {
                id: Some(os_of(self.index).0.into()),
                pretty_name: Some(os_of(self.index).1.into()),
                ..Default::default()
            },
            kernel: Some("6.1.0-18-amd64".into()),
            arch: Some("x86_64".into()),
            ip_addresses: vec![IpAddr::V4(self.ip)],
        };
        let asset_key = host.asset_key();
        let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
        let started: DateTime<FixedOffset> = cst
            .with_ymd_and_hms(
                period.year(),
                period.month(),
                (i % 25 + 1) as u32,
                (8 + i % 10) as u32,
                (i % 60) as u32,
                (i * 7 % 60) as u32,
            )
            .single()
            .expect("valid time");
        let finished = started + Duration::seconds(20 + (i % 40) as i64);

        // The host's packages and what happens to them over the two months.
        let mut rng = Rng::new(i);
        let installed = installed_packages(&mut rng, self.index);
        let mut builder = ReportBuilder::new(&asset_key, started, catalog);
        let security_count = 3 + rng.below(20) as usize;
        let ordinary_count = 5 + rng.below(30) as usize;
        let patches_blind = month == Month::Second && i % 33 == 5;
        let fim_blind = i % 10 == 3;
        let mut upgradable = Vec::new();
        for (k, p) in installed
            .iter()
            .enumerate()
            .take(security_count + ordinary_count)
        {
            let life = Life::pick(&mut rng, 20, 8);
            let security = k < security_count;
            let risk = [
                Severity::Critical,
                Severity::High,
                Severity::High,
                Severity::Medium,
            ][rng.below(4) as usize];
            if !life.present(month) {
                continue;
            }
            let update = PendingUpdate {
                name: p.name.clone(),
                arch: p.arch.clone(),
                installed: p.version.clone(),
                candidate: format!("{}+deb12u{}", p.version, 1 + k % 3),
                suites: vec![
                    if security {
                        "bookworm-security"
                    } else {
                        "bookworm-updates"
                    }
                    .into(),
                ],
                security,
                advisories: Vec::new(),
            };
            if security && !patches_blind {
                builder.finding(
                    "patches.security-updates",
                    format!("{}:{}", p.name, p.arch),
                    Some(risk),
                    vec![
                        update_line(&update),
                        format!(
                            "fixes DSA-{}-1 ({risk})",
                            5000 + (i as usize * 31 + k) % 900
                        ),
                    ],
                );
            }
            upgradable.push(update);
        }
        let ordinary: Vec<String> = upgradable
            .iter()
            .filter(|u| !u.security)
            .map(update_line)
            .collect();
        if !ordinary.is_empty() && !patches_blind {
            let mut evidence = vec![format!("{} package(s) can be upgraded", ordinary.len())];
            evidence.extend(ordinary);
            builder.finding(
                "patches.pending-updates",
                "upgradable".into(),
                None,
                evidence,
            );
        }
        for k in 0..rng.below(6) {
            let p = &installed[(k * 7 + 3) as usize % installed.len()];
            let life = Life::pick(&mut rng, 15, 10);
            let cve = format!("CVE-2026-{:05}", (i * 13 + k * 101) % 40_000);
            if life.present(month) && !patches_blind {
                builder.finding(
                    "patches.known-vulnerability",
                    format!("{}:{} {cve}", p.name, p.arch),
                    Some(Severity::High),
                    vec![
                        format!("{}:{} from source {} {}", p.name, p.arch, p.source_name, p.version),
                        format!("fixed in {}+deb12u9", p.version),
                        format!("aliases: DEBIAN-{cve}"),
                        "severity: CVSS 3.1 base score 8.1 (AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H)".into(),
                        "A heap-based buffer overflow in the message parser allows a remote attacker to execute code with crafted input.".into(),
                    ],
                );
            }
        }
        if rng.chance(30) && Life::pick(&mut rng, 40, 0).present(month) {
            builder.finding(
                "patches.reboot-required",
                "reboot".into(),
                None,
                vec![
                    "/var/run/reboot-required exists; packages: linux-image-6.1.0-21-amd64".into(),
                ],
            );
        }

        // Listening ports: twelve ports checks run, up to three of them find something.
        let first_port = self.index % PORTS.len();
        let ports_run: Vec<usize> = (0..12).map(|k| (first_port + k) % PORTS.len()).collect();
        let mut sockets = vec![socket(TransportProtocol::Tcp, 22, "sshd", 0)];
        for &p in ports_run.iter().take(rng.below(4) as usize) {
            let (check, proto, port, process) = PORTS[p];
            if Life::pick(&mut rng, 10, 5).present(month) {
                builder.finding(
                    check,
                    format!("{}/{port}", proto.as_str()),
                    None,
                    vec![format!(
                        "0.0.0.0:{port} LISTEN pid {} ({process}) uid 0",
                        800 + p
                    )],
                );
                sockets.push(socket(proto, port, process, 800 + p as u32));
            }
        }

        // File integrity: unexplained changes on a few hosts, no baseline on some.
        if !fim_blind && rng.chance(20) {
            for path in [
                "/etc/ssh/sshd_config",
                "/etc/sudoers",
                "/usr/local/bin/backup.sh",
            ]
            .iter()
            .take(1 + rng.below(3) as usize)
            {
                if Life::pick(&mut rng, 50, 0).present(month) {
                    builder.finding(
                        "fim.unexplained-change",
                        (*path).into(),
                        None,
                        vec![format!(
                            "{path}: changed (digest, mtime); no package explains it"
                        )],
                    );
                }
            }
        }

        let mut checks: Vec<(&str, Option<&str>)> = Vec::new();
        for def in catalog.iter() {
            let id = def.id.as_str();
            let runs = match def.area.as_str() {
                "patches" | "fim" => true,
                "ports" => ports_run.iter().any(|&p| PORTS[p].0 == id),
                _ => false,
            };
            if !runs {
                continue;
            }
            let blind = (fim_blind && def.area == "fim")
                .then_some(
                    "no accepted baseline; run `selfcheck-agent fim init` and accept it first",
                )
                .or((patches_blind && def.area == "patches").then_some(
                    "cannot read /var/lib/apt/lists: permission denied; run the agent as root",
                ));
            checks.push((id, blind));
        }
        let (checks, findings) = builder.finish(&checks);

        Report {
            schema_version: SCHEMA_VERSION,
            report_id: ReportId::from_random_bytes(
                digest(&[
                    b"selfcheck-bench-report",
                    period.to_string().as_bytes(),
                    &i.to_be_bytes(),
                ])[..16]
                    .try_into()
                    .expect("16 bytes"),
            ),
            agent: AgentInfo {
                name: "selfcheck-agent".into(),
                version: "0.1.0".into(),
            },
            host,
            audit_root: "/".into(),
            period,
            started_at: started,
            finished_at: finished,
            checks,
            findings,
            suppressed: Vec::new(),
            inventory: Inventory {
                listening_sockets: Some(sockets),
                packages: (!patches_blind).then(|| PackageInventory {
                    family: PackageFamily::Deb,
                    installed,
                    upgradable,
                    indexes_updated_at: Some(started - Duration::hours(30)),
                    warnings: Vec::new(),
                }),
                vulnerability_feed: None,
                file_integrity: None,
            },
            baseline_level: None,
            audit_limits: Vec::new(),
        }
    }
}

fn os_of(index: usize) -> (&'static str, &'static str) {
    match index % 10 {
        0..=5 => ("debian", "Debian GNU/Linux 12 (bookworm)"),
        6 | 7 => ("ubuntu", "Ubuntu 22.04.4 LTS"),
        8 => ("kylin", "Kylin Linux Advanced Server V10 (Lance)"),
        _ => ("openEuler", "openEuler 22.03 (LTS-SP3)"),
    }
}

fn installed_packages(rng: &mut Rng, index: usize) -> Vec<InstalledPackage> {
    let count = 60 + rng.below(200) as usize;
    let mut out: Vec<InstalledPackage> = (0..count)
        .map(|k| {
            let base = PACKAGES[(k + index) % PACKAGES.len()];
            let name = if k < PACKAGES.len() {
                base.to_string()
            } else {
                format!("{base}-plugin{}", k / PACKAGES.len())
            };
            let version = format!(
                "{}.{}.{}-{}",
                1 + k % 5,
                k % 17,
                (k * 3 + index) % 11,
                1 + k % 4
            );
            InstalledPackage {
                source_name: base.to_string(),
                source_version: version.clone(),
                name,
                version,
                arch: "amd64".into(),
                state: PackageState::Installed,
                reinstall_required: false,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn update_line(u: &PendingUpdate) -> String {
    format!(
        "{}:{} {} -> {} ({})",
        u.name,
        u.arch,
        u.installed,
        u.candidate,
        u.suites.join(", ")
    )
}

fn socket(protocol: TransportProtocol, port: u16, process: &str, pid: u32) -> ListeningSocket {
    ListeningSocket {
        protocol,
        address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        port,
        state: match protocol {
            TransportProtocol::Tcp => SocketState::Listen,
            TransportProtocol::Udp => SocketState::Unconn,
        },
        uid: 0,
        inode: 20_000 + u64::from(port),
        processes: vec![SocketProcess {
            pid: pid.max(1),
            name: process.into(),
            fd: 3,
        }],
    }
}

/// Findings grouped by check, then the check runs that account for them.
struct ReportBuilder<'a> {
    asset_key: &'a str,
    detected_at: DateTime<FixedOffset>,
    catalog: &'a Catalog,
    findings: BTreeMap<String, Vec<Finding>>,
}

impl<'a> ReportBuilder<'a> {
    fn new(asset_key: &'a str, detected_at: DateTime<FixedOffset>, catalog: &'a Catalog) -> Self {
        ReportBuilder {
            asset_key,
            detected_at,
            catalog,
            findings: BTreeMap::new(),
        }
    }

    /// A finding of `check` (the catalog's risk unless `risk` is given).
    fn finding(
        &mut self,
        check: &str,
        subject: String,
        risk: Option<Severity>,
        evidence: Vec<String>,
    ) {
        let def = self.catalog.get_str(check).expect("a catalog check");
        let check_id: CheckId = def.id.clone();
        self.findings
            .entry(check.to_string())
            .or_default()
            .push(Finding {
                fingerprint: Fingerprint::compute(self.asset_key, &check_id, &subject),
                check_id,
                risk: risk.unwrap_or(def.risk),
                subject,
                evidence,
                detected_at: self.detected_at,
            });
    }

    /// The check runs (a check that could not run drops its findings) and the findings.
    fn finish(mut self, checks: &[(&str, Option<&str>)]) -> (Vec<CheckRun>, Vec<Finding>) {
        let mut runs = Vec::new();
        let mut findings = Vec::new();
        for &(id, could_not_run) in checks {
            let check_id: CheckId = id.parse().expect("catalog id");
            let found = self.findings.remove(id).unwrap_or_default();
            let outcome = match could_not_run {
                Some(reason) => CheckOutcome::CouldNotRun {
                    reason: reason.into(),
                },
                None if found.is_empty() => CheckOutcome::Passed,
                None => CheckOutcome::Findings {
                    count: found.len() as u32,
                },
            };
            if could_not_run.is_none() {
                findings.extend(found);
            }
            runs.push(CheckRun { check_id, outcome });
        }
        (runs, findings)
    }
}

/// A registered asset that never sends a report (about 1% of the registry).
pub fn silent_asset(n: usize, row_no: u32) -> Asset {
    Asset {
        row_no,
        asset_name: format!("备用服务器-{n:04}"),
        hostname: Some(format!("spare-{n:04}")),
        machine_id: Some(hex::encode(
            &digest(&[b"selfcheck-bench-spare", &(n as u64).to_be_bytes()])[..16],
        )),
        ip: Some(Ipv4Addr::new(10, 200, (n / 250) as u8, (n % 250 + 1) as u8).to_string()),
        unit: Some("信息中心".into()),
        asset_type: Some("服务器".into()),
        os: Some("Debian GNU/Linux 12 (bookworm)".into()),
        protection_level: Some("二级".into()),
        responsible_unit: Some("信息中心".into()),
        responsible_person: Some("运维值班".into()),
        contact: None,
    }
}
