//! Canonical JSON bytes: the exact bytes a report signature covers.
//!
//! Rules: no whitespace; object members sorted by key (byte order of the UTF-8
//! key); strings escaped as serde_json escapes them (only `"`, `\`, and control
//! characters); numbers as serde_json prints them. The report format uses only
//! integers, so number spelling is unambiguous. The same value always gives the
//! same bytes, whatever order or spacing the file had.

use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::*;

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
