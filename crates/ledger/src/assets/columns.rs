//! The registry's columns, the header names each accepts, and turning the
//! rows of a sheet (from CSV or XLSX alike) into checked [`Asset`]s.

use super::{Asset, AssetError, CellProblem, parse_level, split_ips};
use selfcheck_catalog::Lang;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

/// A column of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// 资产名称 (required).
    AssetName,
    /// 主机名.
    Hostname,
    /// 机器ID.
    MachineId,
    /// IP地址.
    Ip,
    /// 单位/部门.
    Unit,
    /// 资产类型.
    AssetType,
    /// 操作系统.
    Os,
    /// 等保级别.
    ProtectionLevel,
    /// 责任单位.
    ResponsibleUnit,
    /// 整改责任人.
    ResponsiblePerson,
    /// 联系方式.
    Contact,
}

impl Field {
    /// Every column, in the template's order.
    pub const ALL: [Field; 11] = [
        Field::AssetName,
        Field::Hostname,
        Field::MachineId,
        Field::Ip,
        Field::Unit,
        Field::AssetType,
        Field::Os,
        Field::ProtectionLevel,
        Field::ResponsibleUnit,
        Field::ResponsiblePerson,
        Field::Contact,
    ];

    /// The English column name (also the JSON field name).
    pub fn key(self) -> &'static str {
        match self {
            Field::AssetName => "asset_name",
            Field::Hostname => "hostname",
            Field::MachineId => "machine_id",
            Field::Ip => "ip",
            Field::Unit => "unit",
            Field::AssetType => "asset_type",
            Field::Os => "os",
            Field::ProtectionLevel => "protection_level",
            Field::ResponsibleUnit => "responsible_unit",
            Field::ResponsiblePerson => "responsible_person",
            Field::Contact => "contact",
        }
    }

    /// The Chinese column name, as in the template.
    pub fn zh(self) -> &'static str {
        match self {
            Field::AssetName => "资产名称",
            Field::Hostname => "主机名",
            Field::MachineId => "机器ID",
            Field::Ip => "IP地址",
            Field::Unit => "单位/部门",
            Field::AssetType => "资产类型",
            Field::Os => "操作系统",
            Field::ProtectionLevel => "等保级别",
            Field::ResponsibleUnit => "责任单位",
            Field::ResponsiblePerson => "整改责任人",
            Field::Contact => "联系方式",
        }
    }

    /// The header in `lang` (both are accepted on import).
    pub fn header(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh(),
            Lang::En => self.key(),
        }
    }

    /// Header names accepted besides [`Field::key`] and [`Field::zh`].
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::AssetName => &["资产名"],
            Field::Hostname => &["host", "主机名称", "计算机名"],
            Field::MachineId => &["机器标识"],
            Field::Ip => &["ip_address", "ip_addresses"],
            Field::Unit => &[
                "department",
                "单位",
                "部门",
                "单位(部门)",
                "部门(单位)",
                "单位部门",
                "所属单位",
                "所属部门",
            ],
            Field::AssetType => &["type", "类型", "资产类别"],
            Field::Os => &["operating_system", "操作系统及版本"],
            Field::ProtectionLevel => {
                &["level", "等级", "等保等级", "等级保护级别", "安全保护等级"]
            }
            Field::ResponsibleUnit => &["责任部门"],
            Field::ResponsiblePerson => &["责任人", "owner"],
            Field::Contact => &["联系电话", "电话", "phone"],
        }
    }

    /// The column a header cell names, if any: the whole text, else the part
    /// before or inside brackets (`资产名称(asset_name)`), ignoring case,
    /// spaces, full-width brackets and a trailing `*`.
    pub fn from_header(header: &str) -> Option<Field> {
        let h = normalise(header);
        let whole = Field::lookup(&h);
        if whole.is_some() {
            return whole;
        }
        let (before, rest) = h.split_once('(')?;
        let inside = rest.strip_suffix(')')?;
        Field::lookup(before).or_else(|| Field::lookup(inside))
    }

    fn lookup(h: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| {
            h == normalise(f.key())
                || h == normalise(f.zh())
                || f.aliases().iter().any(|a| h == normalise(a))
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.key(), self.zh())
    }
}

