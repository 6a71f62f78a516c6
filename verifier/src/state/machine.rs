//! The executable contract and its transitions: [`Machine::genesis`], [`Machine::apply`],
//! [`Machine::apply_review`], [`Machine::apply_close`] and [`Machine::apply_agreement`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use contract_lang::eval::WorkedAmount;
use contract_lang::ir::Program;
use contract_lang::value::Value;
use contract_lang::vocab::VocabError;

use super::rules::{AgreementError, Compile, ProgramSource, Rules};
use super::{
    breaker, engine, Dirty, FactSource, HeldFact, LangState, ObligationTotal, SeenEvents, State,
    Status,
};
use crate::bundle::Source;
use crate::model::{
    AgreementStep, Change, CloseStep, Contract, Decision, Digest, Effects, EntryBody, Event,
    EventStep, KeyBytes, ModelError, OrderId, Outcome, PartySignatureError, Reevaluation,
    ReviewReason, ReviewStep, SignedAgreement, SignedClose, SignedEntry, SignedEvent, SignedReview,
    Step, TermChange, WindowAmendment,
};

/// Why a contract cannot be executed with a program.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SetupError {
    #[error("the contract names no party")]
    NoParties,
    #[error("the sequencer `{0}` is not a party")]
    SequencerNotAParty(String),
    #[error("initial terms: {0}")]
    Terms(Box<VocabError>),
    #[error("clause `{0}` is bound twice")]
    DuplicateClause(String),
    #[error("clause `{0}` is not in the compiled program")]
    UnknownClause(String),
    #[error("clause `{name}` compiles to id {compiled}, the contract names {named}")]
    ClauseIdMismatch {
        name: String,
        named: Digest,
        compiled: Digest,
    },
    #[error("clause `{name}`: {message}")]
    Params { name: String, message: String },
    #[error("attester key {0} is granted twice")]
    DuplicateAttester(String),
    #[error(
        "attester `{name}` is granted event kind `{kind}`, which the vocabulary does not declare"
    )]
    UnknownEventKind { name: String, kind: String },
    #[error("the breaker window must be positive, got {0} seconds")]
    BreakerWindow(i64),
    #[error("the genesis time {0} is outside the years 1 to 9999")]
    GenesisTime(i64),
    #[error("the clause bindings cannot be encoded: {0}")]
    Encode(String),
}

/// Why an event or a review cannot become the next entry. Nothing is recorded then.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ApplyError {
    #[error(transparent)]
    Decode(#[from] ModelError),
    #[error("the event is for order {found}, not {expected}")]
    WrongOrder { expected: OrderId, found: OrderId },
    /// The key, in hex.
    #[error("key {0} is not an attester of this order")]
    UnknownAttester(String),
    #[error("attester `{attester}` may not attest `{kind}` events")]
    NotAuthorised { attester: String, kind: String },
    #[error("the attester's signature does not verify")]
    BadEventSignature,
    /// An option exercised by another party than its holder, after its deadline, twice, or
    /// one no clause in force grants.
    #[error("option exercise refused: {0}")]
    OptionRefused(contract_lang::eval::ExerciseRefusal),
    #[error("the event does not fit the vocabulary: {0}")]
    InvalidEvent(Box<VocabError>),
    #[error("event {0} was already recorded")]
    DuplicateEvent(Digest),
    #[error("the order has reached the largest sequence number")]
    SequenceOverflow,
    #[error("the review decides on entry {after_seq}, but the order is at entry {seq}")]
    StaleReview { after_seq: u64, seq: u64 },
    #[error("the review is dated {at}, before the order's latest recorded event time {latest}")]
    ReviewBeforeLastEvent { at: i64, latest: i64 },
    #[error("the order is running: there is nothing to review")]
    NothingToReview,
    #[error("only what the breaker held can be approved; a conflict or failed evaluation can only be discarded")]
    NothingToApprove,
    #[error("review signatures: {0}")]
    ReviewSignatures(PartySignatureError),
    #[error("the held effects cannot be applied: {0:?}")]
    HeldEffects(ReviewReason),
    #[error("the order was closed at entry {seq}: it takes no further event, review or close")]
    OrderClosed { seq: u64 },
    #[error("the order waits for a review: decide on what is held before closing it")]
    CloseWhilePaused,
    #[error("the close decides on entry {after_seq}, but the order is at entry {seq}")]
    StaleClose { after_seq: u64, seq: u64 },
    #[error("the close is dated {at}, before the order's latest recorded event time {latest}")]
    CloseBeforeLastEvent { at: i64, latest: i64 },
    #[error("close signatures: {0}")]
    CloseSignatures(PartySignatureError),
    #[error("agreement signatures: {0}")]
    AgreementSignatures(PartySignatureError),
    #[error("the agreement follows entry {after_seq}, but the order is at entry {seq}")]
    StaleAgreement { after_seq: u64, seq: u64 },
    #[error("the agreement is dated {at}, before the order's latest recorded event time {latest}")]
    AgreementBeforeLastEvent { at: i64, latest: i64 },
    #[error("the order waits for a review: decide on what is held before amending it (a review may set terms)")]
    AgreementWhilePaused,
    #[error("the agreement: {0}")]
    Agreement(#[from] AgreementError),
    #[error("the review's terms: {0}")]
    ReviewTerms(Box<VocabError>),
}

/// A record every party signs that only a running order takes (a close, an agreement).
#[derive(Clone, Copy)]
enum Record {
    Close,
    Agreement,
}

impl Record {
    fn while_paused(self) -> ApplyError {
        match self {
            Record::Close => ApplyError::CloseWhilePaused,
            Record::Agreement => ApplyError::AgreementWhilePaused,
        }
    }

    fn stale(self, after_seq: u64, seq: u64) -> ApplyError {
        match self {
            Record::Close => ApplyError::StaleClose { after_seq, seq },
            Record::Agreement => ApplyError::StaleAgreement { after_seq, seq },
        }
    }

    fn before_last_event(self, at: i64, latest: i64) -> ApplyError {
        match self {
            Record::Close => ApplyError::CloseBeforeLastEvent { at, latest },
            Record::Agreement => ApplyError::AgreementBeforeLastEvent { at, latest },
        }
    }
}

/// An event that passed every check, with what those checks computed.
struct CheckedEvent {
    attester: String,
    lang_event: contract_lang::eval::Event,
    hash: Digest,
    seq: u64,
}

/// One step computed but not yet committed: the entry body and the state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub body: EntryBody,
    /// The state after the step; its `head` is set when the entry is sealed or accepted.
    pub state: State,
    /// The hash of the event recorded, for the caller's [`SeenEvents`].
    pub event: Option<Digest>,
    /// How each amount the step's evaluations transferred was computed (applied, held or
    /// re-evaluated after a review), per fact evaluated, in evaluation order; empty unless the
    /// machine is [`Machine::explaining`]. Not part of the entry.
    pub worked: Vec<WorkedFact>,
}

