//! Reading host files with a bound on what is read: a whole file up to a
//! size, a stream that fails past a size, and lines up to a length.
//!
//! A host file may be anything the image's owner put there: a 200 MB line in
//! `/proc/net/tcp`, a status file of gigabytes. These readers stop at the
//! bound the caller names and say so as an error, so memory stays bounded and
//! nothing is silently cut short.

use std::io::{BufRead, Error, ErrorKind, Read};

/// The error for content past a bound, naming the file and the bound.
fn too_large(shown: &str, what: &str, max: u64) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!("{shown}: {what} {max} bytes, more than such a file holds; not read"),
    )
}

/// Read all of `reader` when it holds at most `max` bytes; `Err` past that.
/// `hint` is the expected size (a file's length; 0 for `/proc` files).
pub(crate) fn read_all(
    mut reader: impl Read,
    max: u64,
    hint: u64,
    shown: &str,
) -> std::io::Result<Vec<u8>> {
    let cap = hint
        .max(4096)
        .min(max.saturating_add(1))
        .min(64 * 1024 * 1024);
    let mut bytes = Vec::with_capacity(cap as usize);
    (&mut reader)
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(shown, "larger than", max));
    }
    Ok(bytes)
}

/// A reader that fails, rather than goes on, once more than its bound has
/// been read: for tables streamed through a parser (dpkg status, apt lists,
/// repodata, `/proc/net/*`).
#[derive(Debug)]
pub struct BoundedReader<R> {
    inner: R,
    left: u64,
    max: u64,
    shown: String,
}

impl<R> BoundedReader<R> {
    /// `inner` read up to `max` bytes; `shown` names it in errors.
    pub fn new(inner: R, max: u64, shown: String) -> BoundedReader<R> {
        BoundedReader {
            inner,
            left: max,
            max,
            shown,
        }
    }

    /// The file's name as errors show it.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

impl<R: Read> Read for BoundedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more than the bound tells a file of exactly the bound from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(too_large(&self.shown, "larger than", self.max)),
            };
        }
        let room = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Read the next line of `reader` (without its `\n`) into `line`, at most
/// `max` bytes of it; `Ok(false)` at the end. A longer line is an error that
/// names `shown` and the bound, and at most `max` bytes of it are ever held.
pub fn read_line_bounded(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
    shown: &str,
) -> std::io::Result<bool> {
    line.clear();
    let mut any = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if line.len() + chunk.len() > max {
            return Err(too_large(shown, "a line longer than", max as u64));
        }
        line.extend_from_slice(chunk);
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        if done.is_some() {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_and_say_so() {
        assert_eq!(read_all(&b"abc"[..], 3, 0, "f").unwrap(), b"abc");
        let e = read_all(&b"abcd"[..], 3, 0, "f").unwrap_err();
        assert!(e.to_string().contains("larger than 3 bytes"), "{e}");

        let mut ok = String::new();
        BoundedReader::new(&b"abc"[..], 3, "f".into())
            .read_to_string(&mut ok)
            .unwrap();
        assert_eq!(ok, "abc");
        let e = BoundedReader::new(&b"abcd"[..], 3, "f".into())
            .read_to_string(&mut String::new())
            .unwrap_err();
        assert!(e.to_string().starts_with("f: "), "{e}");

        let mut r = std::io::BufReader::with_capacity(2, &b"ab\ncdef\n\nlast"[..]);
        let mut line = Vec::new();
        assert!(read_line_bounded(&mut r, &mut line, 4, "t").unwrap());
        assert_eq!(line, b"ab");
        assert!(read_line_bounded(&mut r, &mut line, 4, "t").unwrap());
        assert_eq!(line, b"cdef");
        assert!(read_line_bounded(&mut r, &mut line, 4, "t").unwrap());
        assert_eq!(line, b"");
        assert!(read_line_bounded(&mut r, &mut line, 4, "t").unwrap());
        assert_eq!(line, b"last");
        assert!(!read_line_bounded(&mut r, &mut line, 4, "t").unwrap());
        let e = read_line_bounded(&mut &b"abcde\n"[..], &mut line, 4, "t").unwrap_err();
        assert!(e.to_string().contains("a line longer than 4 bytes"), "{e}");
    }
}
