//! The compiled programs kept in memory, bounded in entries and bytes.
//!
//! Compiling a contract's sources is the costly part of starting or checking an order, so
//! programs are kept by sources hash and shared by the orders that run them. The cache is
//! bounded so that many distinct proposals cannot grow the node without limit: past either
//! bound the least recently used programs are dropped (an order that runs one keeps its own
//! `Arc`; a dropped program is recompiled, or read back from the store, when next needed).
//! A program's size is counted as its canonical CBOR encoding, a proxy for its heap size.

use std::{collections::HashMap, sync::Arc};

use contract_lang::ir::Program;
use verifier::model::Digest;

/// Most programs kept.
pub const MAX_PROGRAMS: usize = 64;
/// Most bytes (canonical encoding) of the programs kept.
pub const MAX_PROGRAM_BYTES: usize = 16 << 20;

struct Cached {
    program: Arc<Program>,
    bytes: usize,
    used: u64,
}

/// Programs by sources hash, least recently used dropped first.
pub struct ProgramCache {
    programs: HashMap<Digest, Cached>,
    max_entries: usize,
    max_bytes: usize,
    bytes: usize,
    clock: u64,
}

impl Default for ProgramCache {
    fn default() -> Self {
        ProgramCache::new(MAX_PROGRAMS, MAX_PROGRAM_BYTES)
    }
}

impl ProgramCache {
    pub fn new(max_entries: usize, max_bytes: usize) -> ProgramCache {
        ProgramCache {
            programs: HashMap::new(),
            max_entries,
            max_bytes,
            bytes: 0,
            clock: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock = self.clock.wrapping_add(1);
        self.clock
    }

    /// The program for `key`, marked as just used.
    pub fn get(&mut self, key: &Digest) -> Option<Arc<Program>> {
        let now = self.tick();
        let cached = self.programs.get_mut(key)?;
        cached.used = now;
        Some(cached.program.clone())
    }

    /// Keeps `program` under `key`, then drops the least recently used programs until both
    /// bounds hold. A program larger than the byte bound alone is not kept.
    pub fn insert(&mut self, key: Digest, program: Arc<Program>) {
        let bytes = encoded_len(&program);
        if bytes > self.max_bytes || self.max_entries == 0 {
            return;
        }
        let used = self.tick();
        if let Some(old) = self.programs.insert(
            key,
            Cached {
                program,
                bytes,
                used,
            },
        ) {
            self.bytes = self.bytes.saturating_sub(old.bytes);
        }
        self.bytes = self.bytes.saturating_add(bytes);
        while self.programs.len() > self.max_entries || self.bytes > self.max_bytes {
            let Some(oldest) = self
                .programs
                .iter()
                .min_by_key(|(_, cached)| cached.used)
                .map(|(key, _)| *key)
            else {
                break;
            };
            if let Some(dropped) = self.programs.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(dropped.bytes);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.programs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }

    /// Bytes (canonical encoding) of the programs kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The length of `program`'s canonical CBOR encoding (a program that cannot be encoded counts
/// as unbounded, so it is not kept).
fn encoded_len(program: &Program) -> usize {
    pactum_canonical::to_vec(program).map_or(usize::MAX, |bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::bundle::Source;

    fn program(param_default: u32) -> Arc<Program> {
        let text = format!(
            "clause c{param_default} {{\n  param days: duration = {param_default}d\n  on shipment.delivered\n  when event.at > terms.delivery_due + days\n  then set terms.delivery_due = event.at\n}}\n"
        );
        let sources = vec![
            Source {
                name: pactum_clause_library::VOCABULARY_FILE.into(),
                text: pactum_clause_library::VOCABULARY.into(),
            },
            Source {
                name: "inline/c.clause".into(),
                text,
            },
        ];
        Arc::new(super::super::sources::compile(&sources).unwrap())
    }

    fn key(n: u8) -> Digest {
        Digest([n; 32])
    }

    #[test]
    fn keeps_at_most_max_entries_dropping_the_least_recently_used() {
        let mut cache = ProgramCache::new(2, usize::MAX);
        cache.insert(key(1), program(1));
        cache.insert(key(2), program(2));
        assert!(cache.get(&key(1)).is_some());
        cache.insert(key(3), program(3));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&key(2)).is_none(), "the least recently used goes");
        assert!(cache.get(&key(1)).is_some());
        assert!(cache.get(&key(3)).is_some());
    }

    #[test]
    fn keeps_at_most_max_bytes() {
        let one = encoded_len(&program(1));
        let mut cache = ProgramCache::new(100, one * 3 + one / 2);
        for n in 1..=10 {
            cache.insert(key(n), program(u32::from(n)));
            assert!(cache.bytes() <= one * 3 + one / 2);
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&key(10)).is_some());
        let mut tiny = ProgramCache::new(100, one - 1);
        tiny.insert(key(1), program(1));
        assert!(tiny.is_empty(), "a program over the byte bound is not kept");
    }

    #[test]
    fn replacing_a_program_counts_its_bytes_once() {
        let mut cache = ProgramCache::new(10, usize::MAX);
        cache.insert(key(1), program(1));
        let once = cache.bytes();
        cache.insert(key(1), program(1));
        assert_eq!(cache.bytes(), once);
    }
}
