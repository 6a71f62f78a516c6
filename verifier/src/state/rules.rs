//! The rules in force: the clause sources, the program compiled from them and the contract's
//! clause bindings (ids pinned, parameters bound). The contract sets them at genesis; an
//! agreement may replace them ([`Rules::amend`]), and the state machine evaluates each fact
//! under the rules its state holds.

use std::collections::BTreeSet;
use std::sync::Arc;

use contract_lang::ir::Program;
use contract_lang::vocab::VocabError;
use serde::Serialize;

use super::engine;
use super::machine::SetupError;
use crate::bundle::format::{sources_hash, Source};
use crate::model::{
    AttesterGrant, Change, ClauseBinding, ClauseChange, Digest, ModelError, ParamChange,
};

/// Why an agreement's changes cannot be made. Nothing is recorded then.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AgreementError {
    #[error("the agreement changes nothing")]
    NoChanges,
    #[error("the new clause sources do not compile: {0}")]
    Compile(String),
    #[error("clause `{0}` is not part of the contract")]
    UnknownClause(String),
    #[error("clause `{0}` is already part of the contract")]
    ClauseExists(String),
    #[error("term `{0}` is set twice")]
    TermSetTwice(String),
    #[error("the terms after the agreement: {0}")]
    Terms(Box<VocabError>),
    #[error(transparent)]
    Setup(SetupError),
    #[error("{0}")]
    Model(#[from] ModelError),
}

/// Where the program of an agreement's new clause sources comes from: compiled from them
/// ([`Compile`], a verifier's way), or read back from where a node pinned it by the sources'
/// hash when the agreement committed, so that a restart does not compile it again. The
/// program must be the one the sources compile to: callers keep it pinned by that hash.
pub trait ProgramSource: Send + Sync + std::fmt::Debug {
    /// The program of `sources`, whose hash is `sources_hash`.
    fn program(
        &self,
        sources_hash: Digest,
        sources: &[Source],
    ) -> Result<Arc<Program>, AgreementError>;
}

/// Compiles every agreement's sources.
#[derive(Clone, Copy, Debug, Default)]
pub struct Compile;

impl ProgramSource for Compile {
    fn program(&self, _: Digest, sources: &[Source]) -> Result<Arc<Program>, AgreementError> {
        compile(sources).map(Arc::new)
    }
}

/// One program compiled already, given for the sources hashing to `hash`; any other sources
/// are compiled (a caller that made many orders of one contract template compiles it once).
#[derive(Clone, Debug)]
pub struct Compiled {
    pub hash: Digest,
    pub program: Arc<Program>,
}

impl ProgramSource for Compiled {
    fn program(&self, hash: Digest, sources: &[Source]) -> Result<Arc<Program>, AgreementError> {
        if hash == self.hash {
            return Ok(self.program.clone());
        }
        Compile.program(hash, sources)
    }
}

/// An agreement's sources, their hash and their program.
type AmendedProgram = (Arc<[Source]>, Digest, Arc<Program>);

/// The rules an order runs under.
#[derive(Clone, Debug)]
pub struct Rules {
    sources: Arc<[Source]>,
    /// Their hash (the contract's `sources` for the genesis rules).
    sources_digest: Digest,
    program: Arc<Program>,
    bindings: Vec<ClauseBinding>,
    bound: Vec<engine::Bound>,
    /// SHA-256 of the sources hash and the bindings: what the state hash covers once an
    /// agreement changed the rules.
    digest: Digest,
}

/// Two rule sets are equal when they bind the same clauses over the same sources.
impl PartialEq for Rules {
    fn eq(&self, other: &Rules) -> bool {
        self.digest == other.digest
    }
}

impl Eq for Rules {}

/// What the rules' digest covers.
#[derive(Serialize)]
struct RulesView<'a> {
    sources: &'a Digest,
    clauses: &'a [ClauseBinding],
}

/// What [`Rules::amend`] changed.
pub(crate) struct Amended {
    /// The new rules, `None` when the agreement changes only terms.
    pub rules: Option<Rules>,
    pub params: Vec<ParamChange>,
    pub clauses: Vec<ClauseChange>,
}

