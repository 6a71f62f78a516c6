//! When a failed delivery is tried again: a pure function of the attempt number, the time
//! of the failure and a seed, so the schedule is unit-tested without waiting.
//!
//! Exponential backoff with "full jitter" (a random point in `[base·2ⁿ / 2, base·2ⁿ]`, capped):
//! many webhooks failing at once (a receiver restarting) do not all come back at the same
//! instant, and a receiver that is down long is asked at most once per [`MAX_DELAY_MS`].

use sha2::{Digest as _, Sha256};

/// The delay before the second attempt, before jitter.
pub const BASE_DELAY_MS: u64 = 1_000;
/// The longest wait between two attempts (one hour).
pub const MAX_DELAY_MS: u64 = 3_600_000;

/// When (Unix milliseconds) to make attempt `failed_attempts + 1`, after `failed_attempts`
/// failures, the last at `failed_at_ms`. `seed` picks the jitter: the same seed gives the
/// same schedule (the delivery task seeds it with the delivery id).
pub fn next_attempt_at(failed_attempts: u32, failed_at_ms: u64, seed: &[u8]) -> u64 {
    failed_at_ms.saturating_add(delay_ms(failed_attempts, seed))
}

/// The wait after `failed_attempts` failures (≥ 1), jitter included.
pub fn delay_ms(failed_attempts: u32, seed: &[u8]) -> u64 {
    let doublings = failed_attempts.saturating_sub(1).min(32);
    let ceiling = BASE_DELAY_MS
        .checked_shl(doublings)
        .unwrap_or(MAX_DELAY_MS)
        .min(MAX_DELAY_MS);
    let floor = ceiling / 2;
    let span = ceiling - floor;
    floor + jitter(failed_attempts, seed) % span.saturating_add(1)
}

/// A number derived from the seed and the attempt: deterministic, spread evenly.
fn jitter(attempt: u32, seed: &[u8]) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed)
        .chain_update(attempt.to_be_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_their_jitter_band_up_to_the_cap() {
        for attempt in 1..=40u32 {
            let ceiling = (BASE_DELAY_MS << (attempt - 1).min(32)).min(MAX_DELAY_MS);
            for seed in 0..50u8 {
                let delay = delay_ms(attempt, &[seed]);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "attempt {attempt}: {delay} outside [{}, {ceiling}]",
                    ceiling / 2
                );
            }
        }
        // The first retry comes within a second, the cap is an hour.
        assert!(delay_ms(1, b"x") <= 1_000);
        assert!(delay_ms(u32::MAX, b"x") <= MAX_DELAY_MS);
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule_and_seeds_spread() {
        let schedule = |seed: &[u8]| (1..10).map(|n| delay_ms(n, seed)).collect::<Vec<_>>();
        assert_eq!(schedule(b"delivery-1"), schedule(b"delivery-1"));
        // Deliveries failing together come back at different times.
        let retries: std::collections::BTreeSet<u64> =
            (0..100u32).map(|n| delay_ms(6, &n.to_be_bytes())).collect();
        assert!(retries.len() > 90, "{} distinct delays", retries.len());
    }

    #[test]
    fn the_next_attempt_is_after_the_failure_and_never_overflows() {
        assert!(next_attempt_at(3, 1_000_000, b"s") > 1_000_000);
        assert_eq!(next_attempt_at(3, u64::MAX, b"s"), u64::MAX);
        assert_eq!(delay_ms(0, b"s"), delay_ms(0, b"s"));
    }
}
