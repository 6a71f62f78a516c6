//! Bundles: an order's verifiable history, how to build one and how to verify one.
//!
//! * [`format`](mod@format): the bundle and its parts (entries with inclusion proofs, the signed head);
//! * [`verify`](mod@verify): [`verify_bundle`], the eight numbered steps;
//! * [`error`]: [`VerifyError`], one variant per step;
//! * [`trust`]: the `--trust` file;
//! * [`state_dir`]: step 8, what is remembered between runs (checkpoints, order heads) and the
//!   rule telling growth from rollback (sans-IO);
//! * [`freshness`]: step 9, heads presented beside a bundle, and what a report proves;
//! * [`equivocation`]: proofs that a sequencer signed two histories;
//! * [`build`]: building signed histories and bundles without a node.

pub mod assemble;
pub mod build;
mod entries;
pub mod equivocation;
pub mod error;
pub mod format;
pub mod freshness;
pub mod state_dir;
pub mod trust;
pub mod verify;

pub use equivocation::{Equivocation, EquivocationError, EquivocationProof};
pub use error::{
    BreakerError, ConsistencyError, DecodeError, EntryError, GenesisError, HeadError, LogError,
    ReplayError, SourcesError, VerifyError, STEPS,
};
pub use format::{Bundle, BundleEntry, ConsistencyProof, Head, SignedHead, Source};
pub use freshness::{check_heads, AsOf, Freshness};
pub use state_dir::{
    CheckpointEvidence, Consistency, GrowthBasis, HeadEvidence, Remembered, RememberedHead,
    UnreadableMemory,
};
pub use trust::{Place, TrustError, TrustFile};
pub use verify::{verify_bundle, BreakerSummary, Report, Trust, VerifiedEntry, VerifyOptions};
