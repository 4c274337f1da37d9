//! Installed packages from dpkg's database, `var/lib/dpkg/status`.

use super::control::{ControlError, paragraphs};
use selfcheck_report::{InstalledPackage, PackageState};

/// The status file is not usable.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// A line is not deb822.
    #[error("{path} {source}")]
    Syntax {
        /// The file.
        path: String,
        /// Where and what.
        source: ControlError,
    },
    /// A paragraph lacks a field dpkg always writes.
    #[error("{path} line {line}: package entry without {field}")]
    MissingField {
        /// The file.
        path: String,
        /// Line of the paragraph.
        line: usize,
        /// The missing field.
        field: &'static str,
    },
}

/// Everything the patch audit needs from the status file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DpkgStatus {
    /// Packages that are installed or partly installed (not `not-installed`),
    /// sorted by name and architecture.
    pub packages: Vec<InstalledPackage>,
    /// Names (with architecture) of packages on hold (`hold` selection).
    pub held: Vec<(String, String)>,
}

impl DpkgStatus {
    /// The host's native architecture: the architecture dpkg itself is built for.
    pub fn native_arch(&self) -> Option<&str> {
        self.packages
            .iter()
            .find(|p| p.name == "dpkg")
            .map(|p| p.arch.as_str())
            .filter(|a| *a != "all")
    }
}

/// Parse the status file's text; `path` is only used in messages.
pub fn parse_status(text: &str, path: &str) -> Result<DpkgStatus, StatusError> {
    let mut status = DpkgStatus::default();
    let paras = paragraphs(text).map_err(|source| StatusError::Syntax {
        path: path.to_string(),
        source,
    })?;
    for p in paras {
        let missing = |field| StatusError::MissingField {
            path: path.to_string(),
            line: p.line,
            field,
        };
        let name = p.get("Package").ok_or_else(|| missing("Package"))?;
        let words: Vec<&str> = p
            .get("Status")
            .ok_or_else(|| missing("Status"))?
            .split_whitespace()
            .collect();
        let [want, flag, state] = words[..] else {
            return Err(missing("a three-word Status"));
        };
        let state = match state {
            "not-installed" => continue,
            "installed" => PackageState::Installed,
            "unpacked" => PackageState::Unpacked,
            "half-installed" => PackageState::HalfInstalled,
            "half-configured" => PackageState::HalfConfigured,
            "triggers-awaited" => PackageState::TriggersAwaited,
            "triggers-pending" => PackageState::TriggersPending,
            "config-files" => PackageState::ConfigFiles,
            _ => return Err(missing("a known Status state")),
        };
        // A config-files entry has no Version when nothing remains but conffiles.
        let version = match p.get("Version") {
            Some(v) => v,
            None if state == PackageState::ConfigFiles => "",
            None => return Err(missing("Version")),
        };
        let arch = p.get("Architecture").unwrap_or("");
        let (source_name, source_version) = match p.get("Source") {
            Some(src) => match src.split_once('(') {
                Some((n, v)) => (n.trim(), v.trim_end_matches(')').trim()),
                None => (src.trim(), version),
            },
            None => (name, version),
        };
        if want == "hold" {
            status.held.push((name.to_string(), arch.to_string()));
        }
        status.packages.push(InstalledPackage {
            name: name.to_string(),
            version: version.to_string(),
            arch: arch.to_string(),
            source_name: source_name.to_string(),
            source_version: source_version.to_string(),
            state,
            reinstall_required: flag == "reinstreq",
        });
    }
    status
        .packages
        .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.arch.cmp(&b.arch)));
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2+b1

Package: dpkg
Status: hold ok installed
Architecture: amd64
Version: 1.21.22

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: never
Status: purge ok not-installed
Architecture: amd64

Package: broken
Status: install reinstreq half-installed
Architecture: all
Source: brokensrc
Version: 2.0
";

    #[test]
    fn reads_sources_states_holds_and_native_arch() {
        let s = parse_status(STATUS, "status").unwrap();
        let names: Vec<_> = s.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["broken", "dpkg", "gone", "libssl3"]);
        let ssl = &s.packages[3];
        assert_eq!(
            (ssl.source_name.as_str(), ssl.source_version.as_str()),
            ("openssl", "3.0.11-1~deb12u2")
        );
        let broken = &s.packages[0];
        assert_eq!(broken.state, PackageState::HalfInstalled);
        assert!(broken.reinstall_required);
        assert_eq!(
            (broken.source_name.as_str(), broken.source_version.as_str()),
            ("brokensrc", "2.0")
        );
        assert_eq!(s.packages[2].state, PackageState::ConfigFiles);
        assert_eq!(s.held, vec![("dpkg".to_string(), "amd64".to_string())]);
        assert_eq!(s.native_arch(), Some("amd64"));
    }

    #[test]
    fn malformed_status_names_the_line() {
        let e = parse_status(
            "Package: a\nStatus: install ok installed\nnonsense\n",
            "/var/lib/dpkg/status",
        )
        .unwrap_err();
        assert!(e.to_string().contains("/var/lib/dpkg/status line 3"), "{e}");
        let e = parse_status("Package: a\nVersion: 1\n", "s").unwrap_err();
        assert!(e.to_string().contains("Status"), "{e}");
    }

    #[test]
    fn this_machines_status_file_parses() {
        let Ok(text) = std::fs::read_to_string("/var/lib/dpkg/status") else {
            return; // not a dpkg host
        };
        let s = parse_status(&text, "/var/lib/dpkg/status").unwrap();
        assert!(s.packages.len() > 10);
        assert!(s.native_arch().is_some());
    }
}
