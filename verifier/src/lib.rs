//! The Pactum protocol core and its judge.
//!
//! This crate holds everything a customer needs to verify an order's history on their own
//! machine, and nothing that needs a network or a disk: no tokio, libp2p or sled.
//!
//! Foundations:
//! * [`sign`]: Ed25519 keys and domain-separated, strictly verified signatures (single and batch);
//! * [`merkle`]: the RFC 9162 Merkle log behind a small storage trait, with inclusion and
//!   consistency proofs;
//! * [`checkpoint`]: C2SP checkpoints, signed notes, witness cosignatures and trust policies.
//!
//! The protocol:
//! * [`model`]: contract, signed events, entries, reviews, closes and agreements (versioned
//!   canonical CBOR);
//! * [`state`]: the order state machine with the evolution circuit breaker (pure, no I/O);
//! * [`bundle`]: the bundle format, its eight-step verification, and building bundles;
//! * [`timeline`]: a verified history as readable text in English, Chinese or German;
//! * [`impact`]: which past entries of a verified history a clause change would have changed;
//! * [`json`]: the native JSON of values, entries and effects shared with the node's API.
//! * [`trail`]: the evolution-trail page's view of a verification (what the browser shows);
//! * `page` (not in the browser build): the self-contained trail page, `pactum-verify page`.

pub mod bundle;
pub mod checkpoint;
pub mod impact;
pub mod json;
pub mod merkle;
pub mod model;
mod out_of_line;
pub mod sign;
pub mod state;
pub mod timeline;
pub mod trail;

#[cfg(not(target_arch = "wasm32"))]
pub mod page;
