//! The columns of the office's rectification list template (整改台账), with
//! their headers in Chinese and English and the names a `collector.toml`
//! preset may use. The config names them, the ledger fills them, the
//! documents lay them out.

use selfcheck_catalog::Lang;

/// A ledger column, in the order of the office's rectification list template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// 序号.
    RowNo,
    /// 问题编号: stable across months.
    FindingNo,
    /// 检查时间/批次: latest sighting and period.
    InspectionRound,
    /// 检查类型.
    InspectionType,
    /// 问题来源.
    Source,
    /// 单位（部门）, from the asset registry.
    Unit,
    /// 资产名称: the registry's name, else the host name.
    AssetName,
    /// 资产类型.
    AssetType,
    /// IP地址.
    IpAddress,
    /// 操作系统及版本.
    Os,
    /// 检查项（对应条款）: check title and its references.
    CheckItem,
    /// 问题描述: title, subject and evidence.
    Description,
    /// 风险等级.
    Risk,
    /// 佐证材料编号: report id and file digest.
    EvidenceRef,
    /// 整改措施: the measure a person recorded, else the catalog's remediation.
    Remediation,
    /// 临时缓解措施.
    Mitigation,
    /// 责任单位.
    ResponsibleUnit,
    /// 整改责任人: the owner a person set, else the registry's responsible person.
    Owner,
    /// 发现时间: first seen.
    FoundOn,
    /// 整改时限.
    Deadline,
    /// 整改状态 (with 逾期 when overdue).
    Status,
    /// 完成时间: the re-check that closed it, or the day a person said it was fixed.
    CompletedOn,
    /// 复查情况.
    Recheck,
    /// 备注.
    Remarks,
    /// 资产名称/IP: the asset name and its addresses in one cell (short
    /// templates); not one of [`Column::ALL`].
    AssetNameAndIp,
}

impl Column {
    /// Every column, in the office template's order.
    pub const ALL: [Column; 24] = [
        Column::RowNo,
        Column::FindingNo,
        Column::InspectionRound,
        Column::InspectionType,
        Column::Source,
        Column::Unit,
        Column::AssetName,
        Column::AssetType,
        Column::IpAddress,
        Column::Os,
        Column::CheckItem,
        Column::Description,
        Column::Risk,
        Column::EvidenceRef,
        Column::Remediation,
        Column::Mitigation,
        Column::ResponsibleUnit,
        Column::Owner,
        Column::FoundOn,
        Column::Deadline,
        Column::Status,
        Column::CompletedOn,
        Column::Recheck,
        Column::Remarks,
    ];

    /// The columns a terminal table shows (csv and json carry [`Column::ALL`]).
    pub const SCREEN: [Column; 9] = [
        Column::RowNo,
        Column::FindingNo,
        Column::AssetName,
        Column::Risk,
        Column::Description,
        Column::Status,
        Column::Deadline,
        Column::Owner,
        Column::FoundOn,
    ];

    /// The columns a terminal narrower than [`Column::WIDE_TERMINAL`] shows:
    /// enough to find a finding (`finding show NO`) and see what is urgent.
    /// There 问题描述 starts with the asset's name, and headers are short
    /// ([`Column::short_header`]).
    pub const NARROW: [Column; 5] = [
        Column::FindingNo,
        Column::Risk,
        Column::Status,
        Column::Deadline,
        Column::Description,
    ];

