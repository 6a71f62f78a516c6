//! The compiler's entry point: source files in, a checked [`Program`] of compiled clauses out.
//!
//! [`compile_program`] parses every file, and only if none has a syntax error checks them
//! together (see [`crate::check`]). Each clause that checks becomes a [`CompiledClause`]: its
//! canonical IR (see [`crate::ir`]), its id (SHA-256 of the IR's canonical CBOR) and a side table
//! of spans. Because the IR holds no spans, comments or layout, and sorts whatever carries no
//! order, reformatting a clause or moving its params around never changes its id; any change of
//! what it means does.

use crate::check::{check_program, CheckFile, Uses};
use crate::ir::{
    ClauseId, ClauseIr, CompiledClause, EnumDef, IrError, ParamIr, PredicateIr, Program, RuleIr,
    SpanTable, IR_VERSION,
};
use crate::span::{Diagnostic, Span};
use crate::value::Type;
use crate::vocab::Vocabulary;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One source file handed to the compiler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInput {
    /// How diagnostics name the file (usually its path).
    pub name: String,
    pub text: String,
}

/// A diagnostic and the index of the file (in the input) it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiagnostic {
    pub file: usize,
    pub diagnostic: Diagnostic,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileResult {
    /// `None` if any file has any error (warnings do not prevent a program).
    pub program: Option<Program>,
    /// Syntax diagnostics of every file, or, if there were none, the checker's.
    pub diagnostics: Vec<FileDiagnostic>,
}

impl CompileResult {
    /// The program, or, if there is none, the diagnostics rendered for people against
    /// `sources` (the compiled files), as `pactum-clause test` and `diff` report them.
    pub fn or_rendered(self, sources: &[SourceInput]) -> Result<Program, String> {
        self.program
            .ok_or_else(|| crate::diagnostics::render_files(&self.diagnostics, sources))
    }
}

/// Parses and checks `sources` as one program.
pub fn compile_program(sources: &[SourceInput]) -> CompileResult {
    let parsed: Vec<_> = sources
        .iter()
        .map(|source| crate::syntax::parse(&source.text))
        .collect();
    let syntax_errors: Vec<FileDiagnostic> = parsed
        .iter()
        .enumerate()
        .flat_map(|(file, parsed)| {
            parsed
                .diagnostics
                .iter()
                .cloned()
                .map(move |diagnostic| FileDiagnostic { file, diagnostic })
        })
        .collect();
    if !syntax_errors.is_empty() {
        return CompileResult {
            program: None,
            diagnostics: syntax_errors,
        };
    }
    let files: Vec<CheckFile<'_>> = sources
        .iter()
        .zip(&parsed)
        .map(|(source, parsed)| CheckFile {
            name: &source.name,
            file: &parsed.file,
        })
        .collect();
    let (program, diagnostics) = check_program(&files);
    CompileResult {
        program,
        diagnostics,
    }
}

/// Everything the checker gathered about one clause, before it becomes canonical IR.
pub(crate) struct ClauseParts {
    pub name: String,
    pub titles: BTreeMap<String, String>,
    /// Sorted by name.
    pub params: Vec<ParamIr>,
    /// In any order; sorted here.
    pub predicates: Vec<PredicateIr>,
    pub rules: Vec<RuleIr>,
    pub labels: crate::ir::Labels,
    pub uses: Uses,
    /// Provisional site → span, as the checker numbered nodes.
    pub sites: Vec<Span>,
    pub clause_span: Span,
    pub rule_spans: Vec<Span>,
    pub action_spans: Vec<Vec<Span>>,
    pub file: usize,
}

/// Builds the canonical IR, renumbers sites canonically and computes the id.
pub(crate) fn assemble_clause(
    vocab: &Vocabulary,
    parts: ClauseParts,
) -> Result<CompiledClause, IrError> {
    let mut enum_names = parts.uses.enums.clone();
    let mut types: Vec<&Type> = parts.uses.terms.values().collect();
    types.extend(
        parts
            .uses
            .events
            .values()
            .flat_map(|fields| fields.values()),
    );
    types.extend(parts.params.iter().map(|param| &param.ty));
    for ty in types {
        collect_enums(ty, &mut enum_names);
    }
    let enums = enum_names
        .into_iter()
        .map(|name| EnumDef {
            variants: vocab.enums.get(&name).cloned().unwrap_or_default(),
            name,
        })
        .collect();
    let mut predicates = parts.predicates;
    predicates.sort_by(|a, b| a.name.cmp(&b.name));
    let mut ir = ClauseIr {
        version: IR_VERSION,
        name: parts.name.clone(),
        titles: parts.titles,
        enums,
        terms: parts.uses.terms,
        events: parts.uses.events,
        params: parts.params,
        predicates,
        rules: parts.rules,
        labels: parts.labels,
    };
    let old_of_new = ir.renumber_sites();
    let sites = old_of_new
        .iter()
        .map(|old| parts.sites.get(*old as usize).copied().unwrap_or_default())
        .collect();
    let id = ClauseId::of(&ir)?;
    Ok(CompiledClause {
        name: parts.name,
        id,
        ir,
        spans: SpanTable {
            clause: parts.clause_span,
            sites,
            rules: parts.rule_spans,
            actions: parts.action_spans,
        },
        file: parts.file,
    })
}

fn collect_enums(ty: &Type, into: &mut BTreeSet<String>) {
    match ty {
        Type::Enum(name) => {
            into.insert(name.clone());
        }
        Type::List(element) => collect_enums(element, into),
        Type::Record(fields) => fields.values().for_each(|field| collect_enums(field, into)),
        _ => {}
    }
}
