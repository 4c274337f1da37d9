//! Canonical JSON bytes: the exact bytes a report signature covers.
//!
//! Rules: no whitespace; object members sorted by key (byte order of the UTF-8
//! key); strings escaped as serde_json escapes them (only `"`, `\`, and control
//! characters); numbers as serde_json prints them. The report format uses only
//! integers, so number spelling is unambiguous. The same value always gives the
//! same bytes, whatever order or spacing the file had.
//!
//! [`raw_to_canonical_bytes`] gives the same bytes straight from JSON text,
//! without building a tree of values (a `serde_json::Value` costs about 17
//! times the text it came from; this costs the output plus 16 bytes per
//! member of the objects being written).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The canonical bytes of a JSON value.
pub fn to_canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(v, out);
            }
            out.push(b']');
        }
        Value::String(s) => write_string(s, out),
        // null, booleans and numbers have one spelling in serde_json's output.
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Serialising a &str cannot fail.
    out.extend_from_slice(&serde_json::to_vec(s).unwrap_or_default());
}

/// Nesting deeper than this is refused (serde_json's own limit for trees).
const MAX_DEPTH: usize = 128;

/// The canonical bytes of the JSON text `json` (one value, nothing after
/// it), as [`to_canonical_bytes`] gives for its parsed value: duplicate
/// members keep the last one, as parsing into a value does. Memory: the
/// output, plus 16 bytes per member of each object on the way down; arrays
/// are written as they are read.
pub fn raw_to_canonical_bytes(json: &str) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(json.len().min(1 << 20));
    raw_to_canonical_bytes_into(json, &mut out)?;
    Ok(out)
}

/// [`raw_to_canonical_bytes`], appended to `out` (say, after a signing
/// context, so the message signed is built without a copy).
pub fn raw_to_canonical_bytes_into(json: &str, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    canonicalise(json, out, 0)
}

fn canonicalise(json: &str, out: &mut Vec<u8>, depth: usize) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    Canon {
        base: json,
        out,
        depth,
    }
    .deserialize(&mut de)?;
    de.end()
}

/// Writes the canonical form of the value it is handed into `out`.
struct Canon<'a, 'o> {
    /// The text being read (object members are kept as places in it).
    base: &'a str,
    out: &'o mut Vec<u8>,
    depth: usize,
}

/// An object member: where its key (or which owned key) and value are.
#[derive(Debug, Clone, Copy)]
struct Member {
    key_start: u32,
    /// `u32::MAX`: the key had escapes; `key_start` indexes the owned keys.
    key_len: u32,
    value_start: u32,
    value_len: u32,
}

/// A member key, borrowed from the text when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

fn offset<E: de::Error>(base: &str, part: &str) -> Result<u32, E> {
    let at = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
    if at > base.len() {
        return Err(E::custom("internal: a member outside its object"));
    }
    u32::try_from(at).map_err(|_| E::custom("JSON text too large"))
}

impl<'de> DeserializeSeed<'de> for Canon<'de, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(de::Error::custom(format!(
                "nested more than {MAX_DEPTH} levels deep"
            )));
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Canon<'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.out
            .extend_from_slice(Value::from(v).to_string().as_bytes());
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.out
            .extend_from_slice(Value::from(v).to_string().as_bytes());
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.out
            .extend_from_slice(Value::from(v).to_string().as_bytes());
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        write_string(v, self.out);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Canon { base, out, depth } = self;
        out.push(b'[');
        let mut first = true;
        loop {
            let mark = out.len();
            if !first {
                out.push(b',');
            }
            let seed = Canon {
                base,
                out: &mut *out,
                depth: depth + 1,
            };
            if seq.next_element_seed(seed)?.is_none() {
                out.truncate(mark);
                break;
            }
            first = false;
        }
        out.push(b']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Canon { base, out, depth } = self;
        let mut members: Vec<Member> = Vec::new();
        let mut owned: Vec<String> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            let (key_start, key_len) = match key {
                Cow::Borrowed(k) => (
                    offset::<A::Error>(base, k)?,
                    u32::try_from(k.len()).map_err(de::Error::custom)?,
                ),
                Cow::Owned(k) => {
                    owned.push(k);
                    (
                        u32::try_from(owned.len() - 1).map_err(de::Error::custom)?,
                        u32::MAX,
                    )
                }
            };
            members.push(Member {
                key_start,
                key_len,
                value_start: offset::<A::Error>(base, value.get())?,
                value_len: u32::try_from(value.get().len()).map_err(de::Error::custom)?,
            });
        }
        let key_of = |m: &Member| -> &str {
            if m.key_len == u32::MAX {
                &owned[m.key_start as usize]
            } else {
                &base[m.key_start as usize..(m.key_start + m.key_len) as usize]
            }
        };
        // By key, and by position within one key, so that of duplicate keys
        // the last is kept (as a parsed value keeps it).
        members.sort_unstable_by(|a, b| {
            key_of(a)
                .as_bytes()
                .cmp(key_of(b).as_bytes())
                .then(a.value_start.cmp(&b.value_start))
        });
        out.push(b'{');
        let mut written = 0usize;
        for (i, m) in members.iter().enumerate() {
            if members
                .get(i + 1)
                .is_some_and(|next| key_of(next) == key_of(m))
            {
                continue;
            }
            if written > 0 {
                out.push(b',');
            }
            written += 1;
            write_string(key_of(m), out);
            out.push(b':');
            let value = &base[m.value_start as usize..(m.value_start + m.value_len) as usize];
            canonicalise(value, out, depth + 1).map_err(de::Error::custom)?;
        }
        out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_tree_give_the_same_canonical_bytes() {
        for text in [
            r#"{"b": 1, "a": {"y": [1, 2], "x": "é\n"}}"#,
            r#"{"k":["\u0001",null,true,-5,{"z":0,"\u00e9":1, "e\u0301": [], "": {}}]}"#,
            r#"  [ 1.5, -0, 1e3, 18446744073709551615, 18446744073709551616, -9223372036854775808 ] "#,
            r#"{"dup": 1, "a": 2, "dup": [3]}"#,
            r#""just a string \" \/ \t""#,
            r#"[[], {}, [[{}]], {"a": {"a": {"a": null}}}]"#,
        ] {
            let tree: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                String::from_utf8(raw_to_canonical_bytes(text).unwrap()).unwrap(),
                String::from_utf8(to_canonical_bytes(&tree)).unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_text_and_deep_nesting_are_errors() {
        for bad in ["{\"a\":", "[1,]", "{} x", "", "{\"a\" 1}"] {
            assert!(raw_to_canonical_bytes(bad).is_err(), "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(raw_to_canonical_bytes(&deep).is_err());
        let deep = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
        assert!(raw_to_canonical_bytes(&deep).is_err());
    }

    #[test]
    fn key_order_and_spacing_do_not_change_canonical_bytes() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "é\n"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"é\n","y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(to_canonical_bytes(&a), to_canonical_bytes(&b));
        assert_eq!(
            String::from_utf8(to_canonical_bytes(&a)).unwrap(),
            r#"{"a":{"x":"é\n","y":[1,2]},"b":1}"#
        );
    }

    #[test]
    fn canonical_bytes_parse_back_to_the_same_value() {
        let v: Value =
            serde_json::from_str(r#"{"k":["\u0001",null,true,-5,{"z":0,"\u00e9":1}]}"#).unwrap();
        let bytes = to_canonical_bytes(&v);
        assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), v);
    }
}
