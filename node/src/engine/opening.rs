//! An order that is not open yet, without I/O: the co-signed genesis.
//!
//! Every party signed the contract; the sequencer proposes the genesis entry (unsigned), each
//! other party admits the contract with the verifier's own contract check
//! ([`check_contract`]: the sources' hash, [`verifier::state::Machine`] set up from the
//! contract, every party's signature) and cosigns only the genesis it computed itself, byte for
//! byte;
//! the sequencer signs last, once it holds every cosignature, and commits; the others commit
//! the announced (or fetched) genesis once every party's signature verifies. A party that never
//! saw the proposal adopts the committed genesis the same way.
//!
//! The genesis body is a function of the contract, so the sequencer re-proposes the same bytes
//! until it commits (on a [`Input::Tick`] after a failed round) and can never sign two bodies at
//! position 0 (rule 2 of ARCHITECTURE.md's "Protocol rules").
//!
//! [`Opening::handle`] takes the same [`Input`]s and returns the same [`Action`]s as
//! [`OrderProtocol::handle`]; once the genesis is persisted, [`Opening::protocol`] is the
//! open order. See ARCHITECTURE.md, "Protocol rules".

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use verifier::{
    bundle::Source,
    model::{OrderId, SignedContract, SignedEntry},
    sign::PublicKey,
    state::{
        check_contract,
        machine::{Machine, Sealed},
        ProgramSource, Signatures,
    },
};

use super::{
    order::{check_cosignature, OrderCore, Refusal},
    protocol_core::{
        Action, Caller, Commit, Context, CoreError, Input, Message, OrderProtocol, ProtocolConfig,
        Reply,
    },
    round::{Answer, Round, RoundFailure},
};

/// The genesis round in progress at the sequencer.
#[derive(Debug, Clone)]
struct Running {
    round: Round,
    deadline: i64,
    /// Who asked to open the order and waits for the round's end.
    callers: Vec<Caller>,
}

/// One order before its genesis committed, at one party's node.
#[derive(Debug, Clone)]
pub struct Opening {
    config: ProtocolConfig,
    contract: SignedContract,
    core: OrderCore,
    /// The genesis this party computed from the contract (unsigned).
    genesis: Sealed,
    me: String,
    sequencing: bool,
    round: Option<Running>,
    /// The genesis with every signature, once persisted.
    committed: Option<SignedEntry>,
}

impl Opening {
    /// Admits `contract` for execution at the party with key `me`: the verifier's contract
    /// check ([`check_contract`], the one a bundle's steps 2 and 3 run too) with every party's
    /// signature, the machine taking its programs (the contract's and every agreement's) from
    /// `programs`.
    pub fn admit(
        config: ProtocolConfig,
        contract: &SignedContract,
        sources: &[Source],
        programs: Arc<dyn ProgramSource>,
        me: &PublicKey,
    ) -> Result<Opening, Refusal> {
        let machine = check_contract(contract, sources, programs, Signatures::All)
            .map_err(Refusal::Checked)?;
        Opening::new(config, contract.clone(), machine, me)
    }

    /// The opening of `contract`, whose `machine` is already checked (see [`Opening::admit`]).
    pub fn new(
        config: ProtocolConfig,
        contract: SignedContract,
        machine: Machine,
        me: &PublicKey,
    ) -> Result<Opening, Refusal> {
        let (core, genesis) = OrderCore::genesis(machine)?;
        let terms = core.contract();
        let me = terms
            .parties
            .iter()
            .find(|(_, key)| *key == me)
            .map(|(role, _)| role.clone())
            .ok_or_else(|| {
                Refusal::Contract("this node's key is not one of the contract's parties".into())
            })?;
        let sequencing = me == terms.sequencer;
        Ok(Opening {
            config,
            contract,
            core,
            genesis,
            me,
            sequencing,
            round: None,
            committed: None,
        })
    }

