//! One order's protocol logic, without I/O: what the sequencer proposes, what a cosigner
//! accepts, what a committed entry must be.
//!
//! Every entry is computed by the verifier's [`Machine`]: the sequencer seals the transition for
//! a signed event or review; a cosigner recomputes it from the proposal's own event or review
//! and cosigns only byte-identical bodies; a committed entry (from the sequencer's announcement
//! or a catch-up) is recomputed the same way and needs every party's signature. The caller owns
//! storage and the network and moves the core forward with [`OrderCore::advance`] once an entry
//! is durable.

use verifier::{
    model::{
        Contract, Digest, EntryBody, OrderId, SignedAgreement, SignedClose, SignedEntry,
        SignedEvent, SignedReview, Step,
    },
    sign::{Domain, PublicKey},
    state::{machine::Sealed, ApplyError, ContractError, Machine, SeenEvents, State},
};

/// The key of `contract`'s sequencer: the one lookup of it (a contract whose sequencer is not
/// a party never passes the contract check, so `None` only for an unchecked contract).
pub(crate) fn sequencer_key(contract: &Contract) -> Option<PublicKey> {
    contract.parties.get(&contract.sequencer).copied()
}

/// The key `contract` grants to the attester of `event`, if any (an attester granted nothing
/// is refused by the state machine; its signature is checked against this key first).
pub(crate) fn attester_key(contract: &Contract, event: &SignedEvent) -> Option<PublicKey> {
    contract
        .attesters
        .iter()
        .find(|grant| event.attester.is(&grant.key))
        .map(|grant| grant.key)
}

/// Why a contract cannot start, or an entry cannot be accepted. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The contract check ([`verifier::state::check_contract`]) refused the contract.
    #[error("the contract is invalid: {0}")]
    Checked(ContractError),
    #[error("the contract is invalid: {0}")]
    Contract(String),
    #[error("the entry is malformed: {0}")]
    Malformed(String),
    #[error("the entry is for order {found}, not {expected}")]
    WrongOrder { expected: OrderId, found: OrderId },
    #[error("the entry is at seq {found}; this node expects {expected}")]
    OutOfSequence { expected: u64, found: u64 },
    #[error("the entry's prev {found} is not this node's head {expected}")]
    WrongPrev { expected: Digest, found: Digest },
    #[error("signatures: {0}")]
    Signatures(String),
    #[error("the state machine refuses the step: {0}")]
    Apply(#[from] ApplyError),
    #[error(
        "determinism fault: the proposed entry {proposed} differs from the entry {computed} this node computed"
    )]
    Determinism { proposed: Digest, computed: Digest },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Checked(ContractError::Signature(_)) => "bad_signature",
            Refusal::Checked(_) | Refusal::Contract(_) => "invalid_contract",
            Refusal::Malformed(_) => "malformed_entry",
            Refusal::WrongOrder { .. } => "wrong_order",
            Refusal::OutOfSequence { .. } => "out_of_sequence",
            Refusal::WrongPrev { .. } => "wrong_prev",
            Refusal::Signatures(_) => "bad_signature",
            Refusal::Apply(ApplyError::OrderClosed { .. }) => "order_closed",
            Refusal::Apply(ApplyError::NothingToReview) => "nothing_to_review",
            // Not a fact or record that does not fit, but one the order has moved past or
            // holds already: answered as a conflict with the order's state.
            Refusal::Apply(ApplyError::DuplicateEvent(_)) => "duplicate_event",
            Refusal::Apply(ApplyError::StaleReview { .. }) => "stale_review",
            Refusal::Apply(ApplyError::StaleAgreement { .. }) => "stale_agreement",
            Refusal::Apply(ApplyError::CloseWhilePaused | ApplyError::AgreementWhilePaused) => {
                "order_paused"
            }
            Refusal::Apply(_) => "refused_by_state_machine",
            Refusal::Determinism { .. } => "determinism_fault",
        }
    }
}