/// How one fact's evaluation computed the amounts it transferred. A review may re-evaluate
/// several held facts to the same clause, rule and amount from other values: grouped per
/// fact, each is explained by its own computation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkedFact {
    /// The entry that recorded the fact: the event's own entry, or for a review's
    /// re-evaluation the entry that held it ([`Reevaluation::seq`]).
    pub fact: u64,
    /// In evaluation order; never empty.
    pub amounts: Vec<WorkedAmount>,
}

impl WorkedFact {
    /// The group of the fact recorded at `fact`, if its evaluation transferred anything.
    fn of(fact: u64, amounts: Vec<WorkedAmount>) -> Option<WorkedFact> {
        (!amounts.is_empty()).then_some(WorkedFact { fact, amounts })
    }
}

/// A transition with its entry encoded, ready for every party to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// The entry, with no signatures yet.
    pub entry: SignedEntry,
    pub hash: Digest,
    pub body: EntryBody,
    pub state: State,
    pub event: Option<Digest>,
}

impl Transition {
    /// Encodes the entry body; the state's head becomes the entry's hash.
    pub fn seal(self) -> Result<Sealed, ModelError> {
        let bytes = self.body.encode()?;
        let hash = Digest::of(&bytes);
        let mut state = self.state;
        state.head = hash;
        Ok(Sealed {
            entry: SignedEntry::unsigned(bytes),
            hash,
            body: self.body,
            state,
            event: self.event,
        })
    }

    /// The state after the step, given the hash of the entry that recorded it (the verifier
    /// matched the body against received bytes and hashes those instead of re-encoding).
    pub fn accept(self, entry_hash: Digest) -> State {
        let mut state = self.state;
        state.head = entry_hash;
        state
    }
}

/// A contract made executable: its clauses compiled and bound, checked against the program.
/// These are the genesis rules; a state changed by an agreement carries its own
/// ([`Machine::rules`]).
#[derive(Clone, Debug)]
pub struct Machine {
    contract: Contract,
    order: OrderId,
    genesis: Arc<Rules>,
    /// Attester key → (name, kinds).
    attesters: BTreeMap<KeyBytes, (String, BTreeSet<String>)>,
    /// The kinds and fields the program's clauses aggregate over (`count`, `sum`): what the
    /// state tallies as facts are recorded.
    aggregated: contract_lang::eval::Aggregated,
    /// Whether transitions say how each transferred amount was computed
    /// ([`Machine::explaining`]).
    explain: bool,
    /// Where an agreement's new sources get their program ([`Machine::with_programs`]).
    programs: Arc<dyn ProgramSource>,
}

