//! The strict decoder: a serde `Deserializer` over canonical CBOR.
//!
//! It reads only the forms the encoder writes: shortest integers and lengths, definite lengths,
//! UTF-8 text, `false`, `true` and `null`. Any other form (a longer integer or length, an
//! indefinite length, a tag, `undefined`, another simple value) is never the canonical encoding
//! of anything and is refused as [`CanonicalError::NotCanonical`] where it is met, a float as
//! [`CanonicalError::Float`]. What a value's form cannot show (map keys in order, none twice,
//! no unknown field) [`crate::from_slice`] checks by encoding the decoded value again.
//!
//! Why not ciborium's deserializer, which `from_slice` used before: it reads every CBOR form
//! (tags, indefinite lengths, floats, big numbers) inside each generic method, so every type's
//! visitor got its own copy of that code. Here the bytes are read by functions that are not
//! generic and the generic methods only hand an item to the visitor. In the browser, which
//! compiles each WebAssembly function the first time it is called, that is less code to
//! compile before a bundle's verdict.

use std::fmt;

use serde::de::{self, DeserializeSeed, Unexpected, Visitor};

use crate::CanonicalError;

/// Strings and byte strings the identifiers of fields and variants may be: ciborium read them
/// into a buffer of this size and refused longer ones, and so does this decoder, so that the
/// inputs refused stay the same.
const IDENTIFIER_LIMIT: usize = 4096;

/// Reads items from the front of `input`.
pub(crate) struct Decoder<'de> {
    input: &'de [u8],
    /// How many more arrays, maps and enums may be entered.
    depth: usize,
}

/// One item's head, with the bytes of a byte or text string.
#[derive(Clone, Copy)]
enum Item<'de> {
    Unsigned(u64),
    /// The integer `-1 - n`.
    Negative(u64),
    Bytes(&'de [u8]),
    Text(&'de str),
    /// An array of this many items.
    Array(usize),
    /// A map of this many pairs.
    Map(usize),
    Bool(bool),
    Null,
}

impl<'de> Decoder<'de> {
    pub(crate) fn new(input: &'de [u8], depth: usize) -> Decoder<'de> {
        Decoder { input, depth }
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'de [u8] {
        self.input
    }

    fn take(&mut self, count: usize) -> Result<&'de [u8], CanonicalError> {
        if count > self.input.len() {
            return Err(malformed("the input ends inside an item"));
        }
        let (taken, rest) = self.input.split_at(count);
        self.input = rest;
        Ok(taken)
    }

    /// The next item. Not generic and not inlined: every visitor calls this one copy.
    #[inline(never)]
    fn item(&mut self) -> Result<Item<'de>, CanonicalError> {
        let initial = self.take(1)?[0];
        let (major, info) = (initial >> 5, initial & 0x1f);
        if major == 7 {
            return match info {
                20 => Ok(Item::Bool(false)),
                21 => Ok(Item::Bool(true)),
                22 => Ok(Item::Null),
                25..=27 => Err(CanonicalError::Float),
                28..=31 => Err(malformed(
                    "a reserved simple value or a break outside a list",
                )),
                // `undefined` and the other simple values.
                _ => Err(CanonicalError::NotCanonical),
            };
        }
        let argument = self.argument(info)?;
        match major {
            0 => Ok(Item::Unsigned(argument)),
            1 => Ok(Item::Negative(argument)),
            2 => Ok(Item::Bytes(self.take(length(argument)?)?)),
            3 => {
                let bytes = self.take(length(argument)?)?;
                std::str::from_utf8(bytes)
                    .map(Item::Text)
                    .map_err(|_| malformed("text that is not UTF-8"))
            }
            4 => self.count(argument, 1).map(Item::Array),
            5 => self.count(argument, 2).map(Item::Map),
            // A tag.
            _ => Err(CanonicalError::NotCanonical),
        }
    }

    /// The head's argument, in its shortest form only.
    fn argument(&mut self, info: u8) -> Result<u64, CanonicalError> {
        let (size, least) = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => (1, 24),
            25 => (2, 1 << 8),
            26 => (4, 1 << 16),
            27 => (8, 1 << 32),
            // An indefinite length.
            31 => return Err(CanonicalError::NotCanonical),
            _ => return Err(malformed("reserved additional information")),
        };
        let value = self
            .take(size)?
            .iter()
            .fold(0u64, |value, byte| (value << 8) | u64::from(*byte));
        if value < least {
            return Err(CanonicalError::NotCanonical);
        }
        Ok(value)
    }

    /// The number of items of an array or map, each at least `least_bytes` long: no more than
    /// the input can hold, so that no visitor reserves room for items that cannot be there.
    fn count(&self, argument: u64, least_bytes: u64) -> Result<usize, CanonicalError> {
        let room = self.input.len() as u64 / least_bytes;
        if argument > room {
            return Err(malformed("more items than the input can hold"));
        }
        length(argument)
    }

    /// Whether the next item is `null`, which it then reads.
    fn null_next(&mut self) -> bool {
        let null = self.input.first() == Some(&0xf6);
        if null {
            self.input = &self.input[1..];
        }
        null
    }

    fn enter(&mut self) -> Result<(), CanonicalError> {
        self.depth = self
            .depth
            .checked_sub(1)
            .ok_or_else(|| malformed("items nested deeper than the limit"))?;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth += 1;
    }

    fn integer(&mut self) -> Result<i128, CanonicalError> {
        match self.item()? {
            Item::Unsigned(value) => Ok(i128::from(value)),
            Item::Negative(value) => Ok(-1 - i128::from(value)),
            other => Err(unexpected(other, "integer")),
        }
    }

    fn text(&mut self, expected: &'static str) -> Result<&'de str, CanonicalError> {
        match self.item()? {
            Item::Text(text) => Ok(text),
            other => Err(unexpected(other, expected)),
        }
    }
}

