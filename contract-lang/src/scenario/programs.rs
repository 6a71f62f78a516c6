//! The programs scenarios run on: a vocabulary compiled with each scenario's clause files.
//! Many scenarios name the same clause files (a scenario file's scenarios usually share them,
//! and `diff` runs every file on both sides, where only the changed clause differs), so each
//! distinct set of sources is compiled once and shared.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::compile::{compile_program, SourceInput};
use crate::ir::Program;

/// The clause sources of one program, as (name, text) pairs.
type ClauseSources = Vec<(String, String)>;

/// A compiled program, or its diagnostics rendered for people.
type Compiled = Result<Arc<Program>, String>;

/// Compiles `vocabulary` followed by sets of clause sources, each distinct set once.
pub struct Programs {
    vocabulary: SourceInput,
    /// Keyed by the clause sources (name and text): a name appears in diagnostics, so two
    /// files with one text under two names are two entries.
    compiled: BTreeMap<ClauseSources, Compiled>,
}

impl Programs {
    pub fn new(vocabulary: SourceInput) -> Programs {
        Programs {
            vocabulary,
            compiled: BTreeMap::new(),
        }
    }

    /// The program of the vocabulary and `clauses`, or the rendered diagnostics if they do
    /// not compile; compiled only the first time these sources are asked for.
    pub fn compile(&mut self, clauses: Vec<SourceInput>) -> Compiled {
        let key: ClauseSources = clauses
            .into_iter()
            .map(|source| (source.name, source.text))
            .collect();
        if let Some(compiled) = self.compiled.get(&key) {
            return compiled.clone();
        }
        let compiled = compile_with(&self.vocabulary, &key);
        self.compiled.insert(key, compiled.clone());
        compiled
    }

    /// The vocabulary every program starts with.
    pub fn vocabulary(&self) -> &SourceInput {
        &self.vocabulary
    }

    /// How many times sources were compiled (for tests: each distinct set once), which is
    /// how many distinct sets were asked for: each is compiled on its first ask and kept.
    pub fn compiles(&self) -> usize {
        self.compiled.len()
    }
}

fn compile_with(vocabulary: &SourceInput, clauses: &[(String, String)]) -> Compiled {
    let mut sources = vec![vocabulary.clone()];
    sources.extend(clauses.iter().map(|(name, text)| SourceInput {
        name: name.clone(),
        text: text.clone(),
    }));
    compile_program(&sources)
        .or_rendered(&sources)
        .map(Arc::new)
}
