//! The sshd resolver against the real sshd: configurations covering Include
//! (globs, relative and absolute, nested, inside Match), repeated keys,
//! keyword case and `=`, Match criteria with negation and CIDR, and `+`/`-`/`^`
//! algorithm lists are resolved by us and by `sshd -T` (which only prints the
//! configuration: no socket is opened, no daemon started), for several
//! connection specifications (`-C`); both must agree. Then hostile input
//! (loops, a FIFO, huge and binary files, unknown Match criteria), which must
//! end in a clear outcome and never hang.
//!
//! Needs `/usr/sbin/sshd` (Debian: the `openssh-server` package) and root
//! (sshd -T wants its privilege-separation directory `/run/sshd`, created
//! here when missing). Without sshd the oracle tests are skipped, unless
//! `SELFCHECK_REQUIRE_SSHD` is set (CI), where they fail instead.
//!
//! `sshd -T` without `-C` applies only `Match All` blocks (OpenSSH 9.2: a
//! blank test connection matches no other criterion, and it refuses a
//! configuration whose evaluated `Match LocalPort` it cannot test: that spec
//! is then skipped); with `-C`, criteria whose field the specification leaves
//! out do not match.

use chrono::DateTime;
use selfcheck_agent::areas::baseline::sshd::{
    Connection, SshdConfig, defaults_for, detect_version, effective_value, read_config,
};
use selfcheck_agent::areas::baseline::{AREA, audit};
use selfcheck_catalog::Catalog;
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::CheckOutcome;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const SSHD: &str = "/usr/sbin/sshd";

/// The settings compared with `sshd -T`.
const KEYS: &[&str] = &[
    "permitrootlogin",
    "passwordauthentication",
    "permitemptypasswords",
    "maxauthtries",
    "clientaliveinterval",
    "clientalivecountmax",
    "logingracetime",
    "x11forwarding",
    "pubkeyauthentication",
    "maxsessions",
    "ciphers",
    "macs",
    "kexalgorithms",
    "hostkeyalgorithms",
    "pubkeyacceptedalgorithms",
];

/// The connections every configuration is resolved for (`None`: plain `sshd -T`).
const SPECS: &[Option<&str>] = &[
    None,
    Some("user=alice,host=h.example,addr=10.1.2.3,laddr=10.0.0.1,lport=22"),
    Some("user=root,host=admin.example.org,addr=192.168.5.6,laddr=10.0.0.1,lport=2222"),
    Some("user=bob,host=BAD.example,addr=10.9.1.1,laddr=10.0.1.1,lport=22"),
    Some("user=nosuchuser,host=h.example,addr=10.200.0.1,laddr=10.0.0.1,lport=22"),
];

/// The real sshd, or `None` (skip) when it is absent and not required.
fn sshd() -> Option<PathBuf> {
    let required = std::env::var_os("SELFCHECK_REQUIRE_SSHD").is_some();
    if !Path::new(SSHD).exists() {
        assert!(
            !required,
            "SELFCHECK_REQUIRE_SSHD is set but {SSHD} is missing: install openssh-server"
        );
        eprintln!("skipped: {SSHD} is not installed (apt-get install openssh-server)");
        return None;
    }
    if !nix::unistd::geteuid().is_root() {
        assert!(!required, "SELFCHECK_REQUIRE_SSHD is set: run as root");
        eprintln!("skipped: sshd -T needs root");
        return None;
    }
    fs::create_dir_all("/run/sshd").unwrap();
    Some(PathBuf::from(SSHD))
}

/// A scratch directory with a host key.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("hostkey");
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", ""])
            .arg("-f")
            .arg(&key)
            .status()
            .expect("ssh-keygen runs (openssh-client)");
        assert!(ok.success());
        Scratch { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Absolute path of `rel`, as text.
    fn abs(&self, rel: &str) -> String {
        self.path().join(rel).to_str().unwrap().to_string()
    }

    /// Write `text` to `rel` with `{DIR}` replaced by the scratch directory.
    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text.replace("{DIR}", self.abs("").trim_end_matches('/'))).unwrap();
    }

    /// `sshd -T` for `spec`: the printed settings, or sshd's error.
    fn sshd_t(&self, sshd: &Path, spec: Option<&str>) -> Result<BTreeMap<String, String>, String> {
        let mut cmd = Command::new(sshd);
        cmd.arg("-T")
            .arg("-f")
            .arg(self.path().join("sshd_config"))
            .arg("-h")
            .arg(self.path().join("hostkey"));
        if let Some(s) = spec {
            cmd.arg("-C").arg(s);
        }
        let out = cmd.output().unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(k, v)| {
                let v = if v == "without-password" {
                    "prohibit-password"
                } else {
                    v
                };
                (k.to_string(), v.to_string())
            })
            .collect())
    }

    fn ours(&self) -> SshdConfig {
        read_config(&HostRoot::live(), &self.abs("sshd_config"))
            .unwrap()
            .unwrap()
    }
}

