//! Who may make this node compile or store a contract.
//!
//! Compiling clause sources costs CPU and memory, and a stored proposal costs disk, so a
//! contract from a peer is looked at in this order, cheapest first, and refused at the first
//! check it fails; its sources are neither parsed nor compiled nor stored before it passes:
//!
//! - a new proposal (`ProposeContract`) must come from a configured peer: libp2p identities
//!   cost nothing, so a contract naming a fresh key as a party proves nothing about its
//!   sender. A genesis (`ProposeEntry` with its contract) needs no configured sender, because
//!   it must carry this node's own signature of the contract, which only an invitation this
//!   node's party accepted can have produced;
//! - the contract's body (the envelope that names the parties) must decode, name this node's
//!   key as a party, and name the sender: as a party that signed it (proposal) or as the
//!   sequencer (genesis), each signature checked;
//! - the sources must hash to what the contract names (hashing is not parsing).

use libp2p::PeerId;
use verifier::{
    bundle::Source,
    model::{Contract, SignedContract},
    sign::Domain,
};

use super::{sources::hash_sources, Inner};

/// What the sender of a contract claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContractSender {
    /// A party inviting this node (`ProposeContract`).
    Proposer,
    /// The order's sequencer proposing its genesis entry, which every party signed.
    Sequencer,
}

/// Why a peer's contract was not looked at further. Each has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotAdmitted {
    #[error("proposals are taken only from the parties configured on this node")]
    Stranger,
    #[error("the contract does not decode: {0}")]
    Malformed(String),
    #[error("this node's party is not a party of the contract")]
    NotInvited,
    #[error("the sender is not a party that signed the contract")]
    SenderNotAParty,
    #[error("only the order's sequencer proposes its genesis")]
    NotSequencer,
    #[error("the contract lacks a valid signature of this node's party")]
    NotAccepted,
    #[error("the sources do not hash to the contract's sources hash")]
    SourcesMismatch,
}

impl NotAdmitted {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            NotAdmitted::Stranger => "stranger",
            NotAdmitted::Malformed(_) => "invalid_contract",
            NotAdmitted::NotInvited => "not_invited",
            NotAdmitted::SenderNotAParty => "not_a_party",
            NotAdmitted::NotSequencer => "not_sequencer",
            NotAdmitted::NotAccepted => "not_accepted",
            NotAdmitted::SourcesMismatch => "invalid_contract",
        }
    }
}

impl Inner {
    /// Whether `peer` is the node of one of the parties configured on this node.
    pub(crate) fn is_configured_peer(&self, peer: PeerId) -> bool {
        self.peers()
            .iter()
            .any(|(_, key)| self.peer_id(key) == Some(peer))
    }

    /// The checks a contract from `peer` passes before its sources are compiled or anything
    /// of it is stored (see the module's documentation); the decoded contract.
    pub(crate) fn admit_contract(
        &self,
        peer: PeerId,
        signed: &SignedContract,
        sources: &[Source],
        sender: ContractSender,
    ) -> Result<Contract, NotAdmitted> {
        if sender == ContractSender::Proposer && !self.is_configured_peer(peer) {
            return Err(NotAdmitted::Stranger);
        }
        let contract = signed
            .contract()
            .map_err(|error| NotAdmitted::Malformed(error.to_string()))?;
        let my_role = self
            .my_role(&contract.parties)
            .ok_or(NotAdmitted::NotInvited)?;
        let signed_by = |role: &str| {
            let key = contract.parties.get(role);
            let signature = signed.signatures.get(role);
            matches!((key, signature), (Some(key), Some(signature))
                if key.verify(Domain::Contract, &signed.body, signature).is_ok())
        };
        let speaks_for =
            |role: &str| contract.parties.get(role).and_then(|key| self.peer_id(key)) == Some(peer);
        match sender {
            ContractSender::Proposer => {
                let sender_signed = contract
                    .parties
                    .keys()
                    .any(|role| speaks_for(role) && signed_by(role));
                if !sender_signed {
                    return Err(NotAdmitted::SenderNotAParty);
                }
            }
            ContractSender::Sequencer => {
                if !speaks_for(&contract.sequencer) {
                    return Err(NotAdmitted::NotSequencer);
                }
                if !signed_by(&my_role) {
                    return Err(NotAdmitted::NotAccepted);
                }
            }
        }
        match hash_sources(sources) {
            Ok(hash) if hash == contract.sources => Ok(contract),
            _ => Err(NotAdmitted::SourcesMismatch),
        }
    }
}