    /// The header on a narrow terminal: one or two characters of Chinese, one
    /// English word (the full header is [`Column::header`]).
    pub fn short_header(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Column::RowNo => ("序号", "#"),
            Column::FindingNo => ("编号", "No."),
            Column::Risk => ("风险", "Risk"),
            Column::Status => ("状态", "Status"),
            Column::Deadline => ("时限", "Due"),
            Column::Description => ("资产：问题", "Asset: finding"),
            Column::Owner => ("责任人", "Owner"),
            Column::FoundOn => ("发现", "Found"),
            other => return other.header(lang),
        };
        lang.pick(zh, en)
    }

    /// Whether the column's text is short and never worth wrapping (numbers,
    /// levels, statuses, dates, ids).
    pub fn is_short(self) -> bool {
        matches!(
            self,
            Column::RowNo
                | Column::FindingNo
                | Column::Risk
                | Column::Status
                | Column::Deadline
                | Column::FoundOn
                | Column::CompletedOn
                | Column::InspectionRound
        )
    }

    /// The terminal width from which [`Column::SCREEN`] is shown instead of [`Column::NARROW`].
    pub const WIDE_TERMINAL: u16 = 120;

    /// The short 11-column set many offices ask for: 序号, 单位, 资产名称/IP,
    /// 问题描述, 风险等级, 整改措施, 责任人, 整改时限, 整改状态, 复查情况, 备注.
    pub const SHORT: [Column; 11] = [
        Column::RowNo,
        Column::Unit,
        Column::AssetNameAndIp,
        Column::Description,
        Column::Risk,
        Column::Remediation,
        Column::Owner,
        Column::Deadline,
        Column::Status,
        Column::Recheck,
        Column::Remarks,
    ];

    /// Every column a layout may name: [`Column::ALL`] and the combined ones.
    pub const NAMEABLE: [Column; 25] = [
        Column::RowNo,
        Column::FindingNo,
        Column::InspectionRound,
        Column::InspectionType,
        Column::Source,
        Column::Unit,
        Column::AssetName,
        Column::AssetType,
        Column::IpAddress,
        Column::Os,
        Column::CheckItem,
        Column::Description,
        Column::Risk,
        Column::EvidenceRef,
        Column::Remediation,
        Column::Mitigation,
        Column::ResponsibleUnit,
        Column::Owner,
        Column::FoundOn,
        Column::Deadline,
        Column::Status,
        Column::CompletedOn,
        Column::Recheck,
        Column::Remarks,
        Column::AssetNameAndIp,
    ];

    /// The stable key naming the column in `collector.toml`, e.g. `finding_no`.
    pub fn key(self) -> &'static str {
        match self {
            Column::RowNo => "row_no",
            Column::FindingNo => "finding_no",
            Column::InspectionRound => "inspection_round",
            Column::InspectionType => "inspection_type",
            Column::Source => "source",
            Column::Unit => "unit",
            Column::AssetName => "asset_name",
            Column::AssetType => "asset_type",
            Column::IpAddress => "ip_address",
            Column::Os => "os",
            Column::CheckItem => "check_item",
            Column::Description => "description",
            Column::Risk => "risk",
            Column::EvidenceRef => "evidence_ref",
            Column::Remediation => "remediation",
            Column::Mitigation => "mitigation",
            Column::ResponsibleUnit => "responsible_unit",
            Column::Owner => "owner",
            Column::FoundOn => "found_on",
            Column::Deadline => "deadline",
            Column::Status => "status",
            Column::CompletedOn => "completed_on",
            Column::Recheck => "recheck",
            Column::Remarks => "remarks",
            Column::AssetNameAndIp => "asset_name_ip",
        }
    }

    /// The column a template names: its key, its Chinese or English header
    /// (case, spaces and full-width brackets do not matter), or a common
    /// short name (单位, 责任人, 检查时间, 检查批次, 资产名称/IP地址).
    pub fn from_name(name: &str) -> Option<Column> {
        let wanted = normalize_name(name);
        if wanted.is_empty() {
            return None;
        }
        let alias = match wanted.as_str() {
            "单位" | "部门" => Some(Column::Unit),
            "责任人" => Some(Column::Owner),
            "检查时间" | "检查批次" => Some(Column::InspectionRound),
            "资产名称/ip地址" | "资产/ip" => Some(Column::AssetNameAndIp),
            _ => None,
        };
        alias.or_else(|| {
            Column::NAMEABLE.into_iter().find(|c| {
                c.key() == wanted
                    || normalize_name(c.header(Lang::Zh)) == wanted
                    || normalize_name(c.header(Lang::En)) == wanted
            })
        })
    }

    /// The column header.
    pub fn header(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Column::RowNo => ("序号", "No."),
            Column::FindingNo => ("问题编号", "Finding ID"),
            Column::InspectionRound => ("检查时间/批次", "Inspection date / round"),
            Column::InspectionType => ("检查类型", "Inspection type"),
            Column::Source => ("问题来源", "Source"),
            Column::Unit => ("单位（部门）", "Unit (department)"),
            Column::AssetName => ("资产名称", "Asset name"),
            Column::AssetType => ("资产类型", "Asset type"),
            Column::IpAddress => ("IP地址", "IP address"),
            Column::Os => ("操作系统及版本", "OS and version"),
            Column::CheckItem => ("检查项（对应条款）", "Check item (clause)"),
            Column::Description => ("问题描述", "Finding description"),
            Column::Risk => ("风险等级", "Risk level"),
            Column::EvidenceRef => ("佐证材料编号", "Evidence ref"),
            Column::Remediation => ("整改措施", "Remediation measure"),
            Column::Mitigation => ("临时缓解措施", "Interim mitigation"),
            Column::ResponsibleUnit => ("责任单位", "Responsible unit"),
            Column::Owner => ("整改责任人", "Owner"),
            Column::FoundOn => ("发现时间", "Found on"),
            Column::Deadline => ("整改时限", "Deadline"),
            Column::Status => ("整改状态", "Status"),
            Column::CompletedOn => ("完成时间", "Completed on"),
            Column::Recheck => ("复查情况", "Re-check"),
            Column::Remarks => ("备注", "Remarks"),
            Column::AssetNameAndIp => ("资产名称/IP", "Asset name / IP"),
        };
        lang.pick(zh, en)
    }
}

/// Lower case, without white space, full-width brackets and slash as ASCII.
fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '／' => '/',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}
