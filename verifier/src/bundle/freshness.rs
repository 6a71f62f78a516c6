//! Step 9: the heads presented beside a bundle, and what a verified bundle proves.
//!
//! Every party's node serves a signed head per order ([`SignedHead`]: order, seq, entry hash,
//! the entry's time, signed by one party in [`crate::sign::Domain::Head`]). A bundle proves
//! the order *as of* its last entry; a head of the same order that is newer shows entries the
//! bundle does not have (STALE, naming them); a head at a position the bundle holds must name
//! the same entry, or two histories were signed (INVALID, with both). A head that is about
//! another order or not validly signed by a party of this one proves nothing and is refused.

use serde::Serialize;

use super::error::HeadError;
use super::format::SignedHead;
use super::verify::Report;
use crate::model::{Contract, Digest, OrderId};

/// What a verified bundle proves: the order as of its last entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AsOf {
    pub seq: u64,
    pub entry: Digest,
    /// The entry's time (its event's effective time, the review's or close's time, the
    /// genesis time).
    pub at: i64,
    /// The roles whose signatures the entry carries.
    pub cosigned_by: Vec<String>,
}

/// What the presented heads say about the bundle's age.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// No head was presented.
    NotChecked,
    /// Every presented head names an entry the bundle holds; `signers` presented them.
    Current { signers: Vec<String> },
    /// A party signed a later head: the bundle lacks entries `missing_from..=missing_to`.
    Stale {
        signer: String,
        head_seq: u64,
        head_entry: Digest,
        head_at: i64,
        missing_from: u64,
        missing_to: u64,
    },
}

impl Freshness {
    pub fn is_stale(&self) -> bool {
        matches!(self, Freshness::Stale { .. })
    }
}

/// Step 9 on a bundle already verified: `heads` against its entries, with the same rule as
/// `verify_bundle` (the trail page fetches the parties' heads after it shows the verdict and
/// checks them without verifying the bundle again).
pub fn check_heads(report: &Report, heads: &[SignedHead]) -> Result<Freshness, HeadError> {
    let entries: Vec<Digest> = report.entries.iter().map(|entry| entry.hash).collect();
    check(&report.contract, report.order, &entries, heads)
}

/// Checks `heads` against the bundle's entry hashes (by position).
pub(crate) fn check(
    contract: &Contract,
    order: OrderId,
    entries: &[Digest],
    heads: &[SignedHead],
) -> Result<Freshness, HeadError> {
    if heads.is_empty() {
        return Ok(Freshness::NotChecked);
    }
    let last = entries.len().saturating_sub(1) as u64;
    let mut newest: Option<(u64, &SignedHead, Digest, i64)> = None;
    let mut signers = Vec::new();
    for signed in heads {
        let key = contract
            .parties
            .get(&signed.signer)
            .ok_or_else(|| HeadError::Signer(signed.signer.clone()))?;
        signed
            .verify(key)
            .map_err(|_| HeadError::Signature(signed.signer.clone()))?;
        let head = signed.head().map_err(HeadError::Decode)?;
        if head.order != order {
            return Err(HeadError::OtherOrder {
                signer: signed.signer.clone(),
                order: head.order,
            });
        }
        match usize::try_from(head.seq).ok().and_then(|i| entries.get(i)) {
            Some(entry) if *entry == head.entry => signers.push(signed.signer.clone()),
            Some(entry) => {
                return Err(HeadError::Conflict {
                    signer: signed.signer.clone(),
                    seq: head.seq,
                    entry: *entry,
                    head: head.entry,
                })
            }
            None => {
                if newest.is_none_or(|(seq, ..)| head.seq > seq) {
                    newest = Some((head.seq, signed, head.entry, head.at));
                }
            }
        }
    }
    Ok(match newest {
        Some((head_seq, signed, head_entry, head_at)) => Freshness::Stale {
            signer: signed.signer.clone(),
            head_seq,
            head_entry,
            head_at,
            missing_from: last.saturating_add(1),
            missing_to: head_seq,
        },
        None => Freshness::Current { signers },
    })
}
