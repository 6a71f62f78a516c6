//! Readable history: the timeline of a verified order in English, Chinese or German.

use crate::model::Outcome;

/// A one-line English summary of an outcome, for error messages.
pub fn outcome_summary(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Applied(effects) => format!(
            "applied {} amendment(s), {} activation(s), {} obligation(s), {} notification(s)",
            effects.amendments.len(),
            effects.activations.len(),
            effects.obligations.len(),
            effects.notifications.len()
        ),
        Outcome::BreakerTripped { held, .. } => format!(
            "breaker tripped, {} amendment(s) held",
            held.amendments.len() + held.activations.len()
        ),
        Outcome::ToReview { reasons } => format!("handed to review ({} reason(s))", reasons.len()),
        Outcome::Paused => "recorded while paused".to_string(),
    }
}