    pub fn order(&self) -> OrderId {
        self.core.order()
    }

    pub fn core(&self) -> &OrderCore {
        &self.core
    }

    /// The genesis entry this party computed (unsigned), its hash and the state after it.
    pub fn genesis(&self) -> &Sealed {
        &self.genesis
    }

    pub fn is_sequencer(&self) -> bool {
        self.sequencing
    }

    /// The sequencer's key.
    pub fn sequencer_key(&self) -> Option<PublicKey> {
        self.core.sequencer_key()
    }

    /// Whether the genesis committed (was persisted) here.
    pub fn is_open(&self) -> bool {
        self.committed.is_some()
    }

    /// The open order, once its genesis committed here.
    pub fn protocol(&self) -> Option<OrderProtocol> {
        let last = self.committed.clone()?;
        let me = self.core.contract().parties.get(&self.me)?;
        OrderProtocol::new(
            self.config,
            self.contract.clone(),
            self.core.clone(),
            me,
            last,
            HashMap::new(),
            VecDeque::new(),
        )
    }

    /// Handles one input; the actions to carry out, in order.
    pub fn handle(&mut self, input: Input, cx: &Context) -> Vec<Action> {
        let mut actions = Vec::new();
        match input {
            Input::Open { caller } => self.on_open(Some(caller), cx, &mut actions),
            Input::Tick => self.on_tick(cx, &mut actions),
            Input::Answer {
                from,
                body,
                answer,
                verified,
            } => {
                if body == self.genesis.hash {
                    self.on_answer(from, answer, verified, cx, &mut actions);
                }
            }
            Input::Proposal { from, entry, .. } => self.on_proposal(from, entry, cx, &mut actions),
            Input::Committed {
                from,
                entry,
                caller,
                ..
            } => {
                let result = self.on_committed(from, entry, &mut actions);
                if let Some(caller) = caller {
                    let result = result.map(|()| Reply::Ack);
                    actions.push(Action::Reply { caller, result });
                }
            }
            Input::Fact { caller, .. }
            | Input::Facts { caller, .. }
            | Input::Sign { caller, .. }
            | Input::Withdraw { caller, .. } => actions.push(Action::Reply {
                caller,
                result: Err(CoreError::NotOpen),
            }),
            // The genesis fetched after a tick: taken as an announced one.
            Input::Page {
                from,
                entries: Ok(entries),
                ..
            } => {
                if let Some(genesis) = entries.into_iter().next() {
                    let _ = self.on_committed(from, genesis, &mut actions);
                }
            }
            // Nothing is forwarded before the order opens; a fetch that failed is asked again
            // on the next tick.
            Input::Forwarded { .. } | Input::Page { .. } => {}
        }
        actions
    }

    /// The genesis as committed, for a caller that asks again.
    fn opened(&self) -> Reply {
        Reply::Committed {
            seq: 0,
            entry: self.genesis.hash,
        }
    }

    // ---- the sequencer's side ----

    /// Proposes the genesis to every other party (unsigned), unless a round runs already.
    fn on_open(&mut self, caller: Option<Caller>, cx: &Context, actions: &mut Vec<Action>) {
        if !self.sequencing {
            if let Some(caller) = caller {
                let result = Err(CoreError::NotSequencing);
                actions.push(Action::Reply { caller, result });
            }
            return;
        }
        if self.committed.is_some() {
            if let Some(caller) = caller {
                let result = Ok(self.opened());
                actions.push(Action::Reply { caller, result });
            }
            return;
        }
        if let Some(running) = &mut self.round {
            running.callers.extend(caller);
            return;
        }
        let parties = &self.core.contract().parties;
        let round = Round::new(
            self.genesis.clone(),
            self.genesis.entry.clone(),
            parties,
            &self.me,
        );
        let message = Message::Propose {
            entry: round.proposal().clone(),
            previous: None,
        };
        for (_, key) in round.awaiting() {
            actions.push(Action::Send {
                to: *key,
                message: message.clone(),
            });
        }
        let deadline = cx.now.saturating_add(self.config.round_patience);
        actions.push(Action::SetTimer { at: deadline });
        self.round = Some(Running {
            round,
            deadline,
            callers: caller.into_iter().collect(),
        });
        // A contract with one party opens at once.
        self.try_finish(cx, actions);
    }

