//! The sheets as one xlsx workbook, one worksheet each, ready to hand over
//! and to print: bold header row with a fill, frozen and repeated on every
//! printed page; column widths; autofilter on the lists; wrapped text; the
//! risk level cell coloured (超危 dark red, 高危 red, 中危 orange, 低危 blue,
//! 提示 grey); A4 landscape, fitted to the page width, page numbers below.

use super::sheets::{Sheet, SheetRow};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use selfcheck_catalog::Lang;
use selfcheck_ledger::ledger::Column;
use selfcheck_report::Severity;

/// The longest text an Excel cell holds is 32,767 characters; longer cells are cut here.
const MAX_CELL_CHARS: usize = 32_000;

/// Paper size code of A4 in Excel's page setup.
const PAPER_A4: u8 = 9;

/// The fill and font colour of a risk level's cell.
pub fn level_colours(level: Severity) -> (u32, u32) {
    match level {
        Severity::Critical => (0xC0_00_00, 0xFF_FF_FF),
        Severity::High => (0xFF_99_99, 0x00_00_00),
        Severity::Medium => (0xFF_C2_66, 0x00_00_00),
        Severity::Low => (0xB4_D4_F5, 0x00_00_00),
        Severity::Info => (0xE0_E0_E0, 0x00_00_00),
    }
}

struct Formats {
    header: Format,
    text: Format,
    number: Format,
    emphasis: Format,
    emphasis_number: Format,
    levels: Vec<(Severity, Format)>,
}

impl Formats {
    fn new() -> Formats {
        let body = Format::new()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_border(FormatBorder::Thin);
        let number = body.clone().set_align(FormatAlign::Right);
        let emphasis = body.clone().set_bold().set_background_color(0xF2_F2_F2);
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin)
                .set_background_color(Color::RGB(0xD9_E1_F2)),
            emphasis_number: emphasis.clone().set_align(FormatAlign::Right),
            emphasis,
            levels: Severity::ALL_DESC
                .iter()
                .map(|&l| {
                    let (fill, font) = level_colours(l);
                    let f = body
                        .clone()
                        .set_bold()
                        .set_align(FormatAlign::Center)
                        .set_background_color(Color::RGB(fill))
                        .set_font_color(Color::RGB(font));
                    (l, f)
                })
                .collect(),
            text: body,
            number,
        }
    }

    fn level(&self, level: Severity) -> &Format {
        self.levels
            .iter()
            .find(|(l, _)| *l == level)
            .map_or(&self.text, |(_, f)| f)
    }
}

/// Sheets with more rows than this are written in constant-memory mode.
const CONSTANT_MEMORY_ROWS: usize = 5_000;

/// The workbook of the sheets, in their order, as xlsx bytes.
pub fn write_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let formats = Formats::new();
    for sheet in sheets {
        // Large sheets stream their rows through a temporary file instead of
        // holding every cell (a unit of 10,000 hosts has 100,000s of rows).
        let ws = if sheet.rows.len() > CONSTANT_MEMORY_ROWS {
            workbook.add_worksheet_with_constant_memory()?
        } else {
            workbook.add_worksheet()
        };
        write_sheet(ws, sheet, &formats)?;
    }
    workbook.save_to_buffer()
}

/// The column coloured by a row's level: 风险等级 when there is one, else the first.
fn level_column(sheet: &Sheet) -> usize {
    let risk = [Column::Risk.header(Lang::Zh), Column::Risk.header(Lang::En)];
    sheet
        .headers
        .iter()
        .position(|h| risk.contains(&h.as_str()))
        .unwrap_or(0)
}

/// A count or row number: digits only, no leading zero, short enough to stay exact.
fn as_number(cell: &str) -> Option<f64> {
    let digits = !cell.is_empty() && cell.len() <= 15 && cell.bytes().all(|b| b.is_ascii_digit());
    if !digits || (cell.len() > 1 && cell.starts_with('0')) {
        return None;
    }
    cell.parse().ok()
}

