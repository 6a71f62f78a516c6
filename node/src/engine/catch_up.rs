//! Catch-up, without I/O: which of an order's entries a party's request is answered with (who
//! may read them, from which position, how many in one answer), and the requesting side
//! ([`Requester`]): which party is asked for which page, and what a page or a failure leads
//! to (the next page, the next party, or giving up until the next tick). The node's peer
//! handler reads a page from its store (`peer.rs::on_fetch`); the order's core
//! (`protocol_core.rs`) holds the requester and emits each request as an `Action::Fetch`,
//! which the driver sends, handing the answer back as an `Input::Page`.

use std::collections::BTreeMap;

use verifier::sign::PublicKey;

/// Most entries sent in one catch-up answer.
pub const MAX_FETCH: u32 = 512;

/// Which entries one catch-up answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The position of the first entry.
    pub first: u64,
    /// At most this many entries from `first`, in order.
    pub limit: usize,
    /// Whether the contract and its sources go with the entries: the requester asked from the
    /// genesis, which it may never have seen.
    pub genesis: bool,
}

/// Why a catch-up request is not answered with entries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchRefusal {
    #[error("entries are only sent to the order's parties")]
    NotAParty,
}

impl FetchRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            FetchRefusal::NotAParty => "not_a_party",
        }
    }
}

/// The page to answer a request for the entries after `after` (from the genesis when `None`),
/// at most `limit` of them, made by the holder of a key for which `is_requester` holds (the
/// driver knows who is on the other end of the connection): only a party of the order, with
/// `parties`, is answered, and never with more than [`MAX_FETCH`] entries nor fewer than one.
pub fn page(
    parties: &BTreeMap<String, PublicKey>,
    is_requester: impl Fn(&PublicKey) -> bool,
    after: Option<u64>,
    limit: u32,
) -> Result<Page, FetchRefusal> {
    if !parties.values().any(is_requester) {
        return Err(FetchRefusal::NotAParty);
    }
    Ok(Page {
        first: after.map_or(0, |seq| seq.saturating_add(1)),
        limit: limit.clamp(1, MAX_FETCH) as usize,
        genesis: after.is_none(),
    })
}

/// One page to ask for: from the node of `from`, the entries after position `after`, at most
/// `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub from: PublicKey,
    pub after: u64,
    pub limit: u32,
}

/// What the requester does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Ask for the page [`Requester::request`] names now.
    Ask,
    /// Caught up: the last page was not full.
    Done,
    /// Every party was asked and none answered with entries that fit: wait for the next tick.
    GaveUp,
}

/// The requesting side of one catch-up: the parties that may be asked, in order (the
/// sequencer first, then the others: every party holds the order's entries, each carrying
/// every party's signature, so any of them can serve them), the one asked now and the page
/// asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    sources: Vec<PublicKey>,
    asked: usize,
    request: Request,
}

impl Requester {
    /// Starts a catch-up after `head`, asking `sources` in order for pages of `limit`
    /// (1 to [`MAX_FETCH`]); `None` without a source.
    pub fn start(sources: Vec<PublicKey>, head: u64, limit: u32) -> Option<Requester> {
        let from = *sources.first()?;
        let request = Request {
            from,
            after: head,
            limit: limit.clamp(1, MAX_FETCH),
        };
        Some(Requester {
            sources,
            asked: 0,
            request,
        })
    }

    /// The page asked for now.
    pub fn request(&self) -> Request {
        self.request
    }

    /// Whether an answer from `from` for the entries after `after` answers the page asked
    /// for now (an older request's answer only brings its entries).
    pub fn expects(&self, from: &PublicKey, after: u64) -> bool {
        self.request.from == *from && self.request.after == after
    }

    /// The page asked for came with `count` entries, and the order's head is now `head`. A
    /// full page that moved the head to its end may have left entries behind: the next page
    /// from the same party. A page whose entries did not all fit (refused, out of order)
    /// counts as that party's failure. Otherwise the catch-up is done.
    pub fn on_page(&mut self, count: usize, head: u64) -> Next {
        let end = self.request.after.saturating_add(count as u64);
        if head < end {
            return self.on_failure(head);
        }
        if count < self.request.limit as usize {
            return Next::Done;
        }
        self.request.after = head;
        Next::Ask
    }