/// A running order as this node knows it: its machine and the state after its head entry.
#[derive(Clone, Debug)]
pub struct OrderCore {
    machine: Machine,
    state: State,
}

impl OrderCore {
    /// The genesis entry of a contract whose machine is built, and the core after it.
    pub fn genesis(machine: Machine) -> Result<(OrderCore, Sealed), Refusal> {
        let sealed = machine
            .genesis()
            .and_then(|transition| transition.seal())
            .map_err(|error| Refusal::Malformed(error.to_string()))?;
        let core = OrderCore {
            machine,
            state: sealed.state.clone(),
        };
        Ok((core, sealed))
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn contract(&self) -> &Contract {
        self.machine.contract()
    }

    pub fn order(&self) -> OrderId {
        self.machine.order()
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The sequencer's key.
    pub fn sequencer_key(&self) -> Option<PublicKey> {
        sequencer_key(self.machine.contract())
    }

    /// The next entry for a signed event (sequencer side).
    pub fn prepare_event(
        &self,
        seen: &dyn SeenEvents,
        event: &SignedEvent,
    ) -> Result<Sealed, Refusal> {
        self.machine
            .apply(&self.state, seen, event)?
            .seal()
            .map_err(|error| Refusal::Malformed(error.to_string()))
    }

    /// [`OrderCore::prepare_event`] for an event whose attester signature the caller already
    /// verified (in a batch). Everything else is checked.
    pub fn prepare_event_verified(
        &self,
        seen: &dyn SeenEvents,
        signed: &SignedEvent,
    ) -> Result<Sealed, Refusal> {
        let event = signed
            .event()
            .map_err(|error| Refusal::Apply(ApplyError::Decode(error)))?;
        self.machine
            .apply_checked(&self.state, seen, signed, &event)?
            .seal()
            .map_err(|error| Refusal::Malformed(error.to_string()))
    }

    /// The next entry for a review signed by every party (sequencer side).
    pub fn prepare_review(&self, review: &SignedReview) -> Result<Sealed, Refusal> {
        self.machine
            .apply_review(&self.state, review)?
            .seal()
            .map_err(|error| Refusal::Malformed(error.to_string()))
    }

    /// The next entry for a close signed by every party (sequencer side).
    pub fn prepare_close(&self, close: &SignedClose) -> Result<Sealed, Refusal> {
        self.machine
            .apply_close(&self.state, close)?
            .seal()
            .map_err(|error| Refusal::Malformed(error.to_string()))
    }

    /// The next entry for an agreement signed by every party (sequencer side).
    pub fn prepare_agreement(&self, agreement: &SignedAgreement) -> Result<Sealed, Refusal> {
        self.machine
            .apply_agreement(&self.state, agreement)?
            .seal()
            .map_err(|error| Refusal::Malformed(error.to_string()))
    }

    /// Recomputes the entry `entry` claims to be from its own step, and checks that it is
    /// the next entry, byte for byte.
    fn recompute(&self, seen: &dyn SeenEvents, entry: &SignedEntry) -> Result<Sealed, Refusal> {
        let body: EntryBody = entry
            .entry()
            .map_err(|error| Refusal::Malformed(error.to_string()))?;
        self.recompute_body(seen, entry, &body)
    }

    /// [`OrderCore::recompute`] for an entry the caller already decoded (`body` is
    /// `entry.entry()`).
    fn recompute_body(
        &self,
        seen: &dyn SeenEvents,
        entry: &SignedEntry,
        body: &EntryBody,
    ) -> Result<Sealed, Refusal> {
        self.check_position(body)?;
        let sealed = match &body.step {
            Step::Genesis => {
                return Err(Refusal::Malformed(
                    "a genesis entry after the genesis".into(),
                ))
            }
            Step::Event(step) => self.prepare_event(seen, &step.event)?,
            Step::Review(step) => self.prepare_review(&step.review)?,
            Step::Close(step) => self.prepare_close(&step.close)?,
            Step::Agreement(step) => self.prepare_agreement(&step.agreement)?,
        };
        if sealed.entry.body != entry.body {
            return Err(Refusal::Determinism {
                proposed: entry.hash(),
                computed: sealed.hash,
            });
        }
        Ok(sealed)
    }

    /// The entry is this order's next one: its order, seq and prev.
    fn check_position(&self, body: &EntryBody) -> Result<(), Refusal> {
        if body.order != self.order() {
            return Err(Refusal::WrongOrder {
                expected: self.order(),
                found: body.order,
            });
        }
        let expected = self.state.seq.saturating_add(1);
        if body.seq != expected {
            return Err(Refusal::OutOfSequence {
                expected,
                found: body.seq,
            });
        }
        if body.prev != self.state.head {
            return Err(Refusal::WrongPrev {
                expected: self.state.head,
                found: body.prev,
            });
        }
        Ok(())
    }

    /// Checks a proposal: the recomputed entry must be byte-identical. Returns what to cosign
    /// and, once committed, to advance to. The tests' shorthand: the protocol core decodes
    /// the body once and calls [`OrderCore::check_proposal_body`] or
    /// [`OrderCore::check_proposal_verified`].
    #[cfg(test)]
    pub fn check_proposal(
        &self,
        seen: &dyn SeenEvents,
        entry: &SignedEntry,
    ) -> Result<Sealed, Refusal> {
        let body: EntryBody = entry
            .entry()
            .map_err(|error| Refusal::Malformed(error.to_string()))?;
        self.check_proposal_body(seen, entry, &body)
    }

    /// Checks a proposal whose body the caller decoded: the recomputed entry must be
    /// byte-identical; what to cosign and, once committed, to advance to. A proposal
    /// carries no signature: it is authenticated by the channel it came on (the sequencer's
    /// node), and the sequencer signs an entry only once it holds every cosignature.
    pub fn check_proposal_body(
        &self,
        seen: &dyn SeenEvents,
        entry: &SignedEntry,
        body: &EntryBody,
    ) -> Result<Sealed, Refusal> {
        self.recompute_body(seen, entry, body)
    }

    /// [`OrderCore::check_proposal_body`] when the caller already verified (in a batch), for an
    /// event, the attester's signature.
    pub fn check_proposal_verified(
        &self,
        seen: &dyn SeenEvents,
        entry: &SignedEntry,
        body: &EntryBody,
    ) -> Result<Sealed, Refusal> {
        self.check_position(body)?;
        let sealed = match &body.step {
            Step::Genesis => {
                return Err(Refusal::Malformed(
                    "a genesis entry after the genesis".into(),
                ))
            }
            Step::Event(step) => self.prepare_event_verified(seen, &step.event)?,
            Step::Review(step) => self.prepare_review(&step.review)?,
            Step::Close(step) => self.prepare_close(&step.close)?,
            Step::Agreement(step) => self.prepare_agreement(&step.agreement)?,
        };
        if sealed.entry.body != entry.body {
            return Err(Refusal::Determinism {
                proposed: entry.hash(),
                computed: sealed.hash,
            });
        }
        Ok(sealed)
    }

    /// Checks a committed entry: every party's signature, then the recomputed entry.
    pub fn check_committed(
        &self,
        seen: &dyn SeenEvents,
        entry: &SignedEntry,
    ) -> Result<Sealed, Refusal> {
        entry
            .verify(&self.contract().parties)
            .map_err(|error| Refusal::Signatures(error.to_string()))?;
        self.recompute(seen, entry)
    }

    /// Replays an entry read back from this node's own store (signatures were checked before
    /// it was committed): only the recomputation is checked.
    pub fn replay(&self, seen: &dyn SeenEvents, entry: &SignedEntry) -> Result<Sealed, Refusal> {
        self.recompute(seen, entry)
    }

    /// Moves to the state after a committed entry.
    pub fn advance(&mut self, state: State) {
        self.state = state;
    }
}

/// An order's committed entries replayed from its genesis, one at a time in seq order, as a
/// node reloads them from its store (sans-IO: the node's reload and the simulator's restart
/// both read through it). The first must be the contract's genesis; each later one is
/// recomputed and checked against the stored bytes.
pub struct Replay {
    core: OrderCore,
    /// The genesis entry's body bytes, as the contract determines them.
    genesis: Vec<u8>,
    seen: std::collections::HashMap<Digest, u64>,
    last: Option<SignedEntry>,
}

impl Replay {
    pub fn new(machine: Machine) -> Result<Replay, Refusal> {
        let (core, genesis) = OrderCore::genesis(machine)?;
        Ok(Replay {
            core,
            genesis: genesis.entry.body,
            seen: Default::default(),
            last: None,
        })
    }

    /// The next stored entry; its seq.
    pub fn entry(&mut self, entry: &SignedEntry) -> Result<u64, String> {
        let seq = if self.last.is_none() {
            if entry.body != self.genesis {
                return Err("the stored genesis differs from the contract's".into());
            }
            0
        } else {
            let sealed = self
                .core
                .replay(&self.seen, entry)
                .map_err(|error| error.to_string())?;
            if let Some(event) = sealed.event {
                self.seen.insert(event, sealed.body.seq);
            }
            self.core.advance(sealed.state);
            sealed.body.seq
        };
        self.last = Some(entry.clone());
        Ok(seq)
    }

    /// The core at the last entry, that entry, and the facts recorded (by seq); `None` before
    /// the genesis.
    pub fn finish(
        self,
    ) -> Option<(
        OrderCore,
        SignedEntry,
        std::collections::HashMap<Digest, u64>,
    )> {
        Some((self.core, self.last?, self.seen))
    }
}

/// A party's signature over an entry body, checked.
pub fn check_cosignature(
    key: &PublicKey,
    entry: &SignedEntry,
    signature: &verifier::sign::Signature,
) -> bool {
    key.verify(Domain::Entry, &entry.body, signature).is_ok()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};
    use std::sync::Arc;

    use super::*;
    use crate::engine::sources::hash_sources;
    use verifier::{
        bundle::build::{compile_sources, example_contract, library_sources, ExampleKeys},
        model::{Decision, Event, Outcome, Review, SignedContract},
        sign::SigningKey,
        state::{check_contract, Compile, Signatures},
    };

    struct Setup {
        keys: ExampleKeys,
        sequencer: OrderCore,
        cosigner: OrderCore,
    }

    fn started() -> Setup {
        let keys = ExampleKeys::new();
        let sources = library_sources(&["clauses/air_freight_fallback.clause"]).unwrap();
        let program = compile_sources(&sources).unwrap();
        let terms = BTreeMap::from([
            (
                "transport_mode".to_string(),
                contract_lang::value::Value::Enum(contract_lang::value::EnumValue {
                    ty: "transport_mode".into(),
                    variant: "sea".into(),
                }),
            ),
            (
                "delivery_due".to_string(),
                contract_lang::value::Value::Timestamp(1_772_323_200),
            ),
        ]);
        let mut contract = example_contract(
            &keys,
            &program,
            &["air_freight_fallback".to_string()],
            "CN",
            terms,
            1_767_225_600,
        );
        contract.sources = hash_sources(&sources).unwrap();
        contract.clauses[0].id = Digest(program.clause("air_freight_fallback").unwrap().id.0);
        let mut signed = SignedContract::unsigned(&contract).unwrap();
        signed.sign("seller", &keys.seller);
        signed.sign("buyer", &keys.buyer);
        let machine =
            check_contract(&signed, &sources, Arc::new(Compile), Signatures::All).unwrap();
        let (sequencer, _) = OrderCore::genesis(machine.clone()).unwrap();
        let (cosigner, _) = OrderCore::genesis(machine).unwrap();
        Setup {
            keys,
            sequencer,
            cosigner,
        }
    }

    fn departed(setup: &Setup, at: i64) -> SignedEvent {
        let fields = BTreeMap::from([(
            "port".to_string(),
            contract_lang::value::Value::Text("Shenzhen".into()),
        )]);
        Event::new(setup.sequencer.order(), "shipment.departed", at, fields)
            .sign(&setup.keys.carrier)
            .unwrap()
    }

    #[test]
    fn a_replay_starts_at_the_contracts_genesis_and_recomputes_each_entry() {
        let setup = started();
        let machine = setup.sequencer.machine().clone();
        let (_, genesis) = OrderCore::genesis(machine.clone()).unwrap();
        let next = setup
            .sequencer
            .prepare_event(&HashSet::new(), &departed(&setup, 1_768_000_000))
            .unwrap();
        assert!(Replay::new(machine.clone()).unwrap().finish().is_none());

        let mut replay = Replay::new(machine.clone()).unwrap();
        let error = replay.entry(&next.entry).unwrap_err();
        assert!(error.contains("genesis"), "{error}");

        let mut replay = Replay::new(machine).unwrap();
        assert_eq!(replay.entry(&genesis.entry), Ok(0));
        assert_eq!(replay.entry(&next.entry), Ok(1));
        let (core, last, seen) = replay.finish().unwrap();
        assert_eq!(last.body, next.entry.body);
        assert_eq!(seen.len(), 1);
        assert_eq!(core.state().head, next.hash);
    }

    #[test]
    fn a_cosigner_accepts_exactly_the_entry_it_computes() {
        let mut setup = started();
        let seen = HashSet::new();
        let sealed = setup
            .sequencer
            .prepare_event(&seen, &departed(&setup, 1_768_000_000))
            .unwrap();
        // A proposal is unsigned: the sequencer signs last, once every party cosigned.
        let proposal = sealed.entry.clone();
        let accepted = setup.cosigner.check_proposal(&seen, &proposal).unwrap();
        assert_eq!(accepted.hash, sealed.hash);

        // A committed entry needs every signature, the sequencer's included.
        let mut committed = proposal.clone();
        committed.sign("buyer", &setup.keys.buyer);
        assert!(matches!(
            setup.cosigner.check_committed(&seen, &committed),
            Err(Refusal::Signatures(_))
        ));
        committed.sign("seller", &setup.keys.seller);
        setup.cosigner.check_committed(&seen, &committed).unwrap();

        setup.sequencer.advance(sealed.state.clone());
        setup.cosigner.advance(accepted.state);
        // The same proposal again is out of sequence now.
        assert!(matches!(
            setup.cosigner.check_proposal(&seen, &proposal),
            Err(Refusal::OutOfSequence {
                expected: 2,
                found: 1
            })
        ));
    }

    #[test]
    fn a_tampered_entry_is_a_determinism_fault() {
        let setup = started();
        let seen = HashSet::new();
        let sealed = setup
            .sequencer
            .prepare_event(&seen, &departed(&setup, 1_768_000_000))
            .unwrap();
        // The sequencer claims a different outcome for the same event.
        let mut body = sealed.body.clone();
        if let Step::Event(step) = &mut body.step {
            step.outcome = Outcome::Paused;
        }
        let forged = SignedEntry::unsigned(body.encode().unwrap());
        let refusal = setup.cosigner.check_proposal(&seen, &forged).unwrap_err();
        assert_eq!(refusal.code(), "determinism_fault", "{refusal}");
    }

    #[test]
    fn reviews_need_every_party() {
        let setup = started();
        let review = Review::new(
            setup.sequencer.order(),
            0,
            0,
            Decision::Discard,
            "nothing held",
        );
        let mut signed = SignedReview::unsigned(&review).unwrap();
        signed.sign("seller", &setup.keys.seller);
        assert!(matches!(
            setup.sequencer.prepare_review(&signed),
            Err(Refusal::Apply(ApplyError::ReviewSignatures(_)))
        ));
        signed.sign("buyer", &setup.keys.buyer);
        // Signed by all, but the order is running: nothing to review.
        assert!(matches!(
            setup.sequencer.prepare_review(&signed),
            Err(Refusal::Apply(ApplyError::NothingToReview))
        ));
        let _ = SigningKey::from_seed([0; 32]);
    }
}
