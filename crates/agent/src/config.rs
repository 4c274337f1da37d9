//! The agent's own configuration file (`agent.toml`): the sections of the
//! areas and of delivery, composed; each section is defined and validated
//! where it belongs (`areas/*/cfg.rs`, `submit/cfg.rs`).
//!
//! ```toml
//! # A listener that is known and approved. `reason` is required and is
//! # printed in the report next to the suppressed finding.
//! [[ports.allow]]
//! port = 3306
//! protocol = "tcp"              # optional: tcp or udp
//! address = "10.0.0.5"          # optional: only this local address
//! process = "mysqld"            # optional: only when this process holds it
//! check = "ports.mysql"         # optional: only this check
//! reason = "Application database, reachable only from the app VLAN (ticket 2026-114)"
//!
//! [patches]
//! vuln_db = "/var/lib/selfcheck/osv/Debian-all.zip"  # offline OSV feed (directory or zip)
//! vuln_ecosystem = "Debian:12"   # only for OSes without an OSV ecosystem of their own
//! max_days_without_update = 35   # patches.no-recent-updates
//! max_list_age_days = 35         # patches.stale-package-lists
//! max_feed_age_days = 35         # patches.vuln-feed-stale
//!
//! [fim]
//! digest = "sm3"                 # content digest of new baselines: sha256 (default) or sm3
//! exclude = ["/etc/myapp/cache/*"]   # more files that change by design (same patterns as checks/fim.toml)
//! accept_package_changes = true  # take package-explained changes into the baseline automatically (default)
//! [[fim.rules]]                  # more paths to watch, or another attribute set for a path
//! path = "/opt/app/bin"
//! attrs = "content+perms"        # "full", "content+perms" or a list of attribute names
//!
//! [baseline]                     # configuration baseline (GB/T 22239-2019 host controls)
//! level = 3                      # this host's protection level (等保级别): 2 or 3 (default 3; --level wins)
//! [[baseline.exception]]         # a check that does not apply to this host, as the unit approved it
//! check = "baseline.sshd-password-authentication"
//! reason = "Administrators log in through the bastion host with USBKey two-factor (ticket 2026-131)"
//! approver = "王敏 (信息中心主任)"
//! expires = 2027-06-30           # last day it holds; after it the check runs again
//!
//! [submit]                       # delivery to the collector (`run --submit`, `submit`); see docs/submit.md
//! url = "https://collector.unit.local:8443"   # the collector; https only
//! ca = "/etc/selfcheck/ca.pem"                # the collector CA, the only CA trusted (default shown)
//! cert = "/etc/selfcheck/client.pem"          # this host's client certificate (default shown)
//! key = "/etc/selfcheck/client-key.pem"       # its private key, mode 0600 (default shown)
//! timeout_seconds = 30           # per request: connect, TLS, send and answer (default 30)
//! max_attempts = 4               # per report per invocation; waits 1 s, 2 s, 4 s ... between (default 4)
//! ```

pub use crate::areas::baseline::cfg::{BaselineConfig, CheckException};
pub use crate::areas::fim::cfg::{FimConfig, FimRuleConfig};
pub use crate::areas::patches::cfg::PatchesConfig;
pub use crate::areas::ports::cfg::{PortAllow, PortsConfig};
pub use crate::submit::cfg::SubmitConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where the configuration is looked for when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/selfcheck/agent.toml";

/// The whole agent configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Settings of the listening-ports audit.
    #[serde(default)]
    pub ports: PortsConfig,
    /// Settings of the patch audit.
    #[serde(default)]
    pub patches: PatchesConfig,
    /// Settings of file integrity monitoring.
    #[serde(default)]
    pub fim: FimConfig,
    /// Delivery of reports to the collector.
    #[serde(default)]
    pub submit: SubmitConfig,
    /// The configuration-baseline profile and exceptions.
    #[serde(default)]
    pub baseline: BaselineConfig,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read agent config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("agent config {path} is invalid: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
}

