//! deb822 control data (`var/lib/dpkg/status`, `Release`, `preferences`):
//! paragraphs of `Field: value` lines separated by blank lines.

/// One paragraph: its fields in file order, values with the first line
/// trimmed and continuation lines kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paragraph<'a> {
    /// (field name, value) pairs.
    pub fields: Vec<(&'a str, &'a str)>,
    /// 1-based line number where the paragraph starts.
    pub line: usize,
}

impl<'a> Paragraph<'a> {
    /// The value of a field, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// A line that is neither a field, a continuation, a comment nor blank.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ControlError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// Split control data into paragraphs. Lines starting with `#` are comments
/// (allowed in `preferences` and `*.sources`); a PGP-signed `InRelease` must be
/// unwrapped first with [`strip_pgp_signature`].
pub fn paragraphs(text: &str) -> Result<Vec<Paragraph<'_>>, ControlError> {
    let mut out = Vec::new();
    let mut current = Paragraph::default();
    let mut value_start: Option<(usize, usize)> = None; // (field index, byte offset of value start)
    let mut offset = 0usize;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.trim_end_matches(['\n', '\r']);
        let line_start = offset;
        offset += raw.len();
        if line.trim().is_empty() {
            finish_value(&mut current, text, value_start.take(), line_start);
            if !current.fields.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with('#') {
            // A comment ends the value before it; it is never part of a field.
            finish_value(&mut current, text, value_start.take(), line_start);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if value_start.is_none() {
                return Err(ControlError {
                    line: line_no,
                    problem: "continuation line without a field before it".into(),
                });
            }
            continue;
        }
        let Some(colon) = line.find(':') else {
            return Err(ControlError {
                line: line_no,
                problem: format!("expected `Field: value`, found {:?}", truncate(line)),
            });
        };
        finish_value(&mut current, text, value_start.take(), line_start);
        let name = &line[..colon];
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(ControlError {
                line: line_no,
                problem: format!("bad field name {:?}", truncate(name)),
            });
        }
        if current.fields.is_empty() {
            current.line = line_no;
        }
        current
            .fields
            .push((&text[line_start..line_start + colon], ""));
        value_start = Some((current.fields.len() - 1, line_start + colon + 1));
    }
    finish_value(&mut current, text, value_start.take(), text.len());
    if !current.fields.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// Set the value of the field that started at `start` to the text up to `end`.
fn finish_value<'a>(
    current: &mut Paragraph<'a>,
    text: &'a str,
    start: Option<(usize, usize)>,
    end: usize,
) {
    if let Some((i, from)) = start {
        let v = text[from..end].trim_end();
        current.fields[i].1 = v.trim_start_matches([' ', '\t']);
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// The signed text of a clear-signed `InRelease` file (or the text itself when unsigned).
pub fn strip_pgp_signature(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("-----BEGIN PGP SIGNED MESSAGE-----") else {
        return text;
    };
    // Armor headers ("Hash: SHA512") end at the first empty line.
    let body = match rest.find("\n\n") {
        Some(i) => &rest[i + 2..],
        None => return "",
    };
    match body.find("\n-----BEGIN PGP SIGNATURE-----") {
        Some(i) => &body[..i + 1],
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_values_and_continuations() {
        let text = "Package: a\nStatus: install ok installed\nDescription: short\n more\n .\n\n\nPackage: b\r\nVersion: 1\n";
        let p = paragraphs(text).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].get("package"), Some("a"));
        assert_eq!(p[0].get("Description"), Some("short\n more\n ."));
        assert_eq!(p[1].get("Version"), Some("1"));
        assert_eq!(p[1].line, 8);
    }

    #[test]
    fn comments_between_fields_are_not_part_of_values() {
        let p = paragraphs(
            "Types: deb\n# http://snapshot.example/archive\nURIs: http://deb.example/debian\n",
        )
        .unwrap();
        assert_eq!(p[0].get("Types"), Some("deb"));
        assert_eq!(p[0].get("URIs"), Some("http://deb.example/debian"));
    }

    #[test]
    fn garbage_is_an_error_with_its_line() {
        let e = paragraphs("Package: a\nthis is not a field\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(paragraphs(" leading continuation\n").is_err());
    }

    #[test]
    fn inrelease_signature_is_stripped() {
        let t = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nSuite: stable\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n";
        let p = paragraphs(strip_pgp_signature(t)).unwrap();
        assert_eq!(p[0].get("Suite"), Some("stable"));
        assert_eq!(p.len(), 1);
    }
}
