//! Finding things (integration, issue 13): the orders this node holds, filtered and paged;
//! an order's history a page at a time; the proposals this party is invited to, with their
//! clauses rendered as text so the operator reads what it signs. Reads only: nothing here
//! changes an order. Called from `api_impl.rs` (one delegation per [`NodeApi`] method).
//!
//! [`NodeApi`]: crate::api::NodeApi

use contract_lang::render::{render_clause_with, title, Glossary, Lang};
use serde_json::{json, Value};
use verifier::{
    json::{self as native, Directory},
    model::{Contract, Digest, OrderId},
    state::Status,
};

use super::{
    records::{self, OrderRecord},
    views::entry_view,
    Inner,
};
use crate::api::{ApiError, Code, HistoryQuery, OrderQuery};

/// Largest page of orders or entries.
pub const MAX_PAGE: usize = 500;
/// Page size when the caller gives none.
pub const DEFAULT_PAGE: usize = 50;

fn page_size(limit: Option<usize>) -> usize {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

pub(crate) fn state_name(status: &Status) -> &'static str {
    match status {
        Status::Running => "running",
        Status::Tripped { .. } => "breaker_tripped",
        Status::InReview { .. } => "in_review",
        Status::Closed { .. } => "closed",
    }
}

fn parse_lang(lang: Option<&str>) -> Result<Lang, ApiError> {
    match lang.unwrap_or("en") {
        "en" => Ok(Lang::En),
        "zh" => Ok(Lang::Zh),
        "de" => Ok(Lang::De),
        other => Err(ApiError::new(
            Code::InvalidLang,
            format!("lang {other:?} is not one of en, zh, de"),
        )),
    }
}

/// Whether `contract` names `party` as a role or by its key (hex).
fn has_party(contract: &Contract, party: &str) -> bool {
    contract
        .parties
        .iter()
        .any(|(role, key)| role == party || key.to_string().eq_ignore_ascii_case(party))
}

/// What a listing shows of an order and filters on.
struct Summary<'a> {
    contract: &'a Contract,
    state: &'static str,
    seq: u64,
    head: Digest,
    updated_at: i64,
}

impl Summary<'_> {
    fn matches(&self, query: &OrderQuery, since: Option<i64>) -> bool {
        query
            .reference
            .as_ref()
            .is_none_or(|reference| self.contract.order_ref == *reference)
            && query
                .state
                .as_ref()
                .is_none_or(|wanted| self.state == wanted)
            && query
                .party
                .as_ref()
                .is_none_or(|party| has_party(self.contract, party))
            && since.is_none_or(|since| self.updated_at >= since)
    }

    fn to_json(&self, id: OrderId) -> Value {
        json!({
            "order": id.to_string(),
            "order_ref": self.contract.order_ref,
            "state": self.state,
            "seq": self.seq,
            "head": self.head.to_string(),
            "sequencer": self.contract.sequencer,
            "parties": Directory::new(self.contract).parties(),
            "updated_at": native::timestamp(self.updated_at),
            "url": format!("/orders/{id}"),
        })
    }
}

impl Inner {
    /// `GET /orders`: the orders matching `query`, ordered by id, after `query.cursor`. Open
    /// orders come from memory; closed orders from the store (space `closed`), read and never
    /// loaded, so they are listed after a restart too.
    pub(crate) async fn list_orders(&self, query: OrderQuery) -> Result<Value, ApiError> {
        let since = match &query.updated_since {
            Some(text) => Some(parse_rfc3339(text, "updated_since")?),
            None => None,
        };
        let after = match &query.cursor {
            Some(cursor) => Some(Digest::from_hex(cursor).ok_or_else(|| {
                ApiError::new(Code::BadCursor, format!("cursor {cursor:?} is not 64 hex digits (use `next_cursor` from the previous page)"))
            })?),
            None => None,
        };
        let limit = page_size(query.limit);
        // Up to one more than a page from each source, merged by id.
        let mut found = self.closed_matching(&query, since, after, limit + 1)?;
        for (id, summary) in self.open_matching(&query, since, after, limit + 1).await {
            // An order closed since it was loaded is listed once, from the store.
            found.entry(id.0).or_insert(summary);
        }
        let more = found.len() > limit;
        let listed: Vec<(OrderId, Value)> = found
            .into_iter()
            .take(limit)
            .map(|(id, summary)| (Digest(id), summary))
            .collect();
        let next = if more {
            listed.last().map(|(id, _)| id.to_string())
        } else {
            None
        };
        Ok(json!({
            "orders": listed.into_iter().map(|(_, summary)| summary).collect::<Vec<_>>(),
            "next_cursor": next,
        }))
    }