impl AgentConfig {
    /// Parse configuration text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<AgentConfig, ConfigError> {
        let config: AgentConfig = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let sections = [
            config.ports.validate(),
            config.baseline.validate(),
            config.submit.validate(),
            config.fim.validate(),
        ];
        for checked in sections {
            checked.map_err(|message| ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            })?;
        }
        Ok(config)
    }

    /// Load `--config PATH` (must exist), or the default path when it exists, or no configuration.
    pub fn load(explicit: Option<&Path>) -> Result<AgentConfig, ConfigError> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_PATH), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => AgentConfig::parse(&text, &path),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(AgentConfig::default())
            }
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_entries_need_a_reason() {
        let ok = AgentConfig::parse(
            "[[ports.allow]]\nport = 3306\nreason = \"app db\"\n",
            Path::new("a.toml"),
        )
        .unwrap();
        assert_eq!(ok.ports.allow[0].port, 3306);
        let err = AgentConfig::parse(
            "[[ports.allow]]\nport = 3306\nreason = \" \"\n",
            Path::new("a.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("empty reason"), "{err}");
        let err =
            AgentConfig::parse("[[ports.allow]]\nport = 3306\n", Path::new("a.toml")).unwrap_err();
        assert!(err.to_string().contains("reason"), "{err}");
        let err = AgentConfig::parse(
            "[[ports.allow]]\nport = 70000\nreason = \"x\"\n",
            Path::new("a.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("a.toml"), "{err}");
    }

    #[test]
    fn an_allow_entry_for_an_unknown_check_is_refused() {
        let ok = AgentConfig::parse(
            "[[ports.allow]]\nport = 3306\ncheck = \"ports.mysql\"\nreason = \"app db\"\n",
            Path::new("a.toml"),
        )
        .unwrap();
        assert_eq!(
            ok.ports.allow[0].check.as_ref().map(|c| c.as_str()),
            Some("ports.mysql")
        );
        for bad in ["ports.mysq", "baseline.pass-max-days"] {
            let text =
                format!("[[ports.allow]]\nport = 3306\ncheck = \"{bad}\"\nreason = \"app db\"\n");
            let err = AgentConfig::parse(&text, Path::new("a.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("a.toml"), "{err}");
            assert!(err.contains(&format!("names check {bad},")), "{err}");
            assert!(
                err.contains("ports.mysql") && err.contains("ports.telnet"),
                "{err}"
            );
            let known = err.split("use one of").nth(1).unwrap_or_default();
            assert!(!known.contains("baseline."), "{err}");
        }
    }

    #[test]
    fn baseline_exceptions_need_reason_approver_and_a_date() {
        let ok = AgentConfig::parse(
            "[baseline]\nlevel = 2\n[[baseline.exception]]\ncheck = \"baseline.shell-timeout\"\nreason = \"kiosk\"\napprover = \"Wang\"\nexpires = 2027-06-30\n",
            Path::new("a.toml"),
        )
        .unwrap();
        assert_eq!(ok.baseline.level, Some(2));
        assert_eq!(
            ok.baseline.exceptions[0].expires_on(),
            chrono::NaiveDate::from_ymd_opt(2027, 6, 30)
        );
        let entry = |body: &str| {
            format!("[[baseline.exception]]\ncheck = \"baseline.shell-timeout\"\n{body}\n")
        };
        for (text, says) in [
            ("[baseline]\nlevel = 4\n".to_string(), "levels 2 and 3"),
            (
                entry("reason = \" \"\napprover = \"W\"\nexpires = 2027-01-01"),
                "empty reason",
            ),
            (
                entry("reason = \"r\"\napprover = \"\"\nexpires = 2027-01-01"),
                "empty approver",
            ),
            (
                entry("reason = \"r\"\napprover = \"W\"\nexpires = 2027-01-01T10:00:00"),
                "YYYY-MM-DD",
            ),
            (entry("reason = \"r\"\napprover = \"W\""), "expires"),
            (
                entry("reason = \"r\"\napprover = \"W\"\nexpires = 2027-01-01")
                    + &entry("reason = \"r\"\napprover = \"W\"\nexpires = 2027-01-01"),
                "one entry per check",
            ),
        ] {
            let err = AgentConfig::parse(&text, Path::new("a.toml")).unwrap_err();
            assert!(err.to_string().contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn fim_section_is_checked_when_loaded() {
        let ok = AgentConfig::parse(
            "[fim]\ndigest = \"sm3\"\nexclude = [\"/opt/app/tmp/*\"]\n[[fim.rules]]\npath = \"/opt/app\"\nattrs = \"full\"\n",
            Path::new("a.toml"),
        )
        .unwrap();
        assert_eq!(ok.fim.rules[0].path, "/opt/app");
        for (text, says) in [
            ("[fim]\ndigest = \"md5\"\n", "digest"),
            ("[fim]\nexclude = [\"relative/*\"]\n", "exclude[0]"),
            (
                "[[fim.rules]]\npath = \"opt\"\nattrs = \"full\"\n",
                "rules[0].path",
            ),
            (
                "[[fim.rules]]\npath = \"/opt\"\nattrs = \"most\"\n",
                "rules[0].attrs",
            ),
        ] {
            let err = AgentConfig::parse(text, Path::new("a.toml")).unwrap_err();
            assert!(err.to_string().contains(says), "{text}: {err}");
            assert!(err.to_string().contains("a.toml"), "{err}");
        }
    }
}