/// A header as compared: no BOM, spaces, `_`, `-` or trailing `*`, ASCII
/// lower case, half-width brackets and slash.
fn normalise(header: &str) -> String {
    header
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '*' || c == '＊')
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{feff}' | '_' | '-' | '－'))
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '／' => '/',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// One cell as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RawCell {
    /// Text (numbers already written as text).
    Text(String),
    /// A spreadsheet error value such as `#N/A`.
    SpreadsheetError(String),
}

impl RawCell {
    fn text(&self) -> &str {
        match self {
            RawCell::Text(t) => t.trim(),
            RawCell::SpreadsheetError(e) => e,
        }
    }

    fn is_empty(&self) -> bool {
        self.text().is_empty()
    }
}

/// One row as read from the file, with its spreadsheet row number.
#[derive(Debug, Clone)]
pub(super) struct RawRow {
    pub row_no: u32,
    pub cells: Vec<RawCell>,
}

/// The spreadsheet letter of the 0-based column `i` (A, B, ..., Z, AA, ...).
fn letter(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// How many leading rows may be titles above the header.
const MAX_TITLE_ROWS: usize = 5;

/// Turn a sheet's rows into checked assets. `first_col` is the 0-based
/// column of each row's first cell (for column letters in messages).
/// Whether an asset name is one of the template's example rows (示例-…),
/// which describe the columns and must not be imported as real assets.
fn is_template_example(name: &str) -> bool {
    let name = name.trim_start();
    name.starts_with("示例") || name.to_lowercase().starts_with("example-")
}

pub(super) fn build(
    file: &str,
    rows: Vec<RawRow>,
    first_col: usize,
) -> Result<Vec<Asset>, AssetError> {
    let rows: Vec<RawRow> = rows
        .into_iter()
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(AssetError::Empty {
            file: file.to_string(),
        });
    }
    // A title row or two ("XX单位网络资产台账") may stand above the header:
    // the header is the first row naming the asset_name column.
    let header_at = rows
        .iter()
        .take(MAX_TITLE_ROWS)
        .position(|r| {
            r.cells
                .iter()
                .any(|c| Field::from_header(c.text()) == Some(Field::AssetName))
        })
        .unwrap_or(0);
    let header = &rows[header_at];
    let data = &rows[header_at + 1..];
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let column_name = |i: usize| {
        let name = header.cells.get(i).map(RawCell::text).unwrap_or("");
        if name.is_empty() {
            letter(first_col + i)
        } else {
            format!("{} ({name})", letter(first_col + i))
        }
    };
    let cell_error = |row: u32, col: usize, problem: CellProblem| AssetError::Cell {
        file: file.to_string(),
        row,
        column: column_name(col),
        problem,
    };

    let mut columns: HashMap<Field, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for i in 0..width {
        let name = header.cells.get(i).map(RawCell::text).unwrap_or("");
        let first_value = data.iter().find_map(|r| {
            r.cells
                .get(i)
                .filter(|c| !c.is_empty())
                .map(|c| (r.row_no, c.text().to_string()))
        });
        if name.is_empty() {
            if let Some((row, value)) = first_value {
                return Err(cell_error(
                    row,
                    i,
                    CellProblem::ValueWithoutHeader { value },
                ));
            }
            continue;
        }
        match Field::from_header(name) {
            Some(field) => {
                if let Some(&earlier) = columns.get(&field) {
                    return Err(AssetError::DuplicateColumn {
                        file: file.to_string(),
                        row: header.row_no,
                        field,
                        first: column_name(earlier),
                        second: column_name(i),
                    });
                }
                columns.insert(field, i);
            }
            // An unknown column with nothing in it loses nothing.
            None if first_value.is_some() => unknown.push(column_name(i)),
            None => {}
        }
    }
    if !unknown.is_empty() {
        return Err(AssetError::UnknownColumns {
            file: file.to_string(),
            row: header.row_no,
            columns: unknown,
        });
    }
    if !columns.contains_key(&Field::AssetName) {
        return Err(AssetError::MissingColumn {
            file: file.to_string(),
            row: header.row_no,
            field: Field::AssetName,
        });
    }
    if ![Field::Hostname, Field::MachineId, Field::Ip]
        .iter()
        .any(|f| columns.contains_key(f))
    {
        return Err(AssetError::MissingIdentityColumns {
            file: file.to_string(),
            row: header.row_no,
        });
    }
    if data.is_empty() {
        return Err(AssetError::NoAssets {
            file: file.to_string(),
        });
    }

    // Every problem of every row is collected, so one pass over the file
    // names them all; a file with any problem stores nothing.
    let mut problems: Vec<AssetError> = Vec::new();
    let mut names: HashMap<String, u32> = HashMap::new();
    let mut hostnames: HashMap<String, u32> = HashMap::new();
    let mut machine_ids: HashMap<String, u32> = HashMap::new();
    let mut assets = Vec::with_capacity(data.len());
    for r in data {
        let row = r.row_no;
        let before = problems.len();
        let mut value = |field: Field| -> Option<String> {
            let &col = columns.get(&field)?;
            match r.cells.get(col) {
                Some(RawCell::SpreadsheetError(e)) => {
                    problems.push(cell_error(
                        row,
                        col,
                        CellProblem::SpreadsheetError { value: e.clone() },
                    ));
                    None
                }
                Some(c) if !c.is_empty() => Some(c.text().to_string()),
                _ => None,
            }
        };
        let asset_name = value(Field::AssetName);
        let asset = Asset {
            row_no: row,
            asset_name: asset_name.clone().unwrap_or_default(),
            hostname: value(Field::Hostname),
            machine_id: value(Field::MachineId),
            ip: value(Field::Ip),
            unit: value(Field::Unit),
            asset_type: value(Field::AssetType),
            os: value(Field::Os),
            protection_level: value(Field::ProtectionLevel),
            responsible_unit: value(Field::ResponsibleUnit),
            responsible_person: value(Field::ResponsiblePerson),
            contact: value(Field::Contact),
        };
        let col = |f: Field| columns.get(&f).copied().unwrap_or(0);
        let mut problem =
            |field: Field, p: CellProblem| problems.push(cell_error(row, col(field), p));
        match &asset_name {
            None => problem(Field::AssetName, CellProblem::EmptyAssetName),
            Some(name) if is_template_example(name) => problem(
                Field::AssetName,
                CellProblem::TemplateExample {
                    value: name.clone(),
                },
            ),
            Some(_) => {}
        }
        if let Some(ip) = &asset.ip
            && let Some(bad) = split_ips(ip).find(|p| p.parse::<IpAddr>().is_err())
        {
            problem(
                Field::Ip,
                CellProblem::BadIp {
                    value: bad.to_string(),
                },
            );
        }
        if let Some(level) = &asset.protection_level
            && parse_level(level).is_err()
        {
            problem(
                Field::ProtectionLevel,
                CellProblem::BadLevel {
                    value: level.clone(),
                },
            );
        }
        if asset_name.is_some() {
            match names.get(&asset.asset_name) {
                Some(&first_row) => problem(
                    Field::AssetName,
                    CellProblem::DuplicateAssetName {
                        value: asset.asset_name.clone(),
                        first_row,
                    },
                ),
                None => {
                    names.insert(asset.asset_name.clone(), row);
                }
            }
        }
        if let Some(h) = &asset.hostname {
            match hostnames.get(&h.to_lowercase()) {
                Some(&first_row) => problem(
                    Field::Hostname,
                    CellProblem::DuplicateHostname {
                        value: h.clone(),
                        first_row,
                    },
                ),
                None => {
                    hostnames.insert(h.to_lowercase(), row);
                }
            }
        }
        if let Some(m) = &asset.machine_id {
            match machine_ids.get(&m.to_lowercase()) {
                Some(&first_row) => problem(
                    Field::MachineId,
                    CellProblem::DuplicateMachineId {
                        value: m.clone(),
                        first_row,
                    },
                ),
                None => {
                    machine_ids.insert(m.to_lowercase(), row);
                }
            }
        }
        if asset.hostname.is_none() && asset.machine_id.is_none() && asset.ip.is_none() {
            let available: Vec<String> = [Field::Hostname, Field::MachineId, Field::Ip]
                .iter()
                .filter_map(|f| columns.get(f).map(|&c| column_name(c)))
                .collect();
            problems.push(AssetError::Cell {
                file: file.to_string(),
                row,
                column: available.join(" / "),
                problem: CellProblem::NoHostIdentity,
            });
        }
        if problems.len() == before {
            assets.push(asset);
        }
    }
    match problems.len() {
        0 => {}
        1 => return Err(problems.remove(0)),
        _ => {
            return Err(AssetError::Problems {
                file: file.to_string(),
                problems,
            });
        }
    }
    Ok(assets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_matched_loosely_but_not_guessed() {
        for (h, f) in [
            ("资产名称", Field::AssetName),
            (" Asset_Name ", Field::AssetName),
            ("ASSET-NAME", Field::AssetName),
            ("\u{feff}资产名称", Field::AssetName),
            ("资产名称*", Field::AssetName),
            ("资产名称（asset_name）", Field::AssetName),
            ("machine-id", Field::MachineId),
            ("Machine ID", Field::MachineId),
            ("Asset Type", Field::AssetType),
            ("IP Address", Field::Ip),
            ("机器ID", Field::MachineId),
            ("机器id", Field::MachineId),
            ("IP", Field::Ip),
            ("IP地址", Field::Ip),
            ("ip 地址", Field::Ip),
            ("单位/部门", Field::Unit),
            ("单位（部门）", Field::Unit),
            ("单位", Field::Unit),
            ("部门", Field::Unit),
            ("整改责任人", Field::ResponsiblePerson),
            ("责任人", Field::ResponsiblePerson),
            ("等保级别", Field::ProtectionLevel),
        ] {
            assert_eq!(Field::from_header(h), Some(f), "{h}");
        }
        for h in ["hostnme", "备注", "IP地址2", "name"] {
            assert_eq!(Field::from_header(h), None, "{h}");
        }
    }

    #[test]
    fn column_letters_go_past_z() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
        assert_eq!(letter(27), "AB");
    }

    fn rows(lines: &[&[&str]]) -> Vec<RawRow> {
        lines
            .iter()
            .enumerate()
            .map(|(i, cells)| RawRow {
                row_no: i as u32 + 1,
                cells: cells.iter().map(|c| RawCell::Text(c.to_string())).collect(),
            })
            .collect()
    }

    #[test]
    fn a_title_row_above_the_header_is_skipped() {
        let assets = build(
            "f.csv",
            rows(&[
                &["某单位网络资产台账", ""],
                &["资产名称", "主机名"],
                &["门户", "web-01"],
            ]),
            0,
        )
        .unwrap();
        assert_eq!(assets.len(), 1);
        assert_eq!(assets[0].row_no, 3);
    }

    #[test]
    fn empty_unknown_columns_are_ignored_and_filled_ones_refused() {
        let ok = build(
            "f.csv",
            rows(&[&["资产名称", "主机名", "备注"], &["门户", "web-01", ""]]),
            0,
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
        let err = build(
            "f.csv",
            rows(&[&["资产名称", "主机名", "备注"], &["门户", "web-01", "x"]]),
            0,
        )
        .unwrap_err();
        assert!(err.to_string().contains("C (备注)"), "{err}");
    }

    #[test]
    fn a_value_in_a_column_without_header_is_refused() {
        let err = build(
            "f.csv",
            rows(&[&["资产名称", "主机名"], &["门户", "web-01", "stray"]]),
            0,
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("f.csv: row 2, column C: "),
            "{err}"
        );
    }

    #[test]
    fn two_headers_meaning_the_same_column_are_refused() {
        let err = build(
            "f.csv",
            rows(&[&["资产名称", "IP", "IP地址"], &["门户", "10.0.0.1", ""]]),
            0,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                AssetError::DuplicateColumn {
                    field: Field::Ip,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn spreadsheet_errors_in_used_columns_are_refused() {
        let mut r = rows(&[&["资产名称", "IP地址"], &["门户", ""]]);
        r[1].cells[1] = RawCell::SpreadsheetError("#N/A".into());
        let err = build("f.xlsx", r, 0).unwrap_err();
        assert!(
            err.to_string().contains("row 2, column B (IP地址)"),
            "{err}"
        );
        assert!(err.to_string().contains("#N/A"), "{err}");
    }
}
