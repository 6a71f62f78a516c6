//! The other parties' nodes this node knows, changed at run time by the operator
//! (`PUT /peers/{key}`, `DELETE /peers/{key}`) without a restart.
//!
//! The configuration file's `[[peers]]` are the starting table; each change is stored (space
//! `peers`, flushed before answering) and applied over them at every start, so a change
//! survives restarts. Addresses may name hosts (`/dns4/…`, `/dns6/…`, `/dns/…`): they are
//! resolved when the peer is set and at start, and the network is given the IP addresses.

use std::net::IpAddr;

use libp2p::{multiaddr::Protocol, Multiaddr};
use serde::{Deserialize, Serialize};
use verifier::sign::PublicKey;

use super::{peer_of, records, Inner};
use crate::{
    api::{ApiError, Code},
    durable::WriteBatch,
};

/// Key (32 bytes) → [`PeerRecord`]: the operator's changes to the configured peers.
pub const PEERS: crate::durable::Space = crate::durable::Space::new("peers");

/// A stored change: the peer's role and addresses, or its removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRecord {
    pub role: String,
    pub addresses: Vec<String>,
    pub removed: bool,
}

/// One known peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub role: String,
    pub key: PublicKey,
    /// As given (names unresolved).
    pub addresses: Vec<Multiaddr>,
}

/// Resolves the host names in `addr` (`/dns4/localhost/tcp/7301`) to the IP multiaddrs the
/// network dials; an address of IP literals comes back unchanged.
pub async fn resolve(addr: &Multiaddr) -> Result<Vec<Multiaddr>, String> {
    let mut parts = addr.iter();
    let (host, want_v4, want_v6) = match parts.next() {
        Some(Protocol::Dns4(host)) => (host.to_string(), true, false),
        Some(Protocol::Dns6(host)) => (host.to_string(), false, true),
        Some(Protocol::Dns(host)) => (host.to_string(), true, true),
        _ => return Ok(vec![addr.clone()]),
    };
    let rest: Vec<Protocol<'_>> = parts.collect();
    let port = rest
        .iter()
        .find_map(|part| match part {
            Protocol::Tcp(port) => Some(*port),
            _ => None,
        })
        .unwrap_or(0);
    let found = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|error| format!("cannot resolve {host}: {error}"))?;
    let mut resolved = Vec::new();
    for socket in found {
        let ip = match socket.ip() {
            IpAddr::V4(ip) if want_v4 => Protocol::Ip4(ip),
            IpAddr::V6(ip) if want_v6 => Protocol::Ip6(ip),
            _ => continue,
        };
        let mut addr = Multiaddr::empty().with(ip);
        for part in &rest {
            addr.push(part.clone());
        }
        if !resolved.contains(&addr) {
            resolved.push(addr);
        }
    }
    if resolved.is_empty() {
        return Err(format!("{host} has no address of the kind {addr} asks for"));
    }
    Ok(resolved)
}

