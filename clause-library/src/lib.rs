//! The standard Pactum clause library, embedded as source text.
//!
//! The files beside this crate (`vocabulary.clause`, `clauses/*.clause`, `scenarios/*.toml`) are
//! the library; this crate only embeds them with `include_str!` so that the authoring CLI and the
//! node run on these defaults without reading the file system. Names are paths relative to the
//! crate root, the same ones a scenario uses to refer to a clause file (relative to its own
//! directory, e.g. `../clauses/express_refund.clause` from `scenarios/`).

/// Path of the vocabulary relative to the crate root.
pub const VOCABULARY_FILE: &str = "vocabulary.clause";

/// The standard vocabulary: enums, order terms and event kinds.
pub const VOCABULARY: &str = include_str!("../vocabulary.clause");

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../", $path)))),*]
    };
}

/// Every clause file: `(path relative to the crate root, source)`.
pub const CLAUSES: &[(&str, &str)] = embed![
    "clauses/air_freight_fallback.clause",
    "clauses/late_delivery_penalty.clause",
    "clauses/force_majeure.clause",
    "clauses/express_refund.clause",
    "clauses/cold_chain_breach.clause",
    "clauses/price_reduction.clause",
    "clauses/partial_shipments.clause",
    "clauses/overweight_surcharge.clause",
];

/// Every scenario file: `(path relative to the crate root, TOML source)`.
pub const SCENARIOS: &[(&str, &str)] = embed![
    "scenarios/air_freight_fallback.toml",
    "scenarios/late_delivery_penalty.toml",
    "scenarios/force_majeure.toml",
    "scenarios/express_refund.toml",
    "scenarios/cold_chain_breach.toml",
    "scenarios/price_reduction.toml",
    "scenarios/partial_shipments.toml",
    "scenarios/overweight_surcharge.toml",
    "scenarios/combined.toml",
    "scenarios/missing_terms.toml",
];

/// Looks a library file up by its path relative to the crate root (`clauses/x.clause`,
/// `scenarios/x.toml` or `vocabulary.clause`). `./` and `dir/../` segments are resolved first.
pub fn file(path: &str) -> Option<&'static str> {
    let path = normalize(path);
    if path == VOCABULARY_FILE {
        return Some(VOCABULARY);
    }
    CLAUSES
        .iter()
        .chain(SCENARIOS.iter())
        .find(|(name, _)| *name == path)
        .map(|(_, source)| *source)
}

/// Resolves `.` and `..` segments lexically (`scenarios/../clauses/a.clause` → `clauses/a.clause`).
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clause_and_scenario_is_found_by_its_path() {
        for (path, source) in CLAUSES.iter().chain(SCENARIOS.iter()) {
            assert_eq!(file(path), Some(*source));
            assert!(!source.trim().is_empty(), "{path} is empty");
        }
        assert_eq!(file("vocabulary.clause"), Some(VOCABULARY));
    }

    #[test]
    fn scenario_relative_paths_resolve() {
        assert_eq!(
            normalize("scenarios/../clauses/express_refund.clause"),
            "clauses/express_refund.clause"
        );
        assert!(file("scenarios/../clauses/express_refund.clause").is_some());
        assert!(file("clauses/missing.clause").is_none());
    }
}