impl Rules {
    /// Binds `bindings` against `program`, compiled from `sources` (whose hash is
    /// `sources_digest`): every clause named once, compiling to the id it names, with
    /// parameters it declares.
    pub(crate) fn new(
        sources: Arc<[Source]>,
        sources_digest: Digest,
        program: Arc<Program>,
        bindings: Vec<ClauseBinding>,
    ) -> Result<Rules, SetupError> {
        let mut names = BTreeSet::new();
        let mut bound = Vec::with_capacity(bindings.len());
        for binding in &bindings {
            if !names.insert(binding.name.as_str()) {
                return Err(SetupError::DuplicateClause(binding.name.clone()));
            }
            bound.push(engine::bind(&program, binding)?);
        }
        let digest = crate::model::encode(
            "rules",
            &RulesView {
                sources: &sources_digest,
                clauses: &bindings,
            },
        )
        .map(|bytes| Digest::of(&bytes))
        .map_err(|error| SetupError::Encode(error.to_string()))?;
        Ok(Rules {
            sources,
            sources_digest,
            program,
            bindings,
            bound,
            digest,
        })
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The program as shared, for callers that keep it.
    pub fn shared_program(&self) -> Arc<Program> {
        Arc::clone(&self.program)
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The clauses in force, in evaluation order.
    pub fn bindings(&self) -> &[ClauseBinding] {
        &self.bindings
    }

    /// The hash of the sources (what the contract names for the genesis rules).
    pub fn sources_digest(&self) -> Digest {
        self.sources_digest
    }

    pub fn digest(&self) -> Digest {
        self.digest
    }

    pub(crate) fn bound(&self) -> &[engine::Bound] {
        &self.bound
    }

    /// Whether `name` is a clause of the contract under these rules.
    pub fn has_clause(&self, name: &str) -> bool {
        self.bindings.iter().any(|binding| binding.name == name)
    }

    /// Makes an agreement's source, clause and parameter changes (terms are the state
    /// machine's). Sources first, compiled once; then the clause and parameter changes in
    /// order; then every binding is checked against the program (ids pinned), and every
    /// attester's event kinds against its vocabulary.
    pub(crate) fn amend(
        &self,
        changes: &[Change],
        attesters: &[AttesterGrant],
        programs: &dyn ProgramSource,
    ) -> Result<Amended, AgreementError> {
        let (sources, digest, program) = self.amended_program(changes, programs)?;
        let mut bindings = self.bindings.clone();
        let mut params = Vec::new();
        let mut clauses = Vec::new();
        for change in changes {
            self.amend_binding(change, &mut bindings, &mut params, &mut clauses)?;
        }
        let sources_changed = !Arc::ptr_eq(&sources, &self.sources);
        if !sources_changed && params.is_empty() && clauses.is_empty() {
            return Ok(Amended {
                rules: None,
                params,
                clauses,
            });
        }
        for grant in attesters {
            if let Some(kind) = grant
                .kinds
                .iter()
                .find(|kind| !program.vocabulary.events.contains_key(*kind))
            {
                return Err(AgreementError::Setup(SetupError::UnknownEventKind {
                    name: grant.name.clone(),
                    kind: kind.clone(),
                }));
            }
        }
        let rules =
            Rules::new(sources, digest, program, bindings).map_err(AgreementError::Setup)?;
        Ok(Amended {
            rules: Some(rules),
            params,
            clauses,
        })
    }

    /// The sources after the agreement's source changes, their hash and their program from
    /// `programs` (these rules' own when there are none).
    fn amended_program(
        &self,
        changes: &[Change],
        programs: &dyn ProgramSource,
    ) -> Result<AmendedProgram, AgreementError> {
        let mut sources: Vec<Source> = self.sources.to_vec();
        let mut changed = false;
        for change in changes {
            if let Change::Source { name, text } = change {
                changed = true;
                let source = Source {
                    name: name.clone(),
                    text: text.clone(),
                };
                match sources.iter_mut().find(|existing| existing.name == *name) {
                    Some(existing) => *existing = source,
                    None => sources.push(source),
                }
            }
        }
        if !changed {
            return Ok((
                Arc::clone(&self.sources),
                self.sources_digest,
                Arc::clone(&self.program),
            ));
        }
        let digest = sources_hash(&sources)?;
        let program = programs.program(digest, &sources)?;
        Ok((sources.into(), digest, program))
    }

    /// Makes one clause or parameter change on `bindings`, recording it.
    fn amend_binding(
        &self,
        change: &Change,
        bindings: &mut Vec<ClauseBinding>,
        params: &mut Vec<ParamChange>,
        clauses: &mut Vec<ClauseChange>,
    ) -> Result<(), AgreementError> {
        let position = |bindings: &[ClauseBinding], name: &str| {
            bindings
                .iter()
                .position(|binding| binding.name == name)
                .ok_or_else(|| AgreementError::UnknownClause(name.to_string()))
        };
        match change {
            Change::SetTerm { .. } | Change::Source { .. } => {}
            Change::AddClause(binding) => {
                if bindings
                    .iter()
                    .any(|existing| existing.name == binding.name)
                {
                    return Err(AgreementError::ClauseExists(binding.name.clone()));
                }
                clauses.push(ClauseChange {
                    clause: binding.name.clone(),
                    before: None,
                    after: Some(binding.id),
                });
                bindings.push(binding.clone());
            }
            Change::RemoveClause { clause } => {
                let removed = bindings.remove(position(bindings, clause)?);
                clauses.push(ClauseChange {
                    clause: clause.clone(),
                    before: Some(removed.id),
                    after: None,
                });
            }
            Change::UpgradeClause { clause, id } => {
                let index = position(bindings, clause)?;
                let binding = &mut bindings[index];
                clauses.push(ClauseChange {
                    clause: clause.clone(),
                    before: Some(binding.id),
                    after: Some(*id),
                });
                binding.id = *id;
            }
            Change::BindParam {
                clause,
                param,
                value,
            } => {
                let index = position(bindings, clause)?;
                let binding = &mut bindings[index];
                let before = self
                    .bound
                    .iter()
                    .find(|bound| bound.name == *clause)
                    .and_then(|bound| bound.params.get(param))
                    .cloned();
                params.push(ParamChange {
                    clause: clause.clone(),
                    param: param.clone(),
                    before,
                    after: value.clone(),
                });
                binding.params.insert(param.clone(), value.clone());
            }
        }
        Ok(())
    }
}

/// Compiles sources into a program, or says why not (each diagnostic with its file).
pub fn compile(sources: &[Source]) -> Result<Program, AgreementError> {
    let inputs: Vec<contract_lang::compile::SourceInput> = sources
        .iter()
        .map(|source| contract_lang::compile::SourceInput {
            name: source.name.clone(),
            text: source.text.clone(),
        })
        .collect();
    let compiled = contract_lang::compile::compile_program(&inputs);
    compiled.program.ok_or_else(|| {
        let messages: Vec<String> = compiled
            .diagnostics
            .iter()
            .map(|d| {
                let file = sources
                    .get(d.file)
                    .map_or("?", |source| source.name.as_str());
                format!("{file}: {} {}", d.diagnostic.code, d.diagnostic.message)
            })
            .collect();
        AgreementError::Compile(messages.join("; "))
    })
}
