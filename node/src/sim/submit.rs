//! Facts entering the simulated order: submitted at the sequencer's node, or at a cosigner's
//! node, which stores them in its queue and forwards them to the sequencer's
//! ([`Message::Forward`], delivered through the simulated network like every other message:
//! lost, duplicated, delayed, reordered; its answer likewise), and the promise checked of
//! them: a fact a node acknowledged (answered committed or queued) commits exactly once, and
//! until it does it is queued durably at the sequencer's node or at the node that took it,
//! across crashes of either.

use verifier::{
    model::{Digest, OrderId, SignedEvent},
    state::ApplyError,
};

use super::{facts::FactKind, Entries, Msg, Sim, Waiting, SEQUENCER};
use crate::engine::{
    order::Refusal,
    protocol_core::{CoreError, Forwarded, Input, Reply},
    queue::retry_later_code,
};

impl Sim {
    /// A fact (or a document's facts) reaches a party's node: the sequencer's, whose core
    /// commits, queues (durably) or refuses it, or a cosigner's, whose core queues it durably
    /// and forwards it. The submitter counts it accepted once that node answers it committed
    /// or queued. While a round runs the submission waits in the core (as a request waits for
    /// the order's lock).
    pub(super) fn accept_fact(&mut self) {
        let at = if self.next(2) == 0 {
            SEQUENCER
        } else {
            self.any_cosigner()
        };
        if self.next(4) == 0 {
            self.accept_facts(at);
        } else {
            self.submit_fact(at);
        }
    }

    /// One fact reaches `at`'s node (now and then twice).
    pub(super) fn submit_fact(&mut self, at: &'static str) {
        let n = self.accepted.len();
        let Some(signed) = self.new_fact(self.contract.order_id(), n) else {
            return;
        };
        // Now and then a fact is submitted twice: it is one fact.
        let times = if self.next(10) == 0 { 2 } else { 1 };
        for _ in 0..times {
            let event = signed.clone();
            let caller = self.caller(Waiting::Fact { at, event });
            let input = Input::Fact {
                event: signed.clone(),
                verified: false,
                caller,
            };
            self.drive(at, input);
        }
    }

    /// Two or three facts of one document reach `at`'s node together; one group in five
    /// carries a fact of another order, so it must be refused whole.
    fn accept_facts(&mut self, at: &'static str) {
        let order = self.contract.order_id();
        let n = self.accepted.len();
        let count = 2 + self.next(2) as usize;
        let foreign = (self.next(5) == 0).then(|| self.next(count as u64) as usize);
        let mut events = Vec::new();
        for i in 0..count {
            let about = if foreign == Some(i) {
                Digest([9; 32])
            } else {
                order
            };
            events.extend(self.new_fact(about, n + i));
        }
        let waiting = Waiting::Facts {
            at,
            events: events.clone(),
        };
        let caller = self.caller(waiting);
        let Some(own) = self.key_of(at) else {
            return;
        };
        let input = Input::Facts {
            from: own,
            events,
            verified: false,
            caller,
        };
        self.drive(at, input);
    }

    /// A fact of a random kind about `order`, the `n`th.
    fn new_fact(&mut self, order: OrderId, n: usize) -> Option<SignedEvent> {
        let kind = match self.next(100) {
            0..=19 => FactKind::Departed,
            20..=39 => FactKind::Eta {
                late: self.next(2) == 0,
            },
            40..=97 => FactKind::Typhoon {
                on_route: self.next(4) != 0,
                red: self.next(5) != 0,
            },
            _ => FactKind::Delivered {
                days: self.next(60) as i64,
            },
        };
        self.attesters.fact(order, kind, self.now(), n).ok()
    }

