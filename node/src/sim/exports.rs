//! The simulated customer's side: bundles exported by any party's node at any moment,
//! verified through one remembered state per node's log, now and then beside the parties'
//! signed heads; and, in byzantine runs, the dishonest party's heads: one naming another entry
//! at a position the bundle holds (a fork, which the verifier must refuse, naming that party),
//! and a bundle it cuts to a prefix with its head signed for it (which a stranger verifies as
//! of that entry, and which honest heads show STALE).

use verifier::{
    bundle::{Head, HeadError, SignedHead, VerifyError},
    model::SignedContract,
};

use crate::fixtures::ExampleOrders;

use super::{
    customer::{export_to_a_stranger, signed_head, Exporter, OrderFiles},
    expect_freshness, Sim, SEQUENCER,
};

impl Sim {
    /// A customer asks `role`'s node for the order's bundle, and one time in two also asks
    /// some parties' nodes for their signed heads, to present beside it and beside the
    /// bundle it verified before. A node exports and signs only what is durable and waits for
    /// its latest entry to be (`wait_durable`): here, its store flushes. The dishonest party's
    /// node, one time in two, cuts its bundle instead ([`Sim::export_prefix`]).
    pub(super) fn export(&mut self, role: &'static str) {
        if self.misbehaves_as_exporter(role) {
            self.export_prefix(role);
            return;
        }
        let heads = if self.next(2) == 0 {
            self.presented_heads(None)
        } else {
            Vec::new()
        };
        let fork = (!heads.is_empty())
            .then(|| self.forked_head(role))
            .flatten();
        let Some(note) = self.export_checkpoint(role) else {
            return;
        };
        let witnesses = self.witness_keys(role);
        let node = &self.nodes[role];
        let signed: Vec<_> = heads.iter().map(|(head, _)| head.clone()).collect();
        let seqs: Vec<u64> = heads.iter().map(|(_, seq)| *seq).collect();
        let exporter = Exporter {
            role,
            key: &node.key,
            log: &node.log,
            entries: &node.committed,
            leaves: &node.leaves,
            note: &note,
            witnesses: &witnesses,
        };
        let exported_at = node.head();
        let files = files(&self.contract, &self.orders);
        let verified = self.customer.export_and_verify(&exporter, &files, &signed);
        let forked = fork.map(|(head, seq)| {
            let mut beside = signed.clone();
            beside.push(head);
            (seq, export_to_a_stranger(&exporter, &files, &beside))
        });
        match verified {
            Ok(outcome) => {
                self.report.bundles_verified += 1;
                if outcome.cosigned {
                    self.report.bundles_cosigned += 1;
                }
                if outcome.rollback_refused {
                    self.report.rollbacks_refused += 1;
                }
                if !signed.is_empty() {
                    self.report.heads_checked += 1;
                    let mut shown = vec![(exported_at, outcome.freshness.clone())];
                    shown.extend(outcome.older.clone());
                    for (last, freshness) in shown {
                        if let Err(what) = expect_freshness(last, &seqs, &freshness) {
                            self.broken = Some(format!("{role}'s bundle: {what}"));
                        }
                        if freshness.is_stale() {
                            self.report.stale_reported += 1;
                        }
                    }
                }
                if &outcome.state != self.nodes[role].protocol.state() {
                    self.broken = Some(format!(
                        "the verifier's state after {role}'s bundle differs from {role}'s own"
                    ));
                }
            }
            Err(error) => {
                self.broken = Some(format!(
                    "the bundle {role} exported at entry {exported_at} does not verify: {error}"
                ));
            }
        }
        if let Some((seq, outcome)) = forked {
            self.expect_fork_refused(role, seq, outcome);
        }
    }

    /// The signed heads of a random few parties' nodes (each at least one, and `with`'s if
    /// named), with the seq each names; a node signs its head once it is durable (its store
    /// flushes).
    fn presented_heads(&mut self, with: Option<&str>) -> Vec<(SignedHead, u64)> {
        let first = self.next(self.parties.len() as u64) as usize;
        let mut heads = Vec::new();
        let parties = self.parties;
        for (i, role) in parties.iter().enumerate() {
            if i != first && Some(*role) != with && self.next(2) == 0 {
                continue;
            }
            let Some(node) = self.nodes.get_mut(role) else {
                continue;
            };
            node.disk.flush();
            let Some(last) = node.committed.last() else {
                continue;
            };
            let size = node.log.log.size();
            match signed_head(role, &node.key, last, self.genesis_at, size) {
                Ok(head) => heads.push((head, node.head())),
                Err(error) => self.broken = Some(format!("{role} cannot sign its head: {error}")),
            }
        }
        heads
    }

    /// The dishonest party (byzantine runs), one export in two, signs a head naming another
    /// entry at a position `role`'s bundle holds: the head and that position.
    fn forked_head(&mut self, role: &'static str) -> Option<(SignedHead, u64)> {
        let dishonest = self.dishonest_party()?;
        if self.next(2) != 0 {
            return None;
        }
        let head = self.nodes.get(role)?.head();
        let seq = self.next(head + 1);
        let (key, size) = {
            let node = self.nodes.get(dishonest)?;
            (node.key.clone(), node.log.log.size())
        };
        let entry = self.nodes.get(role)?.committed.get(seq as usize)?;
        let body = entry.entry().ok()?;
        let mut forked = Head::for_entry(&body, entry.hash(), self.genesis_at, size).ok()?;
        forked.entry.0[0] ^= 1;
        let signed = SignedHead::sign(&forked, dishonest, &key).ok()?;
        Some((signed, seq))
    }

