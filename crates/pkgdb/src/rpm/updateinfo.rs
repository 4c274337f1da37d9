//! A repository's `updateinfo.xml`: the advisories (errata) it publishes and
//! the package versions each one ships.
//!
//! The shape, as createrepo_c, RHEL and openEuler write it:
//!
//! ```xml
//! <updates>
//!   <update from="openeuler.org" type="security" status="stable">
//!     <id>openEuler-SA-2024-1234</id>
//!     <severity>Important</severity>
//!     <pkglist>
//!       <collection>
//!         <package name="openssl" epoch="1" version="1.1.1wa" release="3.oe2203sp3" arch="x86_64">
//!           <filename>openssl-1.1.1wa-3.oe2203sp3.x86_64.rpm</filename>
//!         </package>
//!       </collection>
//!     </pkglist>
//!   </update>
//! </updates>
//! ```
//!
//! `type` is `security`, `bugfix`, `enhancement` or `newpackage` (openEuler
//! also writes `feature`); `epoch` may be absent (0). Only the packages of
//! `<collection>` count: openEuler's `<hot_patch_collection>` lists hot
//! patches, which are separate packages. Module information of a collection
//! (RHEL 8 `<module>`) is not looked at: every advisory is taken as
//! applicable.

use super::repodata::{Doc, attr, format_evr, local, push_entity, xml_error};
use quick_xml::Reader;
use quick_xml::events::Event;
use quick_xml::name::QName;
use selfcheck_report::Severity;
use std::collections::HashMap;
use std::io::BufRead;

/// One advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// `<id>`, e.g. `openEuler-SA-2024-1234` or `RHSA-2024:1234`.
    pub id: String,
    /// The `type` attribute, lowercase.
    pub kind: String,
    /// `<severity>` as written, if any.
    pub severity: Option<String>,
}

impl Advisory {
    /// Whether this is a security advisory.
    pub fn is_security(&self) -> bool {
        self.kind == "security"
    }

    /// The severity as a risk level.
    pub fn risk(&self) -> Option<Severity> {
        self.severity.as_deref().and_then(risk)
    }
}

/// A package version an advisory ships, for a wanted name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryPackage {
    /// Index into [`UpdateInfo::advisories`].
    pub advisory: usize,
    /// Index of the name in the wanted map.
    pub name: u32,
    /// `arch`.
    pub arch: String,
    /// `[epoch:]version-release`.
    pub evr: String,
}

/// The advisories of one `updateinfo.xml` that name a wanted package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateInfo {
    /// The advisories.
    pub advisories: Vec<Advisory>,
    /// Their packages of wanted names.
    pub packages: Vec<AdvisoryPackage>,
}

/// Map an updateinfo severity to a risk level: Critical/Important/Moderate/Low
/// (Red Hat's and openEuler's scale, any case) to critical/high/medium/low.
pub fn risk(severity: &str) -> Option<Severity> {
    match severity.trim().to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "important" => Some(Severity::High),
        "moderate" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        _ => None,
    }
}

