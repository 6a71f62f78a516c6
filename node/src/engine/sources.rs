//! From the operator's JSON to the protocol's typed objects: clause sources (the embedded
//! library or inline text), the contract of a proposal, and events.
//!
//! Values are written as in the clause library's scenario files (`"20000.00 EUR"`, `"42d"`,
//! `"sea"`, `"2026-03-01T00:00:00Z"`, booleans, integers, lists) and typed against the
//! vocabulary, so the JSON API, the scenario files and the clause text share one notation.

use std::collections::BTreeMap;

use contract_lang::{
    ir::Program,
    scenario::from_toml,
    value::{Type, Value},
};
use verifier::{
    bundle::{format::sources_hash, Source},
    model::{AttesterGrant, BreakerPolicy, ClauseBinding, Contract, Digest, Event, OrderId},
    sign::PublicKey,
};

use crate::{
    api::{ApiError, ClauseRequest, Code, EventRequest, ProposeOrder},
    config::parse_public_key,
};

/// The sources a proposal binds: the library's vocabulary, then each clause's file (the
/// library's, or the inline source given).
pub fn proposal_sources(clauses: &[ClauseRequest]) -> Result<Vec<Source>, ApiError> {
    let mut sources = vec![Source {
        name: pactum_clause_library::VOCABULARY_FILE.to_string(),
        text: pactum_clause_library::VOCABULARY.to_string(),
    }];
    for clause in clauses {
        let source = clause_source(&clause.name, clause.source.as_deref())?;
        if sources.iter().any(|known| known.name == source.name) {
            return Err(ApiError::new(
                Code::DuplicateClause,
                format!("clause `{}` is listed twice", clause.name),
            ));
        }
        sources.push(source);
    }
    Ok(sources)
}

/// The source file of clause `name`: the text given (`inline/NAME.clause`), or else the
/// library's (`clauses/NAME.clause`).
pub fn clause_source(name: &str, source: Option<&str>) -> Result<Source, ApiError> {
    if let Some(text) = source {
        return Ok(Source {
            name: format!("inline/{name}.clause"),
            text: text.to_string(),
        });
    }
    let path = format!("clauses/{name}.clause");
    let text = pactum_clause_library::file(&path).ok_or_else(|| {
        ApiError::new(
            Code::UnknownClause,
            format!(
                "the clause library has no clause `{name}` (give its `source` to use your own)"
            ),
        )
    })?;
    Ok(Source {
        name: path,
        text: text.to_string(),
    })
}

/// A term's value, typed by the vocabulary.
pub fn typed_term(
    name: &str,
    value: &serde_json::Value,
    program: &Program,
) -> Result<Value, String> {
    let ty = program
        .vocabulary
        .terms
        .get(name)
        .ok_or_else(|| format!("no term `{name}` is declared in the vocabulary"))?;
    typed(value, ty, program).map_err(|error| format!("term `{name}`: {error}"))
}

/// Terms given by name (a review's), each typed by the vocabulary.
pub fn typed_terms(
    terms: &BTreeMap<String, serde_json::Value>,
    program: &Program,
) -> Result<BTreeMap<String, Value>, String> {
    terms
        .iter()
        .map(|(name, value)| Ok((name.clone(), typed_term(name, value, program)?)))
        .collect()
}

/// Parameters of clause `clause`, each typed by its declaration.
pub fn typed_params(
    clause: &str,
    params: &BTreeMap<String, serde_json::Value>,
    program: &Program,
) -> Result<BTreeMap<String, Value>, String> {
    let compiled = program
        .clause(clause)
        .ok_or_else(|| format!("the sources define no clause `{clause}`"))?;
    params
        .iter()
        .map(|(name, value)| {
            let param = compiled
                .ir
                .params
                .iter()
                .find(|param| param.name == *name)
                .ok_or_else(|| format!("clause `{clause}` has no param `{name}`"))?;
            let value = typed(value, &param.ty, program)
                .map_err(|error| format!("param `{clause}.{name}`: {error}"))?;
            Ok((name.clone(), value))
        })
        .collect()
}

/// Compiles sources, with the compiler's diagnostics as the error (the verifier's words, so a
/// node and a customer's verifier refuse a contract alike).
pub fn compile(sources: &[Source]) -> Result<Program, String> {
    verifier::state::rules::compile(sources).map_err(|error| match error {
        verifier::state::AgreementError::Compile(diagnostics) => diagnostics,
        other => other.to_string(),
    })
}

/// The hash a contract names for `sources`.
pub fn hash_sources(sources: &[Source]) -> Result<Digest, String> {
    sources_hash(sources).map_err(|error| error.to_string())
}

