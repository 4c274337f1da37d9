//! Finding the registry's asset for a host that sent a report.
//!
//! The rules, in order: the machine id; the host name ignoring case (a full
//! name `web-01.example.gov.cn` and its short name `web-01` match each other
//! when one side has only the short name); any of the host's IP addresses.
//! A host-name or IP match is not taken when both sides have machine ids and
//! they differ (another machine with a recycled name or address). An IP or a
//! short name shared by several assets matches none of them: guessing would
//! put one unit's findings on another's asset.

use super::Asset;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// The registry, indexed for matching reports to assets (borrowing them).
#[derive(Debug, Clone)]
pub struct AssetIndex<'a> {
    assets: &'a [Asset],
    lookup: Lookup,
}

/// The registry, indexed, owning its assets (for callers that read the
/// registry just to match against it).
#[derive(Debug, Clone)]
pub struct OwnedAssetIndex {
    assets: Vec<Asset>,
    lookup: Lookup,
}

/// Positions of assets by machine id, host name, short name and IP.
#[derive(Debug, Clone, Default)]
struct Lookup {
    by_machine_id: HashMap<String, usize>,
    by_hostname: HashMap<String, usize>,
    /// Short names (before the first dot) of host names that have a domain.
    by_short_name: HashMap<String, Vec<usize>>,
    by_ip: HashMap<IpAddr, Vec<usize>>,
}

fn short_name(hostname: &str) -> &str {
    hostname.split('.').next().unwrap_or(hostname)
}

impl<'a> AssetIndex<'a> {
    /// Index `assets` (as checked by the parsers: names and identities unique).
    pub fn new(assets: &'a [Asset]) -> AssetIndex<'a> {
        AssetIndex {
            assets,
            lookup: Lookup::new(assets),
        }
    }

    /// The indexed assets, in registry order.
    pub fn assets(&self) -> &'a [Asset] {
        self.assets
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// The asset of a reporting host, by machine id, then host name, then IP
    /// (see the module docs); `None` for a host the registry does not list.
    pub fn find(
        &self,
        machine_id: Option<&str>,
        hostname: &str,
        ips: &[String],
    ) -> Option<&'a Asset> {
        let assets = self.assets;
        self.lookup
            .find(assets, machine_id, hostname, ips)
            .map(|i| &assets[i])
    }
}

impl AssetIndex<'static> {
    /// Index `assets`, keeping them (see [`OwnedAssetIndex`]).
    pub fn new_owned(assets: Vec<Asset>) -> OwnedAssetIndex {
        OwnedAssetIndex {
            lookup: Lookup::new(&assets),
            assets,
        }
    }
}

impl OwnedAssetIndex {
    /// The indexed assets, in registry order.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// The same as [`AssetIndex::find`].
    pub fn find(&self, machine_id: Option<&str>, hostname: &str, ips: &[String]) -> Option<&Asset> {
        self.lookup
            .find(&self.assets, machine_id, hostname, ips)
            .map(|i| &self.assets[i])
    }
}

impl Lookup {
    fn new(assets: &[Asset]) -> Lookup {
        let mut index = Lookup::default();
        for (i, a) in assets.iter().enumerate() {
            if let Some(m) = &a.machine_id {
                index
                    .by_machine_id
                    .entry(m.trim().to_lowercase())
                    .or_insert(i);
            }
            if let Some(h) = &a.hostname {
                let h = h.trim().to_lowercase();
                if h.contains('.') {
                    index
                        .by_short_name
                        .entry(short_name(&h).to_string())
                        .or_default()
                        .push(i);
                }
                index.by_hostname.entry(h).or_insert(i);
            }
            for ip in a.ips() {
                index.by_ip.entry(ip).or_default().push(i);
            }
        }
        index
    }

