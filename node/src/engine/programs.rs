//! Programs by their sources' hash, for the genesis and for agreements alike: from memory (the
//! bounded [`ProgramCache`]), else as stored in the `programs` space (pinned there by the
//! genesis or the agreement that first committed them, in that entry's batch), else compiled.
//! A restart therefore reads back every program its orders run instead of compiling it again;
//! `programs_compiled` counts the compilations. [`Programs`] is the [`ProgramSource`] of every
//! contract check and agreement this node runs, so an order opened in the running process and
//! the same order read back after a restart take their programs the same way.

use std::sync::{Arc, Mutex as StdMutex};

use contract_lang::ir::Program;
use verifier::bundle::Source;
use verifier::model::Digest;
use verifier::state::{AgreementError, ProgramSource};

use super::program_cache::ProgramCache;
use super::records::{self, PROGRAMS};
use super::sources;
use super::SourcesHook;
use crate::durable::Store;
use crate::metrics::Metrics;

pub struct Programs {
    store: Arc<Store>,
    cache: StdMutex<ProgramCache>,
    metrics: Arc<Metrics>,
    /// Alters sources before compiling (tests only, [`super::Hooks::tamper_sources`]).
    tamper: Option<SourcesHook>,
}

impl std::fmt::Debug for Programs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Programs")
    }
}

impl Programs {
    pub fn new(store: Arc<Store>, metrics: Arc<Metrics>, tamper: Option<SourcesHook>) -> Programs {
        Programs {
            store,
            cache: StdMutex::new(ProgramCache::default()),
            metrics,
            tamper,
        }
    }

    /// The program of `sources`, after the tamper hook: cached, stored or compiled.
    pub fn of(&self, sources: &[Source]) -> Result<Arc<Program>, String> {
        match &self.tamper {
            None => self.get(sources::hash_sources(sources)?, sources),
            Some(tamper) => self.tampered(tamper, sources),
        }
    }

    /// Tampered sources (tests only) compiled; never read from or pinned in the store.
    fn tampered(&self, tamper: &SourcesHook, sources: &[Source]) -> Result<Arc<Program>, String> {
        let mut sources = sources.to_vec();
        tamper(&mut sources);
        let program = Arc::new(self.compile(&sources)?);
        self.remember(sources::hash_sources(&sources)?, &program);
        Ok(program)
    }

    /// The program of `sources` (hashing to `key`): cached, stored or compiled.
    pub fn get(&self, key: Digest, sources: &[Source]) -> Result<Arc<Program>, String> {
        if let Some(program) = self.cache.lock().ok().and_then(|mut p| p.get(&key)) {
            return Ok(program);
        }
        let program = Arc::new(match self.stored(&key, sources)? {
            Some(program) => program,
            None => self.compile(sources)?,
        });
        self.remember(key, &program);
        Ok(program)
    }

    /// Compiles `sources`, counted in `programs_compiled`.
    pub fn compile(&self, sources: &[Source]) -> Result<Program, String> {
        self.metrics.programs_compiled.inc();
        sources::compile(sources)
    }

    /// Keeps `program` in memory under `key`.
    pub fn remember(&self, key: Digest, program: &Arc<Program>) {
        if let Ok(mut programs) = self.cache.lock() {
            programs.insert(key, program.clone());
            self.metrics.programs_cached.set(programs.len() as i64);
            self.metrics
                .program_cache_bytes
                .set(i64::try_from(programs.bytes()).unwrap_or(i64::MAX));
        }
    }

    /// The program stored for sources hashing to `key`, each clause checked against its
    /// source file and spans.
    fn stored(&self, key: &Digest, sources: &[Source]) -> Result<Option<Program>, String> {
        let corrupt =
            |message: String| format!("the stored program of sources {key} is corrupt: {message}");
        let Some(program) =
            records::read::<Program>(&self.store, PROGRAMS, key.as_bytes(), "program")
                .map_err(|error| error.to_string())?
        else {
            return Ok(None);
        };
        for clause in &program.clauses {
            let source = sources.get(clause.file).ok_or_else(|| {
                corrupt(format!(
                    "clause `{}` names source file {}",
                    clause.name, clause.file
                ))
            })?;
            clause
                .check(source.text.len())
                .map_err(|error| corrupt(error.to_string()))?;
        }
        Ok(Some(program))
    }

    /// The record pinning `program` under `key`, for an entry's batch, unless one is stored.
    pub fn record(
        &self,
        key: Digest,
        program: &Program,
    ) -> Result<Option<(Digest, Vec<u8>)>, String> {
        if self
            .store
            .get(PROGRAMS, key.as_bytes())
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Ok(None);
        }
        let bytes = records::encode("program", program).map_err(|e| e.to_string())?;
        Ok(Some((key, bytes)))
    }
}

impl ProgramSource for Programs {
    fn program(
        &self,
        sources_hash: Digest,
        sources: &[Source],
    ) -> Result<Arc<Program>, AgreementError> {
        match &self.tamper {
            None => self.get(sources_hash, sources),
            Some(tamper) => self.tampered(tamper, sources),
        }
        .map_err(AgreementError::Compile)
    }
}
