//! Checkpoints of the Merkle log in the C2SP formats, so that public transparency-log witnesses
//! could cosign Pactum logs too.
//!
//! * [`body`]: the checkpoint text (c2sp.org/tlog-checkpoint): origin, tree size, root hash,
//!   optional extension lines;
//! * [`note`]: signed notes (c2sp.org/signed-note): text, blank line, signature lines
//!   `— <key name> <base64(key ID || signature)>`, parsed strictly and bounded;
//! * [`keys`]: note key types, key IDs and verifier keys (`<name>+<key ID hex>+<base64>`);
//! * [`witness`]: signing a checkpoint (Ed25519 note signature, type 0x01), cosigning one
//!   (c2sp.org/tlog-cosignature `cosignature/v1`, type 0x04), and checking a note against a
//!   [`TrustPolicy`]: the log's key plus k of n witnesses.
//!
//! Signatures here are over the exact bytes the C2SP formats define, with no Pactum domain
//! context. They cannot collide with Pactum's domain-separated signatures ([`crate::sign`]):
//! those messages contain a NUL byte, which a note text never does; and a checkpoint text
//! cannot be read as a cosignature message, whose second line (`time …`) is not a tree size.

pub mod body;
pub mod keys;
pub mod note;
pub mod witness;

pub use body::Checkpoint;
pub use keys::{key_id, NoteKeyType, NoteVerifierKey};
pub use note::{NoteSignature, SignedNote};
pub use witness::{
    cosign, cosignature_message, sign_checkpoint, sign_note, TrustPolicy, VerifiedCheckpoint,
    VerifiedSignature,
};

use crate::sign::SignError;

/// Largest signed note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// Most signature lines accepted in one note (the C2SP minimum to accept is 16; Go's is 100).
pub const MAX_SIGNATURES: usize = 100;
/// Longest key name or origin, in bytes (the tlog-cosignature ML-DSA format caps names there).
pub const MAX_NAME_BYTES: usize = 255;
/// Most extension lines accepted in a checkpoint.
pub const MAX_EXTENSION_LINES: usize = 16;
/// Longest extension line, in bytes.
pub const MAX_EXTENSION_BYTES: usize = 1024;
/// Longest base64 signature field, in characters (room for post-quantum signatures that a
/// verifier must skip, not reject).
pub const MAX_SIGNATURE_BASE64: usize = 8192;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum NoteError {
    // The signed-note envelope.
    #[error("note is {0} bytes, more than the {MAX_NOTE_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("note is not valid UTF-8")]
    NotUtf8,
    #[error("note contains a control character other than newline")]
    ControlCharacter,
    #[error("note does not end with a newline")]
    MissingFinalNewline,
    #[error("note has no blank line before its signatures")]
    NoSignatureBlock,
    #[error("note has no signature lines")]
    NoSignatures,
    #[error("note has {0} signature lines, more than {MAX_SIGNATURES}")]
    TooManySignatures(usize),
    #[error("signature line {0} is malformed")]
    MalformedSignatureLine(usize),
    #[error(
        "invalid key name {0:?}: it must be 1 to {MAX_NAME_BYTES} bytes without spaces or '+'"
    )]
    InvalidKeyName(String),
    #[error("note text must be non-empty, end with a newline and hold no control characters")]
    InvalidText,

    // The checkpoint body.
    #[error("checkpoint has {0} lines, fewer than origin, size and root")]
    TooFewLines(usize),
    #[error("checkpoint origin must be 1 to {MAX_NAME_BYTES} bytes of text")]
    InvalidOrigin,
    #[error("checkpoint tree size {0:?} is not a decimal number without leading zeros")]
    InvalidSize(String),
    #[error("checkpoint root is not the base64 of 32 bytes")]
    InvalidRootHash,
    #[error(
        "checkpoint extension lines must be non-empty and at most {MAX_EXTENSION_BYTES} bytes"
    )]
    InvalidExtension,
    #[error("checkpoint has more than {MAX_EXTENSION_LINES} extension lines")]
    TooManyExtensions,

    // Keys.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    #[error("unsupported note key type 0x{0:02x}")]
    UnsupportedKeyType(u8),
    #[error("verifier key ID does not match its name and key")]
    KeyIdMismatch,
    #[error(transparent)]
    Key(#[from] SignError),

    // Verification.
    #[error("checkpoint is for origin {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("{0} signed the note more than once")]
    DuplicateSignature(String),
    #[error("signature by known key {0} does not verify")]
    InvalidSignature(String),
    #[error("no signature from a known key")]
    NoVerifiedSignature,
    #[error("the log's own signature is missing")]
    MissingLogSignature,
    #[error("{verified} witness cosignatures verified, the policy requires {required}")]
    NotEnoughWitnesses { verified: usize, required: usize },
    #[error("cosignature timestamp {0} exceeds 2^63 - 1")]
    TimestampTooLarge(u64),
    #[error("invalid trust policy: {0}")]
    InvalidPolicy(&'static str),
}

/// A key name per c2sp.org/signed-note: non-empty, no Unicode spaces, no '+'; and bounded.
pub(crate) fn check_key_name(name: &str) -> Result<(), NoteError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control());
    if valid {
        Ok(())
    } else {
        Err(NoteError::InvalidKeyName(name.chars().take(64).collect()))
    }
}

/// Whether `text` holds an ASCII control character other than newline (forbidden in notes).
pub(crate) fn has_control_character(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 && b != b'\n')
}
