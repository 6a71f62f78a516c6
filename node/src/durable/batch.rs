//! Write batches and the key layout of the store.
//!
//! The store keeps every logical table ("space": entries, order heads, log hashes…) in ONE sled
//! tree, each key prefixed with its space's name. One tree is what makes a group commit a
//! single `Tree::apply_batch`, which sled recovers all-or-nothing after a crash (it seals the
//! batch in its log), without the retry loop and per-tree locking of sled's multi-tree
//! transactions. Prefix scans within a space stay ordinary sled prefix scans.

/// A named keyspace. Names are fixed by the program, so they are checked when defined:
/// `const ENTRIES: Space = Space::new("entries");` fails to compile if the name is empty or
/// longer than [`Space::MAX_NAME`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Space(&'static str);

impl Space {
    pub const MAX_NAME: usize = 64;

    pub const fn new(name: &'static str) -> Space {
        assert!(
            !name.is_empty() && name.len() <= Self::MAX_NAME,
            "space names are 1 to 64 bytes"
        );
        Space(name)
    }

    pub fn name(&self) -> &'static str {
        self.0
    }

    /// The bytes every key of this space starts with: the name's length, then the name, so no
    /// space's prefix is a prefix of another's.
    pub(crate) fn prefix(&self) -> Vec<u8> {
        let mut prefix = Vec::with_capacity(1 + self.0.len());
        // MAX_NAME < 256, enforced by `new`.
        prefix.push(self.0.len() as u8);
        prefix.extend_from_slice(self.0.as_bytes());
        prefix
    }

    pub(crate) fn key(&self, key: &[u8]) -> Vec<u8> {
        let mut full = self.prefix();
        full.extend_from_slice(key);
        full
    }
}

/// Writes that must become durable together or not at all (an entry, its order head, its log
/// hashes…).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteBatch {
    /// Full store keys (space prefix included) and new values; `None` removes the key.
    pub(crate) writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(
        &mut self,
        space: Space,
        key: impl AsRef<[u8]>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.writes
            .push((space.key(key.as_ref()), Some(value.into())));
        self
    }

    pub fn remove(&mut self, space: Space, key: impl AsRef<[u8]>) -> &mut Self {
        self.writes.push((space.key(key.as_ref()), None));
        self
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_prefixes_never_overlap() {
        let a = Space::new("entries");
        let b = Space::new("entries2");
        assert!(!b.prefix().starts_with(&a.prefix()));
        assert!(!a.prefix().starts_with(&b.prefix()));
        assert_eq!(a.key(b"k"), b"\x07entriesk");
    }
}
