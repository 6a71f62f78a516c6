//! Canonical CBOR for everything Pactum hashes or signs.
//!
//! ciborium has no canonical serializer: structs become maps in declaration order, `BTreeMap`
//! keys sort in Rust's order, and its decoder accepts non-shortest forms. This crate fixes that
//! in one place:
//!
//! * [`to_vec`] encodes any `Serialize` value in RFC 8949 §4.2.1 *core deterministic* form:
//!   shortest integers and lengths, definite lengths only, map keys sorted by the bytewise order
//!   of their own encodings. Floats and tags are refused, so no signed object can hold one.
//! * [`from_slice`] decodes strictly: exactly one item with no trailing bytes, and the input must
//!   be byte-identical to the canonical re-encoding of what was decoded. Non-shortest integers,
//!   indefinite lengths, unsorted or duplicate keys and unknown fields are therefore all rejected.
//!   Its decoder (`decode`, not ciborium's) reads only the forms the encoder writes.
//!
//! Signatures are always checked over the bytes received, never over a re-encoding; strict
//! decoding guarantees those bytes are the only encoding of the value.
//!
//! The crate does no I/O and knows nothing of Pactum's data model.

mod decode;
mod encode;

use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

/// Largest input [`from_slice`] accepts. Bigger objects (bundles) are split by their owners.
pub const MAX_DECODE_BYTES: usize = 256 * 1024 * 1024;

/// Nesting limit while decoding, well below anything that could exhaust the stack.
const RECURSION_LIMIT: usize = 128;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CanonicalError {
    #[error("cannot encode value: {0}")]
    Encode(String),
    #[error("floating-point numbers are not allowed in canonical data")]
    Float,
    #[error("CBOR tags are not allowed in canonical data")]
    Tag,
    #[error("input is {0} bytes, more than the {MAX_DECODE_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("malformed CBOR: {0}")]
    Malformed(String),
    #[error("{0} trailing bytes after the CBOR item")]
    TrailingBytes(usize),
    #[error("CBOR does not match the expected structure: {0}")]
    Shape(String),
    #[error("CBOR is not in canonical form (non-shortest encoding, unsorted or duplicate keys, indefinite length or unknown field)")]
    NotCanonical,
}

/// Encodes `value` canonically.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(128);
    encode::encode(value, &mut out)?;
    Ok(out)
}

/// SHA-256 of the canonical encoding of `value`.
pub fn hash<T: Serialize + ?Sized>(value: &T) -> Result<[u8; 32], CanonicalError> {
    Ok(sha256(&to_vec(value)?))
}

/// Plain SHA-256, so callers need not depend on `sha2` for one call.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Decodes `bytes` strictly (see the crate docs).
pub fn from_slice<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<T, CanonicalError> {
    if bytes.len() > MAX_DECODE_BYTES {
        return Err(CanonicalError::TooLarge(bytes.len()));
    }
    let (decoded, rest) = from_prefix::<T>(bytes)?;
    if !rest.is_empty() {
        return Err(CanonicalError::TrailingBytes(rest.len()));
    }
    // The re-encoding is exactly as long as the input when they match: no reallocation.
    let mut encoded = Vec::with_capacity(bytes.len());
    encode::encode(&decoded, &mut encoded)?;
    if encoded != bytes {
        return Err(CanonicalError::NotCanonical);
    }
    Ok(decoded)
}

/// Decodes the item at the front of `bytes`, in the forms the encoder writes only, and returns
/// it with the bytes after it. Unlike [`from_slice`] it does not check that the item is the
/// canonical encoding of the value (keys in order, none unknown): a caller that reads a header
/// before other data (a bundle's) checks that by encoding the value again.
pub fn from_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8]), CanonicalError> {
    let mut decoder = decode::Decoder::new(bytes, RECURSION_LIMIT);
    let decoded = T::deserialize(&mut decoder)?;
    Ok((decoded, decoder.rest()))
}

