//! The asset registry (资产台账): which hosts a unit has, who answers for each,
//! read from a CSV or XLSX file the unit keeps, and matched to the hosts that
//! send reports.
//!
//! A registry file is read whole and checked before anything is stored: every
//! column must be known (or empty), every row must name its asset and at least
//! one of host name, machine id or IP, names and host identities must not
//! repeat, and IPs and protection levels must be readable. Any problem is one
//! [`AssetError`] naming the file, the row (as a spreadsheet shows it, the
//! header being row 1) and the column; the store is then left as it was.
//!
//! The columns and their accepted names are in [`Field`]; matching reports to
//! assets is [`AssetIndex`]. `docs/asset-registry.md` describes both for users.

use selfcheck_report::{FileKind, ProtectionLevel};
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

mod columns;
mod index;
mod parse;

pub use columns::Field;
pub use index::{AssetIndex, OwnedAssetIndex};
pub use parse::{parse_csv, parse_xlsx};

/// The largest registry file accepted (50 MB).
pub const MAX_ASSET_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// One asset (a row of the registry). Text is kept as written in the file,
/// trimmed; empty cells are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    /// The row the asset had in the imported file, as a spreadsheet shows it
    /// (the header is row 1, so the first asset is normally row 2).
    pub row_no: u32,
    /// 资产名称: the asset's name in the unit's records (unique in the registry).
    pub asset_name: String,
    /// 主机名: the host name its agent reports.
    pub hostname: Option<String>,
    /// 机器ID: `/etc/machine-id` of the host.
    pub machine_id: Option<String>,
    /// IP地址: one or more addresses, separated by commas, semicolons, 、 or spaces.
    pub ip: Option<String>,
    /// 单位/部门: the unit or department that uses it.
    pub unit: Option<String>,
    /// 资产类型: server, terminal, network device, ...
    pub asset_type: Option<String>,
    /// 操作系统: operating system as the unit records it.
    pub os: Option<String>,
    /// 等保级别: protection level as written (二级, 三级, 3, L3, ...); see [`Asset::level`].
    pub protection_level: Option<String>,
    /// 责任单位: the unit answerable for rectification.
    pub responsible_unit: Option<String>,
    /// 整改责任人: the person answerable for rectification.
    pub responsible_person: Option<String>,
    /// 联系方式: how to reach them.
    pub contact: Option<String>,
}

impl Asset {
    /// The protection level (等保级别), when one is given (二级, 第三级,
    /// 等保三级, 3, L3, level 3, ...). `None` when the cell is empty or says
    /// there is none (未定级, 无, 不涉及, -).
    pub fn level(&self) -> Option<ProtectionLevel> {
        self.protection_level
            .as_deref()
            .and_then(|t| parse_level(t).ok().flatten())
    }

    /// The asset's IP addresses (the `ip` cell split into addresses).
    pub fn ips(&self) -> Vec<IpAddr> {
        self.ip
            .as_deref()
            .map(|t| split_ips(t).filter_map(|p| p.parse().ok()).collect())
            .unwrap_or_default()
    }

    /// The value of one column.
    pub fn get(&self, field: Field) -> Option<&str> {
        match field {
            Field::AssetName => Some(&self.asset_name),
            Field::Hostname => self.hostname.as_deref(),
            Field::MachineId => self.machine_id.as_deref(),
            Field::Ip => self.ip.as_deref(),
            Field::Unit => self.unit.as_deref(),
            Field::AssetType => self.asset_type.as_deref(),
            Field::Os => self.os.as_deref(),
            Field::ProtectionLevel => self.protection_level.as_deref(),
            Field::ResponsibleUnit => self.responsible_unit.as_deref(),
            Field::ResponsiblePerson => self.responsible_person.as_deref(),
            Field::Contact => self.contact.as_deref(),
        }
    }
}

