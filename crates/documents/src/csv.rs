//! A sheet as CSV for Excel: UTF-8 with a byte-order mark (so Excel shows
//! Chinese correctly), CRLF line ends, RFC 4180 quoting. A cell that Excel
//! would take for a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets
//! a leading `'`, so text from a report can never run as a formula.

use super::sheets::Sheet;
use std::io::Write;

/// Write `header` then every record of `rows` as CSV into `out`, a record at
/// a time (a sheet of 100,000s of rows goes straight into a file or a zip
/// entry): the byte-order mark, CRLF line ends, every cell defused. The one
/// CSV writer: the ledger on standard output, every sheet file, the asset
/// registry, all go through here.
pub fn write_csv<H, R, C>(
    header: H,
    rows: impl IntoIterator<Item = R>,
    mut out: impl Write,
) -> std::io::Result<()>
where
    H: IntoIterator,
    H::Item: AsRef<str>,
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(out);
    w.write_record(header.into_iter().map(|c| defuse(c.as_ref()).into_owned()))?;
    for record in rows {
        w.write_record(record.into_iter().map(|c| defuse(c.as_ref()).into_owned()))?;
    }
    w.flush()
}

/// [`write_csv`] into a string.
pub fn csv_text<H, R, C>(header: H, rows: impl IntoIterator<Item = R>) -> String
where
    H: IntoIterator,
    H::Item: AsRef<str>,
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut bytes = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_csv(header, rows, &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Write the sheet as CSV into `out`: BOM, the header row, then every row.
pub fn write_sheet_csv(sheet: &Sheet, out: impl Write) -> std::io::Result<()> {
    write_csv(&sheet.headers, sheet.rows.iter().map(|r| &r.cells), out)
}

/// The sheet as CSV text: BOM, the header row, then every row.
pub fn sheet_csv(sheet: &Sheet) -> String {
    csv_text(&sheet.headers, sheet.rows.iter().map(|r| &r.cells))
}

/// `'` before a cell Excel would read as a formula.
pub fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheets::SheetRow;

    #[test]
    fn bom_crlf_quoting_and_no_formulas() {
        let sheet = Sheet {
            key: "detail",
            title: "明细".into(),
            headers: vec!["序号".into(), "问题描述".into()],
            rows: vec![SheetRow {
                cells: vec!["1".into(), "=HYPERLINK(\"x\"),\n第二行".into()],
                level: None,
                emphasis: false,
            }],
            widths: vec![6.0, 20.0],
        };
        assert_eq!(
            sheet_csv(&sheet),
            "\u{feff}序号,问题描述\r\n1,\"'=HYPERLINK(\"\"x\"\"),\n第二行\"\r\n"
        );
    }
}