fn length(argument: u64) -> Result<usize, CanonicalError> {
    usize::try_from(argument).map_err(|_| malformed("a length beyond this machine's memory"))
}

#[cold]
fn malformed(what: &str) -> CanonicalError {
    CanonicalError::Malformed(what.to_string())
}

/// An item of the wrong type, as serde words it (`invalid type: string, expected map`).
#[cold]
#[inline(never)]
fn unexpected(item: Item<'_>, expected: &'static str) -> CanonicalError {
    let found = match item {
        Item::Unsigned(value) => Unexpected::Unsigned(value),
        Item::Negative(value) => match i64::try_from(value) {
            Ok(value) => Unexpected::Signed(-1 - value),
            Err(_) => Unexpected::Other("integer"),
        },
        Item::Bytes(bytes) => Unexpected::Bytes(bytes),
        Item::Text(text) => Unexpected::Str(text),
        Item::Array(_) => Unexpected::Seq,
        Item::Map(_) => Unexpected::Map,
        Item::Bool(value) => Unexpected::Bool(value),
        Item::Null => Unexpected::Unit,
    };
    de::Error::invalid_type(found, &expected)
}

#[cold]
#[inline(never)]
fn too_large() -> CanonicalError {
    de::Error::custom("integer too large")
}

#[cold]
#[inline(never)]
fn negative() -> CanonicalError {
    de::Error::custom("unexpected negative integer")
}

impl de::Error for CanonicalError {
    #[cold]
    fn custom<T: fmt::Display>(message: T) -> CanonicalError {
        CanonicalError::Shape(message.to_string())
    }
}

