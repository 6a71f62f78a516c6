//! GS1 EPCIS 2.0 capture documents (JSON / JSON-LD) to facts.
//!
//! Read: `type` (`EPCISDocument`), `epcisBody.eventList`; per event its `type` (the mapping's
//! `types`), `bizStep` (bare CBV value, `urn:epcglobal:cbv:bizstep:…` or
//! `https://ref.gs1.org/cbv/BizStep-…`), `eventTime` with `eventTimeZoneOffset`, the
//! `bizTransactionList` entry naming the order, and whatever paths the rule's fields name
//! (`readPoint.id`, `bizLocation.id`, extension fields such as `tms:estimatedArrival`).

use serde_json::Value;

use super::{fields_of, time, IngestError, MappedFact, Mapping, Route};
use crate::api::EventRequest;

pub fn map(
    document: &[u8],
    mapping: &Mapping,
    order_given: bool,
) -> Result<Vec<MappedFact>, IngestError> {
    let root: Value = serde_json::from_slice(document)
        .map_err(|error| IngestError::document(format!("not JSON: {error}")))?;
    match root.get("type") {
        Some(Value::String(kind)) if kind == "EPCISDocument" => {}
        Some(other) => {
            return Err(IngestError::at(
                "type",
                format!("{other} is not \"EPCISDocument\" (a capture document)"),
            ))
        }
        None => {
            return Err(IngestError::at(
                "type",
                "missing: expected \"EPCISDocument\"",
            ))
        }
    }
    let events = root
        .get("epcisBody")
        .and_then(|body| body.get("eventList"))
        .ok_or_else(|| IngestError::at("epcisBody.eventList", "missing"))?
        .as_array()
        .ok_or_else(|| IngestError::at("epcisBody.eventList", "not a list"))?;
    if events.len() > mapping.max_facts {
        return Err(IngestError::at(
            "epcisBody.eventList",
            format!(
                "{} events; the mapping allows at most {} (max_facts)",
                events.len(),
                mapping.max_facts
            ),
        ));
    }
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let path = format!("epcisBody.eventList[{index}]");
            map_event(event, &path, index, mapping, order_given)
        })
        .collect()
}

fn map_event(
    event: &Value,
    path: &str,
    group: usize,
    mapping: &Mapping,
    order_given: bool,
) -> Result<MappedFact, IngestError> {
    let at = |field: &str| format!("{path}.{field}");
    if !event.is_object() {
        return Err(IngestError::at(path, "not an event object"));
    }
    let event_type = string(event, "type", &at("type"))?;
    if !mapping.epcis.types.iter().any(|known| known == event_type) {
        return Err(IngestError::at(
            at("type"),
            format!(
                "{event_type:?} is not read (the mapping reads {})",
                mapping.epcis.types.join(", ")
            ),
        ));
    }
    let step = cbv_value(
        string(event, "bizStep", &at("bizStep"))?,
        "bizstep",
        "BizStep",
    );
    let rule = mapping
        .epcis
        .rules
        .iter()
        .find(|rule| rule.biz_step == step)
        .ok_or_else(|| {
            let known: Vec<&str> = mapping
                .epcis
                .rules
                .iter()
                .map(|rule| rule.biz_step.as_str())
                .collect();
            IngestError::at(
                at("bizStep"),
                format!(
                    "{step:?} has no rule in the mapping (mapped: {})",
                    known.join(", ")
                ),
            )
        })?;
    let time_zone = string(event, "eventTimeZoneOffset", &at("eventTimeZoneOffset"))?;
    time::check_offset(time_zone)
        .map_err(|message| IngestError::at(at("eventTimeZoneOffset"), message))?;
    let event_time = string(event, "eventTime", &at("eventTime"))?;
    let event_time =
        time::utc(event_time).map_err(|message| IngestError::at(at("eventTime"), message))?;
    let route = if order_given {
        Route::Given
    } else {
        order_route(event, path, &mapping.epcis.order_transaction)?
    };
    let fields = fields_of(&rule.fields, mapping, |source| {
        let full = at(source);
        let value = lookup(event, source)
            .ok_or_else(|| IngestError::at(&full, "missing (the mapping reads it)"))?;
        Ok((value.clone(), full))
    })?;
    Ok(MappedFact {
        path: path.to_string(),
        group,
        route,
        event: EventRequest {
            kind: rule.kind.clone(),
            at: event_time,
            fields,
        },
    })
}

/// The string at `key` of `object`, or an error at `path`.
fn string<'a>(object: &'a Value, key: &str, path: &str) -> Result<&'a str, IngestError> {
    match object.get(key) {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(IngestError::at(path, format!("{other} is not a string"))),
        None => Err(IngestError::at(path, "missing")),
    }
}

/// The value at a dotted path (`readPoint.id`); keys may hold `:` (`tms:estimatedArrival`).
fn lookup<'a>(event: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(event, |value, key| value.get(key))
}

/// A CBV vocabulary value in its bare form: `departing` from `departing`,
/// `urn:epcglobal:cbv:bizstep:departing` or `https://ref.gs1.org/cbv/BizStep-departing`.
fn cbv_value<'a>(text: &'a str, urn_part: &str, web_prefix: &str) -> &'a str {
    let urn = format!("urn:epcglobal:cbv:{urn_part}:");
    let web = format!("https://ref.gs1.org/cbv/{web_prefix}-");
    text.strip_prefix(urn.as_str())
        .or_else(|| text.strip_prefix(web.as_str()))
        .unwrap_or(text)
}

/// The order named by the event's business transaction of type `wanted`.
fn order_route(event: &Value, path: &str, wanted: &str) -> Result<Route, IngestError> {
    let list_path = format!("{path}.bizTransactionList");
    let missing = || {
        IngestError::at(
            &list_path,
            format!("no business transaction of type {wanted:?} names the order (or give ?order=)"),
        )
    };
    let list = match event.get("bizTransactionList") {
        Some(Value::Array(list)) => list,
        Some(_) => return Err(IngestError::at(&list_path, "not a list")),
        None => return Err(missing()),
    };
    for (index, transaction) in list.iter().enumerate() {
        let entry = format!("{list_path}[{index}]");
        let kind = string(transaction, "type", &format!("{entry}.type"))?;
        if cbv_value(kind, "btt", "BTT") != wanted {
            continue;
        }
        let id_path = format!("{entry}.bizTransaction");
        let id = string(transaction, "bizTransaction", &id_path)?;
        let reference = id.rsplit([':', '/']).next().unwrap_or(id);
        if reference.is_empty() {
            return Err(IngestError::at(
                id_path,
                format!("{id:?} names no reference"),
            ));
        }
        return Ok(Route::Reference {
            reference: reference.to_string(),
            path: id_path,
        });
    }
    Err(missing())
}
