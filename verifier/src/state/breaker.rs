//! The evolution circuit breaker.
//!
//! Policy: at most `max_automatic_amendments` automatic amendments (entries whose effects set a
//! term or (de)activate a clause) within any window of `window_seconds` of *effective* time.
//! The event whose effects would be one too many is held, not applied, and the entry records a
//! [`BreakerReport`].
//!
//! Backdating rule. The breaker never measures an event at its own claimed time: an event's
//! effective time is `max(event.at, high-water mark)`, the high-water mark being the latest
//! effective time the order has seen (initially the contract's genesis time). Effective time
//! never decreases, so the window `(effective − window_seconds, effective]` of a backdated event
//! still holds every recent amendment: claiming an old event time cannot move an amendment out
//! of reach of the breaker. A backdated fact is still recorded and evaluated (late paperwork is
//! normal), but only becomes the order's `facts.KIND` if it is not older than the fact it would
//! replace.

use crate::model::{BreakerPolicy, BreakerReport, WindowAmendment};

/// The time the breaker measures an event at.
pub fn effective_time(event_at: i64, high_water: i64) -> i64 {
    event_at.max(high_water)
}

/// Start of the window ending at `effective_at` (exclusive).
pub fn window_start(policy: &BreakerPolicy, effective_at: i64) -> i64 {
    effective_at.saturating_sub(policy.window_seconds)
}

/// Drops the amendments that fell out of the window ending at `effective_at`.
pub fn prune(window: &mut Vec<WindowAmendment>, policy: &BreakerPolicy, effective_at: i64) {
    let start = window_start(policy, effective_at);
    window.retain(|amendment| amendment.effective_at > start);
}

/// Whether one more automatic amendment would exceed the policy, given a pruned window.
pub fn would_exceed(window: &[WindowAmendment], policy: &BreakerPolicy) -> bool {
    u64::try_from(window.len()).unwrap_or(u64::MAX) >= u64::from(policy.max_automatic_amendments)
}

/// The root-cause report for a trip at `effective_at` with the (pruned) `window`.
pub fn report(
    policy: &BreakerPolicy,
    effective_at: i64,
    window: &[WindowAmendment],
) -> BreakerReport {
    BreakerReport {
        policy: *policy,
        effective_at,
        window_start: window_start(policy, effective_at),
        in_window: window.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Digest;
    use std::collections::BTreeMap;

    fn amendment(effective_at: i64) -> WindowAmendment {
        WindowAmendment {
            seq: 1,
            effective_at,
            event_kind: "weather.alert".into(),
            event_at: effective_at,
            fields: BTreeMap::new(),
            attester: "met".into(),
            event: Digest::ZERO,
            amendments: Vec::new(),
            activations: Vec::new(),
        }
    }

    #[test]
    fn window_is_half_open_and_effective_time_never_goes_back() {
        let policy = BreakerPolicy::default();
        let day = policy.window_seconds;
        let mut window = vec![amendment(0), amendment(10), amendment(day)];
        prune(&mut window, &policy, day);
        // (0, day]: the amendment at exactly 0 is out, 10 and `day` are in.
        assert_eq!(window.len(), 2);
        assert_eq!(effective_time(5, 100), 100);
        assert_eq!(effective_time(500, 100), 500);
        assert!(!would_exceed(&window, &policy));
        window.push(amendment(day));
        assert!(would_exceed(&window, &policy));
        let zero = BreakerPolicy {
            max_automatic_amendments: 0,
            window_seconds: day,
        };
        assert!(would_exceed(&[], &zero));
        assert_eq!(window_start(&policy, i64::MIN), i64::MIN);
    }
}