/// The generic methods only fetch an item and hand it to the visitor; integers are read as
/// `i64`, `u64` or 128 bits whatever their width, as ciborium did (the visitor checks the range).
impl<'de> de::Deserializer<'de> for &mut Decoder<'de> {
    type Error = CanonicalError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Unsigned(value) => visitor.visit_u64(value),
            Item::Negative(value) => match i64::try_from(value) {
                Ok(value) => visitor.visit_i64(-1 - value),
                Err(_) => visitor.visit_i128(-1 - i128::from(value)),
            },
            Item::Bytes(bytes) => visitor.visit_borrowed_bytes(bytes),
            Item::Text(text) => visitor.visit_borrowed_str(text),
            Item::Array(count) => self.visit_array(count, visitor),
            Item::Map(count) => self.visit_map(count, visitor),
            Item::Bool(value) => visitor.visit_bool(value),
            Item::Null => visitor.visit_none(),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Bool(value) => visitor.visit_bool(value),
            other => Err(unexpected(other, "bool")),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        let value = i64::try_from(self.integer()?).map_err(|_| too_large())?;
        visitor.visit_i64(value)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        visitor.visit_i128(self.integer()?)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Unsigned(value) => visitor.visit_u64(value),
            Item::Negative(_) => Err(negative()),
            other => Err(unexpected(other, "integer")),
        }
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Unsigned(value) => visitor.visit_u128(u128::from(value)),
            Item::Negative(_) => Err(negative()),
            other => Err(unexpected(other, "integer")),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, _: V) -> Result<V::Value, CanonicalError> {
        // Canonical data holds no float: `item` refuses one, and anything else is not a float.
        let item = self.item()?;
        Err(unexpected(item, "float"))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        let text = self.text("char")?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(only), None) => visitor.visit_char(only),
            _ => Err(unexpected(Item::Text(text), "char")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        let text = self.text("str")?;
        if text.len() > IDENTIFIER_LIMIT {
            return Err(unexpected(Item::Text(text), "str"));
        }
        visitor.visit_borrowed_str(text)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        visitor.visit_borrowed_str(self.text("string")?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Bytes(bytes) if bytes.len() <= IDENTIFIER_LIMIT => {
                visitor.visit_borrowed_bytes(bytes)
            }
            Item::Array(count) => self.visit_array(count, visitor),
            other => Err(unexpected(other, "bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Bytes(bytes) => visitor.visit_borrowed_bytes(bytes),
            Item::Array(count) => self.visit_array(count, visitor),
            other => Err(unexpected(other, "byte buffer")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        if self.null_next() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Null => visitor.visit_unit(),
            other => Err(unexpected(other, "unit")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Array(count) => self.visit_array(count, visitor),
            other => Err(unexpected(other, "array")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Map(count) => self.visit_map(count, visitor),
            other => Err(unexpected(other, "map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.deserialize_map(visitor)
    }

    /// An enum is its variant's name (a unit variant) or a map of one pair, the name and the
    /// variant's content.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        let before = self.input;
        let content = match self.item()? {
            Item::Map(1) => true,
            Item::Text(_) => {
                // The name is the variant's identifier: read again by the visitor.
                self.input = before;
                false
            }
            other => return Err(unexpected(other, "enum")),
        };
        self.enter()?;
        let value = visitor.visit_enum(Variant {
            decoder: &mut *self,
            content,
        });
        self.leave();
        value
    }

    fn deserialize_identifier<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        match self.item()? {
            Item::Text(text) if text.len() <= IDENTIFIER_LIMIT => visitor.visit_borrowed_str(text),
            Item::Bytes(bytes) if bytes.len() <= IDENTIFIER_LIMIT => {
                visitor.visit_borrowed_bytes(bytes)
            }
            other => Err(unexpected(other, "str or bytes")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

impl<'de> Decoder<'de> {
    fn visit_array<V: Visitor<'de>>(
        &mut self,
        count: usize,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.enter()?;
        let value = visitor.visit_seq(Items {
            decoder: &mut *self,
            left: count,
        });
        self.leave();
        value
    }

    fn visit_map<V: Visitor<'de>>(
        &mut self,
        count: usize,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.enter()?;
        let value = visitor.visit_map(Items {
            decoder: &mut *self,
            left: count,
        });
        self.leave();
        value
    }
}

/// The items of an array, or the pairs of a map, not read yet.
struct Items<'a, 'de> {
    decoder: &'a mut Decoder<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = CanonicalError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, CanonicalError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.decoder).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Items<'_, 'de> {
    type Error = CanonicalError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, CanonicalError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.decoder).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, CanonicalError> {
        seed.deserialize(&mut *self.decoder)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// An enum's variant: its name, then its content when it came as a map of one pair.
struct Variant<'a, 'de> {
    decoder: &'a mut Decoder<'de>,
    content: bool,
}

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = CanonicalError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), CanonicalError> {
        let variant = seed.deserialize(&mut *self.decoder)?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = CanonicalError;

    fn unit_variant(self) -> Result<(), CanonicalError> {
        if self.content {
            return Err(de::Error::invalid_type(Unexpected::Map, &"unit variant"));
        }
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, CanonicalError> {
        self.content()?;
        seed.deserialize(&mut *self.decoder)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.content()?;
        de::Deserializer::deserialize_any(&mut *self.decoder, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CanonicalError> {
        self.content()?;
        de::Deserializer::deserialize_any(&mut *self.decoder, visitor)
    }
}

impl Variant<'_, '_> {
    /// A variant with content came as a map of one pair, not as its bare name.
    fn content(&self) -> Result<(), CanonicalError> {
        if self.content {
            Ok(())
        } else {
            Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"variant with content",
            ))
        }
    }
}
