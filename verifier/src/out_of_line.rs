//! Serde code kept in functions of its own, for parts of a value that are often absent.
//!
//! The browser compiles each WebAssembly function whole the first time it is called, and the
//! compiler inlines a type's serde code into its only caller: the code of a part most values
//! do not have (a close or an agreement step, a review's reasons, the page view's detail) was
//! compiled with the common parts before a verdict whether or not the bundle had it. Behind
//! these functions it is compiled only when the part is there. What is encoded, decoded or
//! shown does not change: each function does what the part's own impl does.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `#[serde(with = "crate::out_of_line")]`: the part's own `serialize`, called, not inlined.
#[inline(never)]
pub(crate) fn serialize<T: Serialize, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.serialize(serializer)
}

/// The part's own `deserialize`, called, not inlined.
#[inline(never)]
pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    T::deserialize(deserializer)
}

/// `#[serde(serialize_with = "crate::out_of_line::option")]`: `None` as before, the content of
/// `Some` out of line.
pub(crate) fn option<T: Serialize, S: Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        None => serializer.serialize_none(),
        Some(value) => serializer.serialize_some(&Called(value)),
    }
}

/// `#[serde(serialize_with = "crate::out_of_line::items")]`: a list as before, each item out of
/// line (an empty list compiles none of the items' code).
pub(crate) fn items<T: Serialize, S: Serializer>(
    values: &[T],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values.iter().map(Called))
}

/// A value whose `serialize` is called, not inlined.
struct Called<'a, T>(&'a T);

impl<T: Serialize> Serialize for Called<'_, T> {
    #[inline(never)]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
