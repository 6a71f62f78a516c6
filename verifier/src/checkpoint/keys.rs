//! Note keys: the signature types Pactum supports, key IDs, and verifier keys.
//!
//! A key ID is `SHA-256(name || 0x0A || type || public key)[:4]`, read big-endian; a verifier
//! key ("vkey") is the text `<name>+<key ID as 8 lowercase hex digits>+<base64(type || key)>`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::{check_key_name, NoteError};
use crate::sign::{PublicKey, PUBLIC_KEY_LENGTH};

/// The note signature types Pactum signs and verifies; lines of any other type are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteKeyType {
    /// 0x01: a plain Ed25519 signature over the note text (the log's own signature).
    Ed25519,
    /// 0x04: a timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature).
    CosignatureV1,
}

impl NoteKeyType {
    /// The signature type byte assigned by c2sp.org/signed-note.
    pub fn id(self) -> u8 {
        match self {
            NoteKeyType::Ed25519 => 0x01,
            NoteKeyType::CosignatureV1 => 0x04,
        }
    }

    pub fn from_id(id: u8) -> Result<Self, NoteError> {
        match id {
            0x01 => Ok(NoteKeyType::Ed25519),
            0x04 => Ok(NoteKeyType::CosignatureV1),
            other => Err(NoteError::UnsupportedKeyType(other)),
        }
    }
}

/// The key ID of `key` under `name` for signatures of type `key_type`.
pub fn key_id(name: &str, key_type: NoteKeyType, key: &PublicKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', key_type.id()]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A public key that may sign notes: its name, signature type and Ed25519 key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoteVerifierKey {
    name: String,
    key_type: NoteKeyType,
    public_key: PublicKey,
    key_id: u32,
}

impl NoteVerifierKey {
    pub fn new(
        name: &str,
        key_type: NoteKeyType,
        public_key: PublicKey,
    ) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(NoteVerifierKey {
            name: name.to_string(),
            key_type,
            key_id: key_id(name, key_type, &public_key),
            public_key,
        })
    }

    /// A log key: signs checkpoints with plain Ed25519 note signatures.
    pub fn log(name: &str, public_key: PublicKey) -> Result<Self, NoteError> {
        Self::new(name, NoteKeyType::Ed25519, public_key)
    }

    /// A witness key: cosigns checkpoints with `cosignature/v1`.
    pub fn witness(name: &str, public_key: PublicKey) -> Result<Self, NoteError> {
        Self::new(name, NoteKeyType::CosignatureV1, public_key)
    }

    /// Parses a vkey string, checking that its key ID matches its name, type and key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        // The name cannot hold '+', the key ID is hex: the first two '+' split the fields,
        // and the base64 key (which may hold '+') is the rest.
        let (name, rest) = vkey
            .split_once('+')
            .ok_or(NoteError::MalformedVerifierKey("expected name+id+key"))?;
        let (id_hex, key_base64) = rest
            .split_once('+')
            .ok_or(NoteError::MalformedVerifierKey("expected name+id+key"))?;
        check_key_name(name)?;
        let lowercase_hex = id_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if id_hex.len() != 8 || !lowercase_hex {
            return Err(NoteError::MalformedVerifierKey(
                "key ID must be 8 lowercase hex digits",
            ));
        }
        let claimed_id = u32::from_str_radix(id_hex, 16).map_err(|_| {
            NoteError::MalformedVerifierKey("key ID must be 8 lowercase hex digits")
        })?;
        let engine = &base64::engine::general_purpose::STANDARD;
        let key_bytes = engine
            .decode(key_base64)
            .map_err(|_| NoteError::MalformedVerifierKey("key is not standard base64"))?;
        if engine.encode(&key_bytes) != key_base64 {
            return Err(NoteError::MalformedVerifierKey(
                "key is not canonical base64",
            ));
        }
        let (&type_id, public) = key_bytes
            .split_first()
            .ok_or(NoteError::MalformedVerifierKey("key is empty"))?;
        let key_type = NoteKeyType::from_id(type_id)?;
        if public.len() != PUBLIC_KEY_LENGTH {
            return Err(NoteError::MalformedVerifierKey(
                "an Ed25519 key is 32 bytes",
            ));
        }
        let key = Self::new(name, key_type, PublicKey::from_slice(public)?)?;
        if key.key_id != claimed_id {
            return Err(NoteError::KeyIdMismatch);
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_type(&self) -> NoteKeyType {
        self.key_type
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }
}

