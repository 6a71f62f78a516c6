//! Catch-up, without I/O: which of an order's entries a party's request is answered with (who
//! may read them, from which position, how many in one answer), and whether the requesting side
//! asks for another page. The node's peer handler reads the page from its store and its driver
//! sends the requests (`peer.rs::on_fetch`, `driver.rs::fetch_after`); this module decides.

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

/// Whether an answer of `count` entries to a request for [`MAX_FETCH`] may have left entries
/// behind, so the requester asks for the next page.
pub fn more_after(count: usize) -> bool {
    count >= MAX_FETCH as usize
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
        // A full page may have left entries behind; a shorter one was the last.
        assert!(more_after(MAX_FETCH as usize));
        assert!(!more_after(MAX_FETCH as usize - 1));
    }

    #[test]
    fn a_stranger_is_refused() {
        let (parties, stranger) = parties();
        let refused = page(&parties, |key| *key == stranger, None, 16).unwrap_err();
        assert_eq!(refused.code(), "not_a_party");
    }
}