fn clipped(cell: &str) -> String {
    match cell.char_indices().nth(MAX_CELL_CHARS) {
        Some((cut, _)) => format!("{}…", &cell[..cut]),
        None => cell.to_string(),
    }
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, formats: &Formats) -> Result<(), XlsxError> {
    ws.set_name(&sheet.title)?;
    let columns = sheet.headers.len();
    // Widths first: a constant-memory sheet writes them before its rows.
    for (c, width) in sheet.widths.iter().enumerate() {
        ws.set_column_width(col(c)?, *width)?;
    }
    for (c, header) in sheet.headers.iter().enumerate() {
        let c = col(c)?;
        ws.write_string_with_format(0, c, header, &formats.header)?;
    }
    let level_col = level_column(sheet);
    for (i, row) in sheet.rows.iter().enumerate() {
        let r = u32::try_from(i + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        write_row(ws, r, row, level_col, formats)?;
    }
    let last_row = u32::try_from(sheet.rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
    let last_col = col(columns.saturating_sub(1))?;
    ws.set_freeze_panes(1, 0)?;
    if sheet.key != "summary" && columns > 0 {
        ws.autofilter(0, 0, last_row, last_col)?;
    }
    ws.set_paper_size(PAPER_A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3)
        .set_header(format!("&C&\"-,Bold\"{}", sheet.title.replace('&', "&&")))
        .set_footer("&C&P / &N");
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

fn write_row(
    ws: &mut Worksheet,
    r: u32,
    row: &SheetRow,
    level_col: usize,
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (c, cell) in row.cells.iter().enumerate() {
        let coloured = c == level_col && row.level.is_some();
        let number = as_number(cell);
        let format = match (row.level, coloured, row.emphasis, number.is_some()) {
            (Some(level), true, _, _) => formats.level(level),
            (_, _, true, true) => &formats.emphasis_number,
            (_, _, true, false) => &formats.emphasis,
            (_, _, false, true) => &formats.number,
            (_, _, false, false) => &formats.text,
        };
        let c = col(c)?;
        match number {
            Some(n) => ws.write_number_with_format(r, c, n, format)?,
            None => ws.write_string_with_format(r, c, clipped(cell), format)?,
        };
    }
    Ok(())
}

fn col(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_counts_become_numbers() {
        assert_eq!(as_number("12"), Some(12.0));
        assert_eq!(as_number("0"), Some(0.0));
        for text in [
            "",
            "007",
            "2026-11-H-001",
            "1.5",
            "85.0%",
            "1234567890123456",
        ] {
            assert_eq!(as_number(text), None, "{text}");
        }
    }

    #[test]
    fn long_cells_are_cut_to_what_excel_holds() {
        let long = "漏".repeat(MAX_CELL_CHARS + 10);
        assert_eq!(clipped(&long).chars().count(), MAX_CELL_CHARS + 1);
        assert_eq!(clipped("短"), "短");
    }

    #[test]
    fn a_large_sheet_streams_and_reads_back() {
        use crate::sheets::{Sheet, SheetRow};
        use calamine::{Reader, Xlsx};
        let rows = CONSTANT_MEMORY_ROWS + 100;
        let sheet = Sheet {
            key: "detail",
            title: "明细".into(),
            headers: vec!["序号".into(), "问题描述".into(), "风险等级".into()],
            rows: (1..=rows)
                .map(|i| SheetRow {
                    cells: vec![i.to_string(), format!("问题 {i}"), "高危".into()],
                    level: Some(selfcheck_report::Severity::High),
                    emphasis: false,
                })
                .collect(),
            widths: vec![6.0, 40.0, 8.0],
        };
        let bytes = write_xlsx(std::slice::from_ref(&sheet)).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("明细").unwrap();
        assert_eq!(range.height(), rows + 1);
        assert_eq!(range.get_value((0, 1)).unwrap().to_string(), "问题描述");
        assert_eq!(
            range.get_value((rows as u32, 1)).unwrap().to_string(),
            format!("问题 {rows}")
        );
    }
}
