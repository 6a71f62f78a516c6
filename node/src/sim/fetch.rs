//! Catch-up in the simulator, as the node does it: a core's [`Action::Fetch`] is a request to
//! the named party's node through the simulated network (lost, duplicated, delayed,
//! reordered; failing at once over a cut link, as a dial does), answered from that node's
//! entries with the node's own page function ([`catch_up::page`]: parties only, from the entry
//! after the one named, at most the limit asked), and the answer (or the failure) is handed
//! back to the asking core as [`Input::Page`], which decides what comes next: the next page,
//! the next party, or nothing until the next tick. Like a forward, a request is tagged with
//! the asking node's incarnation: a restarted node gets no answer to its earlier requests. In
//! byzantine runs the dishonest cosigner serves one page in three badly (withheld, its first
//! entry's body altered under the signatures it carried, or its first entry left out); the
//! asking core must refuse what does not fit and ask the next party. The opening's genesis
//! fetch ([`super::opening`]) is answered by [`serve`] too.
//!
//! [`Action::Fetch`]: crate::engine::protocol_core::Action::Fetch

use std::collections::BTreeMap;

use verifier::{model::SignedEntry, sign::PublicKey};

use super::{Msg, Sim, SEQUENCER};
use crate::engine::{catch_up, protocol_core::Input};

/// Most entries a simulated node asks for in one catch-up page, drawn per run from 1 to
/// this: small, so that a node behind (a crash lost the entries it had not flushed, or it
/// missed announcements) catches up over several pages.
pub(super) const MAX_PAGE: u32 = 3;

/// What the node holding `committed` (index = seq) answers `requester`'s request for at
/// most `limit` entries after `after` (from the genesis when `None`) of an order between
/// `parties`: the page [`catch_up::page`] names, or why none.
pub(super) fn serve(
    parties: &BTreeMap<String, PublicKey>,
    requester: &PublicKey,
    committed: &[SignedEntry],
    after: Option<u64>,
    limit: u32,
) -> Result<Vec<SignedEntry>, String> {
    let page = catch_up::page(parties, |key| key == requester, after, limit)
        .map_err(|refusal| format!("{}: {refusal}", refusal.code()))?;
    let first = usize::try_from(page.first).unwrap_or(usize::MAX);
    Ok(committed
        .iter()
        .skip(first)
        .take(page.limit)
        .cloned()
        .collect())
}

impl Sim {
    /// `role`'s node asks the node of `from` for at most `limit` entries after `after`.
    pub(super) fn request_page(
        &mut self,
        role: &'static str,
        from: PublicKey,
        after: u64,
        limit: u32,
    ) {
        let incarnation = self.nodes.get(role).map_or(0, |node| node.incarnation);
        let unreachable = match self.role_of(&from) {
            Some(server) if self.linked(role, server) => {
                let request = Msg::Fetch {
                    from: role,
                    incarnation,
                    after,
                    limit,
                };
                self.send(role, server, request);
                return;
            }
            Some(_) => "the party's node is unreachable",
            None => "no such party",
        };
        // The dial fails at once: the driver hands the failure to the core after the actions
        // at hand.
        let answer = Msg::Page {
            from,
            incarnation,
            after,
            entries: Err(unreachable.into()),
        };
        self.local.push((role, answer));
    }

    /// `server`'s node answers `from`'s request from the entries it holds (written or not
    /// yet flushed, as a store reads them).
    pub(super) fn on_fetch(
        &mut self,
        server: &'static str,
        from: &'static str,
        incarnation: u64,
        after: u64,
        limit: u32,
    ) {
        let (Some(node), Some(requester)) = (self.nodes.get(server), self.nodes.get(from)) else {
            return;
        };
        let parties = &node.protocol.core().contract().parties;
        let requester = requester.key.public_key();
        let entries = serve(parties, &requester, &node.committed, Some(after), limit);
        let server_key = node.key.public_key();
        let entries = if self.misbehaves(server) {
            match self.dishonest_page(entries) {
                Some(entries) => entries,
                None => return,
            }
        } else {
            entries
        };
        let answer = Msg::Page {
            from: server_key,
            incarnation,
            after,
            entries,
        };
        self.send(server, from, answer);
    }