/// What an import would change in the stored registry, matched by asset name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryDiff {
    /// Assets in the file that are not registered.
    pub added: Vec<Asset>,
    /// Registered assets the file leaves out.
    pub removed: Vec<Asset>,
    /// Assets in both whose columns differ: (registered, in the file, the columns that differ).
    pub changed: Vec<(Asset, Asset, Vec<Field>)>,
    /// Assets in both with every column the same.
    pub unchanged: usize,
}

impl RegistryDiff {
    /// Compare the registered assets with those of a file, by asset name.
    pub fn between(registered: &[Asset], file: &[Asset]) -> RegistryDiff {
        let mut diff = RegistryDiff::default();
        for new in file {
            match registered.iter().find(|a| a.asset_name == new.asset_name) {
                None => diff.added.push(new.clone()),
                Some(old) => {
                    let fields: Vec<Field> = Field::ALL
                        .iter()
                        .copied()
                        .filter(|f| old.get(*f) != new.get(*f))
                        .collect();
                    if fields.is_empty() {
                        diff.unchanged += 1;
                    } else {
                        diff.changed.push((old.clone(), new.clone(), fields));
                    }
                }
            }
        }
        diff.removed = registered
            .iter()
            .filter(|old| !file.iter().any(|n| n.asset_name == old.asset_name))
            .cloned()
            .collect();
        diff
    }

    /// Whether the file holds exactly the registered assets.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Why a registry file was refused. Each message names the file and, for a
/// problem in the data, the row and column, and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read the file: {source}")]
    Read {
        /// The file.
        file: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The path is not a regular file.
    #[error("{file}: not a regular file (it is {kind}); name the registry's .csv or .xlsx file")]
    NotRegularFile {
        /// The file.
        file: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file is larger than [`MAX_ASSET_FILE_BYTES`].
    #[error(
        "{file}: the file has {size} bytes, more than the 50 MB an asset registry may have; remove what is not the registry (other sheets, pictures)"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
    },
    /// The file is empty, or holds only empty rows.
    #[error(
        "{file}: the file is empty; fill in the template reports/asset-registry-template.csv (or .xlsx)"
    )]
    Empty {
        /// The file.
        file: String,
    },
    /// The file has a header but no asset rows.
    #[error(
        "{file}: the file has a header row but no assets; an import replaces the whole registry, so it must list every asset"
    )]
    NoAssets {
        /// The file.
        file: String,
    },
    /// Neither `.csv` nor `.xlsx`.
    #[error("{file}: {hint}")]
    UnsupportedFileType {
        /// The file.
        file: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// Another kind of file than a registry (a report, a package, a database, ...).
    #[error("{file}: not an asset registry: {}", kind.sentence())]
    WrongKind {
        /// The file.
        file: String,
        /// What it is.
        kind: FileKind,
    },
    /// A CSV file in an encoding that cannot be read.
    #[error("{file}: {problem}; in Excel or WPS use Save As, file type \"CSV UTF-8 (逗号分隔)\"")]
    Encoding {
        /// The file.
        file: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A CSV file that is not valid CSV.
    #[error("{file}: row {row}: not valid CSV: {detail}")]
    Csv {
        /// The file.
        file: String,
        /// The row (spreadsheet numbering).
        row: u32,
        /// What the CSV reader said.
        detail: String,
    },
    /// A `.xlsx` file that is not an Excel workbook, or has no worksheet.
    #[error(
        "{file}: not a readable Excel .xlsx workbook ({detail}); open it in Excel or WPS and save it as .xlsx (Excel 工作簿) or as CSV UTF-8"
    )]
    NotXlsx {
        /// The file.
        file: String,
        /// What the reader said.
        detail: String,
    },
    /// A required column is missing from the header.
    #[error(
        "{file}: row {row} (the header) has no column {field}; the header must name it (see reports/asset-registry-template.csv)"
    )]
    MissingColumn {
        /// The file.
        file: String,
        /// The header's row.
        row: u32,
        /// The missing column.
        field: Field,
    },
    /// None of the columns that identify a host is in the header.
    #[error(
        "{file}: row {row} (the header) has none of the columns hostname (主机名), machine_id (机器ID), ip (IP地址); at least one is needed to match reports to assets"
    )]
    MissingIdentityColumns {
        /// The file.
        file: String,
        /// The header's row.
        row: u32,
    },
    /// Columns with data whose header is not a known column name.
    #[error(
        "{file}: row {row} (the header) has unknown column(s) {}; rename them to one of {} or delete them (empty columns are ignored)",
        columns.join(", "),
        Field::ALL.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    UnknownColumns {
        /// The file.
        file: String,
        /// The header's row.
        row: u32,
        /// Each unknown column, as `C (备注)`.
        columns: Vec<String>,
    },
    /// Two header cells name the same column.
    #[error(
        "{file}: row {row} (the header): columns {first} and {second} both mean {field}; keep one"
    )]
    DuplicateColumn {
        /// The file.
        file: String,
        /// The header's row.
        row: u32,
        /// The column they both mean.
        field: Field,
        /// The first, as `B (主机名)`.
        first: String,
        /// The second.
        second: String,
    },
    /// Several problems in the data, each a [`AssetError::Cell`], in row order.
    #[error(
        "{file}: {} problems; nothing was imported:\n{}",
        problems.len(),
        list_problems(problems)
    )]
    Problems {
        /// The file.
        file: String,
        /// Every problem found.
        problems: Vec<AssetError>,
    },
    /// A problem in one cell (or one row).
    #[error("{file}: row {row}, column {column}: {problem}")]
    Cell {
        /// The file.
        file: String,
        /// The row (spreadsheet numbering).
        row: u32,
        /// The column, as `C (IP地址)`.
        column: String,
        /// What is wrong.
        problem: CellProblem,
    },
}