impl Machine {
    /// Checks `contract` against `program` (clause ids, parameters, terms, attester kinds) and
    /// binds its clauses. `order` is the contract's id (the hash of its signed body bytes);
    /// `program` is compiled from `sources`, which hash to the contract's `sources` (the
    /// caller checked both). The sources are kept: an agreement may replace some of them.
    pub fn new(
        contract: Contract,
        order: OrderId,
        program: Arc<Program>,
        sources: Arc<[Source]>,
    ) -> Result<Machine, SetupError> {
        if contract.parties.is_empty() {
            return Err(SetupError::NoParties);
        }
        if !contract.parties.contains_key(&contract.sequencer) {
            return Err(SetupError::SequencerNotAParty(contract.sequencer.clone()));
        }
        if contract.breaker.window_seconds <= 0 {
            return Err(SetupError::BreakerWindow(contract.breaker.window_seconds));
        }
        if !(contract_lang::value::MIN_TIMESTAMP..=contract_lang::value::MAX_TIMESTAMP)
            .contains(&contract.genesis_at)
        {
            return Err(SetupError::GenesisTime(contract.genesis_at));
        }
        program
            .vocabulary
            .check_terms(&contract.terms)
            .map_err(|error| SetupError::Terms(Box::new(error)))?;
        let genesis = Rules::new(
            sources,
            contract.sources,
            Arc::clone(&program),
            contract.clauses.clone(),
        )?;
        let mut attesters = BTreeMap::new();
        for grant in &contract.attesters {
            for kind in &grant.kinds {
                if !program.vocabulary.events.contains_key(kind) {
                    return Err(SetupError::UnknownEventKind {
                        name: grant.name.clone(),
                        kind: kind.clone(),
                    });
                }
            }
            let kinds = grant.kinds.iter().cloned().collect();
            if attesters
                .insert(KeyBytes::of(&grant.key), (grant.name.clone(), kinds))
                .is_some()
            {
                return Err(SetupError::DuplicateAttester(grant.key.to_string()));
            }
        }
        Ok(Machine {
            aggregated: program.aggregated(),
            contract,
            order,
            genesis: Arc::new(genesis),
            attesters,
            explain: false,
            programs: Arc::new(Compile),
        })
    }

    /// A machine that takes the programs of agreements' new sources from `programs` rather
    /// than compiling them (a node reads back the programs it pinned by their sources' hash).
    pub fn with_programs(mut self, programs: Arc<dyn ProgramSource>) -> Machine {
        self.programs = programs;
        self
    }

    /// A machine whose transitions also say how each transferred amount was computed
    /// ([`Transition::worked`]), for readers of a verified history. Nothing a transition
    /// records changes; producing history does not need it.
    pub fn explaining(mut self) -> Machine {
        self.explain = true;
        self
    }

    pub(crate) fn explains(&self) -> bool {
        self.explain
    }

    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    pub fn order(&self) -> OrderId {
        self.order
    }

    /// The genesis program (see [`Machine::rules`] for the one in force).
    pub fn program(&self) -> &Program {
        self.genesis.program()
    }

    /// [`Machine::program`], shared.
    pub fn shared_program(&self) -> Arc<Program> {
        self.genesis.shared_program()
    }

    /// The rules in force in `state`: the genesis rules until an agreement changed them.
    pub fn rules<'a>(&'a self, state: &'a State) -> &'a Rules {
        state.rules.as_deref().unwrap_or(&self.genesis)
    }

    /// [`Machine::rules`], shared, for steps that change the state while reading them.
    fn shared_rules(&self, state: &State) -> Arc<Rules> {
        Arc::clone(state.rules.as_ref().unwrap_or(&self.genesis))
    }

    /// The attester's name if `key` may attest `kind`; for an option's exercise, the role of
    /// the party whose key it is (attester grants play no part: only a party exercises).
    pub fn authorised(&self, key: &KeyBytes, kind: &str) -> Result<&str, ApplyError> {
        if kind == contract_lang::vocab::OPTION_EXERCISED {
            return self
                .contract
                .party_of(key)
                .ok_or_else(|| ApplyError::UnknownAttester(key.to_string()));
        }
        let (name, kinds) = self
            .attesters
            .get(key)
            .ok_or_else(|| ApplyError::UnknownAttester(key.to_string()))?;
        if kinds.contains(kind) {
            Ok(name)
        } else {
            Err(ApplyError::NotAuthorised {
                attester: name.clone(),
                kind: kind.to_string(),
            })
        }
    }

