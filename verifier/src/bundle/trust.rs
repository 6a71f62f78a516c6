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

/// Why a trust file cannot be used. The page words each kind for a customer
/// (`trail::trust_problem`); [`TrustError::code`] names it for tools and tests.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TrustError {
    /// Neither JSON nor TOML: the text breaks their syntax (a damaged file, or another kind of
    /// file).
    #[error("trust file is neither valid JSON nor valid TOML{}: {detail}", at_place(.at))]
    Syntax { at: Option<Place>, detail: String },
    /// JSON or TOML, but not a trust file: a table or field missing, one it does not have, a
    /// value of the wrong type, or a log policy that could miscount (a witness listed twice).
    #[error("not a trust file{}: {detail}", at_place(.at))]
    NotTrustFile { at: Option<Place>, detail: String },
    /// A party's pinned key is not a key.
    #[error("party `{role}`: {message}")]
    PartyKey { role: String, message: String },
    /// The trust could not be written as JSON or TOML.
    #[error("trust file could not be written: {0}")]
    Write(String),
}

/// Where in a trust file's text a problem is: line and column, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: usize,
}

fn at_place(at: &Option<Place>) -> String {
    at.map(|at| format!(" (line {}, column {})", at.line, at.column))
        .unwrap_or_default()
}

impl TrustError {
    /// The kind of problem, language-neutral: `trust.syntax`, `trust.not_trust_file`,
    /// `trust.party_key`, `trust.write`.
    pub fn code(&self) -> &'static str {
        match self {
            TrustError::Syntax { .. } => "trust.syntax",
            TrustError::NotTrustFile { .. } => "trust.not_trust_file",
            TrustError::PartyKey { .. } => "trust.party_key",
            TrustError::Write(_) => "trust.write",
        }
    }

    /// Where in the text the problem is, when the parser said.
    pub fn place(&self) -> Option<Place> {
        match self {
            TrustError::Syntax { at, .. } | TrustError::NotTrustFile { at, .. } => *at,
            TrustError::PartyKey { .. } | TrustError::Write(_) => None,
        }
    }

    /// The parser's or checker's own message (English, for whoever looks into it).
    pub fn detail(&self) -> &str {
        match self {
            TrustError::Syntax { detail, .. } | TrustError::NotTrustFile { detail, .. } => detail,
            TrustError::PartyKey { message, .. } => message,
            TrustError::Write(detail) => detail,
        }
    }

    // Off the verdict's path: the browser compiles a function whole on its first call, and a
    // readable trust file never needs this (ARCHITECTURE.md, "What the demo's verdict compiles").
    #[cold]
    #[inline(never)]
    fn from_json(error: &serde_json::Error) -> TrustError {
        let at = (error.line() > 0).then(|| Place {
            line: error.line(),
            column: error.column(),
        });
        // serde_json's message ends with its own " at line L column C".
        let text = error.to_string();
        let detail = at
            .map(|at| format!(" at line {} column {}", at.line, at.column))
            .and_then(|suffix| text.strip_suffix(&suffix).map(str::to_string))
            .unwrap_or(text);
        match error.classify() {
            serde_json::error::Category::Data => TrustError::NotTrustFile { at, detail },
            _ => TrustError::Syntax { at, detail },
        }
    }

    // Off the verdict's path: the browser compiles a function whole on its first call, and a
    // readable trust file never needs this (ARCHITECTURE.md, "What the demo's verdict compiles").
    #[cold]
    #[inline(never)]
    fn from_toml(text: &str, error: &toml::de::Error) -> TrustError {
        let at = error.span().map(|span| place_of(text, span.start));
        let detail = error.message().trim_end().to_string();
        if text.parse::<toml::Table>().is_ok() {
            TrustError::NotTrustFile { at, detail }
        } else {
            TrustError::Syntax { at, detail }
        }
    }
}

/// Line and column (in characters, from 1) of byte `offset` of `text`.
fn place_of(text: &str, offset: usize) -> Place {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    Place {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

impl TrustFile {
    /// Parses JSON (if the text starts with `{`) or TOML.
    pub fn parse(text: &str) -> Result<TrustFile, TrustError> {
        if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|error| TrustError::from_json(&error))
        } else {
            toml::from_str(text).map_err(|error| TrustError::from_toml(text, &error))
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
        toml::to_string(self).map_err(|error| TrustError::Write(error.to_string()))
    }

    pub fn to_json(&self) -> Result<String, TrustError> {
        serde_json::to_string_pretty(self).map_err(|error| TrustError::Write(error.to_string()))
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

    /// Each kind of unreadable trust file comes out as its own variant, with where the parser
    /// stopped: the page words each for a customer without reading the parser's English.
    #[test]
    fn an_unreadable_trust_file_says_what_kind_of_problem_and_where() {
        let policy = ExampleLog::example()
            .policy()
            .expect("the example's policy");
        let good = TrustFile {
            log: policy,
            parties: BTreeMap::new(),
            heads: BTreeMap::new(),
        };
        let toml_text = good.to_toml().expect("as TOML");
        let cases = [
            (
                "a number for the log",
                r#"{"log": 1}"#.to_string(),
                "trust.not_trust_file",
                Some((1, 9)),
            ),
            (
                "JSON cut short",
                "{\n  \"log\": {".to_string(),
                "trust.syntax",
                Some((2, 10)),
            ),
            (
                "not JSON",
                "{ log = 1 }".to_string(),
                "trust.syntax",
                Some((1, 3)),
            ),
            (
                "TOML without a log",
                "[parties]\nseller = \"ab\"\n".to_string(),
                "trust.not_trust_file",
                Some((1, 1)),
            ),
            (
                "TOML syntax",
                "[log\nx = 1\n".to_string(),
                "trust.syntax",
                Some((1, 5)),
            ),
            (
                "an unknown table",
                format!("{toml_text}\n[extra]\nx = 1\n"),
                "trust.not_trust_file",
                None,
            ),
            (
                "a bundle's bytes",
                "\u{1}\u{2}pactum".to_string(),
                "trust.syntax",
                Some((1, 9)),
            ),
        ];
        for (what, text, code, at) in cases {
            let error = TrustFile::parse(&text).expect_err(what);
            assert_eq!(error.code(), code, "{what}: {error}");
            if let Some((line, column)) = at {
                assert_eq!(
                    error.place(),
                    Some(Place { line, column }),
                    "{what}: {error}"
                );
            } else {
                assert!(error.place().is_some(), "{what}: {error}");
            }
            assert!(!error.detail().is_empty(), "{what}");
            assert!(
                !error.detail().contains("UncheckedPolicy"),
                "{what}: {error}"
            );
        }
        let mut bad_key = good.clone();
        bad_key.parties.insert("buyer".into(), "12".into());
        let error = bad_key.trust().expect_err("a key of one byte");
        assert_eq!(error.code(), "trust.party_key");
    }
}