/// JSON to TOML, the notation the scenario value parser reads. Floats are refused: the language
/// has none (write decimals as strings).
pub fn json_to_toml(value: &serde_json::Value) -> Result<toml::Value, String> {
    Ok(match value {
        serde_json::Value::Null => return Err("null is not a value".into()),
        serde_json::Value::Bool(b) => toml::Value::Boolean(*b),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => {
                return Err(format!(
                    "{number} is not an integer (write decimals as strings, e.g. \"8.5\")"
                ))
            }
        },
        serde_json::Value::String(text) => toml::Value::String(text.clone()),
        serde_json::Value::Array(items) => toml::Value::Array(
            items
                .iter()
                .map(json_to_toml)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        serde_json::Value::Object(map) => {
            let mut table = toml::Table::new();
            for (key, value) in map {
                table.insert(key.clone(), json_to_toml(value)?);
            }
            toml::Value::Table(table)
        }
    })
}

/// Types a JSON value as `ty`: native JSON (money objects, ISO 8601 durations; see
/// `verifier::json`) or the scenario files' notation (`"5.00 EUR"`, `"42d"`).
pub fn typed(value: &serde_json::Value, ty: &Type, program: &Program) -> Result<Value, String> {
    let value = verifier::json::native_input(value, ty);
    from_toml(&json_to_toml(&value)?, ty, &program.vocabulary)
}

/// Parses an RFC 3339 UTC time into Unix seconds.
pub fn parse_time(text: &str, program: &Program) -> Result<i64, String> {
    match typed(
        &serde_json::Value::String(text.into()),
        &Type::Timestamp,
        program,
    )? {
        Value::Timestamp(seconds) => Ok(seconds),
        _ => Err(format!("{text:?} is not a time")),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::InvalidContract, message)
}

/// Event kinds matching `pattern`: a kind, or a prefix ending in `*` (`shipment.*`).
fn expand_kinds(pattern: &str, program: &Program) -> Result<Vec<String>, ApiError> {
    let kinds: Vec<String> = match pattern.strip_suffix('*') {
        Some(prefix) => program
            .vocabulary
            .events
            .keys()
            .filter(|kind| kind.starts_with(prefix))
            .cloned()
            .collect(),
        None if program.vocabulary.events.contains_key(pattern) => vec![pattern.to_string()],
        None => Vec::new(),
    };
    if kinds.is_empty() {
        return Err(invalid(format!(
            "attester kinds: `{pattern}` matches no event kind of the vocabulary"
        )));
    }
    Ok(kinds)
}

