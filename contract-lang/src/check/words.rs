//! Word labels: the top-level `label` items through which a vocabulary names its terms, event
//! kinds (as a noun, and as what happens), fields, boolean fields and terms as statements,
//! parties, enum variants and attesters in each language
//! (`label term incoterm en "the Incoterm" zh "贸易术语" de "die Lieferklausel"`).
//!
//! They are gathered into [`crate::vocab::WordLabels`] under the rendering glossary's keys, so
//! a rendering looks a word up in the vocabulary's labels first and in the built-in glossary
//! after. Each label must name a declared word (E0433) and give each language once (E0413).
//! Attesters are granted by contracts, not declared by the vocabulary: an attester label
//! (`label attester "weather-service" …`) may name any attester that is not a party role (a
//! party is labelled as a `party`).

use super::{codes, ProgramChecker, PARTY_ENUM};
use crate::ast::{Item, Label, LabelTarget, Path};
use crate::span::{Diagnostic, Span};
use crate::vocab::EVENT_TIME_FIELD;
use codes::did_you_mean;
use std::collections::BTreeMap;

/// What a word label may name: its category as written, and the glossary's key prefix.
const CATEGORIES: [(&str, &str); 8] = [
    ("term", "term"),
    ("event", "noun"),
    // An event kind as what happens, the verb phrase a rule starts with ("the goods are
    // weighed"), where `event` is the noun ("weighing").
    ("occurrence", "kind"),
    // A boolean field or term as the statement it makes when true ("the accessories are
    // complete"), where `field`/`term` is its noun.
    ("statement", "stmt"),
    ("field", "field"),
    ("party", "party"),
    ("variant", "variant"),
    // Read by the parser with its name in quotes (`label attester "weather-service" …`).
    ("attester", "attester"),
];

impl ProgramChecker<'_> {
    /// Checks every top-level `label` item against the vocabulary collected so far and
    /// stores the labels in it.
    pub(super) fn collect_word_labels(&mut self) {
        let mut origins: BTreeMap<(String, String), (usize, Span)> = BTreeMap::new();
        for (file, item) in self.items() {
            let Item::Label(label) = item else { continue };
            if let LabelTarget::Attester(name) = &label.target {
                if self.labellable_attester(file, name) {
                    let key = format!("attester:{}", name.node);
                    self.store_word_label(file, &key, label, &mut origins);
                }
                continue;
            }
            let LabelTarget::Word { category, name } = &label.target else {
                continue;
            };
            let Some(prefix) = self.word_prefix(file, &category.node, category.span) else {
                continue;
            };
            let Some(word) = self.declared_word(file, &category.node, name) else {
                continue;
            };
            let key = format!("{prefix}:{word}");
            self.store_word_label(file, &key, label, &mut origins);
        }
    }

    /// Whether `name` can be an attester's label: some text without control characters (the
    /// name as a contract grants it), and not a party role, which `label party` names (E0433
    /// otherwise).
    fn labellable_attester(&mut self, file: usize, name: &crate::span::Spanned<String>) -> bool {
        let is_party = self
            .vocabulary
            .enums
            .get(PARTY_ENUM)
            .is_some_and(|roles| roles.contains(&name.node));
        let problem = if name.node.trim().is_empty() || name.node.chars().any(char::is_control) {
            (
                "is not a name",
                "write the attester's name as the contract grants it, such as `weather-service`"
                    .to_string(),
            )
        } else if is_party {
            (
                "is a party role",
                format!(
                    "a party that attests is named as a party: write `label party {} …`",
                    name.node
                ),
            )
        } else {
            return true;
        };
        let shown = crate::untrusted::escape(&name.node);
        self.report(
            file,
            Diagnostic::error(
                codes::UNKNOWN_LABEL,
                format!("the attester `{shown}` {}", problem.0),
                name.span,
                "not an attester to label",
            )
            .with_help(problem.1),
        );
        false
    }

    fn store_word_label(
        &mut self,
        file: usize,
        key: &str,
        label: &Label,
        origins: &mut BTreeMap<(String, String), (usize, Span)>,
    ) {
        for (lang, text) in &label.texts {
            let origin = (key.to_string(), lang.node.clone());
            // Twice in one file is a mistake; a later file (the contract's own clauses) may
            // reword what an earlier one (the library's vocabulary) says.
            let in_this_file = origins
                .get(&origin)
                .filter(|(first_file, _)| *first_file == file);
            if let Some(&(_, first)) = in_this_file {
                let diagnostic = Diagnostic::error(
                    codes::DUPLICATE,
                    format!("a label in language `{}` is given twice", lang.node),
                    lang.span,
                    "given again here",
                )
                .with_secondary(first, "first given here");
                self.report(file, diagnostic);
                continue;
            }
            origins.insert(origin, (file, lang.span));
            self.vocabulary
                .labels
                .0
                .entry(key.to_string())
                .or_default()
                .insert(lang.node.clone(), text.node.clone());
        }
    }

    fn word_prefix(&mut self, file: usize, category: &str, span: Span) -> Option<&'static str> {
        if let Some((_, prefix)) = CATEGORIES.iter().find(|(name, _)| *name == category) {
            return Some(prefix);
        }
        let help = did_you_mean(category, CATEGORIES.iter().map(|(name, _)| *name))
            .unwrap_or_else(|| {
                "a label at the top level names a `term`, an `event` kind (or its `occurrence`), a `field`, a boolean field or term as a `statement`, a `party`, an enum `variant` or an `attester`".to_string()
            });
        self.report(
            file,
            Diagnostic::error(
                codes::UNKNOWN_LABEL,
                format!("`{category}` is not something a label can name"),
                span,
                "not a kind of word",
            )
            .with_help(help),
        );
        None
    }

    /// The labelled word's name if the vocabulary declares it, else reports E0433.
    fn declared_word(&mut self, file: usize, category: &str, name: &Path) -> Option<String> {
        let dotted = name.dotted();
        let vocabulary = &self.vocabulary;
        let candidates: Vec<String> = match category {
            "term" => vocabulary.terms.keys().cloned().collect(),
            "event" | "occurrence" => vocabulary.events.keys().cloned().collect(),
            "statement" => vocabulary
                .events
                .values()
                .flat_map(|fields| fields.iter())
                .chain(vocabulary.terms.iter())
                .filter(|(_, ty)| **ty == crate::value::Type::Bool)
                .map(|(name, _)| name.clone())
                .collect(),
            "field" => vocabulary
                .events
                .values()
                .flat_map(|fields| fields.keys().cloned())
                .chain([EVENT_TIME_FIELD.to_string()])
                .collect(),
            "party" => vocabulary
                .enums
                .get(PARTY_ENUM)
                .cloned()
                .unwrap_or_default(),
            _ => vocabulary.enums.values().flatten().cloned().collect(),
        };
        if candidates.contains(&dotted) {
            return Some(dotted);
        }
        let what = match category {
            "term" => "term",
            "event" | "occurrence" => "event kind",
            "field" => "event field",
            "statement" => "boolean field or term",
            "party" => "party role",
            _ => "enum variant",
        };
        let help =
            did_you_mean(&dotted, candidates.iter().map(String::as_str)).unwrap_or_else(|| {
                format!("a `{category}` label names a {what} the vocabulary declares")
            });
        self.report(
            file,
            Diagnostic::error(
                codes::UNKNOWN_LABEL,
                format!("no {what} `{dotted}` to label"),
                name.span,
                "not declared in the vocabulary",
            )
            .with_help(help),
        );
        None
    }
}