    /// The genesis entry (sequence 0) and the initial state.
    pub fn genesis(&self) -> Result<Transition, ModelError> {
        let mut state = State {
            order: self.order,
            seq: 0,
            head: Digest::ZERO,
            lang: LangState {
                terms: self.contract.terms.clone(),
                ..LangState::default()
            },
            fact_sources: BTreeMap::new(),
            active: self
                .contract
                .clauses
                .iter()
                .filter(|binding| binding.active)
                .map(|binding| binding.name.clone())
                .collect(),
            high_water: self.contract.genesis_at,
            window: Vec::new(),
            status: Status::Running,
            held_facts: Vec::new(),
            obligations: Vec::new(),
            obligations_hash: Digest::ZERO,
            rules: None,
            parts: Default::default(),
        };
        let hash = state.rehash(Dirty::ALL)?;
        let body = EntryBody::new(self.order, 0, Digest::ZERO, Step::Genesis, hash);
        Ok(Transition {
            body,
            state,
            event: None,
            worked: Vec::new(),
        })
    }

    /// The next entry for `event`: checks the order, the attester's authority and (strictly)
    /// signature, the event against the vocabulary and that it is new; records the fact;
    /// evaluates the active clauses and applies their effects, unless the breaker, a conflict or
    /// a review holds them.
    pub fn apply(
        &self,
        state: &State,
        seen: &dyn SeenEvents,
        signed: &SignedEvent,
    ) -> Result<Transition, ApplyError> {
        let event = signed.event()?;
        self.check_event(signed, &event)?;
        signed.verify().map_err(|_| ApplyError::BadEventSignature)?;
        self.apply_checked(state, seen, signed, &event)
    }

    /// Checks the event's order and its attester's authority for its kind (not the signature).
    pub fn check_event(&self, signed: &SignedEvent, event: &Event) -> Result<(), ApplyError> {
        if event.order != self.order {
            return Err(ApplyError::WrongOrder {
                expected: self.order,
                found: event.order,
            });
        }
        self.authorised(&signed.attester, &event.kind)?;
        Ok(())
    }

    /// [`Machine::apply`] for an event the caller already decoded (`event` is `signed.event()`)
    /// and whose attester signature it already verified, e.g. in a batch. Authority, order and
    /// vocabulary are still checked.
    pub fn apply_checked(
        &self,
        state: &State,
        seen: &dyn SeenEvents,
        signed: &SignedEvent,
        event: &Event,
    ) -> Result<Transition, ApplyError> {
        let checked = self.check_new_event(state, seen, signed, event)?;
        Ok(self.advance(state.clone(), checked, signed, event)?)
    }

    /// [`Machine::apply_checked`] taking the state by value, so that it is updated in place
    /// rather than copied: for replaying long histories, where the old state is not needed.
    pub fn apply_checked_owned(
        &self,
        state: State,
        seen: &dyn SeenEvents,
        signed: &SignedEvent,
        event: &Event,
    ) -> Result<Transition, ApplyError> {
        let checked = self.check_new_event(&state, seen, signed, event)?;
        Ok(self.advance(state, checked, signed, event)?)
    }

    /// Everything that can refuse an event, before anything changes.
    fn check_new_event(
        &self,
        state: &State,
        seen: &dyn SeenEvents,
        signed: &SignedEvent,
        event: &Event,
    ) -> Result<CheckedEvent, ApplyError> {
        if event.order != self.order {
            return Err(ApplyError::WrongOrder {
                expected: self.order,
                found: event.order,
            });
        }
        if state.status.is_closed() {
            return Err(ApplyError::OrderClosed { seq: state.seq });
        }
        let attester = self.authorised(&signed.attester, &event.kind)?.to_string();
        let lang_event = engine::to_lang_event(event);
        self.rules(state)
            .program()
            .vocabulary
            .check_event(&lang_event)
            .map_err(|error| ApplyError::InvalidEvent(Box::new(error)))?;
        let hash = signed.hash();
        if seen.contains_event(&hash) {
            return Err(ApplyError::DuplicateEvent(hash));
        }
        engine::check_exercise(self, state, &lang_event, &attester)
            .map_err(ApplyError::OptionRefused)?;
        let seq = state
            .seq
            .checked_add(1)
            .ok_or(ApplyError::SequenceOverflow)?;
        Ok(CheckedEvent {
            attester,
            lang_event,
            hash,
            seq,
        })
    }

