//! The canonical encoder: a serde `Serializer` that writes RFC 8949 §4.2.1 core deterministic
//! CBOR directly, without building a `ciborium::value::Value` tree first.
//!
//! It maps the serde data model exactly as `ciborium::value::Value::serialized` followed by
//! ciborium's writer does (the reference implementation, kept in the tests and compared
//! against this one): unit and `None` are `null`, `Some(x)` is `x`, a unit variant is its name,
//! a newtype, tuple or struct variant is a one-entry map from its name, structs and maps are
//! maps. Integers and lengths take their shortest form, lengths are always definite, and every
//! map's entries are written in the bytewise order of their encoded keys (a repeated key is an
//! error). Floats, CBOR tags (ciborium's `@@TAG@@` enum) and integers outside the 64-bit CBOR
//! range are refused.

use serde::ser::{self, Serialize};

use super::CanonicalError;

impl ser::Error for CanonicalError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        CanonicalError::Encode(message.to_string())
    }
}

/// ciborium's names for a tagged value in the serde data model.
const TAG_ENUM: &str = "@@TAG@@";
const TAGGED: &str = "@@TAGGED@@";
const UNTAGGED: &str = "@@UNTAGGED@@";

/// Encodes `value` canonically into `out`.
pub(crate) fn encode<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalError> {
    value.serialize(Encoder { out })
}

/// Writes a head: major type and argument, in the shortest form.
fn head(out: &mut Vec<u8>, major: u8, argument: u64) {
    let major = major << 5;
    if argument < 24 {
        out.push(major | argument as u8);
    } else if let Ok(byte) = u8::try_from(argument) {
        out.extend_from_slice(&[major | 24, byte]);
    } else if let Ok(short) = u16::try_from(argument) {
        out.push(major | 25);
        out.extend_from_slice(&short.to_be_bytes());
    } else if let Ok(word) = u32::try_from(argument) {
        out.push(major | 26);
        out.extend_from_slice(&word.to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&argument.to_be_bytes());
    }
}

fn length(len: usize) -> u64 {
    // usize is at most 64 bits on every supported target.
    len as u64
}

fn text(out: &mut Vec<u8>, value: &str) {
    head(out, 3, length(value.len()));
    out.extend_from_slice(value.as_bytes());
}

fn integer(out: &mut Vec<u8>, value: i128) -> Result<(), CanonicalError> {
    if let Ok(positive) = u64::try_from(value) {
        head(out, 0, positive);
        return Ok(());
    }
    // CBOR encodes -1 - n for a negative integer.
    match u64::try_from(-1 - value) {
        Ok(negative) => {
            head(out, 1, negative);
            Ok(())
        }
        Err(_) => Err(CanonicalError::Encode(format!(
            "integer {value} is outside the 64-bit CBOR range"
        ))),
    }
}

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
}

/// Elements of an array whose length is known up front are written straight through; of one
/// whose length is not, into a buffer written behind its head at the end.
struct Seq<'a> {
    out: &'a mut Vec<u8>,
    buffer: Option<(Vec<u8>, u64)>,
}

/// Map entries are encoded in place, behind a one-byte head; if their keys turn out not to be
/// in canonical order (or there are 24 entries or more), the region is rewritten in order.
struct Map<'a> {
    out: &'a mut Vec<u8>,
    /// Position of the head byte reserved for the map.
    head: usize,
    /// (key start, value start, value end), absolute positions in `out`.
    entries: Vec<(usize, usize, usize)>,
}