/// Problems listed in a [`AssetError::Problems`] message; the rest are counted.
const MAX_LISTED_PROBLEMS: usize = 100;

fn list_problems(problems: &[AssetError]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .take(MAX_LISTED_PROBLEMS)
        .map(|p| match p {
            AssetError::Cell {
                row,
                column,
                problem,
                ..
            } => format!("  row {row}, column {column}: {problem}"),
            other => format!("  {other}"),
        })
        .collect();
    if problems.len() > MAX_LISTED_PROBLEMS {
        lines.push(format!(
            "  … and {} more",
            problems.len() - MAX_LISTED_PROBLEMS
        ));
    }
    lines.join("\n")
}

/// What is wrong with one cell or row of a registry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellProblem {
    /// `asset_name` is empty.
    EmptyAssetName,
    /// None of hostname, machine_id, ip is filled in.
    NoHostIdentity,
    /// The asset name is used by an earlier row.
    DuplicateAssetName {
        /// The name.
        value: String,
        /// The earlier row.
        first_row: u32,
    },
    /// The host name (compared ignoring case) is used by an earlier row.
    DuplicateHostname {
        /// The host name.
        value: String,
        /// The earlier row.
        first_row: u32,
    },
    /// The machine id (compared ignoring case) is used by an earlier row.
    DuplicateMachineId {
        /// The machine id.
        value: String,
        /// The earlier row.
        first_row: u32,
    },
    /// A part of the ip cell is not an IP address.
    BadIp {
        /// The part that is not an address.
        value: String,
    },
    /// The protection level is not one this collector reads.
    BadLevel {
        /// The text.
        value: String,
    },
    /// A cell has a value but its column has no header.
    ValueWithoutHeader {
        /// The value.
        value: String,
    },
    /// The row is one of the template's examples (an asset name starting with 示例).
    TemplateExample {
        /// The asset name.
        value: String,
    },
    /// The spreadsheet cell holds an error (`#N/A`, `#REF!`, ...).
    SpreadsheetError {
        /// The error as Excel shows it.
        value: String,
    },
}