    fn on_tick(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        if self.committed.is_some() {
            return;
        }
        if !self.sequencing {
            // The genesis may have committed while this party missed its announcement.
            if let Some(from) = self.sequencer_key() {
                actions.push(Action::FetchGenesis { from });
            }
            return;
        }
        match &self.round {
            Some(running) if cx.now >= running.deadline => {
                let role = running
                    .round
                    .awaiting()
                    .next()
                    .map_or_else(String::new, |(role, _)| role.clone());
                let failure = RoundFailure::NoAnswer {
                    role,
                    reason: "no answer before the round's deadline".into(),
                };
                self.fail_round(failure, actions);
            }
            Some(_) => {}
            // The same bytes again, until they commit.
            None => self.on_open(None, cx, actions),
        }
    }

    fn on_answer(
        &mut self,
        from: PublicKey,
        answer: Answer,
        verified: bool,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let Some(running) = self.round.as_mut() else {
            return;
        };
        let Some(role) = running
            .round
            .awaiting()
            .find(|(_, key)| **key == from)
            .map(|(role, _)| role.clone())
        else {
            return;
        };
        let answer = match answer {
            Answer::Cosigned { signature, .. } if !verified => Answer::Cosigned {
                signature,
                valid: check_cosignature(&from, running.round.proposal(), &signature),
            },
            answer => answer,
        };
        match running.round.answer(&role, answer) {
            Ok(false) => {}
            Ok(true) => self.try_finish(cx, actions),
            Err(failure) => self.fail_round(failure, actions),
        }
    }

    /// Every party cosigned: the sequencer signs, last, persists and announces.
    fn try_finish(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        let complete = self
            .round
            .as_ref()
            .is_some_and(|running| running.round.awaiting().next().is_none());
        if !complete {
            return;
        }
        let Some(running) = self.round.take() else {
            return;
        };
        let Some((entry, sealed)) = running.round.finish(&self.me, cx.signer) else {
            return;
        };
        self.committed = Some(entry.clone());
        actions.push(Action::Persist(Box::new(Commit {
            entry: entry.clone(),
            hash: sealed.hash,
            body: sealed.body,
            event: None,
            sequenced: true,
        })));
        for (_, key) in self.others() {
            actions.push(Action::Send {
                to: key,
                message: Message::Commit(entry.clone()),
            });
        }
        for caller in running.callers {
            let result = Ok(self.opened());
            actions.push(Action::Reply { caller, result });
        }
    }

    /// The round ended without a genesis: nothing was signed by the sequencer; whoever asked
    /// is told why. The next tick proposes the same bytes again.
    fn fail_round(&mut self, failure: RoundFailure, actions: &mut Vec<Action>) {
        let Some(running) = self.round.take() else {
            return;
        };
        for caller in running.callers {
            let result = Err(CoreError::Round(failure.clone()));
            actions.push(Action::Reply { caller, result });
        }
    }

    fn others(&self) -> Vec<(String, PublicKey)> {
        self.core
            .contract()
            .parties
            .iter()
            .filter(|(role, _)| **role != self.me)
            .map(|(role, key)| (role.clone(), *key))
            .collect()
    }

    // ---- another party's side ----