    /// The party asked did not answer with entries (unreachable, refused): the next party,
    /// from `head`, or giving up once every party was asked.
    pub fn on_failure(&mut self, head: u64) -> Next {
        self.asked = self.asked.saturating_add(1);
        let Some(from) = self.sources.get(self.asked) else {
            return Next::GaveUp;
        };
        self.request.from = *from;
        self.request.after = head;
        Next::Ask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::sign::SigningKey;

    fn parties() -> (BTreeMap<String, PublicKey>, PublicKey) {
        let key = |seed| SigningKey::from_seed([seed; 32]).public_key();
        let parties = BTreeMap::from([("seller".into(), key(1)), ("buyer".into(), key(2))]);
        (parties, key(3))
    }

    #[test]
    fn a_party_gets_the_entries_after_its_head_and_the_contract_only_from_the_genesis() {
        let (parties, _) = parties();
        let buyer = parties["buyer"];
        let from_genesis = page(&parties, |key| *key == buyer, None, 16).unwrap();
        assert_eq!(
            from_genesis,
            Page {
                first: 0,
                limit: 16,
                genesis: true
            }
        );
        let after_head = page(&parties, |key| *key == buyer, Some(41), 16).unwrap();
        assert_eq!(
            after_head,
            Page {
                first: 42,
                limit: 16,
                genesis: false
            }
        );
        // The last position has nothing after it, and asking does not overflow.
        let at_end = page(&parties, |key| *key == buyer, Some(u64::MAX), 16).unwrap();
        assert_eq!(at_end.first, u64::MAX);
    }

    #[test]
    fn a_page_holds_one_to_max_fetch_entries_whatever_is_asked() {
        let (parties, _) = parties();
        let seller = parties["seller"];
        let limit = |asked| {
            page(&parties, |key| *key == seller, Some(0), asked)
                .unwrap()
                .limit
        };
        assert_eq!(limit(0), 1);
        assert_eq!(limit(u32::MAX), MAX_FETCH as usize);
    }

    fn keys(seeds: &[u8]) -> Vec<PublicKey> {
        seeds
            .iter()
            .map(|seed| SigningKey::from_seed([*seed; 32]).public_key())
            .collect()
    }

    #[test]
    fn a_full_page_asks_for_the_next_from_the_same_party_and_a_short_one_ends() {
        let sources = keys(&[1, 2]);
        let mut requester = Requester::start(sources.clone(), 7, 4).unwrap();
        let asked = |after| Request {
            from: sources[0],
            after,
            limit: 4,
        };
        assert_eq!(requester.request(), asked(7));
        assert_eq!(requester.on_page(4, 11), Next::Ask);
        assert_eq!(requester.request(), asked(11));
        assert!(requester.expects(&sources[0], 11));
        assert!(!requester.expects(&sources[0], 7));
        assert_eq!(requester.on_page(3, 14), Next::Done);
        // Nothing after the head: done at once.
        let mut requester = Requester::start(sources, 7, 4).unwrap();
        assert_eq!(requester.on_page(0, 7), Next::Done);
    }

    #[test]
    fn a_failure_or_a_page_that_does_not_fit_asks_the_next_party_then_gives_up() {
        let sources = keys(&[1, 2, 3]);
        let mut requester = Requester::start(sources.clone(), 7, 4).unwrap();
        // Unreachable: the next party, from the same head.
        assert_eq!(requester.on_failure(7), Next::Ask);
        let asked = |from, after| Request {
            from,
            after,
            limit: 4,
        };
        assert_eq!(requester.request(), asked(sources[1], 7));
        // Four entries, of which only two fit: the third party, from where they stopped.
        assert_eq!(requester.on_page(4, 9), Next::Ask);
        assert_eq!(requester.request(), asked(sources[2], 9));
        assert_eq!(requester.on_failure(9), Next::GaveUp);
        assert!(Requester::start(Vec::new(), 0, 4).is_none());
    }

    #[test]
    fn a_requester_asks_for_one_to_max_fetch_entries() {
        let sources = keys(&[1]);
        let limit = |asked| {
            Requester::start(sources.clone(), 0, asked)
                .unwrap()
                .request()
                .limit
        };
        assert_eq!(limit(0), 1);
        assert_eq!(limit(u32::MAX), MAX_FETCH);
    }

    #[test]
    fn a_stranger_is_refused() {
        let (parties, stranger) = parties();
        let refused = page(&parties, |key| *key == stranger, None, 16).unwrap_err();
        assert_eq!(refused.code(), "not_a_party");
    }
}