impl fmt::Display for CellProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellProblem::EmptyAssetName => {
                f.write_str("the asset name (资产名称) is empty; every asset needs its name")
            }
            CellProblem::NoHostIdentity => f.write_str(
                "none of hostname (主机名), machine_id (机器ID), ip (IP地址) is filled in; give at least one so reports can be matched to this asset",
            ),
            CellProblem::DuplicateAssetName { value, first_row } => write!(
                f,
                "asset name {value:?} is already used in row {first_row}; asset names must be unique"
            ),
            CellProblem::DuplicateHostname { value, first_row } => write!(
                f,
                "host name {value:?} is already used in row {first_row}; one host is one asset"
            ),
            CellProblem::DuplicateMachineId { value, first_row } => write!(
                f,
                "machine id {value:?} is already used in row {first_row}; one host is one asset"
            ),
            CellProblem::BadIp { value } => write!(
                f,
                "{value:?} is not an IP address; write addresses like 10.1.2.3, several separated by commas"
            ),
            CellProblem::BadLevel { value } => write!(
                f,
                "protection level {value:?} is not recognised; write 二级, 三级, 2, 3, L2 or L3 (or 未定级, or leave it empty)"
            ),
            CellProblem::ValueWithoutHeader { value } => write!(
                f,
                "the cell holds {value:?} but the column has no header; name the column or delete the value"
            ),
            CellProblem::TemplateExample { value } => write!(
                f,
                "{value:?} is an example row of the template (示例-…); delete the example rows and list the unit's real assets"
            ),
            CellProblem::SpreadsheetError { value } => write!(
                f,
                "the cell holds the spreadsheet error {value}; fix the formula or type the value"
            ),
        }
    }
}

/// Read a registry file, choosing the format by extension (`.csv` or `.xlsx`).
/// Refuses without blocking what is not a regular file (a FIFO, a device, a
/// directory) and files over [`MAX_ASSET_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<Vec<Asset>, AssetError> {
    let file = path.display().to_string();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let wrong_kind = |bytes: &[u8], expected: &[FileKind]| match FileKind::sniff(bytes) {
        Some(kind) if !expected.contains(&kind) => Err(AssetError::WrongKind {
            file: file.clone(),
            kind,
        }),
        _ => Ok(()),
    };
    match ext.as_deref() {
        Some("csv") => {
            let bytes = parse::read_bounded(path, &file)?;
            if FileKind::sniff(&bytes) == Some(FileKind::Xlsx) {
                return Err(AssetError::UnsupportedFileType {
                    file,
                    hint: "the file is an Excel workbook with a .csv name; rename it to .xlsx",
                });
            }
            wrong_kind(&bytes, &[FileKind::RegistryCsv, FileKind::Utf16Text])?;
            parse_csv(&bytes, &file)
        }
        Some("xlsx") => {
            let bytes = parse::read_bounded(path, &file)?;
            if FileKind::sniff(&bytes) == Some(FileKind::RegistryCsv) {
                return Err(AssetError::UnsupportedFileType {
                    file,
                    hint: "the file is CSV text with an .xlsx name; rename it to .csv",
                });
            }
            wrong_kind(&bytes, &[FileKind::Xlsx, FileKind::Zip])?;
            parse_xlsx(&bytes, &file)
        }
        Some("xls") | Some("et") => Err(AssetError::UnsupportedFileType {
            file,
            hint: "old Excel (.xls) and WPS (.et) workbooks are not read; open it and save it as .xlsx (Excel 工作簿) or as CSV UTF-8",
        }),
        _ => {
            // Name what the file is when it is something people mix up
            // (a report, an evidence package); else say what is read.
            if let Ok(bytes) = parse::read_bounded(path, &file) {
                wrong_kind(&bytes, &[])?;
            }
            Err(AssetError::UnsupportedFileType {
                file,
                hint: "the asset registry must be a .csv (UTF-8) or .xlsx file; use reports/asset-registry-template.csv or .xlsx",
            })
        }
    }
}

/// The addresses of an `ip` cell: split on commas, semicolons, 、 and white space.
pub(crate) fn split_ips(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| matches!(c, ',' | ';' | '，' | '；' | '、') || c.is_whitespace())
        .filter(|p| !p.is_empty())
}

