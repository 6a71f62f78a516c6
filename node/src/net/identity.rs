//! Binding between a party's ed25519 key and its node's libp2p identity.
//!
//! The node's libp2p keypair *is* the party's signing key, so the `PeerId` a connection
//! authenticates with (through Noise) is derived from the party's public key: knowing a
//! contract's party keys is enough to know which peers speak for them.

use libp2p::{
    identity::{self, Keypair},
    PeerId,
};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("invalid ed25519 secret key: {0}")]
    SecretKey(identity::DecodingError),
    #[error("invalid ed25519 public key: {0}")]
    PublicKey(identity::DecodingError),
}

/// The libp2p keypair for the party whose ed25519 secret key (seed) is `secret`.
pub fn keypair_from_secret(mut secret: [u8; 32]) -> Result<Keypair, IdentityError> {
    // libp2p zeroizes the buffer it is given; give it a copy so the caller's array is theirs.
    Keypair::ed25519_from_bytes(&mut secret).map_err(IdentityError::SecretKey)
}

/// The `PeerId` of the node run by the party with this ed25519 public key.
pub fn peer_id_for(public_key: [u8; 32]) -> Result<PeerId, IdentityError> {
    let key = identity::ed25519::PublicKey::try_from_bytes(&public_key)
        .map_err(IdentityError::PublicKey)?;
    Ok(identity::PublicKey::from(key).to_peer_id())
}

/// The ed25519 public key a `PeerId` was derived from ([`peer_id_for`] backwards): the party
/// key a connection authenticated with. `None` for a peer whose identity is not an ed25519
/// key inlined in its id (no party's node has such an identity).
pub fn party_key_of(peer: &PeerId) -> Option<[u8; 32]> {
    // An ed25519 key is short enough to be inlined: the identity multihash (code 0) of the
    // key's protobuf encoding. Longer keys are hashed and cannot be read back.
    const IDENTITY: u64 = 0;
    let multihash = peer.as_ref();
    if multihash.code() != IDENTITY {
        return None;
    }
    let key = identity::PublicKey::try_decode_protobuf(multihash.digest()).ok()?;
    key.try_into_ed25519().ok().map(|key| key.to_bytes())
}

/// The ed25519 public key behind a keypair built by [`keypair_from_secret`].
pub fn public_key_of(keypair: &Keypair) -> Option<[u8; 32]> {
    keypair
        .clone()
        .try_into_ed25519()
        .ok()
        .map(|pair| pair.public().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_follows_from_the_party_key() {
        let keypair = keypair_from_secret([7; 32]).unwrap();
        let public = public_key_of(&keypair).unwrap();
        assert_eq!(peer_id_for(public).unwrap(), keypair.public().to_peer_id());
        let other = keypair_from_secret([8; 32]).unwrap();
        assert_ne!(peer_id_for(public).unwrap(), other.public().to_peer_id());
    }

    #[test]
    fn the_party_key_is_read_back_from_its_peer_id() {
        let keypair = keypair_from_secret([7; 32]).unwrap();
        let public = public_key_of(&keypair).unwrap();
        assert_eq!(party_key_of(&peer_id_for(public).unwrap()), Some(public));
        let other = public_key_of(&keypair_from_secret([8; 32]).unwrap()).unwrap();
        assert_eq!(party_key_of(&peer_id_for(other).unwrap()), Some(other));
    }

    #[test]
    fn rejects_a_public_key_that_is_not_a_curve_point() {
        // y = 2 does not decompress to a point on edwards25519.
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        assert!(peer_id_for(bytes).is_err());
    }
}
