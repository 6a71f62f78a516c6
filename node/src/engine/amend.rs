//! From an operator's agreement request to the changes every party signs: files added or
//! replaced (the library's clause, or the source given), clause ids compiled from them, values
//! typed against the vocabulary and the clauses' parameters. Every party's node makes the same
//! bytes from the same request and the same order.

use std::sync::Arc;

use contract_lang::ir::Program;
use verifier::{
    bundle::Source,
    model::{Change, ClauseBinding, Digest},
    state::Rules,
};

use super::sources::{clause_source, typed_params, typed_term};
use crate::api::{ApiError, Code, SubmitAgreement};

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::InvalidAgreement, message)
}

/// The changes `request` makes to an order under `rules`: source files first, then clauses
/// added, upgraded and removed, parameters bound, terms set. New sources take their program
/// from `program` (the node's programs: the state machine applying the agreement later finds
/// it cached instead of compiling it again).
pub fn changes(
    request: &SubmitAgreement,
    rules: &Rules,
    program: impl Fn(&[Source]) -> Result<Arc<Program>, String>,
) -> Result<Vec<Change>, ApiError> {
    let mut sources: Vec<Source> = rules.sources().to_vec();
    let mut changes = Vec::new();
    let mut put = |file: Source, changes: &mut Vec<Change>| {
        changes.push(Change::Source {
            name: file.name.clone(),
            text: file.text.clone(),
        });
        match sources.iter_mut().find(|known| known.name == file.name) {
            Some(known) => *known = file,
            None => sources.push(file),
        }
    };
    for clause in &request.add_clauses {
        put(
            clause_source(&clause.name, clause.source.as_deref())?,
            &mut changes,
        );
    }
    for upgrade in &request.upgrade_clauses {
        let mut file = clause_source(&upgrade.name, upgrade.source.as_deref())?;
        // The new version replaces the file the clause came from, whatever its name.
        if let Some(existing) = rules.sources().iter().find(|source| {
            source.name == format!("clauses/{}.clause", upgrade.name)
                || source.name == format!("inline/{}.clause", upgrade.name)
        }) {
            file.name = existing.name.clone();
        }
        put(file, &mut changes);
    }
    let program = if changes.is_empty() {
        rules.shared_program()
    } else {
        program(&sources).map_err(invalid)?
    };
    for clause in &request.add_clauses {
        changes.push(Change::AddClause(ClauseBinding {
            name: clause.name.clone(),
            id: clause_id(&program, &clause.name)?,
            params: typed_params(&clause.name, &clause.params, &program).map_err(invalid)?,
            active: clause.active,
        }));
    }
    for upgrade in &request.upgrade_clauses {
        changes.push(Change::UpgradeClause {
            clause: upgrade.name.clone(),
            id: clause_id(&program, &upgrade.name)?,
        });
    }
    for clause in &request.remove_clauses {
        changes.push(Change::RemoveClause {
            clause: clause.clone(),
        });
    }
    for (clause, params) in &request.params {
        for (param, value) in typed_params(clause, params, &program).map_err(invalid)? {
            changes.push(Change::BindParam {
                clause: clause.clone(),
                param,
                value,
            });
        }
    }
    for (term, value) in &request.terms {
        changes.push(Change::SetTerm {
            term: term.clone(),
            value: typed_term(term, value, &program).map_err(invalid)?,
        });
    }
    if changes.is_empty() {
        return Err(invalid(
            "the agreement changes nothing: give terms, params, add_clauses, upgrade_clauses or remove_clauses",
        ));
    }
    Ok(changes)
}

fn clause_id(program: &Program, name: &str) -> Result<Digest, ApiError> {
    program
        .clause(name)
        .map(|clause| Digest(clause.id.0))
        .ok_or_else(|| invalid(format!("the sources define no clause `{name}`")))
}
