//! The trust file of `pactum-verify --trust`: the log's key, its witnesses and how many must
//! cosign, and the parties' pinned keys. JSON or TOML:
//!
//! ```toml
//! [log]
//! log_key = "pactum.example/log+1a2b3c4d+AY…"   # C2SP verifier key; its name is the origin
//! witnesses = ["witness.buyer+…", "witness.auditor+…"]
//! min_witnesses = 2
//!
//! [parties]                                       # role = Ed25519 public key, hex
//! seller = "d75a98…"
//! buyer = "3d4017…"
//!
//! [heads]                                         # role = where its signed head is served
//! seller = "https://seller.example/share/5f…/head"
//! buyer = "https://buyer.example/heads/{order}"   # {order}: the bundle's order id, hex
//! ```
//!
//! `heads` is for the trail page (`pactum-verify page`, a node's `/orders/{id}/trail`): once a
//! bundle verified, the page fetches each address, with `{order}` replaced by that bundle's
//! order id (so one trust file serves every order and a bundle dropped onto the page), and
//! checks the heads as `pactum-verify --head FILE` does. The command line does no I/O of its
//! own and ignores them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::verify::Trust;
use crate::checkpoint::TrustPolicy;
use crate::model::hex;
use crate::sign::PublicKey;

/// The serialized trust file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustFile {
    pub log: TrustPolicy,
    /// Role → Ed25519 public key in hex.
    #[serde(default)]
    pub parties: BTreeMap<String, String>,
    /// Role → address of that party's signed head of the order (`{order}` stands for the
    /// order id): where the trail page asks whether a bundle is the latest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub heads: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TrustError {
    #[error("trust file is neither valid JSON nor valid TOML: {0}")]
    Syntax(String),
    #[error("party `{role}`: {message}")]
    PartyKey { role: String, message: String },
}

impl TrustFile {
    /// Parses JSON (if the text starts with `{`) or TOML.
    pub fn parse(text: &str) -> Result<TrustFile, TrustError> {
        if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|error| TrustError::Syntax(error.to_string()))
        } else {
            toml::from_str(text).map_err(|error| TrustError::Syntax(error.to_string()))
        }
    }

    pub fn from_trust(trust: &Trust) -> TrustFile {
        TrustFile {
            log: trust.log.clone(),
            parties: trust
                .parties
                .iter()
                .map(|(role, key)| (role.clone(), hex(key.as_bytes())))
                .collect(),
            heads: BTreeMap::new(),
        }
    }

    /// The head addresses for the order `order`: each party's role and address, `{order}`
    /// replaced by its id in hex, in role order.
    pub fn head_addresses(&self, order: &crate::model::OrderId) -> Vec<(String, String)> {
        let id = order.to_string();
        self.heads
            .iter()
            .map(|(role, address)| (role.clone(), address.replace("{order}", &id)))
            .collect()
    }

    pub fn to_toml(&self) -> Result<String, TrustError> {
        toml::to_string(self).map_err(|error| TrustError::Syntax(error.to_string()))
    }

    pub fn to_json(&self) -> Result<String, TrustError> {
        serde_json::to_string_pretty(self).map_err(|error| TrustError::Syntax(error.to_string()))
    }

    /// The trust the verifier applies.
    pub fn trust(&self) -> Result<Trust, TrustError> {
        let mut parties = BTreeMap::new();
        for (role, text) in &self.parties {
            let key = parse_hex_key(text).map_err(|message| TrustError::PartyKey {
                role: role.clone(),
                message,
            })?;
            parties.insert(role.clone(), key);
        }
        Ok(Trust {
            log: self.log.clone(),
            parties,
        })
    }
}

/// A public key written as 64 hex digits.
pub fn parse_hex_key(text: &str) -> Result<PublicKey, String> {
    let digest = crate::model::Digest::from_hex(text.trim())
        .ok_or_else(|| "a public key is 64 hex digits".to_string())?;
    PublicKey::from_bytes(digest.as_bytes()).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::build::ExampleLog;

    #[test]
    fn head_addresses_name_the_order_and_files_without_heads_still_parse() {
        let policy = ExampleLog::example()
            .policy()
            .expect("the example's policy");
        let mut file = TrustFile {
            log: policy,
            parties: BTreeMap::new(),
            heads: BTreeMap::new(),
        };
        let without = file.to_json().expect("as JSON");
        assert!(!without.contains("heads"), "no empty table: {without}");
        assert_eq!(TrustFile::parse(&without), Ok(file.clone()));
        file.heads = BTreeMap::from([
            (
                "seller".to_string(),
                "https://s.example/h/{order}".to_string(),
            ),
            (
                "buyer".to_string(),
                "https://b.example/share/t/head".to_string(),
            ),
        ]);
        let toml = file.to_toml().expect("as TOML");
        let back = TrustFile::parse(&toml).expect("read back");
        assert_eq!(back, file);
        let order = crate::model::Digest::from_hex(&"ab".repeat(32)).expect("a digest");
        assert_eq!(
            back.head_addresses(&order),
            vec![
                (
                    "buyer".to_string(),
                    "https://b.example/share/t/head".to_string()
                ),
                (
                    "seller".to_string(),
                    format!("https://s.example/h/{}", "ab".repeat(32))
                ),
            ]
        );
    }
}