    /// A cosigner's node forwards facts: the request goes through the network, tagged with the
    /// sender's incarnation (a restart drops the request's stream, so an answer to an earlier
    /// incarnation is never delivered). Over a cut link the request fails at once (the driver's
    /// `forward_later` gets a dial error), answered after the actions at hand.
    pub(super) fn forward(&mut self, from: &'static str, id: u64, events: Vec<SignedEvent>) {
        self.report.facts_forwarded += events.len() as u64;
        let incarnation = self.nodes.get(from).map_or(0, |node| node.incarnation);
        if !self.linked(from, SEQUENCER) {
            self.report.forwards_unreachable += 1;
            let answer = Forwarded::NoAnswer {
                reason: "the sequencer's node is unreachable".into(),
            };
            let msg = Msg::Forwarded {
                incarnation,
                id,
                answer,
            };
            self.local.push((from, msg));
            return;
        }
        let msg = Msg::Forward {
            from,
            incarnation,
            id,
            events,
        };
        self.send(from, SEQUENCER, msg);
    }

    /// Forwarded facts reach the sequencer's node, which takes them as a group (as
    /// `peer.rs::on_forwarded_events` does); its answer goes back when its core replies.
    pub(super) fn on_forward(
        &mut self,
        from: &'static str,
        incarnation: u64,
        id: u64,
        events: Vec<SignedEvent>,
    ) {
        let hashes = events.iter().map(SignedEvent::hash).collect();
        let caller = self.caller(Waiting::Forward {
            from,
            incarnation,
            id,
            hashes,
        });
        let Some(sender) = self.key_of(from) else {
            return;
        };
        let input = Input::Facts {
            from: sender,
            events,
            verified: false,
            caller,
        };
        self.drive(SEQUENCER, input);
    }

    /// The sequencer's core answered a forward: each fact's place there, or the refusal, sent
    /// back to the cosigner's node as the driver's `forward_later` reads a response.
    pub(super) fn answer_forward(
        &mut self,
        from: &'static str,
        incarnation: u64,
        id: u64,
        hashes: &[Digest],
        result: Result<Reply, CoreError>,
    ) {
        let answer = match result {
            Ok(_) => self.places_at_sequencer(hashes),
            Err(CoreError::InGroup { index, refusal }) => Forwarded::Refused {
                index: Some(index),
                code: refusal.code().into(),
                message: refusal.to_string(),
            },
            Err(error) if retry_later_code(&error.code()) => Forwarded::NoAnswer {
                reason: error.to_string(),
            },
            Err(error) => Forwarded::Refused {
                index: None,
                code: error.code(),
                message: error.to_string(),
            },
        };
        let msg = Msg::Forwarded {
            incarnation,
            id,
            answer,
        };
        self.send(SEQUENCER, from, msg);
    }

    /// Each fact's place at the sequencer's node (committed or queued), or no answer if one
    /// is neither.
    fn places_at_sequencer(&self, hashes: &[Digest]) -> Forwarded {
        let Some(sequencer) = self.nodes.get(SEQUENCER) else {
            return Forwarded::NoAnswer {
                reason: "no sequencer".into(),
            };
        };
        let history = Entries(&sequencer.committed);
        let mut places = Vec::with_capacity(hashes.len());
        for hash in hashes {
            match sequencer.protocol.fact_status(hash, &history) {
                Some(place) => places.push((*hash, place)),
                None => {
                    return Forwarded::NoAnswer {
                        reason: format!("the fact {hash} was not taken"),
                    }
                }
            }
        }
        Forwarded::Taken(places)
    }

    /// The sequencer's answer to a forward reaches the cosigner's node, unless the node
    /// restarted since it asked.
    pub(super) fn on_forwarded(
        &mut self,
        to: &'static str,
        incarnation: u64,
        id: u64,
        answer: Forwarded,
    ) {
        let current = self.nodes.get(to).map(|node| node.incarnation);
        if current == Some(incarnation) {
            self.drive(to, Input::Forwarded { id, answer });
        }
    }

