//! Party keys and the peer ids of their nodes, remembered both ways: deriving either from the
//! other decompresses curve points, and the sender rule reads a sender's key back from its
//! peer id on every inbound message.
//!
//! A pair learnt from a party key this node addresses is kept both ways (contract keys are
//! few). A pair learnt from an inbound sender is kept only while fewer than `senders_cached`
//! peers are known, so strangers cannot grow it without bound; past that, a sender's key is
//! read back each time.

use std::{collections::HashMap, sync::Mutex};

use libp2p::PeerId;
use verifier::sign::PublicKey;

use super::{party_key, peer_of};

/// The pairs, under one lock so that both ways always agree.
#[derive(Default)]
struct Pairs {
    peers: HashMap<PublicKey, PeerId>,
    keys: HashMap<PeerId, PublicKey>,
}

pub(crate) struct PeerKeys {
    pairs: Mutex<Pairs>,
    senders_cached: usize,
}

impl PeerKeys {
    pub(crate) fn new(senders_cached: usize) -> Self {
        Self {
            pairs: Mutex::new(Pairs::default()),
            senders_cached,
        }
    }

    /// The peer id of the node of the party with `key`, if `key` is a curve point.
    pub(crate) fn peer_id(&self, key: &PublicKey) -> Option<PeerId> {
        if let Some(peer) = self.pairs.lock().ok()?.peers.get(key) {
            return Some(*peer);
        }
        // Derived outside the lock: other requests need not wait on a decompression.
        let peer = peer_of(key)?;
        if let Ok(mut pairs) = self.pairs.lock() {
            pairs.peers.insert(*key, peer);
            pairs.keys.insert(peer, *key);
        }
        Some(peer)
    }

    /// The party key `peer`'s connection authenticated with ([`party_key`]); `None` for a peer
    /// whose identity is no party key.
    pub(crate) fn party_key(&self, peer: &PeerId) -> Option<PublicKey> {
        if let Some(key) = self
            .pairs
            .lock()
            .ok()
            .and_then(|pairs| pairs.keys.get(peer).copied())
        {
            return Some(key);
        }
        let key = party_key(peer)?;
        if let Ok(mut pairs) = self.pairs.lock() {
            if pairs.keys.len() < self.senders_cached {
                pairs.keys.insert(*peer, key);
            }
        }
        Some(key)
    }

    #[cfg(test)]
    fn senders_known(&self) -> usize {
        self.pairs.lock().map_or(0, |pairs| pairs.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use verifier::sign::SigningKey;

    use super::*;

    fn key(seed: u8) -> PublicKey {
        SigningKey::from_seed([seed; 32]).public_key()
    }

    #[test]
    fn a_party_key_and_its_peer_id_are_found_either_way() {
        let keys = PeerKeys::new(8);
        let peer = keys.peer_id(&key(1)).expect("a curve point");
        assert_eq!(peer, peer_of(&key(1)).unwrap());
        assert_eq!(keys.party_key(&peer), Some(key(1)));
        assert_eq!(keys.senders_known(), 1);
    }

    #[test]
    fn senders_past_the_bound_are_answered_but_not_kept() {
        let keys = PeerKeys::new(1);
        let peers: Vec<PeerId> = (1..=3).map(|seed| peer_of(&key(seed)).unwrap()).collect();
        for (seed, peer) in (1..=3).zip(&peers) {
            assert_eq!(keys.party_key(peer), Some(key(seed)));
        }
        assert_eq!(keys.senders_known(), 1);
        assert_eq!(keys.party_key(&PeerId::random()), None);
        assert_eq!(keys.senders_known(), 1);
    }
}
