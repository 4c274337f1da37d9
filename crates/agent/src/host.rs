//! The report's host section, built from the identity facts the host's files
//! give ([`selfcheck_hostfs::identity`]).

use selfcheck_hostfs::HostRoot;
pub use selfcheck_hostfs::identity::IdentityError;
use selfcheck_hostfs::identity::{os_release_fields, read_facts};
use selfcheck_report::{HostIdentity, OsRelease};

/// Read the host identity below `root`, as the report records it.
pub fn read_identity(root: &HostRoot) -> Result<HostIdentity, IdentityError> {
    let facts = read_facts(root)?;
    Ok(HostIdentity {
        hostname: facts.hostname,
        machine_id: facts.machine_id,
        os: os_release(&facts.os_release),
        kernel: facts.kernel,
        arch: facts.arch,
        ip_addresses: facts.ip_addresses,
    })
}

/// Parse `os-release(5)` text into the fields the report keeps.
pub fn parse_os_release(text: &str) -> OsRelease {
    os_release(&os_release_fields(text))
}

fn os_release(fields: &[(String, String)]) -> OsRelease {
    let mut os = OsRelease::default();
    for (key, value) in fields {
        let slot = match key.as_str() {
            "ID" => &mut os.id,
            "NAME" => &mut os.name,
            "VERSION_ID" => &mut os.version_id,
            "VERSION_CODENAME" => &mut os.version_codename,
            "PRETTY_NAME" => &mut os.pretty_name,
            "ID_LIKE" => {
                os.id_like = value.split_whitespace().map(str::to_string).collect();
                continue;
            }
            _ => continue,
        };
        *slot = Some(value.clone()).filter(|v| !v.is_empty());
    }
    os
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quotes_and_escapes() {
        let os = parse_os_release(
            "# comment\nNAME=\"Kylin Linux Advanced Server\"\nID=kylin\nID_LIKE='rhel fedora'\nVERSION_ID=\"V10\"\nPRETTY_NAME=\"A \\\"quoted\\\" \\$name\"\n\nBROKEN LINE\n",
        );
        assert_eq!(os.name.as_deref(), Some("Kylin Linux Advanced Server"));
        assert_eq!(os.id.as_deref(), Some("kylin"));
        assert_eq!(os.id_like, vec!["rhel", "fedora"]);
        assert_eq!(os.pretty_name.as_deref(), Some("A \"quoted\" $name"));
    }
}