    /// Records a checked event in `next` (the state before it) and evaluates it.
    fn advance(
        &self,
        mut next: State,
        checked: CheckedEvent,
        signed: &SignedEvent,
        event: &Event,
    ) -> Result<Transition, ModelError> {
        let CheckedEvent {
            attester,
            lang_event,
            hash: event_hash,
            seq,
        } = checked;
        let policy = self.contract.breaker;
        let prev = next.head;
        let effective_at = breaker::effective_time(event.at, next.high_water);
        let mut dirty = Dirty::default();
        next.seq = seq;
        next.high_water = effective_at;
        let window_before = next.window.len();
        breaker::prune(&mut next.window, &policy, effective_at);
        dirty.window = next.window.len() != window_before;

        // Aggregates count every recorded fact, before it is evaluated (it is included).
        // Under rules an agreement changed, what their program aggregates over.
        let changed;
        let aggregated = match next.rules.as_deref() {
            Some(rules) => {
                changed = rules.program().aggregated();
                &changed
            }
            None => &self.aggregated,
        };
        if aggregated.contains_key(&event.kind) {
            next.lang.tally(&lang_event, aggregated);
        }
        // The event becomes the fact of its kind unless a later one already is.
        let newest = next
            .lang
            .facts
            .get(&event.kind)
            .is_none_or(|fact| event.at >= fact.at);
        let stale = if newest {
            next.lang.facts.insert(event.kind.clone(), lang_event);
            next.fact_sources.insert(
                event.kind.clone(),
                FactSource {
                    seq,
                    event: event_hash,
                },
            );
            None
        } else {
            Some(lang_event)
        };

        let mut worked = Vec::new();
        let outcome = if !next.status.is_running() {
            // Recorded now, evaluated after the review (see `reevaluate_held`).
            next.held_facts.push(HeldFact {
                seq,
                effective_at,
                kind: event.kind.clone(),
                at: event.at,
                fields: event.fields.clone(),
                attester,
                event: event_hash,
            });
            dirty.held_facts = true;
            Outcome::Paused
        } else {
            let mut evaluated = match &stale {
                Some(stale) => engine::evaluate(self, &next, stale),
                None => match next.lang.facts.get(&event.kind) {
                    Some(current) => engine::evaluate(self, &next, current),
                    None => engine::evaluate(self, &next, &engine::to_lang_event(event)),
                },
            };
            worked.extend(WorkedFact::of(seq, std::mem::take(&mut evaluated.worked)));
            self.settle(
                &mut next,
                &mut dirty,
                evaluated,
                (event_hash, effective_at),
                |state, effects| {
                    state.window.push(WindowAmendment {
                        seq,
                        effective_at,
                        event_kind: event.kind.clone(),
                        event_at: event.at,
                        fields: event.fields.clone(),
                        attester,
                        event: event_hash,
                        amendments: effects.amendments.clone(),
                        activations: effects.activations.clone(),
                    })
                },
            )
        };

        let step = Step::Event(Box::new(EventStep {
            event: signed.clone(),
            effective_at,
            outcome,
        }));
        let hash = next.rehash(dirty)?;
        let body = EntryBody::new(self.order, seq, prev, step, hash);
        Ok(Transition {
            body,
            state: next,
            event: Some(event_hash),
            worked,
        })
    }

    /// Turns an evaluation into an outcome, updating `next`: review reasons pause the order;
    /// amending effects go through the breaker; applied amending effects enter its window.
    fn settle(
        &self,
        next: &mut State,
        dirty: &mut Dirty,
        evaluated: engine::Evaluated,
        (event_hash, effective_at): (Digest, i64),
        remember: impl FnOnce(&mut State, &Effects),
    ) -> Outcome {
        let policy = self.contract.breaker;
        let engine::Evaluated {
            effects, reasons, ..
        } = evaluated;
        if !reasons.is_empty() {
            next.status = Status::InReview {
                event: event_hash,
                reasons: reasons.clone(),
            };
            dirty.status = true;
            return Outcome::ToReview { reasons };
        }
        if effects.is_empty() {
            return Outcome::Applied(effects);
        }
        if effects.amends() && breaker::would_exceed(&next.window, &policy) {
            let report = breaker::report(&policy, effective_at, &next.window);
            next.status = Status::Tripped {
                event: event_hash,
                held: effects.clone(),
            };
            dirty.status = true;
            return Outcome::BreakerTripped {
                held: effects,
                report,
            };
        }
        // Effects apply all together or not at all: keep what they may touch.
        let saved = (
            next.lang.terms.clone(),
            next.active.clone(),
            next.obligations.clone(),
            next.obligations_hash,
        );
        let rules = self.shared_rules(next);
        match apply_effects(next, &rules, &effects, dirty) {
            Ok(()) => {
                if effects.amends() {
                    remember(next, &effects);
                    dirty.window = true;
                }
                Outcome::Applied(effects)
            }
            Err(reason) => {
                (
                    next.lang.terms,
                    next.active,
                    next.obligations,
                    next.obligations_hash,
                ) = saved;
                let reasons = vec![reason];
                next.status = Status::InReview {
                    event: event_hash,
                    reasons: reasons.clone(),
                };
                dirty.status = true;
                Outcome::ToReview { reasons }
            }
        }
    }

    /// The next entry for a review decision signed by every party (checked strictly here).
    pub fn apply_review(
        &self,
        state: &State,
        signed: &SignedReview,
    ) -> Result<Transition, ApplyError> {
        signed
            .verify(&self.contract.parties)
            .map_err(ApplyError::ReviewSignatures)?;
        self.apply_review_checked(state, signed)
    }