    /// A bundle beside a head naming another entry at its position `seq` must be refused,
    /// naming the dishonest party and that position.
    fn expect_fork_refused(
        &mut self,
        role: &'static str,
        seq: u64,
        outcome: Result<Result<verifier::bundle::Report, VerifyError>, String>,
    ) {
        let dishonest = self.dishonest_party();
        match outcome {
            Ok(Err(VerifyError::Head(HeadError::Conflict {
                signer, seq: at, ..
            }))) if Some(signer.as_str()) == dishonest && at == seq => {
                self.report.forked_heads_refused += 1;
            }
            Ok(Err(error)) => {
                self.broken = Some(format!(
                    "{role}'s bundle beside a forked head at entry {seq} was refused for another reason: {error}"
                ));
            }
            Ok(Ok(report)) => {
                self.broken = Some(format!(
                    "{role}'s bundle beside a forked head at entry {seq} verified: {:?}",
                    report.freshness
                ));
            }
            Err(error) => self.broken = Some(format!("{role} cannot export: {error}")),
        }
    }

    /// The dishonest party's node cuts its bundle to a prefix and signs its head for the last
    /// entry kept; a customer who remembers nothing verifies it beside the sequencer's head
    /// and others: it proves the order as of that entry, and is STALE beside any later head.
    fn export_prefix(&mut self, role: &'static str) {
        let heads = self.presented_heads(Some(SEQUENCER));
        let Some(head) = self.nodes.get(role).map(|node| node.head()) else {
            return;
        };
        let kept = self.next(head + 1);
        let Some(note) = self.export_checkpoint(role) else {
            return;
        };
        let witnesses = self.witness_keys(role);
        let node = &self.nodes[role];
        let cut = kept as usize + 1;
        let exporter = Exporter {
            role,
            key: &node.key,
            log: &node.log,
            entries: &node.committed[..cut],
            leaves: &node.leaves[..cut],
            note: &note,
            witnesses: &witnesses,
        };
        let signed: Vec<_> = heads.iter().map(|(head, _)| head.clone()).collect();
        let seqs: Vec<u64> = heads.iter().map(|(_, seq)| *seq).collect();
        self.report.prefixes_exported += 1;
        let files = files(&self.contract, &self.orders);
        match export_to_a_stranger(&exporter, &files, &signed) {
            Ok(Ok(report)) if report.as_of.seq == kept => {
                if let Err(what) = expect_freshness(kept, &seqs, &report.freshness) {
                    self.broken = Some(format!("{role}'s bundle cut to entry {kept}: {what}"));
                } else if report.freshness.is_stale() {
                    self.report.prefixes_shown_stale += 1;
                }
            }
            Ok(Ok(report)) => {
                self.broken = Some(format!(
                    "{role}'s bundle cut to entry {kept} verified as of entry {}",
                    report.as_of.seq
                ));
            }
            Ok(Err(error)) => {
                self.broken = Some(format!(
                    "{role}'s bundle cut to entry {kept} (a true prefix) does not verify: {error}"
                ));
            }
            Err(error) => self.broken = Some(format!("{role} cannot export: {error}")),
        }
    }

    /// The checkpoint `role`'s node exports with (`export_bundle`): once its store flushed
    /// (`wait_durable`), its latest checkpoint if that covers its head's leaf, else one made
    /// now. Checked: the bundle carries the node's latest checkpoint.
    fn export_checkpoint(&mut self, role: &'static str) -> Option<String> {
        let node = self.nodes.get_mut(role)?;
        node.disk.flush();
        let leaf = node.leaves.last().copied().unwrap_or(0);
        let covered = node
            .checkpoints
            .latest
            .as_ref()
            .is_some_and(|(size, _)| *size > leaf);
        if !covered {
            self.checkpoint_now(role);
        }
        let latest = self.nodes.get(role)?.checkpoints.latest.clone();
        match latest {
            Some((size, note)) if size > leaf => Some(note),
            other => {
                self.broken = Some(format!(
                    "{role}'s node exports without a checkpoint covering its head's leaf {leaf}: {:?}",
                    other.map(|(size, _)| size)
                ));
                None
            }
        }
    }

    /// The parties other than `role`, by the name they cosign with, and their keys.
    fn witness_keys(&self, role: &str) -> Vec<(String, verifier::sign::PublicKey)> {
        self.nodes
            .values()
            .filter(|node| node.role != role)
            .map(|node| (node.log.origin.clone(), node.key.public_key()))
            .collect()
    }

    /// The party that misbehaves in byzantine runs (the last one).
    fn dishonest_party(&self) -> Option<&'static str> {
        let last = self.parties.last().copied()?;
        (self.config.byzantine_cosigner && !self.healing && last != SEQUENCER).then_some(last)
    }

    /// Whether `role`'s node cuts its bundle this time (the dishonest party, one export in
    /// two).
    fn misbehaves_as_exporter(&mut self, role: &str) -> bool {
        self.dishonest_party() == Some(role) && self.next(2) == 0
    }
}

/// The order's files, as every bundle carries them.
fn files<'a>(contract: &'a SignedContract, orders: &'a ExampleOrders) -> OrderFiles<'a> {
    OrderFiles {
        contract,
        sources: orders.sources(),
        program: orders.program(),
    }
}