    /// The first `wanted` open orders (in memory, not closed) after `after` matching `query`.
    async fn open_matching(
        &self,
        query: &OrderQuery,
        since: Option<i64>,
        after: Option<OrderId>,
        wanted: usize,
    ) -> Vec<(OrderId, Value)> {
        let mut slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| {
                orders
                    .iter()
                    .filter(|(id, _)| after.is_none_or(|after| id.0 > after.0))
                    .map(|(id, slot)| (*id, slot.clone()))
                    .collect()
            })
            .unwrap_or_default();
        slots.sort_by_key(|(id, _)| id.0);
        let mut found = Vec::new();
        for (id, slot) in slots {
            if found.len() == wanted {
                break;
            }
            let slot = slot.lock().await;
            let contract = slot.protocol.core().contract();
            let state = slot.protocol.core().state();
            if state.status.is_closed() {
                continue;
            }
            let summary = Summary {
                contract,
                state: state_name(&state.status),
                seq: state.seq,
                head: slot.head.entry,
                updated_at: state.high_water.max(contract.genesis_at),
            };
            if summary.matches(query, since) {
                found.push((id, summary.to_json(id)));
            }
        }
        found
    }

    /// The first `wanted` closed orders (in the store's space `closed`) after `after` matching
    /// `query`, by id. Read from the store: its record and last entry (the close).
    fn closed_matching(
        &self,
        query: &OrderQuery,
        since: Option<i64>,
        after: Option<OrderId>,
        wanted: usize,
    ) -> Result<std::collections::BTreeMap<[u8; 32], Value>, ApiError> {
        let mut found = std::collections::BTreeMap::new();
        if query
            .state
            .as_deref()
            .is_some_and(|state| state != "closed")
        {
            return Ok(found);
        }
        let internal = |e: String| ApiError::internal(e);
        let start = after.map_or([0u8; 32], |after| after.0);
        for item in self.store.scan_range(records::CLOSED, start) {
            if found.len() == wanted {
                break;
            }
            let (key, bytes) = item.map_err(|e| internal(e.to_string()))?;
            let id = order_key(&key).map_err(internal)?;
            if after == Some(id) {
                continue;
            }
            let record: OrderRecord =
                records::decode("order", &bytes).map_err(|e| internal(e.to_string()))?;
            let contract = record
                .contract
                .contract()
                .map_err(|e| internal(e.to_string()))?;
            let (_, bytes) = self
                .store
                .last_with_prefix(records::ENTRIES, id.as_bytes())
                .map_err(|e| internal(e.to_string()))?
                .ok_or_else(|| internal(format!("closed order {id} has no entries")))?;
            let last: records::EntryRecord =
                records::decode("entry", &bytes).map_err(|e| internal(e.to_string()))?;
            let body = last.entry.entry().map_err(|e| internal(e.to_string()))?;
            let summary = Summary {
                contract: &contract,
                state: "closed",
                seq: body.seq,
                head: last.entry.hash(),
                // The close's time: it is the order's last change.
                updated_at: body
                    .time(contract.genesis_at)
                    .map_err(|e| internal(e.to_string()))?,
            };
            if summary.matches(query, since) {
                found.insert(id.0, summary.to_json(id));
            }
        }
        Ok(found)
    }

    /// `GET /orders/{id}/history?after=&limit=`: entries after `after` (all from the genesis
    /// when absent), at most `limit`.
    pub(crate) async fn history_page(
        &self,
        order: OrderId,
        query: HistoryQuery,
    ) -> Result<Value, ApiError> {
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        let (head, contract) = {
            let slot = slot.lock().await;
            (slot.head.seq, slot.protocol.core().contract().clone())
        };
        let limit = page_size(query.limit);
        let first = query.after.map_or(0, |after| after.saturating_add(1));
        let mut entries = Vec::new();
        let mut seq = first;
        while seq <= head && entries.len() < limit {
            let stored = records::read_entry(&self.store, &order, seq)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            // An entry not flushed yet here (a cosigner's copy) ends the page.
            let Some(stored) = stored else { break };
            let body = stored
                .entry
                .entry()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            entries.push(entry_view(&contract, &stored, &body));
            seq += 1;
        }
        let next = (seq <= head && !entries.is_empty()).then(|| seq - 1);
        Ok(json!({
            "order": order.to_string(),
            "head": head,
            "entries": entries,
            "next_after": next,
        }))
    }

    /// `GET /proposals` and `GET /proposals/{id}`: contracts proposed to this party and not
    /// started, with every clause rendered in `lang`.
    pub(crate) fn proposal_views(
        &self,
        only: Option<OrderId>,
        lang: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let lang = parse_lang(lang)?;
        let mut records: Vec<_> = self
            .proposals
            .lock()
            .map(|proposals| {
                proposals
                    .iter()
                    .filter(|(id, _)| only.is_none_or(|only| **id == only))
                    .map(|(id, record)| (*id, record.clone()))
                    .collect()
            })
            .unwrap_or_default();
        records.sort_by_key(|(id, _)| id.0);
        let mut views = Vec::new();
        for (id, record) in records {
            let contract = record
                .contract
                .contract()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let Some(role) = self.my_role(&contract.parties) else {
                continue;
            };
            let program = self.program(&record.sources).map_err(ApiError::internal)?;
            let directory = Directory::new(&contract);
            let signed: Vec<String> = record.contract.signatures.keys().cloned().collect();
            let awaiting: Vec<String> = contract
                .parties
                .keys()
                .filter(|party| !signed.contains(party))
                .cloned()
                .collect();
            let clauses: Vec<Value> = contract
                .clauses
                .iter()
                .map(|binding| {
                    let compiled = program.clause(&binding.name);
                    json!({
                        "name": binding.name,
                        "id": binding.id.to_string(),
                        "active": binding.active,
                        "params": native::values(&binding.params),
                        "title": compiled.map(|c| title(&c.ir, lang)),
                        "text": compiled.map(|c| {
                            render_clause_with(&c.ir, &binding.params, lang, Glossary::of(&program))
                        }),
                    })
                })
                .collect();
            views.push(json!({
                "order": id.to_string(),
                "order_ref": contract.order_ref,
                "role": role,
                "jurisdiction": contract.jurisdiction,
                "sequencer": contract.sequencer,
                "parties": directory.parties(),
                "signed_by": signed,
                "awaiting": awaiting,
                "terms": native::values(&contract.terms),
                "clauses": clauses,
                "attesters": contract.attesters.iter().map(|grant| json!({
                    "name": grant.name,
                    "key": grant.key.to_string(),
                    "kinds": grant.kinds,
                })).collect::<Vec<_>>(),
                "breaker": {
                    "max_automatic_amendments": contract.breaker.max_automatic_amendments,
                    "window": native::duration(contract.breaker.window_seconds),
                },
                "genesis_at": native::timestamp(contract.genesis_at),
                "accept": format!("POST /orders/{id}/accept"),
            }));
        }
        Ok(views)
    }
}

/// An RFC 3339 time (`2026-03-01T00:00:00Z`, or with an offset) as Unix seconds.
fn parse_rfc3339(text: &str, field: &str) -> Result<i64, ApiError> {
    let invalid = |error: String| {
        ApiError::new(
            Code::InvalidTime,
            format!("`{field}`: {text:?} is not an RFC 3339 time: {error}"),
        )
    };
    match contract_lang::scenario::from_source(
        text,
        &contract_lang::value::Type::Timestamp,
        &contract_lang::vocab::Vocabulary::default(),
    )
    .map_err(invalid)?
    {
        contract_lang::value::Value::Timestamp(seconds) => Ok(seconds),
        other => Err(invalid(format!("{other} is not a time"))),
    }
}

/// The order id a `closed` space key names.
fn order_key(key: &[u8]) -> Result<OrderId, String> {
    <[u8; 32]>::try_from(key)
        .map(Digest)
        .map_err(|_| format!("a closed order key of {} bytes", key.len()))
}
