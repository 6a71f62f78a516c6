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
//!
//! Signatures are always checked over the bytes received, never over a re-encoding; strict
//! decoding guarantees those bytes are the only encoding of the value.
//!
//! The crate does no I/O and knows nothing of Pactum's data model.

use ciborium::value::Value;
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
    let value =
        Value::serialized(value).map_err(|error| CanonicalError::Encode(error.to_string()))?;
    let value = canonicalize(value)?;
    let mut out = Vec::new();
    ciborium::into_writer(&value, &mut out)
        .map_err(|error| CanonicalError::Encode(error.to_string()))?;
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
    let mut reader = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut reader, RECURSION_LIMIT)
        .map_err(|error| CanonicalError::Malformed(error.to_string()))?;
    if !reader.is_empty() {
        return Err(CanonicalError::TrailingBytes(reader.len()));
    }
    let decoded: T = value
        .deserialized()
        .map_err(|error| CanonicalError::Shape(error.to_string()))?;
    if to_vec(&decoded)? != bytes {
        return Err(CanonicalError::NotCanonical);
    }
    Ok(decoded)
}

/// Sorts every map by the bytewise order of its encoded keys, refusing floats and tags.
fn canonicalize(value: Value) -> Result<Value, CanonicalError> {
    Ok(match value {
        Value::Float(_) => return Err(CanonicalError::Float),
        Value::Tag(..) => return Err(CanonicalError::Tag),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(canonicalize)
                .collect::<Result<_, _>>()?,
        ),
        // Text keys (every struct field name) need no encoding to be ordered: a text string's
        // encoding is a header that grows with its length, then its bytes, so bytewise order
        // of encodings is order by (length, bytes).
        Value::Map(entries) if entries.iter().all(|(key, _)| key.is_text()) => {
            let mut keyed = entries
                .into_iter()
                .map(|(key, value)| Ok((key, canonicalize(value)?)))
                .collect::<Result<Vec<_>, CanonicalError>>()?;
            fn text(key: &Value) -> &[u8] {
                key.as_text().map(str::as_bytes).unwrap_or_default()
            }
            keyed.sort_by(|a, b| {
                let (a, b) = (text(&a.0), text(&b.0));
                a.len().cmp(&b.len()).then_with(|| a.cmp(b))
            });
            if keyed
                .windows(2)
                .any(|pair| text(&pair[0].0) == text(&pair[1].0))
            {
                return Err(CanonicalError::NotCanonical);
            }
            Value::Map(keyed)
        }
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

#[cfg(test)]
mod tests {
    use super::*;
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

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = from_slice::<Sample>(&bytes);
            let _ = from_slice::<Value>(&bytes);
        }
    }
}