    /// [`Machine::apply_review`] for a review whose signatures the caller already verified.
    pub fn apply_review_checked(
        &self,
        state: &State,
        signed: &SignedReview,
    ) -> Result<Transition, ApplyError> {
        let review = signed.review()?;
        if review.order != self.order {
            return Err(ApplyError::WrongOrder {
                expected: self.order,
                found: review.order,
            });
        }
        if review.after_seq != state.seq {
            return Err(ApplyError::StaleReview {
                after_seq: review.after_seq,
                seq: state.seq,
            });
        }
        if state.status.is_closed() {
            return Err(ApplyError::OrderClosed { seq: state.seq });
        }
        if state.status.is_running() {
            return Err(ApplyError::NothingToReview);
        }
        if review.at < state.high_water {
            return Err(ApplyError::ReviewBeforeLastEvent {
                at: review.at,
                latest: state.high_water,
            });
        }
        let seq = state
            .seq
            .checked_add(1)
            .ok_or(ApplyError::SequenceOverflow)?;
        let mut next = state.clone();
        next.seq = seq;
        let mut dirty = Dirty {
            status: true,
            window: !next.window.is_empty(),
            ..Dirty::default()
        };
        let applied = match (&state.status, review.decision) {
            (Status::Running, _) => return Err(ApplyError::NothingToReview),
            (Status::Tripped { held, .. }, Decision::Approve) => {
                let rules = self.shared_rules(&next);
                apply_effects(&mut next, &rules, held, &mut dirty)
                    .map_err(ApplyError::HeldEffects)?;
                held.clone()
            }
            (Status::InReview { .. }, Decision::Approve) => {
                return Err(ApplyError::NothingToApprove)
            }
            (Status::Closed { .. }, _) => return Err(ApplyError::OrderClosed { seq: state.seq }),
            (_, Decision::Discard) => Effects::default(),
        };
        // The parties reviewed what the window held: the breaker starts a fresh count.
        next.window.clear();
        next.status = Status::Running;
        let terms = self
            .set_terms(&mut next, review.terms, &mut dirty)
            .map_err(ApplyError::ReviewTerms)?;
        let mut worked = Vec::new();
        let reevaluated = self.reevaluate_held(&mut next, &mut dirty, &mut worked);
        let step = Step::Review(ReviewStep {
            review: signed.clone(),
            applied,
            reevaluated,
            terms,
        });
        let hash = next.rehash(dirty)?;
        let body = EntryBody::new(self.order, seq, state.head, step, hash);
        Ok(Transition {
            body,
            state: next,
            event: None,
            worked,
        })
    }
}

impl Machine {
    /// The next entry for a close signed by every party (checked strictly here).
    pub fn apply_close(
        &self,
        state: &State,
        signed: &SignedClose,
    ) -> Result<Transition, ApplyError> {
        signed
            .verify(&self.contract.parties)
            .map_err(ApplyError::CloseSignatures)?;
        self.apply_close_checked(state, signed)
    }

    /// [`Machine::apply_close`] for a close whose signatures the caller already verified. An
    /// order closes only while it runs: what a pause holds is decided by a review first, so a
    /// close never drops a held amendment or an unevaluated fact.
    // Not inlined into the verifier's replay loop, like `apply_agreement_checked`: the browser
    // compiles that loop whole, and most bundles have neither step.
    #[inline(never)]
    pub fn apply_close_checked(
        &self,
        state: &State,
        signed: &SignedClose,
    ) -> Result<Transition, ApplyError> {
        let close = signed.close()?;
        let seq = self.check_record(
            state,
            Record::Close,
            (close.order, close.after_seq, close.at),
        )?;
        let mut next = state.clone();
        next.seq = seq;
        next.status = Status::Closed { at: close.at };
        let dirty = Dirty {
            status: true,
            ..Dirty::default()
        };
        let step = Step::Close(CloseStep {
            close: signed.clone(),
        });
        let hash = next.rehash(dirty)?;
        let body = EntryBody::new(self.order, seq, state.head, step, hash);
        Ok(Transition {
            body,
            state: next,
            event: None,
            worked: Vec::new(),
        })
    }

    /// The next entry for an agreement signed by every party (checked strictly here).
    pub fn apply_agreement(
        &self,
        state: &State,
        signed: &SignedAgreement,
    ) -> Result<Transition, ApplyError> {
        signed
            .verify(&self.contract.parties)
            .map_err(ApplyError::AgreementSignatures)?;
        self.apply_agreement_checked(state, signed)
    }