/// Read the advisories of an `updateinfo.xml` stream that ship a package of
/// a wanted name.
pub fn read_updateinfo(
    input: impl BufRead,
    wanted: &HashMap<String, u32>,
) -> Result<UpdateInfo, String> {
    let mut xml = Reader::from_reader(input);
    let (mut buf, mut skip) = (Vec::new(), Vec::new());
    let mut doc = Doc::new("updates");
    let mut info = UpdateInfo::default();
    // The advisory being read and its packages of wanted names.
    let mut current: Option<(Advisory, Vec<AdvisoryPackage>)> = None;
    let mut field: Option<&'static str> = None;
    let mut text = String::new();
    let mut in_collection = false;
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(&xml, e))?;
        doc.track(&event)?;
        let mut skip_to: Option<String> = None;
        match &event {
            // <update> at depth 2, its fields at 3, <collection> at 4.
            Event::Start(e) if doc.depth == 2 && local(e) == "update" => {
                let kind = attr(e, "type")?.unwrap_or_default().to_ascii_lowercase();
                current = Some((
                    Advisory {
                        id: String::new(),
                        kind,
                        severity: None,
                    },
                    Vec::new(),
                ));
            }
            Event::Start(e) if doc.depth == 3 && current.is_some() => match local(e) {
                "id" => field = Some("id"),
                "severity" => field = Some("severity"),
                "pkglist" => {}
                _ => skip_to = Some(e.name().into_inner().to_string()),
            },
            Event::Start(e) if doc.depth == 4 && current.is_some() => {
                if local(e) == "collection" {
                    in_collection = true;
                } else {
                    skip_to = Some(e.name().into_inner().to_string());
                }
            }
            Event::Start(e) | Event::Empty(e)
                if in_collection && local(e) == "package" && current.is_some() =>
            {
                let name = attr(e, "name")?.unwrap_or_default();
                let arch = attr(e, "arch")?.unwrap_or_default();
                if let (Some(&id), Some((_, pkgs))) = (wanted.get(name.as_str()), current.as_mut())
                    && arch != "src"
                    && arch != "nosrc"
                {
                    let epoch = attr(e, "epoch")?.unwrap_or_default();
                    let version = attr(e, "version")?.unwrap_or_default();
                    let release = attr(e, "release")?.unwrap_or_default();
                    if !version.is_empty() {
                        pkgs.push(AdvisoryPackage {
                            advisory: 0,
                            name: id,
                            arch,
                            evr: format_evr(&epoch, &version, &release),
                        });
                    }
                }
                if matches!(event, Event::Start(_)) {
                    skip_to = Some(e.name().into_inner().to_string());
                }
            }
            Event::Text(t) if field.is_some() => text.push_str(t),
            Event::GeneralRef(r) if field.is_some() => push_entity(&mut text, r)?,
            Event::End(_) if doc.depth == 3 && in_collection => in_collection = false,
            Event::End(_) if doc.depth == 2 && field.is_some() => {
                let value = std::mem::take(&mut text).trim().to_string();
                if let (Some((adv, _)), Some(f)) = (current.as_mut(), field.take()) {
                    match f {
                        "id" => adv.id = value,
                        _ => adv.severity = (!value.is_empty()).then_some(value),
                    }
                }
            }
            Event::End(_) if doc.depth == 1 => {
                if let Some((adv, mut pkgs)) = current.take()
                    && !pkgs.is_empty()
                    && !adv.id.is_empty()
                {
                    let index = info.advisories.len();
                    pkgs.iter_mut().for_each(|p| p.advisory = index);
                    info.advisories.push(adv);
                    info.packages.extend(pkgs);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if let Some(tag) = skip_to {
            xml.read_to_end_into(QName(&tag), &mut skip)
                .map_err(|e| xml_error(&xml, e))?;
            doc.depth -= 1;
            skip.clear();
        }
        buf.clear();
    }
    doc.finish()?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_risk_levels() {
        assert_eq!(risk("Critical"), Some(Severity::Critical));
        assert_eq!(risk("Important"), Some(Severity::High));
        assert_eq!(risk("moderate"), Some(Severity::Medium));
        assert_eq!(risk("Low"), Some(Severity::Low));
        assert_eq!(risk("None"), None);
        assert_eq!(risk(""), None);
    }

    #[test]
    fn reads_the_advisories_of_wanted_packages() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="openeuler.org" type="security" status="stable">
    <id>openEuler-SA-2024-0001</id>
    <title>An update for openssl &amp; friends</title>
    <severity>Important</severity>
    <references><reference href="x" id="CVE-2024-1" title="CVE-2024-1" type="cve"></reference></references>
    <pkglist>
      <collection>
        <name>openEuler</name>
        <package arch="x86_64" name="openssl" release="3.oe2203" version="1.1.1w">
          <filename>openssl-1.1.1w-3.oe2203.x86_64.rpm</filename>
        </package>
        <package arch="src" name="openssl" release="3.oe2203" version="1.1.1w"/>
        <package arch="x86_64" name="other" release="1" version="1"/>
      </collection>
      <hot_patch_collection>
        <package arch="x86_64" name="openssl" release="1" version="9"/>
      </hot_patch_collection>
    </pkglist>
  </update>
  <update type="bugfix"><id>B-1</id><pkglist><collection>
    <package name="other" version="2" release="1" epoch="0" arch="noarch"/>
  </collection></pkglist></update>
</updates>"#;
        let wanted = HashMap::from([("openssl".to_string(), 0u32)]);
        let info = read_updateinfo(xml.as_bytes(), &wanted).unwrap();
        assert_eq!(info.advisories.len(), 1);
        let a = &info.advisories[0];
        assert_eq!(a.id, "openEuler-SA-2024-0001");
        assert!(a.is_security());
        assert_eq!(a.risk(), Some(Severity::High));
        assert_eq!(info.packages.len(), 1);
        assert_eq!(info.packages[0].evr, "1.1.1w-3.oe2203");
        assert_eq!(info.packages[0].arch, "x86_64");
    }

    #[test]
    fn a_truncated_document_is_an_error() {
        let wanted = HashMap::new();
        let err =
            read_updateinfo("<updates><update type=\"security\">".as_bytes(), &wanted).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        assert!(read_updateinfo("<metadata/>".as_bytes(), &wanted).is_err());
        assert!(read_updateinfo("<updates><a></b></updates>".as_bytes(), &wanted).is_err());
    }
}