impl<'a> Map<'a> {
    fn new(out: &'a mut Vec<u8>, entries: usize) -> Self {
        let head = out.len();
        out.push(0xa0);
        Map {
            out,
            head,
            entries: Vec::with_capacity(entries),
        }
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CanonicalError> {
        let start = self.out.len();
        encode(key, self.out)?;
        let end = self.out.len();
        self.entries.push((start, end, end));
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        encode(value, self.out)?;
        let end = self.out.len();
        match self.entries.last_mut() {
            Some(entry) => {
                entry.2 = end;
                Ok(())
            }
            None => Err(CanonicalError::Encode("map value without a key".into())),
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), CanonicalError> {
        let start = self.out.len();
        text(self.out, key);
        let value_start = self.out.len();
        encode(value, self.out)?;
        self.entries.push((start, value_start, self.out.len()));
        Ok(())
    }

    fn finish(mut self) -> Result<(), CanonicalError> {
        let out = &*self.out;
        let key = |entry: &(usize, usize, usize)| &out[entry.0..entry.1];
        // Strictly increasing keys are already canonical (equal neighbours are duplicates).
        let in_order = self
            .entries
            .windows(2)
            .all(|pair| key(&pair[0]) < key(&pair[1]));
        let count = self.entries.len();
        if in_order && count < 24 {
            self.out[self.head] = 0xa0 | count as u8;
            return Ok(());
        }
        if !in_order {
            self.entries.sort_unstable_by(|a, b| key(a).cmp(key(b)));
            if self
                .entries
                .windows(2)
                .any(|pair| key(&pair[0]) == key(&pair[1]))
            {
                return Err(CanonicalError::NotCanonical);
            }
        }
        let body = self.head + 1;
        let region = self.out[body..].to_vec();
        self.out.truncate(self.head);
        head(self.out, 5, length(count));
        for (start, _, end) in &self.entries {
            self.out
                .extend_from_slice(&region[start - body..end - body]);
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for Encoder<'a> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = Map<'a>;
    type SerializeStructVariant = Map<'a>;

    fn serialize_bool(self, value: bool) -> Result<(), CanonicalError> {
        self.out.push(if value { 0xf5 } else { 0xf4 });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), CanonicalError> {
        integer(self.out, value.into())
    }

    fn serialize_i16(self, value: i16) -> Result<(), CanonicalError> {
        integer(self.out, value.into())
    }

    fn serialize_i32(self, value: i32) -> Result<(), CanonicalError> {
        integer(self.out, value.into())
    }

    fn serialize_i64(self, value: i64) -> Result<(), CanonicalError> {
        integer(self.out, value.into())
    }

    fn serialize_i128(self, value: i128) -> Result<(), CanonicalError> {
        integer(self.out, value)
    }

    fn serialize_u8(self, value: u8) -> Result<(), CanonicalError> {
        head(self.out, 0, value.into());
        Ok(())
    }

    fn serialize_u16(self, value: u16) -> Result<(), CanonicalError> {
        head(self.out, 0, value.into());
        Ok(())
    }

    fn serialize_u32(self, value: u32) -> Result<(), CanonicalError> {
        head(self.out, 0, value.into());
        Ok(())
    }

    fn serialize_u64(self, value: u64) -> Result<(), CanonicalError> {
        head(self.out, 0, value);
        Ok(())
    }

    fn serialize_u128(self, value: u128) -> Result<(), CanonicalError> {
        match u64::try_from(value) {
            Ok(value) => {
                head(self.out, 0, value);
                Ok(())
            }
            Err(_) => Err(CanonicalError::Encode(format!(
                "integer {value} is outside the 64-bit CBOR range"
            ))),
        }
    }

    fn serialize_f32(self, _: f32) -> Result<(), CanonicalError> {
        Err(CanonicalError::Float)
    }

    fn serialize_f64(self, _: f64) -> Result<(), CanonicalError> {
        Err(CanonicalError::Float)
    }

    fn serialize_char(self, value: char) -> Result<(), CanonicalError> {
        text(self.out, value.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), CanonicalError> {
        text(self.out, value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), CanonicalError> {
        head(self.out, 2, length(value.len()));
        self.out.extend_from_slice(value);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), CanonicalError> {
        self.out.push(0xf6);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CanonicalError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), CanonicalError> {
        self.out.push(0xf6);
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CanonicalError> {
        self.out.push(0xf6);
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        text(self.out, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        if name == TAG_ENUM && variant == UNTAGGED {
            return value.serialize(self);
        }
        head(self.out, 5, 1);
        text(self.out, variant);
        value.serialize(self)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a>, CanonicalError> {
        Ok(match len {
            Some(len) => {
                head(self.out, 4, length(len));
                Seq {
                    out: self.out,
                    buffer: None,
                }
            }
            None => Seq {
                out: self.out,
                buffer: Some((Vec::new(), 0)),
            },
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, CanonicalError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, CanonicalError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, CanonicalError> {
        if name == TAG_ENUM && variant == TAGGED {
            return Err(CanonicalError::Tag);
        }
        head(self.out, 5, 1);
        text(self.out, variant);
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Map<'a>, CanonicalError> {
        Ok(Map::new(self.out, len.unwrap_or(0)))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Map<'a>, CanonicalError> {
        Ok(Map::new(self.out, len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Map<'a>, CanonicalError> {
        head(self.out, 5, 1);
        text(self.out, variant);
        Ok(Map::new(self.out, len))
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        match &mut self.buffer {
            Some((buffer, count)) => {
                *count += 1;
                encode(value, buffer)
            }
            None => encode(value, self.out),
        }
    }

    fn finish(self) -> Result<(), CanonicalError> {
        if let Some((buffer, count)) = self.buffer {
            head(self.out, 4, count);
            self.out.extend_from_slice(&buffer);
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_element<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.element(value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_element<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.element(value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        self.element(value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        self.element(value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CanonicalError> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CanonicalError> {
        self.value(value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Map<'_> {
    type Ok = ();
    type Error = CanonicalError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}