    /// The dishonest cosigner's page: withheld (`None`), its first entry's body altered under
    /// the signatures it carried (so that none verifies), or its first entry left out (so that
    /// the rest do not follow the asking node's head).
    fn dishonest_page(
        &mut self,
        entries: Result<Vec<SignedEntry>, String>,
    ) -> Option<Result<Vec<SignedEntry>, String>> {
        self.report.byzantine_acts += 1;
        let act = self.next(3);
        let Ok(mut entries) = entries else {
            return Some(entries);
        };
        match act {
            0 => return None,
            1 => {
                let forged = entries.first().and_then(|entry| {
                    let mut body = entry.entry().ok()?;
                    body.state.0[0] ^= 1;
                    let mut forged = SignedEntry::unsigned(body.encode().ok()?);
                    forged.signatures = entry.signatures.clone();
                    Some(forged)
                });
                if let (Some(forged), Some(first)) = (forged, entries.first_mut()) {
                    *first = forged;
                }
            }
            _ => {
                if !entries.is_empty() {
                    entries.remove(0);
                }
            }
        }
        Some(Ok(entries))
    }

    /// An answer to a catch-up request reaches the node that asked (dropped if it restarted
    /// since), whose core takes it.
    pub(super) fn on_page(
        &mut self,
        role: &'static str,
        from: PublicKey,
        incarnation: u64,
        after: u64,
        entries: Result<Vec<SignedEntry>, String>,
    ) {
        let Some(node) = self.nodes.get(role) else {
            return;
        };
        if node.incarnation != incarnation {
            return;
        }
        let head = node.head();
        let served_by_other = self
            .role_of(&from)
            .is_some_and(|server| server != SEQUENCER);
        match &entries {
            Ok(entries) => {
                self.report.pages_fetched += 1;
                if entries.len() >= self.protocol_config.catch_up_page as usize {
                    self.report.full_pages += 1;
                }
            }
            Err(_) => self.report.pages_failed += 1,
        }
        self.drive(
            role,
            Input::Page {
                from,
                after,
                entries,
            },
        );
        if served_by_other && !self.linked(role, SEQUENCER) {
            self.report.pages_from_others += 1;
            if self.nodes.get(role).is_some_and(|node| node.head() > head) {
                self.report.caught_up_from_others += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::{link, Sim, SEQUENCER};

    fn deliver_all(sim: &mut Sim) {
        sim.deliver_all();
    }

    /// Facts submitted at the sequencer's node, everything delivered, until its head is at
    /// least `seq`.
    fn commit_until(sim: &mut Sim, seq: u64) {
        for _ in 0..200 {
            if sim.nodes[SEQUENCER].head() >= seq {
                return;
            }
            sim.submit_fact(SEQUENCER);
            deliver_all(sim);
            sim.sequencer_tick();
            deliver_all(sim);
        }
        panic!("the sequencer never reached entry {seq}");
    }

    #[test]
    fn a_party_behind_and_cut_off_from_the_sequencer_catches_up_from_another_party_page_by_page() {
        let mut sim = Sim::opened(7);
        commit_until(&mut sim, 7);
        // The buyer's node crashes and loses every entry it had not flushed (a cosigner's
        // commits are not waited for)...
        sim.crash_losing_every_unflushed_write("buyer");
        assert_eq!(sim.nodes["buyer"].head(), 0);
        // ... and cannot reach the sequencer's node, while the carrier's holds every entry.
        sim.cut.insert(link("buyer", SEQUENCER));
        assert_eq!(
            sim.nodes["carrier"].committed,
            sim.nodes[SEQUENCER].committed
        );
        sim.fetch("buyer");
        deliver_all(&mut sim);
        assert_eq!(
            sim.nodes["buyer"].committed.len(),
            sim.nodes[SEQUENCER].committed.len(),
            "the buyer did not catch up from the carrier"
        );
        // Page after page from the carrier; the first that is not full ends it.
        let missed = sim.nodes[SEQUENCER].head();
        let page = u64::from(sim.protocol_config.catch_up_page);
        assert_eq!(sim.report.caught_up_from_others, missed.div_ceil(page));
        assert_eq!(sim.report.full_pages, missed / page);
        assert_eq!(sim.report.pages_from_others, missed / page + 1);
        assert_eq!(
            sim.report.pages_failed, 1,
            "the sequencer's node was asked first"
        );
        sim.check().unwrap();
    }
}
