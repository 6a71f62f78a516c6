//! Durable storage for the node: a sled database with group commit.
//!
//! [`Store`] is the foundation the protocol's storage is built on: atomic [`WriteBatch`]es over
//! named [`Space`]s, acknowledged only once flushed, with one flush shared by every batch queued
//! meanwhile. See [`Store`] for exactly what "durable" means with sled.

mod batch;
mod store;

pub use batch::{Space, WriteBatch};
pub use store::{Ack, CommitReceipt, CommitStats, Store, StoreConfig, StoreError};