impl fmt::Display for NoteVerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut typed = Vec::with_capacity(1 + PUBLIC_KEY_LENGTH);
        typed.push(self.key_type.id());
        typed.extend_from_slice(self.public_key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            base64::engine::general_purpose::STANDARD.encode(typed)
        )
    }
}

impl FromStr for NoteVerifierKey {
    type Err = NoteError;

    fn from_str(vkey: &str) -> Result<Self, NoteError> {
        Self::parse(vkey)
    }
}

/// Serialized as its vkey string, so trust files can hold the same text operators exchange.
impl Serialize for NoteVerifierKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NoteVerifierKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::SigningKey;

    /// Published keys, so the arithmetic is checked against somebody else's: Go's
    /// golang.org/x/mod/sumdb/note documentation example, the Go checksum database's key
    /// (pinned in every Go toolchain), and a C2SP witness (cosignature type 0x04).
    const PUBLISHED: [&str; 3] = [
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    ];

    #[test]
    fn published_keys_parse_and_print_back() {
        for vkey in PUBLISHED {
            let key = NoteVerifierKey::parse(vkey).unwrap_or_else(|e| panic!("{vkey}: {e}"));
            assert_eq!(key.to_string(), vkey);
            assert_eq!(
                format!("{:08x}", key.key_id()),
                vkey.split('+').nth(1).unwrap()
            );
        }
        assert_eq!(
            NoteVerifierKey::parse(PUBLISHED[2]).unwrap().key_type(),
            NoteKeyType::CosignatureV1
        );
    }

    #[test]
    fn malformed_keys_are_rejected() {
        let cases: [(&str, NoteError); 9] = [
            (
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                NoteError::KeyIdMismatch,
            ),
            (
                "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                NoteError::MalformedVerifierKey("key ID must be 8 lowercase hex digits"),
            ),
            (
                "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                NoteError::InvalidKeyName("Peter Neumann".into()),
            ),
            (
                "PeterNeumann+c74f20a3",
                NoteError::MalformedVerifierKey("expected name+id+key"),
            ),
            (
                "PeterNeumann+c74f20a3+!!!!",
                NoteError::MalformedVerifierKey("key is not standard base64"),
            ),
            (
                "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
                NoteError::MalformedVerifierKey("key is not standard base64"),
            ),
            (
                // Type byte 0x65: a signature type Pactum does not support.
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                NoteError::UnsupportedKeyType(0x65),
            ),
            (
                "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                NoteError::InvalidKeyName(String::new()),
            ),
            (
                "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                NoteError::MalformedVerifierKey("key ID must be 8 lowercase hex digits"),
            ),
        ];
        for (vkey, error) in cases {
            assert_eq!(NoteVerifierKey::parse(vkey), Err(error), "{vkey}");
        }
        // A key of the right type with 31 bytes.
        assert_eq!(
            NoteVerifierKey::parse("x+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            Err(NoteError::MalformedVerifierKey(
                "an Ed25519 key is 32 bytes"
            ))
        );
    }

    #[test]
    fn the_same_key_has_distinct_ids_per_type_and_name() {
        let public = SigningKey::from_seed([1; 32]).public_key();
        let log = NoteVerifierKey::log("example.com/log", public).unwrap();
        let witness = NoteVerifierKey::witness("example.com/log", public).unwrap();
        let renamed = NoteVerifierKey::log("example.com/log2", public).unwrap();
        assert_ne!(log.key_id(), witness.key_id());
        assert_ne!(log.key_id(), renamed.key_id());
        for key in [log, witness, renamed] {
            assert_eq!(NoteVerifierKey::parse(&key.to_string()), Ok(key.clone()));
            let json = serde_json::to_string(&key).unwrap();
            assert_eq!(json, format!("\"{key}\""));
            assert_eq!(serde_json::from_str::<NoteVerifierKey>(&json).unwrap(), key);
        }
        assert!(serde_json::from_str::<NoteVerifierKey>("\"nope\"").is_err());
    }
}