fn connection(spec: Option<&str>) -> Connection {
    spec.map(|s| Connection::parse_spec(s).unwrap())
        .unwrap_or_default()
        .with_groups_from(&HostRoot::live())
}

/// Resolve the scratch configuration for every spec with both and compare.
fn agree(s: &Scratch, sshd: &Path) -> usize {
    let cfg = s.ours();
    let defaults = defaults_for(detect_version(&HostRoot::live()).map(|v| v.1));
    let mut compared = 0;
    for spec in SPECS {
        let theirs = match s.sshd_t(sshd, *spec) {
            Ok(t) => t,
            // OpenSSH 9.2: a blank test connection has lport 0, not "unset",
            // so plain `sshd -T` refuses a Match LocalPort it has to evaluate.
            Err(e) if spec.is_none() && e.contains("not in connection test specification") => {
                eprintln!("plain sshd -T refused: {e}");
                continue;
            }
            Err(e) => panic!("sshd -T {spec:?} refused the configuration: {e}"),
        };
        let conn = connection(*spec);
        for key in KEYS {
            let ours = effective_value(&cfg, key, &conn, defaults).unwrap();
            assert_eq!(
                ours.as_deref(),
                theirs.get(*key).map(String::as_str),
                "{key} for {spec:?}\nconfig: {cfg:#?}"
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn built_in_lists_are_those_of_the_installed_sshd() {
    let Some(sshd) = sshd() else { return };
    let s = Scratch::new();
    s.write("sshd_config", "# nothing set\n");
    let version = detect_version(&HostRoot::live()).expect("a version string in /usr/sbin/sshd");
    eprintln!("installed: {}", version.0);
    assert_eq!(agree(&s, &sshd), SPECS.len() * KEYS.len());
}

#[test]
fn includes_repeats_case_and_match_blocks_resolve_like_sshd_t() {
    let Some(sshd) = sshd() else { return };
    let s = Scratch::new();
    s.write(
        "sshd_config",
        "\
# first value obtained wins; includes are read in place
include {DIR}/conf.d/*.conf
Include ../../{DIR}/rel/one.conf
PERMITROOTLOGIN yes
PasswordAuthentication=no
MaxAuthTries = 3
maxauthtries 9
ClientAliveInterval 5m
ClientAliveCountMax \"2\"
LoginGraceTime 1m30s   # trailing comment
Ciphers -*-cbc,aes192*
MACs ^hmac-sha2-512-etm@openssh.com,hmac-sha1
KexAlgorithms +diffie-hellman-group14-sha1
HostKeyAlgorithms -ssh-rsa*,rsa-sha2-256*
PubkeyAcceptedAlgorithms ssh-ed25519,rsa-sha2-512
Match User alice
\tPermitRootLogin no
\tInclude ../../{DIR}/inmatch/*.conf
Match Group root
  MaxAuthTries 1
  X11Forwarding yes
Match Address 10.0.0.0/8,!10.9.0.0/16 LocalPort 22
  PasswordAuthentication yes
  ClientAliveInterval 60
Match Host *.example,!bad.example
  MaxSessions 3
Match LocalAddress 10.0.0.0/24
  PubkeyAuthentication no
Match User !alice,*
  PermitEmptyPasswords yes
Match all
  MaxSessions 7
",
    );
    s.write(
        "conf.d/10-a.conf",
        "PermitRootLogin prohibit-password\nX11Forwarding no\n",
    );
    s.write(
        "conf.d/20-b.conf",
        "PermitRootLogin forced-commands-only\nMaxSessions 4\n",
    );
    s.write("conf.d/.hidden.conf", "MaxAuthTries 5\n");
    s.write("conf.d/30-c.conf.off", "MaxAuthTries 5\n");
    s.write("rel/one.conf", "PermitEmptyPasswords no\nMaxAuthTries 4\n");
    // Nested: an include inside Match User alice with its own Match block.
    s.write(
        "inmatch/a.conf",
        "ClientAliveCountMax 1\nMatch Address 10.1.0.0/16\n  MaxAuthTries 2\n",
    );
    let n = agree(&s, &sshd);
    assert!(n >= (SPECS.len() - 1) * KEYS.len());
    // Spot-check what the comparison covered.
    let cfg = s.ours();
    let alice = connection(SPECS[1]);
    let d = defaults_for(None);
    assert_eq!(
        effective_value(&cfg, "MaxAuthTries", &alice, d).unwrap(),
        Some("2".into())
    );
    assert_eq!(
        effective_value(&cfg, "PermitRootLogin", &Connection::default(), d).unwrap(),
        Some("prohibit-password".into())
    );
}

#[test]
fn match_all_and_includes_in_blocks_that_never_apply_resolve_like_sshd_t() {
    let Some(sshd) = sshd() else { return };
    let s = Scratch::new();
    s.write(
        "sshd_config",
        "\
MaxSessions 5
Match User nobody-here
  Include {DIR}/never.conf
Match All
  Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com
  PermitRootLogin no
  MaxSessions 6
Match User root Address 192.168.0.0/16
  MaxAuthTries 2
  Include {DIR}/nested/*.conf
",
    );
    // Inside a block that does not apply: its own Match All never matches.
    s.write(
        "never.conf",
        "MaxAuthTries 1\nMatch All\nX11Forwarding yes\n",
    );
    s.write(
        "nested/a.conf",
        "PermitEmptyPasswords yes\nMatch LocalPort 2222\nClientAliveInterval 30\n",
    );
    assert_eq!(agree(&s, &sshd), SPECS.len() * KEYS.len());
}

#[test]
fn match_state_ends_with_the_included_file_and_lists_take_wildcards() {
    let Some(sshd) = sshd() else { return };
    let s = Scratch::new();
    s.write(
        "sshd_config",
        "\
Include {DIR}/m.conf
MaxAuthTries 3
KexAlgorithms -diffie-hellman*,ecdh-sha2-nistp384
HostKeyAlgorithms ssh-ed25519*,ecdsa-sha2-nistp256
PubkeyAcceptedAlgorithms +ssh-rsa,ssh-dss
Ciphers ^aes128-cbc
MACs hmac-sha2-256,hmac-sha2-256,umac-128@openssh.com
Banner \"/etc/issue net\"
Match User alice,bob Group !wheel,root
  PermitRootLogin yes
Match Host H.EXAMPLE Address 10.1.2.0/24,2001:db8::/32
  PasswordAuthentication no
  ClientAliveInterval 1h
Match Address 0.0.0.0/0 LocalAddress 10.0.0.*
  MaxSessions 2
",
    );
    // Its Match block ends with the file: `MaxAuthTries 3` above is global.
    s.write("m.conf", "Match User alice\nMaxAuthTries 2\n");
    assert_eq!(agree(&s, &sshd), SPECS.len() * KEYS.len());
}

#[test]
fn sshd_and_we_both_refuse_an_unknown_match_criterion() {
    let s = Scratch::new();
    s.write(
        "sshd_config",
        "PermitRootLogin no\nMatch Flavour vanilla\n  PermitRootLogin yes\n",
    );
    let err = read_config(&HostRoot::live(), &s.abs("sshd_config")).unwrap_err();
    assert!(err.contains("unsupported Match attribute Flavour"), "{err}");
    if let Some(sshd) = sshd() {
        assert!(s.sshd_t(&sshd, None).is_err());
    }
    // As a check: could not run, with the reason.
    let root = tempfile::tempdir().unwrap();
    let ssh = root.path().join("etc/ssh");
    fs::create_dir_all(&ssh).unwrap();
    fs::copy(s.path().join("sshd_config"), ssh.join("sshd_config")).unwrap();
    let out = run_catalog(root.path());
    let c = out
        .checks
        .iter()
        .find(|c| c.check_id.as_str() == "baseline.sshd-permit-root-login")
        .unwrap();
    match &c.outcome {
        CheckOutcome::CouldNotRun { reason } => {
            assert!(reason.contains("Match Flavour vanilla"), "{reason}");
            assert!(reason.contains("sshd refuses"), "{reason}");
        }
        o => panic!("expected could not run, got {o:?}"),
    }
}

fn run_catalog(root: &Path) -> selfcheck_agent::audit::AuditOutput {
    let catalog = Catalog::embedded().unwrap();
    assert!(catalog.area(AREA).count() > 0);
    let now = DateTime::parse_from_rfc3339("2026-11-26T10:00:00+08:00").unwrap();
    audit(&HostRoot::at(root).unwrap(), &catalog, "asset", now)
}

/// A root with `etc/ssh/sshd_config` holding `text`.
fn root_with(text: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.path().join("etc/ssh")).unwrap();
    fs::write(root.path().join("etc/ssh/sshd_config"), text).unwrap();
    root
}

fn resolve(root: &Path) -> Result<SshdConfig, String> {
    read_config(&HostRoot::at(root).unwrap(), "/etc/ssh/sshd_config").map(Option::unwrap)
}

#[test]
fn include_loops_end_at_sixteen_levels() {
    let root = root_with("Include sshd_config\nPermitRootLogin no\n");
    let err = resolve(root.path()).unwrap_err();
    assert!(err.contains("nested more than 16"), "{err}");
    let root = root_with("Include a.conf\n");
    fs::write(root.path().join("etc/ssh/a.conf"), "Include b.conf\n").unwrap();
    fs::write(root.path().join("etc/ssh/b.conf"), "Include a.conf\n").unwrap();
    assert!(
        resolve(root.path())
            .unwrap_err()
            .contains("nested more than")
    );
}

#[test]
fn symlink_loops_and_fifos_as_includes_could_not_run_without_blocking() {
    let root = root_with("Include loop.conf fifo.conf\n");
    let ssh = root.path().join("etc/ssh");
    std::os::unix::fs::symlink("loop.conf", ssh.join("loop.conf")).unwrap();
    let err = resolve(root.path()).unwrap_err();
    assert!(err.contains("/etc/ssh/loop.conf"), "{err}");
    fs::remove_file(ssh.join("loop.conf")).unwrap();
    nix::unistd::mkfifo(
        &ssh.join("fifo.conf"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    let dir = root.path().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(resolve(&dir));
    });
    let res = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("reading a FIFO include blocked");
    let err = res.unwrap_err();
    assert!(
        err.contains("/etc/ssh/fifo.conf") && err.contains("not a regular file"),
        "{err}"
    );
}

#[test]
fn huge_files_are_refused_and_binary_garbage_is_skipped() {
    let root = root_with("Include big.conf\n");
    let big = "# padding\n".repeat(500_000);
    fs::write(root.path().join("etc/ssh/big.conf"), big).unwrap();
    let err = resolve(root.path()).unwrap_err();
    assert!(
        err.contains("big.conf") && err.contains("larger than"),
        "{err}"
    );

    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(8192).collect();
    bytes.extend_from_slice(b"\nPermitRootLogin no\n\xff\xfe\x00Match\n");
    bytes.extend_from_slice(b"\nMaxAuthTries 2 \"unterminated\n");
    let root = root_with("");
    fs::write(root.path().join("etc/ssh/sshd_config"), &bytes).unwrap();
    let cfg = resolve(root.path()).unwrap();
    let conn = Connection::default();
    let d = defaults_for(None);
    assert_eq!(
        effective_value(&cfg, "PermitRootLogin", &conn, d).unwrap(),
        Some("no".into())
    );
    assert_eq!(
        effective_value(&cfg, "MaxAuthTries", &conn, d).unwrap(),
        Some("6".into())
    );
    assert!(!cfg.skipped.is_empty());
}

#[test]
fn a_bare_match_line_could_not_run() {
    let root = root_with("PermitRootLogin no\nMatch\nPermitRootLogin yes\n");
    let err = resolve(root.path()).unwrap_err();
    assert!(err.contains("Match"), "{err}");
}

fn findings(root: &Path, id: &str) -> Vec<(String, Vec<String>)> {
    run_catalog(root)
        .findings
        .into_iter()
        .filter(|f| f.check_id.as_str() == id)
        .map(|f| (f.subject, f.evidence))
        .collect()
}

#[test]
fn each_match_block_that_weakens_a_setting_is_its_own_finding() {
    let root = root_with(
        "PermitRootLogin yes\nMatch User backup\n  PermitRootLogin yes\nMatch User ops\n  PermitRootLogin no\nMatch Address 192.0.2.0/24\n  PermitRootLogin without-password\n",
    );
    let f = findings(root.path(), "baseline.sshd-permit-root-login");
    let mut subjects: Vec<&str> = f.iter().map(|(s, _)| s.as_str()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "/etc/ssh/sshd_config:Match Address 192.0.2.0/24:PermitRootLogin",
            "/etc/ssh/sshd_config:Match User backup:PermitRootLogin",
            "/etc/ssh/sshd_config:PermitRootLogin",
        ]
    );
    let address = f.iter().find(|(s, _)| s.contains("Address")).unwrap();
    assert_eq!(
        address.1[1],
        "Match Address 192.0.2.0/24 (/etc/ssh/sshd_config:6): PermitRootLogin = without-password = prohibit-password (expected no) for the connections it matches"
    );
    // Match All at startup: one finding, the global value, not two.
    let root = root_with("Match All\n  PermitRootLogin yes\n");
    let f = findings(root.path(), "baseline.sshd-permit-root-login");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "/etc/ssh/sshd_config:PermitRootLogin");
    // Match All after a global `no`: every connection gets `yes`.
    let root = root_with("PermitRootLogin no\nMatch All\n  PermitRootLogin yes\n");
    let f = findings(root.path(), "baseline.sshd-permit-root-login");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "/etc/ssh/sshd_config:Match All:PermitRootLogin");
}

#[test]
fn weak_algorithms_name_their_origin() {
    let root = root_with("MACs ^hmac-md5,hmac-sha2-256\n");
    let f = findings(root.path(), "baseline.sshd-weak-macs");
    assert_eq!(f.len(), 1);
    let ev = &f[0].1;
    assert_eq!(
        ev[0],
        "/etc/ssh/sshd_config:1: MACs ^hmac-md5,hmac-sha2-256"
    );
    assert!(
        ev[1].starts_with("MACs enables hmac-md5, umac-64-etm@openssh.com"),
        "{ev:?}"
    );
    assert_eq!(ev[2], "set in the configuration: hmac-md5");
    assert!(
        ev[3].starts_with("kept from the built-in default list of OpenSSH 10.x (assumed"),
        "{ev:?}"
    );
    let root = root_with(
        "Ciphers aes256-gcm@openssh.com,aes128-ctr\nKexAlgorithms -diffie-hellman-group*\n",
    );
    assert!(findings(root.path(), "baseline.sshd-weak-ciphers").is_empty());
    assert!(findings(root.path(), "baseline.sshd-weak-kex").is_empty());
    // sshd rejects a negated algorithm pattern: the check could not run.
    let root = root_with("Ciphers !aes128-ctr\n");
    let out = run_catalog(root.path());
    let c = out
        .checks
        .iter()
        .find(|c| c.check_id.as_str() == "baseline.sshd-weak-ciphers")
        .unwrap();
    assert!(
        matches!(&c.outcome, CheckOutcome::CouldNotRun { reason } if reason.contains("negated")),
        "{c:?}"
    );
}

#[test]
fn a_malformed_sshd_rule_is_a_catalog_error_naming_the_key() {
    let check = |rule: &str| {
        let text = format!(
            "[[check]]\nid = \"baseline.x\"\narea = \"baseline\"\nrisk = \"low\"\n\
             title = {{ zh = \"t\", en = \"t\" }}\ndescription = {{ zh = \"d\", en = \"d\" }}\n\
             why = {{ zh = \"w\", en = \"w\" }}\nremediation = {{ zh = \"r\", en = \"r\" }}\n\
             clauses = [\"8.1.4.1 c)\"]\nlevels = [3]\n[check.rule]\nkind = \"sshd\"\n{rule}"
        );
        Catalog::from_files(
            [("checks/b.toml".to_string(), text)],
            selfcheck_catalog::CatalogSource::Embedded,
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    assert_eq!(
        check("key = \"MaxAuthTries\"\nexpect = { max = 4 }\n"),
        Ok(())
    );
    assert_eq!(check("key = \"Ciphers\"\nforbid = [\"*-cbc\"]\n"), Ok(()));
    for (rule, key) in [
        (
            "key = \"Ciphers\"\nexpect = { equals = \"x\" }\n",
            "`rule.expect`",
        ),
        ("key = \"Ciphers\"\n", "`rule.forbid`"),
        (
            "key = \"PermitRootLogin\"\nforbid = [\"yes\"]\nexpect = { equals = \"no\" }\n",
            "`rule.forbid`",
        ),
        ("key = \"PermitRootLogin\"\n", "`rule.expect`"),
        (
            "key = \"X\"\nexpect = { max = 1 }\nconfig = \"etc/ssh\"\n",
            "`rule.config`",
        ),
        (
            "key = \"X\"\nexpect = { max = 1 }\nfiles = [\"/x\"]\n",
            "`rule.files`",
        ),
    ] {
        let err = check(rule).unwrap_err();
        assert!(
            err.contains("baseline.x") && err.contains(key),
            "{rule}: {err}"
        );
    }
}