    /// A submitter's answer from the node it submitted to: accepted once committed or queued.
    pub(super) fn on_fact_reply(&mut self, waiting: Waiting, result: Result<Reply, CoreError>) {
        match (waiting, result) {
            (Waiting::Fact { at, event }, Ok(Reply::Committed { .. } | Reply::Queued { .. })) => {
                self.acknowledged(at, &event);
            }
            (Waiting::Fact { .. }, Err(error)) if refused_as_closed(&error) => {
                self.report.facts_refused += 1;
            }
            (Waiting::Fact { .. }, Err(CoreError::Closing { .. })) => {
                self.report.facts_refused_closing += 1;
            }
            (
                Waiting::Facts { at, events },
                Ok(
                    Reply::Accepted
                    | Reply::Committed { .. }
                    | Reply::Queued { .. }
                    | Reply::Group(_),
                ),
            ) => {
                self.report.groups_accepted += 1;
                for event in &events {
                    self.acknowledged(at, event);
                }
            }
            (Waiting::Facts { at, events }, Err(error)) => {
                if let CoreError::Closing { .. } = error {
                    self.report.facts_refused_closing += 1;
                }
                self.report.groups_refused += 1;
                self.check_nothing_taken(at, &events);
            }
            // Refused otherwise (a round a party refused...): never accepted.
            _ => {}
        }
    }

    /// `at`'s node acknowledged `event`: from now on it must commit exactly once.
    fn acknowledged(&mut self, at: &'static str, event: &SignedEvent) {
        let hash = event.hash();
        if let std::collections::btree_map::Entry::Vacant(first) = self.accepted.entry(hash) {
            first.insert(at);
            self.report.facts_accepted += 1;
            if at != SEQUENCER {
                self.report.facts_accepted_at_cosigners += 1;
            }
        }
    }

    /// Every fact a node acknowledged is recorded at the sequencer's node or still queued
    /// (there, or at the node that took it), across crashes of either.
    pub(super) fn check_accepted_kept(&self) -> Result<(), String> {
        let Some(sequencer) = self.nodes.get(SEQUENCER) else {
            return Ok(());
        };
        let history = Entries(&sequencer.committed);
        for (hash, at) in &self.accepted {
            if sequencer.protocol.fact_status(hash, &history).is_some() {
                continue;
            }
            let queued_where_taken = self.nodes.get(at).is_some_and(|node| {
                node.protocol
                    .queue()
                    .iter()
                    .any(|queued| queued.hash == *hash)
            });
            if !queued_where_taken {
                return Err(format!(
                    "the fact {hash} {at}'s node accepted is neither recorded nor queued at the sequencer{}",
                    if *at == SEQUENCER {
                        String::new()
                    } else {
                        format!(" nor queued at {at}'s node")
                    }
                ));
            }
        }
        Ok(())
    }

    /// A refused group left none of its facts recorded or queued (that was not before), at
    /// the sequencer's node nor at the node it was submitted to.
    fn check_nothing_taken(&mut self, at: &'static str, events: &[SignedEvent]) {
        for role in [SEQUENCER, at] {
            let Some(node) = self.nodes.get(role) else {
                continue;
            };
            let history = Entries(&node.committed);
            for event in events {
                let hash = event.hash();
                let taken = node.protocol.fact_status(&hash, &history).is_some();
                if taken && !self.accepted.contains_key(&hash) {
                    self.broken = Some(format!(
                        "a group of facts refused at {at}'s node left its fact {hash} recorded or queued at {role}'s"
                    ));
                }
            }
        }
    }
}

/// Whether a fact was refused because the order had closed (at the node it was submitted to,
/// or, forwarded, at the sequencer's).
fn refused_as_closed(error: &CoreError) -> bool {
    let closed = Refusal::Apply(ApplyError::OrderClosed { seq: 0 }).code();
    match error {
        CoreError::Refused(Refusal::Apply(ApplyError::OrderClosed { .. })) => true,
        CoreError::ForwardRefused { code, .. } => code == closed,
        _ => false,
    }
}