impl Inner {
    /// The peers this node knows now: role and key.
    pub(crate) fn peers(&self) -> Vec<(String, PublicKey)> {
        self.peer_table
            .read()
            .map(|table| {
                table
                    .iter()
                    .map(|peer| (peer.role.clone(), peer.key))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every known peer with its addresses.
    pub(crate) fn peer_list(&self) -> Vec<Peer> {
        self.peer_table
            .read()
            .map(|table| table.clone())
            .unwrap_or_default()
    }

    /// The configured peers with the stored changes applied (at start).
    pub(crate) fn load_peers(&self, configured: Vec<Peer>) -> Result<(), records::RecordError> {
        let mut table = configured;
        for item in self.store.scan_prefix(PEERS, b"") {
            let (key, bytes) = item?;
            let record: PeerRecord = records::decode("peer", &bytes)?;
            let Some(key) = <[u8; 32]>::try_from(key.as_slice())
                .ok()
                .and_then(|bytes| PublicKey::from_bytes(&bytes).ok())
            else {
                continue;
            };
            apply(&mut table, key, &record);
        }
        if let Ok(mut peers) = self.peer_table.write() {
            *peers = table;
        }
        Ok(())
    }

    /// Adds or changes the peer with `key`: stored, then its addresses (resolved) given to
    /// the network. Returns the addresses dialled.
    pub(crate) async fn set_peer(
        &self,
        key: PublicKey,
        role: String,
        addresses: Vec<Multiaddr>,
    ) -> Result<Vec<Multiaddr>, ApiError> {
        if key == self.public {
            return Err(ApiError::new(Code::OwnKey, "that is this node's own key"));
        }
        let peer = peer_of(&key).ok_or_else(|| {
            ApiError::new(Code::InvalidKey, format!("{key} is not a valid party key"))
        })?;
        let mut dialled = Vec::new();
        for addr in &addresses {
            for mut resolved in resolve(addr)
                .await
                .map_err(|error| ApiError::new(Code::UnresolvableAddress, error))?
            {
                if !matches!(resolved.iter().last(), Some(Protocol::P2p(_))) {
                    resolved.push(Protocol::P2p(peer));
                }
                dialled.push(resolved);
            }
        }
        let record = PeerRecord {
            role,
            addresses: addresses.iter().map(ToString::to_string).collect(),
            removed: false,
        };
        self.store_peer(&key, &record).await?;
        self.net
            .set_party(peer, true)
            .await
            .map_err(|error| ApiError::new(Code::NetworkFailed, error.to_string()))?;
        for addr in &dialled {
            self.net
                .add_address(peer, addr.clone())
                .await
                .map_err(|error| ApiError::new(Code::NetworkFailed, error.to_string()))?;
        }
        Ok(dialled)
    }

    /// Forgets the peer with `key` (stored); `false` if it was not known.
    pub(crate) async fn remove_peer(&self, key: PublicKey) -> Result<bool, ApiError> {
        let known = self.peer_list().into_iter().find(|peer| peer.key == key);
        let Some(known) = known else {
            return Ok(false);
        };
        let record = PeerRecord {
            role: known.role,
            addresses: Vec::new(),
            removed: true,
        };
        self.store_peer(&key, &record).await?;
        // No longer a party's node: its connections are closed and it is a stranger again.
        if let Some(peer) = peer_of(&key) {
            self.net
                .set_party(peer, false)
                .await
                .map_err(|error| ApiError::new(Code::NetworkFailed, error.to_string()))?;
        }
        Ok(true)
    }

    /// Stores `record` (flushed), then applies it to the table.
    async fn store_peer(&self, key: &PublicKey, record: &PeerRecord) -> Result<(), ApiError> {
        let mut batch = WriteBatch::new();
        batch.put(
            PEERS,
            key.as_bytes(),
            records::encode("peer", record).map_err(|e| ApiError::internal(e.to_string()))?,
        );
        self.store
            .commit(batch)
            .await
            .map_err(|e| ApiError::new(Code::StoreFailed, e.to_string()))?;
        if let Ok(mut table) = self.peer_table.write() {
            apply(&mut table, *key, record);
        }
        Ok(())
    }

    /// Gives the network every known peer as a party's node, with its (resolved) addresses,
    /// and takes that standing from configured peers removed at run time (at start).
    pub(crate) async fn dial_known_peers(&self) {
        let removed: Vec<PublicKey> = self
            .store
            .scan_prefix(PEERS, b"")
            .filter_map(Result::ok)
            .filter(|(_, bytes)| {
                records::decode::<PeerRecord>("peer", bytes).is_ok_and(|record| record.removed)
            })
            .filter_map(|(key, _)| {
                <[u8; 32]>::try_from(key.as_slice())
                    .ok()
                    .and_then(|bytes| PublicKey::from_bytes(&bytes).ok())
            })
            .collect();
        for key in removed {
            if let Some(id) = peer_of(&key) {
                let _ = self.net.set_party(id, false).await;
            }
        }
        for peer in self.peer_list() {
            let Some(id) = peer_of(&peer.key) else {
                continue;
            };
            let _ = self.net.set_party(id, true).await;
            for addr in &peer.addresses {
                match resolve(addr).await {
                    Ok(resolved) => {
                        for mut addr in resolved {
                            if !matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
                                addr.push(Protocol::P2p(id));
                            }
                            let _ = self.net.add_address(id, addr).await;
                        }
                    }
                    Err(error) => tracing::warn!(role = %peer.role, %error, "peer address"),
                }
            }
        }
    }
}

/// Applies one stored change to the table.
fn apply(table: &mut Vec<Peer>, key: PublicKey, record: &PeerRecord) {
    table.retain(|peer| peer.key != key);
    if !record.removed {
        table.push(Peer {
            role: record.role.clone(),
            key,
            addresses: record
                .addresses
                .iter()
                .filter_map(|addr| addr.parse().ok())
                .collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_host_name_resolves_to_ip_addresses_and_an_ip_address_stays() {
        let named: Multiaddr = "/dns4/localhost/tcp/7301".parse().unwrap();
        let resolved = resolve(&named).await.unwrap();
        assert!(
            resolved.contains(&"/ip4/127.0.0.1/tcp/7301".parse().unwrap()),
            "{resolved:?}"
        );
        let literal: Multiaddr = "/ip4/10.0.0.1/tcp/9".parse().unwrap();
        assert_eq!(resolve(&literal).await.unwrap(), vec![literal]);
        let unknown: Multiaddr = "/dns4/no-such-host.invalid/tcp/1".parse().unwrap();
        assert!(resolve(&unknown).await.is_err());
    }

    #[test]
    fn stored_changes_apply_over_the_configured_peers() {
        let key = |seed: u8| verifier::sign::SigningKey::from_seed([seed; 32]).public_key();
        let mut table = vec![Peer {
            role: "buyer".into(),
            key: key(1),
            addresses: Vec::new(),
        }];
        let carrier = PeerRecord {
            role: "carrier".into(),
            addresses: vec!["/dns4/localhost/tcp/7401".into()],
            removed: false,
        };
        apply(&mut table, key(2), &carrier);
        let moved = PeerRecord {
            role: "buyer".into(),
            addresses: vec!["/ip4/10.0.0.2/tcp/7201".into()],
            removed: false,
        };
        apply(&mut table, key(1), &moved);
        assert_eq!(table.len(), 2);
        assert_eq!(table[1].addresses[0].to_string(), "/ip4/10.0.0.2/tcp/7201");
        let removed = PeerRecord {
            removed: true,
            ..carrier
        };
        apply(&mut table, key(2), &removed);
        assert_eq!(
            table.iter().map(|peer| peer.key).collect::<Vec<_>>(),
            vec![key(1)]
        );
    }
}