/// The contract a proposal describes, checked against the compiled `program` (terms, params,
/// event kinds); sources hash and clause ids are filled in.
pub fn build_contract(
    request: &ProposeOrder,
    sources: &[Source],
    program: &Program,
    me: (&str, PublicKey),
    peers: &[(String, PublicKey)],
) -> Result<Contract, ApiError> {
    let parties: BTreeMap<String, PublicKey> = match &request.parties {
        Some(given) => given
            .iter()
            .map(|(role, key)| {
                parse_public_key(key)
                    .map(|key| (role.clone(), key))
                    .map_err(|error| invalid(format!("party `{role}`: {error}")))
            })
            .collect::<Result<_, _>>()?,
        None => {
            // Without `parties`, the configured peers are the parties: one per role.
            let mut parties = BTreeMap::from([(me.0.to_string(), me.1)]);
            for (role, key) in peers {
                if parties
                    .insert(role.clone(), *key)
                    .is_some_and(|known| known != *key)
                {
                    return Err(invalid(format!(
                        "several configured peers have the role `{role}`: name the order's parties in `parties`"
                    )));
                }
            }
            parties
        }
    };
    if parties.get(me.0) != Some(&me.1) {
        return Err(invalid(format!(
            "this node's party `{}` with its key must be one of the parties",
            me.0
        )));
    }
    let sequencer = request
        .sequencer
        .clone()
        .unwrap_or_else(|| me.0.to_string());
    let mut contract = Contract::new(request.order_ref.clone(), sequencer);
    contract.parties = parties;
    contract.jurisdiction = request.jurisdiction.clone();
    for (name, value) in &request.terms {
        let value = typed_term(name, value, program).map_err(invalid)?;
        contract.terms.insert(name.clone(), value);
    }
    contract.sources = hash_sources(sources).map_err(invalid)?;
    for clause in &request.clauses {
        let compiled = program
            .clause(&clause.name)
            .ok_or_else(|| invalid(format!("the sources define no clause `{}`", clause.name)))?;
        let params = typed_params(&clause.name, &clause.params, program).map_err(invalid)?;
        contract.clauses.push(ClauseBinding {
            name: clause.name.clone(),
            id: Digest(compiled.id.0),
            params,
            active: clause.active,
        });
    }
    contract.attesters = match &request.attesters {
        Some(grants) => grants
            .iter()
            .map(|grant| {
                let key = parse_public_key(&grant.key)
                    .map_err(|error| invalid(format!("attester `{}`: {error}", grant.name)))?;
                let mut kinds = Vec::new();
                for pattern in &grant.kinds {
                    for kind in expand_kinds(pattern, program)? {
                        if !kinds.contains(&kind) {
                            kinds.push(kind);
                        }
                    }
                }
                Ok(AttesterGrant {
                    name: grant.name.clone(),
                    key,
                    kinds,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        None => {
            let every_kind: Vec<String> = program.vocabulary.events.keys().cloned().collect();
            contract
                .parties
                .iter()
                .map(|(role, key)| AttesterGrant {
                    name: role.clone(),
                    key: *key,
                    kinds: every_kind.clone(),
                })
                .collect()
        }
    };
    contract.breaker = match request.breaker {
        Some(policy) => BreakerPolicy {
            max_automatic_amendments: policy.max_automatic_amendments,
            window_seconds: policy.window_seconds,
        },
        None => BreakerPolicy::default(),
    };
    contract.genesis_at = parse_time(&request.genesis_at, program)
        .map_err(|error| invalid(format!("genesis_at: {error}")))?;
    Ok(contract)
}

/// An event of `order` from its JSON description, typed against the vocabulary.
pub fn build_event(
    request: &EventRequest,
    order: OrderId,
    program: &Program,
) -> Result<Event, ApiError> {
    let bad = |message: String| ApiError::new(Code::InvalidEvent, message);
    let declared = program
        .vocabulary
        .events
        .get(&request.kind)
        .ok_or_else(|| {
            bad(format!(
                "no event kind `{}` is declared in the vocabulary",
                request.kind
            ))
        })?;
    let at = parse_time(&request.at, program).map_err(|error| bad(format!("at: {error}")))?;
    let mut fields = BTreeMap::new();
    for (name, value) in &request.fields {
        let ty = declared
            .get(name)
            .ok_or_else(|| bad(format!("event `{}` has no field `{name}`", request.kind)))?;
        let value =
            typed(value, ty, program).map_err(|error| bad(format!("field `{name}`: {error}")))?;
        fields.insert(name.clone(), value);
    }
    Ok(Event::new(order, request.kind.clone(), at, fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn library_program(clauses: &[&str]) -> (Vec<Source>, Program) {
        let requests: Vec<ClauseRequest> = clauses
            .iter()
            .map(|name| ClauseRequest {
                name: name.to_string(),
                source: None,
                params: BTreeMap::new(),
                active: true,
            })
            .collect();
        let sources = proposal_sources(&requests).unwrap();
        let program = compile(&sources).unwrap();
        (sources, program)
    }

    #[test]
    fn json_values_are_typed_by_the_vocabulary() {
        let (_, program) = library_program(&["air_freight_fallback"]);
        let mode = &program.vocabulary.terms["transport_mode"];
        assert_eq!(
            typed(&json!("sea"), mode, &program).unwrap().to_string(),
            "sea"
        );
        assert!(typed(&json!("boat"), mode, &program).is_err());
        assert!(typed(&json!(1.5), &Type::Decimal, &program)
            .unwrap_err()
            .contains("decimals"));
        assert!(typed(&json!(null), &Type::Int, &program).is_err());
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z", &program),
            Ok(1_767_225_600)
        );
        assert!(parse_time("yesterday", &program).is_err());
    }

    #[test]
    fn a_proposal_becomes_a_checked_contract() {
        let (sources, program) = library_program(&["air_freight_fallback", "force_majeure"]);
        let me = verifier::sign::SigningKey::from_seed([1; 32]).public_key();
        let buyer = verifier::sign::SigningKey::from_seed([2; 32]).public_key();
        let request: ProposeOrder = serde_json::from_value(json!({
            "order_ref": "PO-1",
            "jurisdiction": "CN",
            "terms": { "transport_mode": "sea", "delivery_due": "2026-03-01T00:00:00Z",
                       "price": "12000.00 EUR", "route_regions": ["Guangdong"],
                       "buyer_may_terminate": false },
            "clauses": [{ "name": "air_freight_fallback", "params": { "cap": "15000.00 EUR" } },
                        { "name": "force_majeure" }],
            "attesters": [{ "name": "buyer", "key": hex::encode(buyer.as_bytes()), "kinds": ["shipment.*"] }],
            "genesis_at": "2026-01-05T00:00:00Z"
        }))
        .unwrap();
        let contract = build_contract(
            &request,
            &sources,
            &program,
            ("seller", me),
            &[("buyer".into(), buyer)],
        )
        .unwrap();
        assert_eq!(contract.parties.len(), 2);
        assert_eq!(contract.sequencer, "seller");
        assert_eq!(
            contract.clauses[0].params["cap"].to_string(),
            "15000.00 EUR"
        );
        assert!(contract.attesters[0]
            .kinds
            .contains(&"shipment.delivered".to_string()));
        assert!(!contract.attesters[0]
            .kinds
            .contains(&"weather.alert".to_string()));

        let mut wrong = request.clone();
        wrong.terms.insert("transport_mode".into(), json!(3));
        let error = build_contract(&wrong, &sources, &program, ("seller", me), &[]).unwrap_err();
        assert!(error.message.contains("transport_mode"), "{error}");
        let mut wrong = request;
        wrong.clauses[0].params.insert("nope".into(), json!("1d"));
        let error = build_contract(&wrong, &sources, &program, ("seller", me), &[]).unwrap_err();
        assert!(error.message.contains("no param `nope`"), "{error}");
    }
}