    /// [`Machine::apply_agreement`] for an agreement whose signatures the caller already
    /// verified. An agreement is accepted while the order runs (a pause is decided by a
    /// review, which may itself set terms), dated no earlier than the latest recorded event;
    /// from its entry on, facts are evaluated under the rules it leaves. It is not an automatic
    /// amendment: the breaker does not count it.
    #[inline(never)]
    pub fn apply_agreement_checked(
        &self,
        state: &State,
        signed: &SignedAgreement,
    ) -> Result<Transition, ApplyError> {
        let agreement = signed.agreement()?;
        let seq = self.check_record(
            state,
            Record::Agreement,
            (agreement.order, agreement.after_seq, agreement.at),
        )?;
        if agreement.changes.is_empty() {
            return Err(AgreementError::NoChanges.into());
        }
        let amended = self.rules(state).amend(
            &agreement.changes,
            &self.contract.attesters,
            &*self.programs,
        )?;
        let mut next = state.clone();
        next.seq = seq;
        // Measured from its stated time: a later fact claiming an earlier time is measured
        // by the breaker no earlier than the agreement.
        next.high_water = agreement.at;
        let mut dirty = Dirty::default();
        if let Some(rules) = amended.rules {
            for change in &amended.clauses {
                let active = rules
                    .bindings()
                    .iter()
                    .any(|binding| binding.name == change.clause && binding.active);
                match (change.before, change.after) {
                    (None, Some(_)) if active => next.active.insert(change.clause.clone()),
                    (Some(_), None) => next.active.remove(&change.clause),
                    _ => continue,
                };
                dirty.active = true;
            }
            next.rules = Some(Arc::new(rules));
            // The vocabulary may have changed: the terms must still fit it.
            self.rules(&next)
                .program()
                .vocabulary
                .check_terms(&next.lang.terms)
                .map_err(|error| AgreementError::Terms(Box::new(error)))?;
        }
        let mut set = BTreeSet::new();
        let mut terms = Vec::new();
        for change in &agreement.changes {
            if let Change::SetTerm { term, value } = change {
                if !set.insert(term.as_str()) {
                    return Err(AgreementError::TermSetTwice(term.clone()).into());
                }
                terms.push((term.clone(), value.clone()));
            }
        }
        let terms = self
            .set_terms(&mut next, terms, &mut dirty)
            .map_err(AgreementError::Terms)?;
        let step = Step::Agreement(Box::new(AgreementStep {
            agreement: signed.clone(),
            terms,
            params: amended.params,
            clauses: amended.clauses,
        }));
        let hash = next.rehash(dirty)?;
        let body = EntryBody::new(self.order, seq, state.head, step, hash);
        Ok(Transition {
            body,
            state: next,
            event: None,
            worked: Vec::new(),
        })
    }

    /// Sets terms the parties chose (by agreement or with a review), in order, checking the
    /// result against the vocabulary in force; returns each with its value before.
    fn set_terms(
        &self,
        next: &mut State,
        terms: impl IntoIterator<Item = (String, Value)>,
        dirty: &mut Dirty,
    ) -> Result<Vec<TermChange>, Box<VocabError>> {
        let changes: Vec<TermChange> = terms
            .into_iter()
            .map(|(term, after)| TermChange {
                before: next.lang.terms.insert(term.clone(), after.clone()),
                term,
                after,
            })
            .collect();
        if !changes.is_empty() {
            dirty.terms = true;
            self.rules(next)
                .program()
                .vocabulary
                .check_terms(&next.lang.terms)
                .map_err(Box::new)?;
        }
        Ok(changes)
    }

    /// Checks that a record about `(order, after_seq, at)` can be the next entry of a running
    /// order: this order, the position it names, not dated before the latest recorded event.
    /// Returns the entry's sequence number.
    fn check_record(
        &self,
        state: &State,
        record: Record,
        (order, after_seq, at): (OrderId, u64, i64),
    ) -> Result<u64, ApplyError> {
        if order != self.order {
            return Err(ApplyError::WrongOrder {
                expected: self.order,
                found: order,
            });
        }
        match state.status {
            Status::Closed { .. } => return Err(ApplyError::OrderClosed { seq: state.seq }),
            Status::Tripped { .. } | Status::InReview { .. } => return Err(record.while_paused()),
            Status::Running => {}
        }
        if after_seq != state.seq {
            return Err(record.stale(after_seq, state.seq));
        }
        if at < state.high_water {
            return Err(record.before_last_event(at, state.high_water));
        }
        state.seq.checked_add(1).ok_or(ApplyError::SequenceOverflow)
    }

