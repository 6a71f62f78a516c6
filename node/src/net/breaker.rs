//! Per-peer circuit breaker for misbehaving network peers.
//!
//! Every malformed, oversized, stalled or otherwise failed message a peer sends is a *fault*.
//! Faults are counted in a sliding window; when a peer reaches the threshold inside the window
//! the breaker *trips*: the swarm task disconnects the peer and refuses its connections until the
//! ban expires. Each new trip doubles the ban (up to a cap); a peer that stays clean for
//! [`BreakerConfig::forgive_after`] starts again from the base ban. Peers that never fault are
//! never tracked, so a well-behaved peer cannot be affected.
//!
//! The breaker is plain data driven by the caller's clock (`now`), which keeps it deterministic
//! to test; the swarm task owns the only instance.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use libp2p::PeerId;

/// Tuning of the breaker.
#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    /// Faults inside [`Self::window`] that trip the breaker.
    pub threshold: u32,
    /// Faults older than this no longer count.
    pub window: Duration,
    /// Ban after the first trip.
    pub base_ban: Duration,
    /// Longest ban, however often the peer trips.
    pub max_ban: Duration,
    /// A peer whose last ban ended this long ago starts again from `base_ban`.
    pub forgive_after: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            threshold: 5,
            window: Duration::from_secs(60),
            base_ban: Duration::from_secs(30),
            max_ban: Duration::from_secs(3600),
            forgive_after: Duration::from_secs(6 * 3600),
        }
    }
}

/// What the caller must do after recording a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Below the threshold: answer with an error, keep the connection.
    Tolerated { faults: u32 },
    /// Disconnect the peer and refuse it for `ban`.
    Trip { ban: Duration },
    /// Already banned; the connection should not exist.
    AlreadyBanned,
}

#[derive(Debug, Clone)]
struct PeerRecord {
    /// Times of the faults still inside the window, oldest first.
    recent_faults: Vec<Instant>,
    /// How many times this peer has tripped (doubles the ban).
    trips: u32,
    banned_until: Option<Instant>,
    last_ban_end: Option<Instant>,
}

/// A peer's state as shown to operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStanding {
    pub peer: PeerId,
    pub recent_faults: u32,
    pub trips: u32,
    /// Remaining ban, if banned.
    pub banned_for: Option<Duration>,
}

#[derive(Debug, Default)]
pub struct Breaker {
    config: BreakerConfig,
    peers: BTreeMap<PeerId, PeerRecord>,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            peers: BTreeMap::new(),
        }
    }

    /// Records one fault by `peer` at `now`.
    pub fn record_fault(&mut self, peer: PeerId, now: Instant) -> Verdict {
        let config = self.config;
        let record = self.peers.entry(peer).or_insert_with(|| PeerRecord {
            recent_faults: Vec::new(),
            trips: 0,
            banned_until: None,
            last_ban_end: None,
        });
        if record.banned_until.is_some_and(|until| until > now) {
            return Verdict::AlreadyBanned;
        }
        if record
            .last_ban_end
            .is_some_and(|end| now.saturating_duration_since(end) >= config.forgive_after)
        {
            record.trips = 0;
            record.last_ban_end = None;
        }
        record
            .recent_faults
            .retain(|at| now.saturating_duration_since(*at) < config.window);
        record.recent_faults.push(now);
        let faults = u32::try_from(record.recent_faults.len()).unwrap_or(u32::MAX);
        if faults < config.threshold.max(1) {
            return Verdict::Tolerated { faults };
        }
        let ban = ban_for(config, record.trips);
        record.trips = record.trips.saturating_add(1);
        record.recent_faults.clear();
        let until = now.checked_add(ban).unwrap_or(now);
        record.banned_until = Some(until);
        record.last_ban_end = Some(until);
        Verdict::Trip { ban }
    }

    pub fn is_banned(&self, peer: &PeerId, now: Instant) -> bool {
        self.peers
            .get(peer)
            .and_then(|record| record.banned_until)
            .is_some_and(|until| until > now)
    }

    /// Lifts expired bans, returning the peers to unblock. Forgets peers with nothing left to
    /// remember so the table stays as small as the set of recent offenders.
    pub fn expire(&mut self, now: Instant) -> Vec<PeerId> {
        let config = self.config;
        let mut lifted = Vec::new();
        self.peers.retain(|peer, record| {
            if record.banned_until.is_some_and(|until| until <= now) {
                record.banned_until = None;
                lifted.push(*peer);
            }
            record
                .recent_faults
                .retain(|at| now.saturating_duration_since(*at) < config.window);
            let forgiven = record
                .last_ban_end
                .is_none_or(|end| now.saturating_duration_since(end) >= config.forgive_after);
            !(record.banned_until.is_none() && record.recent_faults.is_empty() && forgiven)
        });
        lifted
    }

    /// Earliest moment a ban ends, so the owner knows when to call [`Self::expire`].
    pub fn next_expiry(&self) -> Option<Instant> {
        self.peers
            .values()
            .filter_map(|record| record.banned_until)
            .min()
    }

    pub fn standings(&self, now: Instant) -> Vec<PeerStanding> {
        self.peers
            .iter()
            .map(|(peer, record)| PeerStanding {
                peer: *peer,
                recent_faults: u32::try_from(
                    record
                        .recent_faults
                        .iter()
                        .filter(|at| now.saturating_duration_since(**at) < self.config.window)
                        .count(),
                )
                .unwrap_or(u32::MAX),
                trips: record.trips,
                banned_for: record
                    .banned_until
                    .filter(|until| *until > now)
                    .map(|until| until.saturating_duration_since(now)),
            })
            .collect()
    }
}