    /// The position in `assets` (the slice this lookup was built from).
    fn find(
        &self,
        assets: &[Asset],
        machine_id: Option<&str>,
        hostname: &str,
        ips: &[String],
    ) -> Option<usize> {
        let machine_id = machine_id
            .map(|m| m.trim().to_lowercase())
            .filter(|m| !m.is_empty());
        if let Some(m) = &machine_id
            && let Some(&i) = self.by_machine_id.get(m)
        {
            return Some(i);
        }
        // Another machine id on the asset means another machine.
        let compatible = |i: &usize| match (&machine_id, &assets[*i].machine_id) {
            (Some(m), Some(am)) => am.trim().eq_ignore_ascii_case(m),
            _ => true,
        };
        let unique = |candidates: &[usize]| -> Option<usize> {
            let set: BTreeSet<usize> = candidates.iter().copied().filter(compatible).collect();
            (set.len() == 1).then(|| set.into_iter().next()).flatten()
        };

        let hostname = hostname.trim().to_lowercase();
        if !hostname.is_empty() {
            if let Some(&i) = self.by_hostname.get(&hostname).filter(|i| compatible(i)) {
                return Some(i);
            }
            let by_short = if hostname.contains('.') {
                // The report has the full name, the registry the short one.
                self.by_hostname
                    .get(short_name(&hostname))
                    .and_then(|&i| unique(&[i]))
            } else {
                // The report has the short name, the registry a full one.
                self.by_short_name.get(&hostname).and_then(|c| unique(c))
            };
            if by_short.is_some() {
                return by_short;
            }
        }

        let candidates: Vec<usize> = ips
            .iter()
            .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
            .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
            .filter_map(|ip| self.by_ip.get(&ip))
            .flatten()
            .copied()
            .collect();
        unique(&candidates)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn asset(
        row_no: u32,
        name: &str,
        hostname: Option<&str>,
        machine_id: Option<&str>,
        ip: Option<&str>,
    ) -> Asset {
        Asset {
            row_no,
            asset_name: name.to_string(),
            hostname: hostname.map(str::to_string),
            machine_id: machine_id.map(str::to_string),
            ip: ip.map(str::to_string),
            unit: None,
            asset_type: None,
            os: None,
            protection_level: None,
            responsible_unit: None,
            responsible_person: None,
            contact: None,
        }
    }

    const MID: &str = "0123456789abcdef0123456789abcdef";
    const OTHER_MID: &str = "fedcba9876543210fedcba9876543210";

    fn name(found: Option<&Asset>) -> Option<&str> {
        found.map(|a| a.asset_name.as_str())
    }

    fn ips(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn machine_id_wins_over_hostname_and_ip() {
        let assets = [
            asset(2, "by-host", Some("web-01"), None, Some("10.0.0.1")),
            asset(3, "by-id", Some("renamed"), Some(&MID.to_uppercase()), None),
        ];
        let index = AssetIndex::new(&assets);
        assert_eq!(
            name(index.find(Some(MID), "web-01", &ips(&["10.0.0.1"]))),
            Some("by-id")
        );
    }

    #[test]
    fn hostname_matches_ignoring_case() {
        let assets = [asset(2, "门户", Some("Web-01"), None, None)];
        let index = AssetIndex::new(&assets);
        assert_eq!(name(index.find(None, "WEB-01", &[])), Some("门户"));
        assert_eq!(name(index.find(Some(MID), "web-01", &[])), Some("门户"));
    }

    #[test]
    fn short_and_full_host_names_match_each_other() {
        let assets = [
            asset(2, "门户", Some("web-01.example.gov.cn"), None, None),
            asset(3, "数据库", Some("db-01"), None, None),
        ];
        let index = AssetIndex::new(&assets);
        assert_eq!(name(index.find(None, "web-01", &[])), Some("门户"));
        assert_eq!(
            name(index.find(None, "db-01.example.gov.cn", &[])),
            Some("数据库")
        );
        // Two different full names are two different hosts.
        assert_eq!(name(index.find(None, "web-01.other.cn", &[])), None);
    }

    #[test]
    fn an_ambiguous_short_name_matches_nothing() {
        let assets = [
            asset(2, "甲", Some("web-01.a.cn"), None, None),
            asset(3, "乙", Some("web-01.b.cn"), None, None),
        ];
        let index = AssetIndex::new(&assets);
        assert_eq!(name(index.find(None, "web-01", &[])), None);
        assert_eq!(name(index.find(None, "web-01.b.cn", &[])), Some("乙"));
    }

    #[test]
    fn any_ip_matches_when_nothing_else_does() {
        let assets = [
            asset(2, "门户", Some("web-01"), None, Some("10.0.0.1, 10.0.0.2")),
            asset(3, "数据库", None, None, Some("10.0.0.9")),
        ];
        let index = AssetIndex::new(&assets);
        assert_eq!(
            name(index.find(None, "localhost", &ips(&["127.0.0.1", "10.0.0.2"]))),
            Some("门户")
        );
        assert_eq!(
            name(index.find(None, "x", &ips(&["10.0.0.9"]))),
            Some("数据库")
        );
        assert_eq!(
            name(index.find(None, "x", &ips(&["10.9.9.9", "bad"]))),
            None
        );
    }

    #[test]
    fn an_ip_shared_by_two_assets_or_two_assets_ips_match_nothing() {
        let assets = [
            asset(2, "甲", Some("a"), None, Some("10.0.0.1")),
            asset(3, "乙", Some("b"), None, Some("10.0.0.1")),
            asset(4, "丙", Some("c"), None, Some("10.0.0.3")),
        ];
        let index = AssetIndex::new(&assets);
        assert_eq!(name(index.find(None, "x", &ips(&["10.0.0.1"]))), None);
        assert_eq!(
            name(index.find(None, "x", &ips(&["10.0.0.3", "10.0.0.1"]))),
            None
        );
    }

    #[test]
    fn a_different_machine_id_vetoes_a_hostname_or_ip_match() {
        let assets = [asset(
            2,
            "门户",
            Some("web-01"),
            Some(OTHER_MID),
            Some("10.0.0.1"),
        )];
        let index = AssetIndex::new(&assets);
        assert_eq!(
            name(index.find(Some(MID), "web-01", &ips(&["10.0.0.1"]))),
            None
        );
        // A report without a machine id still matches by name.
        assert_eq!(name(index.find(None, "web-01", &[])), Some("门户"));
    }

    #[test]
    fn an_unregistered_host_matches_nothing() {
        let assets = [asset(2, "门户", Some("web-01"), Some(OTHER_MID), None)];
        let index = AssetIndex::new(&assets);
        assert!(
            index
                .find(Some(MID), "db-07", &ips(&["10.0.0.7"]))
                .is_none()
        );
        assert!(
            AssetIndex::new(&[])
                .find(Some(MID), "web-01", &[])
                .is_none()
        );
    }

    #[test]
    fn an_owned_index_matches_the_same_way() {
        let index = AssetIndex::new_owned(vec![asset(2, "门户", Some("web-01.a.cn"), None, None)]);
        assert_eq!(name(index.find(None, "WEB-01", &[])), Some("门户"));
        assert_eq!(index.assets().len(), 1);
    }
}
