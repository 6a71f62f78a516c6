//! Building signed histories and bundles without a node: for tests, demos and benchmarks.
//! Bundles are assembled by the function a node exports with ([`super::assemble`]), which
//! knows nothing of the example keys and fixtures here.
//!
//! * [`OrderBuilder`] runs an order through the state machine: every event is signed by its
//!   attester, applied, sealed and signed by every party, one entry at a time, exactly as the
//!   node does;
//! * [`ExampleOrder`] opens one over the library's clause files with the example keys, and
//!   [`example_bundle`] bundles it: the one set-up tests share;
//! * [`ExampleLog`] is an in-memory Merkle log with a log key and witnesses that sign and cosign
//!   checkpoints;
//! * [`scenario_order`] runs a scenario file (the clause library's format) through an
//!   [`OrderBuilder`]; [`example`] builds the air-freight example bundle of
//!   `pactum-verify example-bundle`; [`long_example`] builds long histories for benchmarks.
//!
//! Keys are derived from labels ([`example_key`]): deterministic and public, for examples only.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use contract_lang::ir::Program;
use contract_lang::scenario::{FileDoc, Session};
use contract_lang::value::Value;

use super::assemble::{assemble, contract_ir, AssembleError, OrderParts};
use super::format::{entry_leaf, sources_hash, Bundle, ClauseIrBytes, Source};
use super::verify::Trust;
use crate::checkpoint::{cosign, sign_checkpoint, Checkpoint, SignedNote, TrustPolicy};
use crate::merkle::{MemoryStore, MerkleLog};
use crate::model::{
    Agreement, AttesterGrant, BreakerPolicy, Change, ClauseBinding, Close, Contract, Decision,
    Digest, EntryBody, Event, Outcome, Review, SignedAgreement, SignedClose, SignedContract,
    SignedEntry, SignedEvent, SignedReview, Step,
};
use crate::sign::SigningKey;
use crate::state::{Machine, State};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BuildError {
    #[error("sources: {0}")]
    Sources(String),
    #[error("contract: {0}")]
    Setup(#[from] crate::state::SetupError),
    #[error("{0}")]
    Model(#[from] crate::model::ModelError),
    #[error("the state machine refused the step: {0}")]
    Apply(#[from] crate::state::ApplyError),
    #[error("log: {0}")]
    Log(#[from] crate::merkle::MerkleError),
    #[error("checkpoint: {0}")]
    Note(#[from] crate::checkpoint::NoteError),
    #[error("scenario: {0}")]
    Scenario(String),
    #[error("no party `{0}` has a key")]
    MissingKey(String),
    #[error("bundle: {0}")]
    Assemble(#[from] AssembleError),
}

/// A deterministic key for examples: the seed is SHA-256 of a fixed prefix and `label`.
pub fn example_key(label: &str) -> SigningKey {
    SigningKey::from_seed(pactum_canonical::sha256(
        format!("pactum example key/{label}").as_bytes(),
    ))
}

/// The library's vocabulary followed by the given library clause files (paths relative to the
/// library's root, e.g. `clauses/force_majeure.clause`).
pub fn library_sources(clause_files: &[&str]) -> Result<Vec<Source>, BuildError> {
    let mut sources = vec![Source {
        name: pactum_clause_library::VOCABULARY_FILE.to_string(),
        text: pactum_clause_library::VOCABULARY.to_string(),
    }];
    for path in clause_files {
        let normalized = pactum_clause_library::normalize(path);
        let text = pactum_clause_library::file(&normalized)
            .ok_or_else(|| BuildError::Sources(format!("no library file `{path}`")))?;
        sources.push(Source {
            name: normalized,
            text: text.to_string(),
        });
    }
    Ok(sources)
}

/// Compiles `sources` into a program.
pub fn compile_sources(sources: &[Source]) -> Result<Program, BuildError> {
    crate::state::rules::compile(sources).map_err(|error| BuildError::Sources(error.to_string()))
}

/// An order run through the state machine, entry by entry, with every party's key at hand.
pub struct OrderBuilder {
    machine: Machine,
    contract: SignedContract,
    sources: Vec<Source>,
    ir: Vec<ClauseIrBytes>,
    party_keys: BTreeMap<String, SigningKey>,
    state: State,
    seen: HashSet<Digest>,
    entries: Vec<SignedEntry>,
    bodies: Vec<EntryBody>,
}

impl OrderBuilder {
    /// Compiles `sources`, fills in the contract's sources hash and clause ids, has every party
    /// sign it, and records the genesis entry.
    pub fn new(
        sources: Vec<Source>,
        mut contract: Contract,
        party_keys: BTreeMap<String, SigningKey>,
    ) -> Result<OrderBuilder, BuildError> {
        let program = compile_sources(&sources)?;
        contract.sources = sources_hash(&sources)?;
        for binding in &mut contract.clauses {
            let clause = program
                .clause(&binding.name)
                .ok_or_else(|| BuildError::Sources(format!("no clause `{}`", binding.name)))?;
            binding.id = Digest(clause.id.0);
        }
        let ir = contract_ir(&program, &contract)?;
        let mut signed = SignedContract::unsigned(&contract)?;
        for role in contract.parties.keys() {
            let key = party_keys
                .get(role)
                .ok_or_else(|| BuildError::MissingKey(role.clone()))?;
            signed.sign(role, key);
        }
        let machine = Machine::new(
            contract,
            signed.order_id(),
            Arc::new(program),
            sources.clone().into(),
        )?;
        let genesis = machine.genesis()?.seal()?;
        let mut builder = OrderBuilder {
            state: genesis.state.clone(),
            machine,
            contract: signed,
            sources,
            ir,
            party_keys,
            seen: HashSet::new(),
            entries: Vec::new(),
            bodies: Vec::new(),
        };
        builder.commit(genesis.entry, genesis.body);
        Ok(builder)
    }

    fn commit(&mut self, mut entry: SignedEntry, body: EntryBody) {
        for (role, key) in &self.party_keys {
            if self.machine.contract().parties.contains_key(role) {
                entry.sign(role, key);
            }
        }
        self.entries.push(entry);
        self.bodies.push(body);
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn signed_contract(&self) -> &SignedContract {
        &self.contract
    }

    pub fn entries(&self) -> &[SignedEntry] {
        &self.entries
    }

    /// The decoded bodies of [`OrderBuilder::entries`].
    pub fn bodies(&self) -> &[EntryBody] {
        &self.bodies
    }

    pub fn party_key(&self, role: &str) -> Option<&SigningKey> {
        self.party_keys.get(role)
    }

    /// An event of this order, signed by `attester`.
    pub fn sign_event(
        &self,
        attester: &SigningKey,
        kind: &str,
        at: i64,
        fields: BTreeMap<String, Value>,
    ) -> Result<SignedEvent, BuildError> {
        Ok(Event::new(self.machine.order(), kind, at, fields).sign(attester)?)
    }

    /// Signs an event as `attester` and appends the entry it causes.
    pub fn event(
        &mut self,
        attester: &SigningKey,
        kind: &str,
        at: i64,
        fields: BTreeMap<String, Value>,
    ) -> Result<&EntryBody, BuildError> {
        let signed = self.sign_event(attester, kind, at, fields)?;
        self.submit(&signed)
    }

    /// Appends the entry a signed event causes.
    pub fn submit(&mut self, event: &SignedEvent) -> Result<&EntryBody, BuildError> {
        let sealed = self.machine.apply(&self.state, &self.seen, event)?.seal()?;
        if let Some(hash) = sealed.event {
            self.seen.insert(hash);
        }
        self.state = sealed.state;
        self.commit(sealed.entry, sealed.body);
        Ok(self.last_body())
    }

    /// Appends many events at once, for long histories: the events' signatures are trusted
    /// (they were just made), and every party signs the new entries on `threads` threads.
    pub fn extend_trusted(
        &mut self,
        events: &[SignedEvent],
        threads: usize,
    ) -> Result<(), BuildError> {
        let first_new = self.entries.len();
        for signed in events {
            let event = signed.event()?;
            let sealed = self
                .machine
                .apply_checked(&self.state, &self.seen, signed, &event)?
                .seal()?;
            if let Some(hash) = sealed.event {
                self.seen.insert(hash);
            }
            self.state = sealed.state;
            self.entries.push(sealed.entry);
            self.bodies.push(sealed.body);
        }
        let parties: Vec<(&String, &SigningKey)> = self
            .party_keys
            .iter()
            .filter(|(role, _)| self.machine.contract().parties.contains_key(*role))
            .collect();
        let fresh = &mut self.entries[first_new..];
        let chunk = fresh.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            for part in fresh.chunks_mut(chunk) {
                let parties = &parties;
                scope.spawn(move || {
                    for entry in part {
                        for (role, key) in parties {
                            entry.sign(role, key);
                        }
                    }
                });
            }
        });
        Ok(())
    }

    /// Has every party sign a review decision dated at the order's latest recorded event time
    /// and appends its entry.
    pub fn review(&mut self, decision: Decision, note: &str) -> Result<&EntryBody, BuildError> {
        self.review_at(self.state.high_water, decision, note)
    }

    /// Has every party sign a review decision dated `at` and appends its entry.
    pub fn review_at(
        &mut self,
        at: i64,
        decision: Decision,
        note: &str,
    ) -> Result<&EntryBody, BuildError> {
        let review = Review::new(self.machine.order(), self.state.seq, at, decision, note);
        self.review_signed(&review)
    }

    /// Has every party sign `review` and appends its entry.
    fn review_signed(&mut self, review: &Review) -> Result<&EntryBody, BuildError> {
        let mut signed = SignedReview::unsigned(review)?;
        self.every_party(|role, key| signed.sign(role, key))?;
        let sealed = self.machine.apply_review(&self.state, &signed)?.seal()?;
        self.state = sealed.state;
        self.commit(sealed.entry, sealed.body);
        Ok(self.last_body())
    }

    /// Has every party sign a close dated `at` and appends its entry.
    pub fn close(&mut self, at: i64, note: &str) -> Result<&EntryBody, BuildError> {
        let close = Close::new(self.machine.order(), self.state.seq, at, note);
        let mut signed = SignedClose::unsigned(&close)?;
        self.every_party(|role, key| signed.sign(role, key))?;
        let sealed = self.machine.apply_close(&self.state, &signed)?.seal()?;
        self.state = sealed.state;
        self.commit(sealed.entry, sealed.body);
        Ok(self.last_body())
    }

    /// An agreement dated `at` making `changes`, after the order's last entry, signed by
    /// every party.
    pub fn sign_agreement(
        &self,
        at: i64,
        changes: Vec<Change>,
        note: &str,
    ) -> Result<SignedAgreement, BuildError> {
        let agreement = Agreement::new(self.machine.order(), self.state.seq, at, changes, note);
        let mut signed = SignedAgreement::unsigned(&agreement)?;
        self.every_party(|role, key| signed.sign(role, key))?;
        Ok(signed)
    }

    /// Has every party sign an agreement dated `at` making `changes` and appends its entry.
    pub fn agree(
        &mut self,
        at: i64,
        changes: Vec<Change>,
        note: &str,
    ) -> Result<&EntryBody, BuildError> {
        let signed = self.sign_agreement(at, changes, note)?;
        self.submit_agreement(&signed)
    }

    /// Appends the entry of a signed agreement (its signatures checked).
    pub fn submit_agreement(&mut self, signed: &SignedAgreement) -> Result<&EntryBody, BuildError> {
        let sealed = self.machine.apply_agreement(&self.state, signed)?.seal()?;
        self.state = sealed.state;
        self.commit(sealed.entry, sealed.body);
        Ok(self.last_body())
    }

    /// Has every party sign a review decision dated at the order's latest recorded event time
    /// that also sets `terms`, and appends its entry.
    pub fn review_setting(
        &mut self,
        decision: Decision,
        terms: BTreeMap<String, Value>,
        note: &str,
    ) -> Result<&EntryBody, BuildError> {
        let review = Review::new(
            self.machine.order(),
            self.state.seq,
            self.state.high_water,
            decision,
            note,
        )
        .with_terms(terms);
        self.review_signed(&review)
    }

    /// Calls `sign` with every party's role and key.
    fn every_party(&self, mut sign: impl FnMut(&str, &SigningKey)) -> Result<(), BuildError> {
        for role in self.machine.contract().parties.keys() {
            let key = self
                .party_keys
                .get(role)
                .ok_or_else(|| BuildError::MissingKey(role.clone()))?;
            sign(role, key);
        }
        Ok(())
    }

    fn last_body(&self) -> &EntryBody {
        // `commit` always pushed one.
        &self.bodies[self.bodies.len() - 1]
    }

    pub fn parts(&self) -> OrderParts {
        OrderParts {
            sources: self.sources.clone(),
            ir: self.ir.clone(),
            contract: self.contract.clone(),
            entries: self.entries.clone(),
        }
    }
}

/// An in-memory log with its key and witnesses.
pub struct ExampleLog {
    pub log: MerkleLog<MemoryStore>,
    pub origin: String,
    pub key: SigningKey,
    pub witnesses: Vec<(String, SigningKey)>,
}

impl ExampleLog {
    pub fn new(origin: &str, key: SigningKey, witnesses: Vec<(String, SigningKey)>) -> ExampleLog {
        ExampleLog {
            log: MerkleLog::new(MemoryStore::new()),
            origin: origin.to_string(),
            key,
            witnesses,
        }
    }

    /// The example log: origin `pactum.example/log`, cosigned by two witnesses.
    pub fn example() -> ExampleLog {
        ExampleLog::new(
            "pactum.example/log",
            example_key("log"),
            vec![
                ("witness.buyer".to_string(), example_key("witness.buyer")),
                (
                    "witness.auditor".to_string(),
                    example_key("witness.auditor"),
                ),
            ],
        )
    }

    /// Appends the entries' hashes; returns their leaf indices.
    pub fn append_entries(&mut self, entries: &[SignedEntry]) -> Result<Vec<u64>, BuildError> {
        let leaves: Vec<_> = entries
            .iter()
            .map(|entry| entry_leaf(&entry.hash()))
            .collect();
        let range = self.log.append_leaf_hashes(&leaves)?;
        Ok(range.collect())
    }

    /// Appends a leaf of something else the node logs (another order's entry).
    pub fn append_other(&mut self, data: &[u8]) -> Result<u64, BuildError> {
        Ok(self.log.append(data)?)
    }

    /// The current checkpoint, signed by the log and cosigned by every witness at `time`.
    pub fn checkpoint(&self, time: u64) -> Result<String, BuildError> {
        let checkpoint = Checkpoint::new(&self.origin, self.log.size(), self.log.root()?)?;
        let mut note: SignedNote = sign_checkpoint(&checkpoint, &self.key)?;
        for (name, key) in &self.witnesses {
            note.push_signature(cosign(&checkpoint, name, key, time)?)?;
        }
        Ok(note.to_text())
    }

    /// The policy that trusts this log and requires every witness.
    pub fn policy(&self) -> Result<TrustPolicy, BuildError> {
        let witnesses: Vec<(&str, crate::sign::PublicKey)> = self
            .witnesses
            .iter()
            .map(|(name, key)| (name.as_str(), key.public_key()))
            .collect();
        Ok(TrustPolicy::from_keys(
            &self.origin,
            self.key.public_key(),
            &witnesses,
            self.witnesses.len(),
        )?)
    }
}

/// The keys of the example order.
pub struct ExampleKeys {
    pub seller: SigningKey,
    pub buyer: SigningKey,
    /// Attests shipment and cold-chain events.
    pub carrier: SigningKey,
    /// Attests weather alerts and health emergencies.
    pub weather: SigningKey,
}

impl ExampleKeys {
    pub fn new() -> ExampleKeys {
        ExampleKeys {
            seller: example_key("seller"),
            buyer: example_key("buyer"),
            carrier: example_key("carrier"),
            weather: example_key("weather-service"),
        }
    }

    pub fn parties(&self) -> BTreeMap<String, SigningKey> {
        BTreeMap::from([
            ("seller".to_string(), self.seller.clone()),
            ("buyer".to_string(), self.buyer.clone()),
        ])
    }
}

impl Default for ExampleKeys {
    fn default() -> Self {
        ExampleKeys::new()
    }
}

/// The example contract between seller and buyer: the given clauses (all active, parameters at
/// their defaults), attester grants for carrier, weather service and both parties, the default
/// breaker policy, sequenced by the seller. Sources hash and clause ids are filled in by
/// [`OrderBuilder::new`].
pub fn example_contract(
    keys: &ExampleKeys,
    program: &Program,
    clauses: &[String],
    jurisdiction: &str,
    terms: BTreeMap<String, Value>,
    genesis_at: i64,
) -> Contract {
    let kinds = |prefixes: &[&str]| -> Vec<String> {
        program
            .vocabulary
            .events
            .keys()
            .filter(|kind| prefixes.iter().any(|prefix| kind.starts_with(prefix)))
            .cloned()
            .collect()
    };
    let mut contract = Contract::new("PO-2026-0042", "seller");
    contract.parties = BTreeMap::from([
        ("seller".to_string(), keys.seller.public_key()),
        ("buyer".to_string(), keys.buyer.public_key()),
    ]);
    contract.jurisdiction = jurisdiction.to_string();
    contract.terms = terms;
    contract.clauses = clauses
        .iter()
        .map(|name| ClauseBinding {
            name: name.clone(),
            id: Digest::ZERO,
            params: BTreeMap::new(),
            active: true,
        })
        .collect();
    contract.attesters = vec![
        AttesterGrant {
            name: "carrier".into(),
            key: keys.carrier.public_key(),
            kinds: kinds(&["shipment.", "coldchain."]),
        },
        AttesterGrant {
            name: "weather-service".into(),
            key: keys.weather.public_key(),
            kinds: kinds(&["weather.", "health."]),
        },
        AttesterGrant {
            name: "buyer".into(),
            key: keys.buyer.public_key(),
            kinds: kinds(&["return.requested"]),
        },
        AttesterGrant {
            name: "seller".into(),
            key: keys.seller.public_key(),
            kinds: kinds(&["return.inspected"]),
        },
    ];
    contract.breaker = BreakerPolicy::default();
    contract.genesis_at = genesis_at;
    contract
}

/// An example order being set up (tests, demos, benchmarks): the library's vocabulary and
/// clause files, any further sources (a contract's own clauses or labels), every clause they
/// declare bound at its defaults, the [`example_contract`]'s parties and attesters, signed
/// with [`ExampleKeys`]. German law, no terms and 2026-01-10T00:00:00Z unless set.
pub struct ExampleOrder {
    sources: Vec<Source>,
    jurisdiction: String,
    terms: BTreeMap<String, Value>,
    genesis_at: i64,
    attesters: Option<Vec<String>>,
    breaker: Option<BreakerPolicy>,
}

impl ExampleOrder {
    /// An order over the library's `clause_files` (`clauses/force_majeure.clause`).
    pub fn library(clause_files: &[&str]) -> Result<ExampleOrder, BuildError> {
        Ok(ExampleOrder {
            sources: library_sources(clause_files)?,
            jurisdiction: "DE".to_string(),
            terms: BTreeMap::new(),
            genesis_at: EXAMPLE_START,
            attesters: None,
            breaker: None,
        })
    }

    /// Another source file after the library's.
    pub fn source(mut self, name: &str, text: &str) -> ExampleOrder {
        self.sources.push(Source {
            name: name.to_string(),
            text: text.to_string(),
        });
        self
    }

    pub fn jurisdiction(mut self, code: &str) -> ExampleOrder {
        self.jurisdiction = code.to_string();
        self
    }

    pub fn terms(mut self, terms: BTreeMap<String, Value>) -> ExampleOrder {
        self.terms = terms;
        self
    }

    pub fn opened_at(mut self, genesis_at: i64) -> ExampleOrder {
        self.genesis_at = genesis_at;
        self
    }

    /// Grants only the attesters named, of the example contract's.
    pub fn attesters(mut self, names: &[&str]) -> ExampleOrder {
        self.attesters = Some(names.iter().map(|name| name.to_string()).collect());
        self
    }

    pub fn breaker(mut self, policy: BreakerPolicy) -> ExampleOrder {
        self.breaker = Some(policy);
        self
    }

    /// The order opened: its sources compiled, the contract signed by every party, the
    /// genesis entry recorded.
    pub fn open(self, keys: &ExampleKeys) -> Result<OrderBuilder, BuildError> {
        let program = compile_sources(&self.sources)?;
        let clauses: Vec<String> = program.clauses.iter().map(|c| c.name.clone()).collect();
        let mut contract = example_contract(
            keys,
            &program,
            &clauses,
            &self.jurisdiction,
            self.terms,
            self.genesis_at,
        );
        if let Some(names) = &self.attesters {
            contract
                .attesters
                .retain(|grant| names.contains(&grant.name));
        }
        if let Some(policy) = self.breaker {
            contract.breaker = policy;
        }
        OrderBuilder::new(self.sources, contract, keys.parties())
    }
}

/// 2026-01-10T00:00:00Z, when example orders open unless told otherwise.
pub const EXAMPLE_START: i64 = 1_768_003_200;

/// `order`'s bundle: its entries in the [`ExampleLog::example`], checkpointed and cosigned,
/// with the trust file that verifies it.
pub fn example_bundle(keys: ExampleKeys, order: OrderBuilder) -> Result<Example, BuildError> {
    let mut log = ExampleLog::example();
    let leaves = log.append_entries(order.entries())?;
    finish_example(keys, order, log, leaves)
}

/// How [`scenario_order`] answers when the order pauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewPolicy {
    /// Approve what the breaker held (and discard anything handed to review) right away.
    ApproveHeld,
    /// Discard whatever was held.
    DiscardHeld,
    /// Leave the order paused.
    Leave,
}

/// Runs scenario `name` of a scenario file (the clause library's format; clause paths relative
/// to the library's `scenarios/` directory) as the example order: events signed by the
/// attester granted their kind; when the order pauses, `paused_events` more facts are recorded
/// and then the parties answer per `policy`.
pub fn scenario_order(
    scenario_toml: &str,
    name: &str,
    keys: &ExampleKeys,
    policy: ReviewPolicy,
    paused_events: usize,
) -> Result<OrderBuilder, BuildError> {
    let file: FileDoc =
        toml::from_str(scenario_toml).map_err(|error| BuildError::Scenario(error.to_string()))?;
    let scenario = file
        .scenario
        .iter()
        .find(|scenario| scenario.name == name)
        .ok_or_else(|| BuildError::Scenario(format!("no scenario named `{name}`")))?;
    let clause_files: Vec<String> = scenario
        .clauses
        .clone()
        .unwrap_or_else(|| file.clauses.clone())
        .iter()
        .map(|path| format!("scenarios/{path}"))
        .collect();
    let paths: Vec<&str> = clause_files.iter().map(String::as_str).collect();
    let sources = library_sources(&paths)?;
    let program = compile_sources(&sources)?;
    let jurisdiction = scenario
        .jurisdiction
        .clone()
        .or_else(|| file.jurisdiction.clone())
        .unwrap_or_default();
    let merged = merged_table(&file.terms, &scenario.terms);
    let session = Session::new(
        program.clone(),
        jurisdiction.clone(),
        &BTreeMap::new(),
        &merged,
    )
    .map_err(BuildError::Scenario)?;
    let events = scenario
        .events
        .iter()
        .map(|doc| session.event(doc).map_err(BuildError::Scenario))
        .collect::<Result<Vec<_>, _>>()?;
    let genesis_at = events.iter().map(|event| event.at).min().unwrap_or(0);
    let clause_names: Vec<String> = program.clauses.iter().map(|c| c.name.clone()).collect();
    let contract = example_contract(
        keys,
        &program,
        &clause_names,
        &jurisdiction,
        session.state.terms.clone(),
        genesis_at,
    );
    let mut order = OrderBuilder::new(sources, contract, keys.parties())?;
    // The decision waiting for the order's pause, and how many more facts to record first.
    let mut pending: Option<(Decision, usize)> = None;
    for event in events {
        if let Some((decision, 0)) = pending {
            answer(&mut order, decision)?;
            pending = None;
        }
        let attester = attester_for(keys, order.machine().contract(), &event.kind)?;
        order.event(&attester, &event.kind, event.at, event.fields)?;
        let paused = match &order.bodies().last().map(|body| &body.step) {
            Some(Step::Event(step)) => match step.outcome {
                Outcome::BreakerTripped { .. } => Some(Decision::Approve),
                Outcome::ToReview { .. } => Some(Decision::Discard),
                _ => None,
            },
            _ => None,
        };
        pending = match (pending, paused, policy) {
            (Some((decision, left)), _, _) => Some((decision, left.saturating_sub(1))),
            (None, None, _) | (None, _, ReviewPolicy::Leave) => None,
            (None, Some(decision), ReviewPolicy::ApproveHeld) => Some((decision, paused_events)),
            (None, Some(_), ReviewPolicy::DiscardHeld) => Some((Decision::Discard, paused_events)),
        };
    }
    if let Some((decision, _)) = pending {
        answer(&mut order, decision)?;
    }
    Ok(order)
}

/// Signs and records a review decision with a note saying what the parties decided.
fn answer(order: &mut OrderBuilder, decision: Decision) -> Result<(), BuildError> {
    let note = match decision {
        Decision::Approve => "reviewed by both parties: the held amendment is justified",
        Decision::Discard => "reviewed by both parties: nothing is applied",
    };
    order.review(decision, note)?;
    Ok(())
}

fn merged_table(base: &toml::Table, overrides: &toml::Table) -> toml::Table {
    let mut out = base.clone();
    for (key, value) in overrides {
        out.insert(key.clone(), value.clone());
    }
    out
}

/// The example key of the attester granted `kind`.
fn attester_for(
    keys: &ExampleKeys,
    contract: &Contract,
    kind: &str,
) -> Result<SigningKey, BuildError> {
    let grant = contract
        .attesters
        .iter()
        .find(|grant| grant.kinds.iter().any(|granted| granted == kind))
        .ok_or_else(|| BuildError::Scenario(format!("no attester may sign `{kind}`")))?;
    [&keys.carrier, &keys.weather, &keys.buyer, &keys.seller]
        .into_iter()
        .find(|key| key.public_key() == grant.key)
        .cloned()
        .ok_or_else(|| BuildError::MissingKey(grant.name.clone()))
}

/// The example order's scenario file.
pub const EXAMPLE_SCENARIO: &str = include_str!("../../testdata/example_order.toml");
/// The scenario of [`EXAMPLE_SCENARIO`] that [`example`] runs.
pub const EXAMPLE_SCENARIO_NAME: &str =
    "late sea freight, a typhoon that trips the breaker, a late delivery by air";
/// When the example witnesses cosign (POSIX seconds).
pub const EXAMPLE_COSIGN_TIME: u64 = 1_773_446_400;

/// An example bundle with everything needed to verify and tamper with it.
pub struct Example {
    pub bundle: Bundle,
    pub bytes: Vec<u8>,
    pub trust: Trust,
    pub keys: ExampleKeys,
    pub order: OrderBuilder,
    pub log: ExampleLog,
    pub leaves: Vec<u64>,
}

/// The air-freight example: [`EXAMPLE_SCENARIO`] with the breaker approved on review, in a log
/// that also holds other orders' entries, checkpoint cosigned by two witnesses.
pub fn example() -> Result<Example, BuildError> {
    let keys = ExampleKeys::new();
    let order = scenario_order(
        EXAMPLE_SCENARIO,
        EXAMPLE_SCENARIO_NAME,
        &keys,
        ReviewPolicy::ApproveHeld,
        1,
    )?;
    let mut log = ExampleLog::example();
    let mut leaves = Vec::new();
    // Interleave another order's entries, as a node's log does.
    for (index, entry) in order.entries().iter().enumerate() {
        if index % 3 == 1 {
            log.append_other(format!("another order, entry {index}").as_bytes())?;
        }
        leaves.extend(log.append_entries(std::slice::from_ref(entry))?);
    }
    finish_example(keys, order, log, leaves)
}

/// Signs the checkpoint, assembles and encodes the bundle, and derives the trust.
pub fn finish_example(
    keys: ExampleKeys,
    order: OrderBuilder,
    log: ExampleLog,
    leaves: Vec<u64>,
) -> Result<Example, BuildError> {
    let note = log.checkpoint(EXAMPLE_COSIGN_TIME)?;
    let bundle = assemble(
        &order.parts(),
        &leaves,
        &log.log,
        &note,
        ("seller", &keys.seller),
        &[],
    )?;
    let bytes = bundle.to_bytes()?;
    let trust = Trust {
        log: log.policy()?,
        parties: order.machine().contract().parties.clone(),
    };
    Ok(Example {
        bundle,
        bytes,
        trust,
        keys,
        order,
        log,
        leaves,
    })
}

/// A long history for benchmarks: two parties (seller, buyer), one attester (the carrier) and
/// the air-freight clause; after the departure, `entries - 2` arrival forecasts, one a minute
/// (the first switches to air freight, the others change nothing). Three signatures per entry.
pub fn long_example(entries: usize, threads: usize) -> Result<Example, BuildError> {
    long_example_at(entries, threads, |i| 60 * i as i64)
}

/// [`long_example`] with event `i` at `at(i)` seconds after the first (increasing): histories
/// whose days hold very different numbers of entries, as the trail page's picture must date.
pub fn long_example_at(
    entries: usize,
    threads: usize,
    at: impl Fn(usize) -> i64 + Sync,
) -> Result<Example, BuildError> {
    let keys = ExampleKeys::new();
    let start = EXAMPLE_START;
    let mut order = ExampleOrder::library(&["clauses/air_freight_fallback.clause"])?
        .terms(sea_freight_due(start + 50 * 86_400))
        .attesters(&["carrier"])
        .open(&keys)?;
    let id = order.machine().order();
    let threads = threads.max(1);
    let count = entries.saturating_sub(1);
    let mut events: Vec<SignedEvent> = Vec::with_capacity(count);
    let make = |i: usize| -> Result<SignedEvent, BuildError> {
        let at = start + at(i);
        let event = if i == 0 {
            Event::new(
                id,
                "shipment.departed",
                at,
                BTreeMap::from([("port".to_string(), Value::Text("Shenzhen".into()))]),
            )
        } else {
            Event::new(
                id,
                "shipment.eta_updated",
                at,
                BTreeMap::from([(
                    "eta".to_string(),
                    Value::Timestamp(start + 60 * 86_400 + 60 * i as i64),
                )]),
            )
        };
        Ok(event.sign(&keys.carrier)?)
    };
    let chunk = count.div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<SignedEvent>, BuildError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|from| {
                let make = &make;
                scope.spawn(move || (from..(from + chunk).min(count)).map(make).collect())
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(BuildError::Scenario("signing thread failed".into())))
            })
            .collect()
    });
    for part in parts {
        events.extend(part?);
    }
    order.extend_trusted(&events, threads)?;
    example_bundle(keys, order)
}

/// The terms of a sea shipment due at `due`: those the air-freight clause reads.
pub fn sea_freight_due(due: i64) -> BTreeMap<String, Value> {
    BTreeMap::from([
        (
            "transport_mode".to_string(),
            Value::Enum(contract_lang::value::EnumValue {
                ty: "transport_mode".into(),
                variant: "sea".into(),
            }),
        ),
        ("delivery_due".to_string(), Value::Timestamp(due)),
    ])
}