    /// Cosigns the genesis if it is byte for byte the one this party computed.
    fn on_proposal(
        &mut self,
        from: PublicKey,
        entry: SignedEntry,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let body = entry.hash();
        let answer = |answer: Answer| Action::Send {
            to: from,
            message: Message::Answer { body, answer },
        };
        let refused = |error: &CoreError| {
            answer(Answer::Refused {
                code: error.code(),
                message: error.to_string(),
            })
        };
        if self.sequencing || Some(from) != self.sequencer_key() {
            actions.push(refused(&CoreError::NotSequencer));
            return;
        }
        if let Err(refusal) = self.check_genesis(&entry) {
            actions.push(Action::Fault {
                entry,
                refusal: refusal.clone(),
            });
            actions.push(refused(&refusal.into()));
            return;
        }
        let signature = cx.signer.sign_entry(&entry.body);
        actions.push(answer(Answer::Cosigned {
            signature,
            valid: true,
        }));
    }

    /// The genesis committed with every signature: persisted here, the order open.
    fn on_committed(
        &mut self,
        from: PublicKey,
        entry: SignedEntry,
        actions: &mut Vec<Action>,
    ) -> Result<(), CoreError> {
        if self.sequencing || Some(from) != self.sequencer_key() {
            return Err(CoreError::NotSequencer);
        }
        if let Some(committed) = &self.committed {
            return if committed.body == entry.body {
                Ok(())
            } else {
                Err(CoreError::Conflict { seq: 0 })
            };
        }
        if let Err(refusal) = self.check_genesis(&entry) {
            actions.push(Action::Fault {
                entry,
                refusal: refusal.clone(),
            });
            return Err(refusal.into());
        }
        entry
            .verify(&self.core.contract().parties)
            .map_err(|error| Refusal::Signatures(error.to_string()))?;
        self.committed = Some(entry.clone());
        actions.push(Action::Persist(Box::new(Commit {
            entry,
            hash: self.genesis.hash,
            body: self.genesis.body.clone(),
            event: None,
            sequenced: false,
        })));
        Ok(())
    }