/// Text that is neither a protection level nor "none".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotALevel;

/// Read a protection level (a registry cell, a report's level text): `Ok(Some(level))` for a level, `Ok(None)` for "none",
/// `Err(NotALevel)` for text that is neither.
pub fn parse_level(text: &str) -> Result<Option<ProtectionLevel>, NotALevel> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    const NONE: [&str; 10] = [
        "",
        "未定级",
        "未定",
        "无",
        "不涉及",
        "n/a",
        "na",
        "-",
        "—",
        "/",
    ];
    if NONE.contains(&t.as_str()) {
        return Ok(None);
    }
    let mut s = t.as_str();
    for prefix in ["等级保护", "等保", "第", "level", "l"] {
        s = s.strip_prefix(prefix).unwrap_or(s);
    }
    for suffix in ["等保", "级"] {
        s = s.strip_suffix(suffix).unwrap_or(s);
    }
    let n = match s {
        "1" | "一" => 1,
        "2" | "二" => 2,
        "3" | "三" => 3,
        "4" | "四" => 4,
        "5" | "五" => 5,
        _ => return Err(NotALevel),
    };
    Ok(ProtectionLevel::new(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_in_the_usual_spellings() {
        for (text, level) in [
            ("二级", Some(2)),
            ("三级", Some(3)),
            ("第三级", Some(3)),
            ("等保三级", Some(3)),
            ("三级等保", Some(3)),
            ("2", Some(2)),
            ("3", Some(3)),
            ("L2", Some(2)),
            ("l3", Some(3)),
            ("Level 3", Some(3)),
            (" 3 ", Some(3)),
            ("未定级", None),
            ("无", None),
            ("-", None),
        ] {
            assert_eq!(
                parse_level(text),
                Ok(level.and_then(ProtectionLevel::new)),
                "{text}"
            );
        }
        for bad in ["三极", "6", "high", "3.5"] {
            assert_eq!(parse_level(bad), Err(NotALevel), "{bad}");
        }
    }

    #[test]
    fn level_keeps_the_text_and_exposes_the_number() {
        let a = Asset {
            protection_level: Some("三级".into()),
            ..index::tests::asset(2, "门户", Some("web-01"), None, None)
        };
        assert_eq!(a.protection_level.as_deref(), Some("三级"));
        assert_eq!(a.level(), Some(ProtectionLevel::THREE));
    }

    #[test]
    fn ip_cells_may_hold_several_addresses() {
        let a = Asset {
            ip: Some("10.1.2.3, 10.1.2.4；fe80::1、192.168.0.1".into()),
            ..index::tests::asset(2, "门户", Some("web-01"), None, None)
        };
        let ips: Vec<String> = a.ips().iter().map(ToString::to_string).collect();
        assert_eq!(ips, ["10.1.2.3", "10.1.2.4", "fe80::1", "192.168.0.1"]);
    }

    #[test]
    fn unknown_extensions_and_old_excel_files_are_refused_with_advice() {
        let tmp = tempfile::tempdir().unwrap();
        for (name, needle) in [
            ("a.xls", "save it as .xlsx"),
            ("a.txt", ".csv (UTF-8) or .xlsx"),
        ] {
            let path = tmp.path().join(name);
            std::fs::write(&path, b"x").unwrap();
            let err = read_file(&path).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains(name), "{err}");
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("pipe.csv");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let err = read_file(&path).unwrap_err();
        assert!(
            matches!(err, AssetError::NotRegularFile { kind, .. } if kind.contains("FIFO")),
            "{err}"
        );
    }

    #[test]
    fn an_oversized_file_is_refused_from_its_size() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("big.csv");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(MAX_ASSET_FILE_BYTES + 1).unwrap();
        let err = read_file(&path).unwrap_err();
        assert!(matches!(err, AssetError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("50 MB"), "{err}");
    }
}
