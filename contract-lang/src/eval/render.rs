//! Text renderings of outcomes: each effect in the language's own syntax
//! (`pay seller -> buyer 60.00 EUR`, `set terms.transport_mode = air`), the trace one rule per
//! line (`Display for Outcome`), and [`explain`], which also quotes the source of each reason.
//!
//! Rules are numbered from 1 in text (the first rule of a clause is "rule 1"); the data
//! ([`RuleRef::rule`]) counts from 0.

use super::{
    Activation, Amendment, Conflict, ConflictSubject, Failure, Notification, Outcome,
    ReviewRequest, RuleRef, RuleStatus, RuleTrace, Transfer,
};
use crate::compile::SourceInput;
use crate::ir::Program;
use crate::span::Span;
use crate::value::DisplayText;
use std::fmt::{self, Write as _};

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rule {}", self.clause, u64::from(self.rule) + 1)
    }
}

impl fmt::Display for Amendment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "set terms.{} = {}", self.term, self.value)
    }
}

impl fmt::Display for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} -> {} {}",
            self.kind.keyword(),
            self.from,
            self.to,
            self.amount
        )
    }
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "notify {} {}", self.party, DisplayText(&self.message))
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.active {
            "activate"
        } else {
            "deactivate"
        };
        write!(f, "{verb} {}", self.clause)
    }
}

impl fmt::Display for ReviewRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "review {}", DisplayText(&self.reason))
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            ConflictSubject::Term(term) => write!(f, "conflict on terms.{term}: ")?,
            ConflictSubject::Clause(clause) => write!(f, "conflict on clause {clause}: ")?,
        }
        for (i, write) in self.writes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match &self.subject {
                ConflictSubject::Term(_) => write!(f, "{} sets {}", write.source, write.value)?,
                ConflictSubject::Clause(_) => {
                    let verb = if write.value == crate::value::Value::Bool(true) {
                        "activates"
                    } else {
                        "deactivates"
                    };
                    write!(f, "{} {verb} it", write.source)?
                }
            }
        }
        f.write_str("; nothing applied")
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error in {}: {}", self.source, self.error)
    }
}

impl fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleStatus::Fired => f.write_str("fired"),
            RuleStatus::ConditionFalse { .. } => f.write_str("not fired: condition is false"),
            RuleStatus::MissingFact { kind, .. } => {
                write!(f, "not fired: no `{kind}` event has happened yet")
            }
            RuleStatus::MissingTerm { term, .. } => {
                write!(f, "not fired: term `{term}` is not set")
            }
            RuleStatus::Failed { error } => write!(f, "error: {error}"),
            RuleStatus::AlreadyFired => {
                f.write_str("not fired: a `once` rule that already fired for this order")
            }
            RuleStatus::AfterDeadline { deadline, .. } => write!(
                f,
                "not fired: exercised after the option's deadline {}",
                crate::value::DisplayTimestamp(*deadline)
            ),
        }
    }
}

impl RuleStatus {
    /// Where the reason for the status was written, if known.
    pub fn span(&self) -> Option<Span> {
        match self {
            RuleStatus::Fired | RuleStatus::AlreadyFired => None,
            RuleStatus::ConditionFalse { span, .. }
            | RuleStatus::AfterDeadline { span, .. }
            | RuleStatus::MissingFact { span, .. }
            | RuleStatus::MissingTerm { span, .. } => *span,
            RuleStatus::Failed { error } => error.span,
        }
    }
}

impl fmt::Display for RuleTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (on {}): {}", self.source, self.on, self.status)
    }
}

impl Outcome {
    /// Every applied effect of the rule, in the language's syntax.
    pub fn effects_of(&self, source: &RuleRef) -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(
            self.amendments
                .iter()
                .filter(|e| e.source == *source)
                .map(ToString::to_string),
        );
        lines.extend(
            self.transfers
                .iter()
                .filter(|e| e.source == *source)
                .map(ToString::to_string),
        );
        lines.extend(
            self.notifications
                .iter()
                .filter(|e| e.source == *source)
                .map(ToString::to_string),
        );
        lines.extend(
            self.activations
                .iter()
                .filter(|e| e.source == *source)
                .map(ToString::to_string),
        );
        lines.extend(
            self.reviews
                .iter()
                .filter(|e| e.source == *source)
                .map(ToString::to_string),
        );
        lines
    }

    /// Every applied effect, in the language's syntax, in outcome order.
    pub fn effect_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.amendments.iter().map(ToString::to_string).collect();
        lines.extend(self.transfers.iter().map(ToString::to_string));
        lines.extend(self.notifications.iter().map(ToString::to_string));
        lines.extend(self.activations.iter().map(ToString::to_string));
        lines.extend(self.reviews.iter().map(ToString::to_string));
        lines
    }

    fn write_text(&self, out: &mut String, quote: &dyn Fn(&RuleTrace, Span) -> Option<String>) {
        if self.trace.is_empty() {
            out.push_str("no rule listens to this event\n");
        }
        for entry in &self.trace {
            let _ = writeln!(out, "{entry}");
            if let Some(quoted) = entry.status.span().and_then(|span| quote(entry, span)) {
                let _ = writeln!(out, "    at {quoted}");
            }
            for line in self.effects_of(&entry.source) {
                let _ = writeln!(out, "    {line}");
            }
        }
        for conflict in &self.conflicts {
            let _ = writeln!(out, "{conflict}");
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_text(&mut out, &|_, span| {
            Some(format!("bytes {}..{}", span.start, span.end))
        });
        f.write_str(&out)
    }
}

/// The trace of `outcome` with each reason located and quoted from the clause sources:
/// `at air_freight.clause:24:8: event.at > terms.delivery_due`.
pub fn explain(outcome: &Outcome, program: &Program, sources: &[SourceInput]) -> String {
    let quote = |entry: &RuleTrace, span: Span| {
        let clause = program.clause(&entry.source.clause)?;
        let source = sources.get(clause.file)?;
        let text = source.text.get(span.range())?;
        let (line, column) = crate::diagnostics::line_col(&source.text, span.start);
        let snippet: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(format!("{}:{line}:{column}: {snippet}", source.name))
    };
    let mut out = String::new();
    outcome.write_text(&mut out, &quote);
    out
}