/// `base_ban * 2^trips`, capped at `max_ban`.
fn ban_for(config: BreakerConfig, trips: u32) -> Duration {
    let factor = 1u32.checked_shl(trips.min(31)).unwrap_or(u32::MAX);
    config
        .base_ban
        .checked_mul(factor)
        .unwrap_or(config.max_ban)
        .min(config.max_ban)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn config() -> BreakerConfig {
        BreakerConfig {
            threshold: 3,
            window: 10 * SEC,
            base_ban: 5 * SEC,
            max_ban: 18 * SEC,
            forgive_after: 100 * SEC,
        }
    }

    fn trip(breaker: &mut Breaker, peer: PeerId, at: Instant) -> Verdict {
        breaker.record_fault(peer, at);
        breaker.record_fault(peer, at);
        breaker.record_fault(peer, at)
    }

    #[test]
    fn trips_at_threshold_and_doubles_up_to_the_cap() {
        let mut breaker = Breaker::new(config());
        let peer = PeerId::random();
        let mut now = Instant::now();
        assert_eq!(
            breaker.record_fault(peer, now),
            Verdict::Tolerated { faults: 1 }
        );
        assert_eq!(
            breaker.record_fault(peer, now),
            Verdict::Tolerated { faults: 2 }
        );
        assert_eq!(
            breaker.record_fault(peer, now),
            Verdict::Trip { ban: 5 * SEC }
        );
        assert!(breaker.is_banned(&peer, now));
        assert_eq!(breaker.record_fault(peer, now), Verdict::AlreadyBanned);
        for expected in [10 * SEC, 18 * SEC, 18 * SEC] {
            now += 20 * SEC;
            assert_eq!(breaker.expire(now), vec![peer]);
            assert!(!breaker.is_banned(&peer, now));
            assert_eq!(
                trip(&mut breaker, peer, now),
                Verdict::Trip { ban: expected }
            );
        }
    }

    #[test]
    fn faults_outside_the_window_do_not_count() {
        let mut breaker = Breaker::new(config());
        let peer = PeerId::random();
        let start = Instant::now();
        breaker.record_fault(peer, start);
        breaker.record_fault(peer, start + SEC);
        assert_eq!(
            breaker.record_fault(peer, start + 12 * SEC),
            Verdict::Tolerated { faults: 1 }
        );
    }

    #[test]
    fn clean_peers_are_untouched_and_forgotten() {
        let mut breaker = Breaker::new(config());
        let good = PeerId::random();
        let bad = PeerId::random();
        let now = Instant::now();
        trip(&mut breaker, bad, now);
        assert!(!breaker.is_banned(&good, now));
        assert_eq!(breaker.next_expiry(), Some(now + 5 * SEC));
        assert_eq!(breaker.expire(now + 6 * SEC), vec![bad]);
        assert_eq!(breaker.standings(now + 6 * SEC).len(), 1);
        assert!(breaker.expire(now + 200 * SEC).is_empty());
        assert!(breaker.standings(now + 200 * SEC).is_empty());
    }

    #[test]
    fn forgiveness_resets_the_backoff() {
        let mut breaker = Breaker::new(config());
        let peer = PeerId::random();
        let now = Instant::now();
        trip(&mut breaker, peer, now);
        breaker.expire(now + 6 * SEC);
        assert_eq!(
            trip(&mut breaker, peer, now + 6 * SEC),
            Verdict::Trip { ban: 10 * SEC }
        );
        let later = now + 300 * SEC;
        breaker.expire(later);
        assert_eq!(
            trip(&mut breaker, peer, later),
            Verdict::Trip { ban: 5 * SEC }
        );
    }
}
