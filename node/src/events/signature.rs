//! The `Pactum-Signature` header of webhook deliveries, as Stripe and GitHub sign theirs.
//!
//! `Pactum-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." ‖ body)>`. The
//! timestamp is inside what is signed, so a captured delivery replayed later fails a receiver
//! that refuses old timestamps ([`verify`]'s `tolerance_s`); the receiver de-duplicates
//! retries with the `Pactum-Delivery` header. `docs/webhooks.md` has the recipe in Python and
//! shell.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const HEADER: &str = "Pactum-Signature";

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Pactum-Signature header is not `t=<seconds>,v1=<hex>`")]
    Malformed,
    #[error("the signature does not match the body and the secret")]
    Mismatch,
    #[error("the signature's timestamp {t} is more than {tolerance_s} s away from now ({now})")]
    Stale { t: i64, now: i64, tolerance_s: i64 },
}

/// The header value for `body` sent at `t` (Unix seconds).
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

/// Checks a received header: a `v1` signature over `t` and `body` with `secret`, made within
/// `tolerance_s` seconds of `now`. Several `v1` values (a secret being rotated) are accepted
/// if any matches. The comparison takes the same time wherever the bytes differ.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_s: i64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => {
                candidates.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?)
            }
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.abs_diff(t) > tolerance_s.unsigned_abs() {
        return Err(SignatureError::Stale {
            t,
            now,
            tolerance_s,
        });
    }
    let matches = candidates
        .iter()
        .any(|candidate| keyed(secret, t, body).verify_slice(candidate).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn mac(secret: &[u8], t: i64, body: &[u8]) -> Vec<u8> {
    keyed(secret, t, body).finalize().into_bytes().to_vec()
}

fn keyed(secret: &[u8], t: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable_for_hmac(),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cold]
fn unreachable_for_hmac() -> HmacSha256 {
    // HMAC accepts every key length (RFC 2104 hashes long keys and pads short ones); this
    // branch exists only because the trait is shared with MACs that do not.
    HmacSha256::new(&Default::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_hmac_sha256() {
        // Computed independently with OpenSSL:
        //   printf '1733390000.{"id":"1"}' | openssl dgst -sha256 -hmac 'whsec_test'
        let header = sign(b"whsec_test", 1_733_390_000, br#"{"id":"1"}"#);
        assert_eq!(
            header,
            "t=1733390000,v1=f89c06699cc6a413ef1a088791126293ad2add73e2b3826c271d3a97d32af350"
        );
    }

    #[test]
    fn verification_refuses_tampering_other_secrets_and_old_timestamps() {
        let body = br#"{"kind":"entry"}"#;
        let header = sign(b"secret-one", 1_000, body);
        assert_eq!(verify(b"secret-one", &header, body, 1_100, 300), Ok(()));
        assert_eq!(
            verify(b"secret-one", &header, br#"{"kind":"entrY"}"#, 1_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"secret-two", &header, body, 1_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(b"secret-one", &header, body, 2_000, 300),
            Err(SignatureError::Stale { .. })
        ));
        // The timestamp is signed: moving it forward breaks the signature.
        let moved = header.replace("t=1000", "t=1900");
        assert_eq!(
            verify(b"secret-one", &moved, body, 1_900, 300),
            Err(SignatureError::Mismatch)
        );
        for bad in ["", "t=1000", "v1=00", "t=x,v1=00", "t=1000,v1=zz"] {
            assert_eq!(
                verify(b"secret-one", bad, body, 1_000, 300),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
        // During a secret rotation a receiver may see two v1 values.
        let other = sign(b"secret-two", 1_000, body);
        let both = format!("{header},{}", other.split(',').nth(1).unwrap_or_default());
        assert_eq!(verify(b"secret-two", &both, body, 1_000, 300), Ok(()));
    }
}