#[cfg(test)]
mod reference {
    //! The original, `Value`-based encoder, kept as the reference the encoder is checked
    //! against.

    use super::CanonicalError;
    use ciborium::value::Value;
    use serde::Serialize;

    pub(super) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
        let value =
            Value::serialized(value).map_err(|error| CanonicalError::Encode(error.to_string()))?;
        let value = canonicalize(value)?;
        let mut out = Vec::new();
        ciborium::into_writer(&value, &mut out)
            .map_err(|error| CanonicalError::Encode(error.to_string()))?;
        Ok(out)
    }

    /// The original strict decoder: ciborium's, then the same re-encoding check.
    pub(super) fn from_slice<T: Serialize + serde::de::DeserializeOwned>(
        bytes: &[u8],
    ) -> Result<T, CanonicalError> {
        let mut reader = bytes;
        let decoded: T = ciborium::de::from_reader_with_recursion_limit(&mut reader, 128)
            .map_err(|error| CanonicalError::Malformed(error.to_string()))?;
        if !reader.is_empty() {
            return Err(CanonicalError::TrailingBytes(reader.len()));
        }
        if super::to_vec(&decoded)? != bytes {
            return Err(CanonicalError::NotCanonical);
        }
        Ok(decoded)
    }

    /// Sorts every map by the bytewise order of its encoded keys, refusing floats and tags.
    pub(super) fn canonicalize(value: Value) -> Result<Value, CanonicalError> {
        Ok(match value {
            Value::Float(_) => return Err(CanonicalError::Float),
            Value::Tag(..) => return Err(CanonicalError::Tag),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(canonicalize)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(entries) => {
                let mut keyed = entries
                    .into_iter()
                    .map(|(key, value)| {
                        let key = canonicalize(key)?;
                        let mut encoded = Vec::new();
                        ciborium::into_writer(&key, &mut encoded)
                            .map_err(|error| CanonicalError::Encode(error.to_string()))?;
                        Ok((encoded, key, canonicalize(value)?))
                    })
                    .collect::<Result<Vec<_>, CanonicalError>>()?;
                keyed.sort_by(|a, b| a.0.cmp(&b.0));
                if keyed.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                    return Err(CanonicalError::NotCanonical);
                }
                Value::Map(keyed.into_iter().map(|(_, k, v)| (k, v)).collect())
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciborium::value::Value;
    use proptest::prelude::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Sample {
        zeta: u64,
        a: String,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
        map: BTreeMap<String, i64>,
    }

    fn sample() -> Sample {
        let mut map = BTreeMap::new();
        map.insert("bb".into(), -1);
        map.insert("c".into(), 500);
        Sample {
            zeta: 1,
            a: "x".into(),
            blob: vec![1, 2, 3],
            map,
        }
    }

    #[test]
    fn keys_sort_bytewise_by_encoding() {
        let bytes = to_vec(&sample()).unwrap();
        // map(4) then keys "a" (0x61 0x61), "map", "blob"?  Bytewise on encodings: shorter text
        // headers sort first, so "a" < "map" < "blob" < "zeta".
        let value: Value = ciborium::from_reader(&bytes[..]).unwrap();
        let keys: Vec<String> = value
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_text().unwrap().to_string())
            .collect();
        assert_eq!(keys, ["a", "map", "blob", "zeta"]);
    }

    #[test]
    fn round_trip_is_identity() {
        let bytes = to_vec(&sample()).unwrap();
        let back: Sample = from_slice(&bytes).unwrap();
        assert_eq!(back, sample());
        assert_eq!(to_vec(&back).unwrap(), bytes);
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut bytes = to_vec(&sample()).unwrap();
        bytes.push(0);
        assert_eq!(
            from_slice::<Sample>(&bytes),
            Err(CanonicalError::TrailingBytes(1))
        );
    }

    #[test]
    fn rejects_non_shortest_integer() {
        // 0x18 0x01 is the integer 1 in a non-shortest (one extra byte) form.
        assert_eq!(
            from_slice::<u64>(&[0x18, 0x01]),
            Err(CanonicalError::NotCanonical)
        );
        assert_eq!(from_slice::<u64>(&[0x01]), Ok(1));
    }

    #[test]
    fn rejects_unsorted_and_duplicate_keys() {
        let mut good = BTreeMap::new();
        good.insert("a".to_string(), 1u8);
        good.insert("b".to_string(), 2u8);
        let bytes = to_vec(&good).unwrap();
        assert_eq!(bytes, [0xa2, 0x61, b'a', 1, 0x61, b'b', 2]);
        let unsorted = [0xa2, 0x61, b'b', 2, 0x61, b'a', 1];
        assert_eq!(
            from_slice::<BTreeMap<String, u8>>(&unsorted),
            Err(CanonicalError::NotCanonical)
        );
        let duplicate = [0xa2, 0x61, b'a', 1, 0x61, b'a', 2];
        assert!(from_slice::<BTreeMap<String, u8>>(&duplicate).is_err());
    }

    #[test]
    fn rejects_indefinite_length() {
        // Indefinite-length array [1] terminated by break.
        assert_eq!(
            from_slice::<Vec<u8>>(&[0x9f, 0x01, 0xff]),
            Err(CanonicalError::NotCanonical)
        );
    }

    #[test]
    fn rejects_unknown_fields() {
        #[derive(Serialize, Deserialize)]
        struct Small {
            a: String,
        }
        let bytes = to_vec(&sample()).unwrap();
        assert_eq!(
            from_slice::<Small>(&bytes).err(),
            Some(CanonicalError::NotCanonical)
        );
    }

    #[test]
    fn refuses_floats() {
        assert_eq!(to_vec(&1.5f64), Err(CanonicalError::Float));
        // 0xf9 0x3c 0x00 is half-precision 1.0.
        assert!(from_slice::<u64>(&[0xf9, 0x3c, 0x00]).is_err());
    }

    /// Nesting from outside is bounded where the reference bounded it: one level more is
    /// refused, and a million levels are refused too, not followed into a stack overflow.
    #[test]
    fn nesting_is_refused_at_the_references_depth_not_by_overflow() {
        let nested = |depth: usize| {
            let mut bytes = vec![0x81; depth];
            bytes.push(0x00);
            bytes
        };
        for depth in [1, 64, 126, 127, 128, 129, 130] {
            let bytes = nested(depth);
            assert_eq!(
                from_slice::<Value>(&bytes).ok(),
                reference::from_slice::<Value>(&bytes).ok(),
                "{depth} levels"
            );
        }
        assert!(from_slice::<Value>(&nested(64)).is_ok());
        assert!(matches!(
            from_slice::<Value>(&nested(1_000_000)),
            Err(CanonicalError::Malformed(_))
        ));
    }

    /// A length prefix is believed only as far as the input can hold it: a head claiming more
    /// items or bytes than follow is refused as malformed at once, before anything is reserved
    /// for them, whatever the type asked for.
    #[test]
    fn a_length_beyond_the_input_is_refused_before_anything_is_reserved() {
        let most = [0xff; 8];
        for major in [0x40u8, 0x60, 0x80, 0xa0] {
            for head in [
                [&[major | 27][..], &most[..]].concat(),
                [&[major | 26][..], &most[..4]].concat(),
                vec![major | 24, 0xff, 0x00],
            ] {
                let refused = |result: Result<(), CanonicalError>| {
                    assert!(
                        matches!(result, Err(CanonicalError::Malformed(_))),
                        "{head:02x?}: {result:?}"
                    )
                };
                refused(from_slice::<Value>(&head).map(drop));
                refused(from_slice::<Vec<u64>>(&head).map(drop));
                refused(from_slice::<String>(&head).map(drop));
                refused(from_slice::<serde_bytes::ByteBuf>(&head).map(drop));
                refused(from_slice::<BTreeMap<String, u8>>(&head).map(drop));
            }
        }
    }

    /// CBOR data-model values without floats or tags: every shape the encoder handles.
    fn value_strategy() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(|i| Value::Integer(i.into())),
            any::<u64>().prop_map(|u| Value::Integer(u.into())),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
            "[a-z]{0,30}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::vec((inner.clone(), inner), 0..6).prop_map(Value::Map),
            ]
        })
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    enum Shape {
        Unit,
        Newtype(u32),
        Tuple(i8, String),
        Struct { x: i64, y: Option<bool> },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Unit;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Rich {
        shapes: Vec<Shape>,
        maybe: Option<Box<Rich>>,
        unit: Unit,
        letter: char,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
        numbered: BTreeMap<i32, String>,
        pair: (u16, i128),
        nested: BTreeMap<String, BTreeMap<u8, Vec<i16>>>,
    }

    fn rich_strategy() -> impl Strategy<Value = Rich> {
        let shape = prop_oneof![
            Just(Shape::Unit),
            any::<u32>().prop_map(Shape::Newtype),
            (any::<i8>(), "[a-z]{0,5}").prop_map(|(a, b)| Shape::Tuple(a, b)),
            (any::<i64>(), any::<Option<bool>>()).prop_map(|(x, y)| Shape::Struct { x, y }),
        ];
        (
            proptest::collection::vec(shape, 0..5),
            any::<char>(),
            proptest::collection::vec(any::<u8>(), 0..300),
            proptest::collection::btree_map(any::<i32>(), "[a-z]{0,4}", 0..5),
            (any::<u16>(), any::<i64>()),
            proptest::collection::btree_map(
                "[a-z]{0,26}",
                proptest::collection::btree_map(
                    any::<u8>(),
                    proptest::collection::vec(any::<i16>(), 0..3),
                    0..3,
                ),
                0..4,
            ),
        )
            .prop_map(|(shapes, letter, blob, numbered, (a, b), nested)| Rich {
                shapes,
                maybe: None,
                unit: Unit,
                letter,
                blob,
                numbered,
                pair: (a, i128::from(b)),
                nested,
            })
    }

    proptest::proptest! {
        /// The direct encoder writes exactly what the original `Value`-based one did, and fails
        /// where it failed.
        #[test]
        fn encoder_matches_the_reference_on_values(value in value_strategy()) {
            let direct = to_vec(&value);
            let reference = reference::to_vec(&value);
            prop_assert_eq!(direct.is_ok(), reference.is_ok(), "{:?} vs {:?}", direct, reference);
            if let (Ok(direct), Ok(reference)) = (direct, reference) {
                prop_assert_eq!(direct, reference);
            }
        }

        #[test]
        fn encoder_matches_the_reference_on_rust_types(rich in rich_strategy(), inner in rich_strategy()) {
            let rich = Rich { maybe: Some(Box::new(inner)), ..rich };
            let bytes = to_vec(&rich).unwrap();
            prop_assert_eq!(&bytes, &reference::to_vec(&rich).unwrap());
            prop_assert_eq!(from_slice::<Rich>(&bytes).unwrap(), rich);
        }
    }

    #[test]
    fn encoder_refuses_what_the_reference_refuses() {
        assert_eq!(to_vec(&f32::NAN), Err(CanonicalError::Float));
        let tagged = ciborium::tag::Required::<u8, 2>(1);
        assert_eq!(to_vec(&tagged), Err(CanonicalError::Tag));
        assert!(reference::to_vec(&tagged).is_err());
        let captured = ciborium::tag::Captured(None, 5u8);
        assert_eq!(to_vec(&captured), reference::to_vec(&captured));
        let duplicate = Value::Map(vec![
            (Value::Text("a".into()), Value::Null),
            (Value::Text("a".into()), Value::Bool(true)),
        ]);
        assert_eq!(to_vec(&duplicate), Err(CanonicalError::NotCanonical));
        assert!(to_vec(&(u128::from(u64::MAX) + 1)).is_err());
        assert_eq!(to_vec(&-1i128).unwrap(), [0x20]);
        assert_eq!(
            to_vec(&i128::from(i64::MIN)).unwrap(),
            reference::to_vec(&i64::MIN).unwrap()
        );
        assert_eq!(to_vec(&(-1i128 - i128::from(u64::MAX))).unwrap()[0], 0x3b);
    }

    proptest::proptest! {
        /// Maps with text keys take a fast path that orders keys by (length, bytes); that must
        /// be the bytewise order of their encodings, across every header size.
        #[test]
        fn text_keys_sort_by_their_encodings(
            keys in proptest::collection::btree_set("[a-c]{0,3}|[a-z]{20,30}|[x-z]{250,260}", 0..12)
        ) {
            let map: BTreeMap<String, u8> = keys.iter().map(|key| (key.clone(), 1)).collect();
            let bytes = to_vec(&map).unwrap();
            let value: Value = ciborium::from_reader(&bytes[..]).unwrap();
            let encoded: Vec<Vec<u8>> = value
                .as_map()
                .unwrap()
                .iter()
                .map(|(key, _)| {
                    let mut out = Vec::new();
                    ciborium::into_writer(key, &mut out).unwrap();
                    out
                })
                .collect();
            proptest::prop_assert!(encoded.windows(2).all(|pair| pair[0] < pair[1]));
            proptest::prop_assert_eq!(from_slice::<BTreeMap<String, u8>>(&bytes).unwrap(), map);
        }

        /// The decoder accepts exactly what ciborium's decoder and the re-encoding check
        /// accepted, and decodes it to the same value: on canonical encodings, on encodings
        /// with one byte changed, inserted or removed, and on any bytes.
        #[test]
        fn decoder_accepts_what_the_reference_accepts(
            rich in rich_strategy(),
            inner in rich_strategy(),
            value in value_strategy(),
            at in any::<proptest::sample::Index>(),
            byte in any::<u8>(),
            noise in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let rich = Rich { maybe: Some(Box::new(inner)), ..rich };
            let rich_bytes = to_vec(&rich).unwrap();
            let mut inputs = vec![rich_bytes.clone(), noise];
            let at = at.index(rich_bytes.len());
            let mut changed = rich_bytes.clone();
            changed[at] = byte;
            inputs.push(changed);
            let mut inserted = rich_bytes.clone();
            inserted.insert(at, byte);
            inputs.push(inserted);
            let mut removed = rich_bytes;
            removed.remove(at);
            inputs.push(removed);
            if let Ok(bytes) = to_vec(&value) {
                inputs.push(bytes);
            }
            for input in &inputs {
                prop_assert_eq!(
                    from_slice::<Rich>(input).ok(),
                    reference::from_slice::<Rich>(input).ok(),
                    "{:02x?}", input
                );
                prop_assert_eq!(
                    from_slice::<Value>(input).ok(),
                    reference::from_slice::<Value>(input).ok(),
                    "{:02x?}", input
                );
                prop_assert_eq!(
                    from_slice::<Sample>(input).ok(),
                    reference::from_slice::<Sample>(input).ok(),
                    "{:02x?}", input
                );
            }
        }

        /// Every encoding cut short is refused as malformed ("the input ends inside an
        /// item"), never read as a shorter value.
        #[test]
        fn an_encoding_cut_short_is_refused(rich in rich_strategy(), at in any::<proptest::sample::Index>()) {
            let bytes = to_vec(&rich).unwrap();
            let cut = &bytes[..at.index(bytes.len())];
            prop_assert!(matches!(from_slice::<Rich>(cut), Err(CanonicalError::Malformed(_))));
            prop_assert!(matches!(from_slice::<Value>(cut), Err(CanonicalError::Malformed(_))));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = from_slice::<Sample>(&bytes);
            let _ = from_slice::<Value>(&bytes);
        }
    }
}
