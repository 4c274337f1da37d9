//! The canonical bytes written from JSON text are those of the parsed value,
//! for generated values, compact or indented (the tree-free
//! reader of report files must sign-check exactly what the tree did).

use proptest::prelude::*;
use selfcheck_report::canonical::{raw_to_canonical_bytes, to_canonical_bytes};
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((".{0,6}", inner), 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn text_in_any_spacing_gives_the_canonical_bytes_of_its_value(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        // Against the value parsed from the text, as the tree-based reader
        // had it (serde_json's float parsing need not give back the
        // generated f64 exactly; reports hold only integers anyway).
        let parsed: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(raw_to_canonical_bytes(&text).unwrap(), to_canonical_bytes(&parsed));
    }
}