    /// `entry` is the genesis this party computed from the contract, byte for byte.
    fn check_genesis(&self, entry: &SignedEntry) -> Result<(), Refusal> {
        if entry.body == self.genesis.entry.body {
            return Ok(());
        }
        Err(Refusal::Determinism {
            proposed: entry.hash(),
            computed: self.genesis.hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use verifier::sign::SigningKey;

    use super::*;
    use crate::{
        engine::protocol_core::test_support::{answer_of, proposals, NoHistory},
        fixtures::ExampleOrders,
    };

    struct Party {
        key: SigningKey,
        opening: Opening,
    }

    impl Party {
        fn handle(&mut self, input: Input, now: i64) -> Vec<Action> {
            let context = Context {
                now,
                signer: &self.key,
                history: &NoHistory,
            };
            self.opening.handle(input, &context)
        }
    }

    /// Every party's opening of one example order.
    fn parties() -> (ExampleOrders, BTreeMap<&'static str, Party>) {
        let orders = ExampleOrders::new().unwrap();
        let (signed, _) = orders.contract("PO-OPEN").unwrap();
        let mut parties = BTreeMap::new();
        for (role, key) in orders.parties() {
            let opening = Opening::admit(
                ProtocolConfig::default(),
                &signed,
                orders.sources(),
                orders.programs(),
                &key.public_key(),
            )
            .unwrap();
            let key = key.clone();
            parties.insert(role, Party { key, opening });
        }
        (orders, parties)
    }

    fn role_of(orders: &ExampleOrders, key: &PublicKey) -> &'static str {
        orders
            .parties()
            .into_iter()
            .find(|(_, signer)| signer.public_key() == *key)
            .map(|(role, _)| role)
            .unwrap()
    }

    #[test]
    fn an_order_opens_once_every_party_cosigned_its_genesis_with_the_sequencer_signing_last() {
        let (orders, mut parties) = parties();
        let seller_key = orders.keys().seller.public_key();
        let seller = parties.get_mut("seller").unwrap();
        let actions = seller.handle(Input::Open { caller: 1 }, 100);
        let proposed = proposals(&actions);
        assert_eq!(proposed.len(), 2, "one proposal per other party");
        assert!(proposed
            .iter()
            .all(|(_, entry)| entry.signatures.is_empty()));
        assert!(actions
            .iter()
            .any(|action| matches!(action, Action::SetTimer { at: 130 })));

        let done = cosign_all(&orders, &mut parties, proposed);
        // Persisted with every signature (the sequencer's last), then announced, then answered.
        let Some(Action::Persist(commit)) = done.first() else {
            panic!("{done:?}");
        };
        assert_eq!(commit.entry.signatures.len(), 3);
        assert!(commit.sequenced);
        let sends = done
            .iter()
            .filter(|action| {
                matches!(
                    action,
                    Action::Send {
                        message: Message::Commit(_),
                        ..
                    }
                )
            })
            .count();
        assert_eq!(sends, 2);
        assert!(matches!(
            done.last(),
            Some(Action::Reply {
                caller: 1,
                result: Ok(Reply::Committed { seq: 0, .. })
            })
        ));
        let genesis = commit.entry.clone();

        // Another party commits the announced genesis and opens the order.
        let buyer = parties.get_mut("buyer").unwrap();
        let committed = Input::Committed {
            from: seller_key,
            entry: genesis.clone(),
            caller: Some(2),
            verified: false,
        };
        let actions = buyer.handle(committed, 103);
        assert!(matches!(actions[0], Action::Persist(_)), "{actions:?}");
        assert!(buyer.opening.is_open());
        for party in parties.values() {
            let sequencer = party.opening.protocol().map(|open| open.is_sequencer());
            let expected = match party.key.public_key() == seller_key {
                true => Some(true),
                false if party.opening.is_open() => Some(false),
                // The carrier never saw the announcement: still opening.
                false => None,
            };
            assert_eq!(sequencer, expected);
        }
    }

    /// Hands each of the seller's `proposed` genesis entries to its cosigner at 101, which
    /// cosigns it, and the answers back to the seller at 102: the seller's actions on the last
    /// answer.
    fn cosign_all(
        orders: &ExampleOrders,
        parties: &mut BTreeMap<&str, Party>,
        proposed: Vec<(PublicKey, SignedEntry)>,
    ) -> Vec<Action> {
        let seller_key = orders.keys().seller.public_key();
        let mut done = Vec::new();
        for (to, entry) in proposed {
            let body = entry.hash();
            let input = Input::Proposal {
                from: seller_key,
                entry,
                previous: None,
                verified: false,
            };
            let cosigner = parties.get_mut(role_of(orders, &to)).unwrap();
            let answer = answer_of(&cosigner.handle(input, 101));
            assert!(matches!(answer, Answer::Cosigned { .. }), "{answer:?}");
            let input = Input::Answer {
                from: to,
                body,
                answer,
                verified: false,
            };
            done = parties.get_mut("seller").unwrap().handle(input, 102);
        }
        done
    }

    /// The genesis round run to its end at the seller: the committed genesis.
    fn committed_genesis(
        orders: &ExampleOrders,
        parties: &mut BTreeMap<&str, Party>,
    ) -> SignedEntry {
        let proposed = proposals(
            &parties
                .get_mut("seller")
                .unwrap()
                .handle(Input::Open { caller: 1 }, 100),
        );
        let done = cosign_all(orders, parties, proposed);
        match done.first() {
            Some(Action::Persist(commit)) => commit.entry.clone(),
            _ => panic!("{done:?}"),
        }
    }

    #[test]
    fn a_party_that_missed_the_genesis_asks_the_sequencer_for_it_on_a_tick_and_opens() {
        let (orders, mut parties) = parties();
        let seller_key = orders.keys().seller.public_key();
        let genesis = committed_genesis(&orders, &mut parties);
        let carrier = parties.get_mut("carrier").unwrap();
        let asks = |actions: &[Action]| matches!(actions, [Action::FetchGenesis { from }] if *from == seller_key);
        // Its announcement never came: a tick asks the sequencer's node.
        let actions = carrier.handle(Input::Tick, 110);
        assert!(asks(&actions), "{actions:?}");
        // Unanswered: asked again on the next tick.
        let failed = Input::Page {
            from: seller_key,
            after: 0,
            entries: Err("unreachable".into()),
        };
        assert!(carrier.handle(failed, 111).is_empty());
        assert!(asks(&carrier.handle(Input::Tick, 112)));
        // The fetched genesis is taken as an announced one: checked, persisted, open.
        let fetched = Input::Page {
            from: seller_key,
            after: 0,
            entries: Ok(vec![genesis]),
        };
        let actions = carrier.handle(fetched, 113);
        assert!(matches!(actions[..], [Action::Persist(_)]), "{actions:?}");
        assert!(carrier.opening.is_open());
        assert!(carrier.handle(Input::Tick, 114).is_empty());
    }

    #[test]
    fn a_genesis_without_answers_is_given_up_at_the_deadline_and_proposed_again_with_the_same_bytes(
    ) {
        let (_, mut parties) = parties();
        let seller = parties.get_mut("seller").unwrap();
        let first = proposals(&seller.handle(Input::Open { caller: 1 }, 100));
        // Before the deadline a tick changes nothing.
        assert!(seller.handle(Input::Tick, 129).is_empty());
        let actions = seller.handle(Input::Tick, 130);
        assert!(
            matches!(
                actions[..],
                [Action::Reply {
                    caller: 1,
                    result: Err(CoreError::Round(RoundFailure::NoAnswer { .. }))
                }]
            ),
            "{actions:?}"
        );
        // Nothing was signed; the next tick proposes the very same bytes.
        let again = proposals(&seller.handle(Input::Tick, 131));
        assert_eq!(again.len(), 2);
        assert_eq!(again[0].1.body, first[0].1.body);
        assert!(again[0].1.signatures.is_empty());
    }

    #[test]
    fn a_party_refuses_a_genesis_it_did_not_compute_and_one_missing_a_signature() {
        let (orders, mut parties) = parties();
        let seller_key = orders.keys().seller.public_key();
        let genesis = parties["seller"].opening.genesis().entry.clone();
        let mut body = genesis.entry().unwrap();
        body.state.0[0] ^= 1;
        let forged = SignedEntry::unsigned(body.encode().unwrap());
        let buyer = parties.get_mut("buyer").unwrap();
        let input = Input::Proposal {
            from: seller_key,
            entry: forged,
            previous: None,
            verified: false,
        };
        let actions = buyer.handle(input, 100);
        assert!(matches!(actions[0], Action::Fault { .. }), "{actions:?}");
        assert!(
            matches!(answer_of(&actions), Answer::Refused { code, .. } if code == "determinism_fault")
        );
        // Only the sequencer proposes.
        let input = Input::Proposal {
            from: orders.keys().carrier.public_key(),
            entry: genesis.clone(),
            previous: None,
            verified: false,
        };
        let actions = buyer.handle(input, 100);
        assert!(
            matches!(answer_of(&actions), Answer::Refused { code, .. } if code == "not_sequencer")
        );

        // A genesis announced without the carrier's signature does not open the order.
        let mut entry = genesis;
        entry.sign("buyer", &orders.keys().buyer);
        entry.sign("seller", &orders.keys().seller);
        let input = Input::Committed {
            from: seller_key,
            entry,
            caller: Some(3),
            verified: false,
        };
        let actions = buyer.handle(input, 101);
        assert!(
            matches!(
                actions[..],
                [Action::Reply {
                    caller: 3,
                    result: Err(CoreError::Refused(Refusal::Signatures(_)))
                }]
            ),
            "{actions:?}"
        );
        assert!(!buyer.opening.is_open());
    }
}