    /// Evaluates the facts recorded while the order was paused, oldest first, against the
    /// state a review left (`next`, running again). Each counts toward the breaker as if it
    /// arrived now, at the effective time it was recorded with; one that pauses the order
    /// again (a new trip, a conflict, a review request) ends the pass, and the facts after it
    /// stay held for the next review. Nothing recorded is ever dropped unevaluated.
    fn reevaluate_held(
        &self,
        next: &mut State,
        dirty: &mut Dirty,
        worked: &mut Vec<WorkedFact>,
    ) -> Vec<Reevaluation> {
        let held = std::mem::take(&mut next.held_facts);
        dirty.held_facts |= !held.is_empty();
        let policy = self.contract.breaker;
        let mut reevaluated = Vec::with_capacity(held.len());
        let mut facts = held.into_iter();
        while next.status.is_running() {
            let Some(fact) = facts.next() else {
                break;
            };
            let window_before = next.window.len();
            breaker::prune(&mut next.window, &policy, fact.effective_at);
            dirty.window |= next.window.len() != window_before;
            let lang_event = contract_lang::eval::Event {
                kind: fact.kind.clone(),
                at: fact.at,
                fields: fact.fields.clone(),
            };
            let mut evaluated = engine::evaluate(self, next, &lang_event);
            worked.extend(WorkedFact::of(
                fact.seq,
                std::mem::take(&mut evaluated.worked),
            ));
            let outcome = self.settle(
                next,
                dirty,
                evaluated,
                (fact.event, fact.effective_at),
                |state, effects| {
                    state.window.push(WindowAmendment {
                        seq: fact.seq,
                        effective_at: fact.effective_at,
                        event_kind: fact.kind.clone(),
                        event_at: fact.at,
                        fields: fact.fields.clone(),
                        attester: fact.attester.clone(),
                        event: fact.event,
                        amendments: effects.amendments.clone(),
                        activations: effects.activations.clone(),
                    })
                },
            );
            reevaluated.push(Reevaluation {
                seq: fact.seq,
                event: fact.event,
                outcome,
            });
        }
        next.held_facts.extend(facts);
        reevaluated
    }
}

/// Remembers every `once` rule among the effects' sources, so it does not fire again for this
/// order (the state hash covers the record, so a replay must agree).
fn record_once(state: &mut State, program: &Program, effects: &Effects) {
    let sources = effects
        .amendments
        .iter()
        .map(|effect| (&effect.clause, effect.rule))
        .chain(effects.activations.iter().map(|e| (&e.clause, e.rule)))
        .chain(effects.obligations.iter().map(|e| (&e.clause, e.rule)))
        .chain(effects.notifications.iter().map(|e| (&e.clause, e.rule)));
    for (clause, rule) in sources {
        if let Some(compiled) = program.clause(clause) {
            state.lang.record_once(compiled, rule);
        }
    }
}

/// Applies effects to `state`: terms, activations, obligation totals and their running hash.
/// Fails (leaving `state` partly updated: callers work on a copy) when an activation names a
/// clause outside the contract or a total would overflow.
fn apply_effects(
    state: &mut State,
    rules: &Rules,
    effects: &Effects,
    dirty: &mut Dirty,
) -> Result<(), ReviewReason> {
    record_once(state, rules.program(), effects);
    dirty.terms |= !effects.amendments.is_empty();
    dirty.active |= !effects.activations.is_empty();
    dirty.obligations |= !effects.obligations.is_empty();
    for amendment in &effects.amendments {
        state
            .lang
            .terms
            .insert(amendment.term.clone(), amendment.after.clone());
    }
    for activation in &effects.activations {
        if !rules.has_clause(&activation.target) {
            return Err(ReviewReason::EvaluationError {
                clause: activation.clause.clone(),
                rule: activation.rule,
                message: format!(
                    "clause `{}` is not part of this contract",
                    activation.target
                ),
            });
        }
        if activation.active {
            state.active.insert(activation.target.clone());
        } else {
            state.active.remove(&activation.target);
        }
    }
    for obligation in &effects.obligations {
        let overflow = || ReviewReason::EvaluationError {
            clause: obligation.clause.clone(),
            rule: obligation.rule,
            message: "the obligation total overflows".to_string(),
        };
        let key = (
            obligation.kind,
            obligation.from.as_str(),
            obligation.to.as_str(),
            obligation.amount.currency,
        );
        match state
            .obligations
            .binary_search_by(|total| total.key().cmp(&key))
        {
            Ok(index) => {
                let total = &mut state.obligations[index];
                total.minor = total
                    .minor
                    .checked_add(obligation.amount.minor)
                    .ok_or_else(overflow)?;
            }
            Err(index) => state.obligations.insert(
                index,
                ObligationTotal {
                    kind: obligation.kind,
                    from: obligation.from.clone(),
                    to: obligation.to.clone(),
                    currency: obligation.amount.currency,
                    minor: obligation.amount.minor,
                },
            ),
        }
        let encoded = crate::model::encode("obligation", obligation).map_err(|error| {
            ReviewReason::EvaluationError {
                clause: obligation.clause.clone(),
                rule: obligation.rule,
                message: error.to_string(),
            }
        })?;
        let mut chained = Vec::with_capacity(32 + encoded.len());
        chained.extend_from_slice(state.obligations_hash.as_bytes());
        chained.extend_from_slice(&encoded);
        state.obligations_hash = Digest::of(&chained);
    }
    Ok(())
}
