//! OASIS CAP 1.2 alerts (XML) to facts: one fact per `<area>` of each `<info>` in the
//! mapping's language whose `<event>` has a rule.
//!
//! Checked: the root is `alert` in the CAP 1.2 namespace; `status`, `msgType`, `urgency` and
//! `certainty` are among the values the mapping accepts. The fact's time is the info's
//! `onset`, else its `effective`, else the alert's `sent`. Field sources name an `<info>`
//! child (`severity`), a named `parameter:NAME` or `eventCode:NAME`, an `<area>` child
//! (`area.areaDesc`), an area's `area.geocode:NAME`, or an `<alert>` child (`alert.sender`).
//! DTDs are refused and the element count is bounded.

use roxmltree::{Document, Node, ParsingOptions};
use serde_json::Value;

use super::{fields_of, time, IngestError, MappedFact, Mapping, Route};
use crate::api::EventRequest;

const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// CAP's language when `<language>` is absent.
const DEFAULT_LANGUAGE: &str = "en-US";

/// XML nodes read at most (elements, text, attributes…): far more than any real alert.
const MAX_XML_NODES: u32 = 100_000;

pub fn map(
    document: &[u8],
    mapping: &Mapping,
    order_given: bool,
) -> Result<Vec<MappedFact>, IngestError> {
    let text = std::str::from_utf8(document)
        .map_err(|error| IngestError::document(format!("not UTF-8: {error}")))?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..ParsingOptions::default()
    };
    let xml = Document::parse_with_options(text, options)
        .map_err(|error| IngestError::document(format!("not well-formed XML: {error}")))?;
    let alert = xml.root_element();
    if alert.tag_name().name() != "alert" || alert.tag_name().namespace() != Some(CAP_NAMESPACE) {
        return Err(IngestError::at(
            "alert",
            format!("the root element is not <alert> in the CAP 1.2 namespace {CAP_NAMESPACE}"),
        ));
    }
    let cap = &mapping.cap;
    accepted(alert, "status", "alert.status", &cap.statuses)?;
    refuse_cancel(alert)?;
    accepted(alert, "msgType", "alert.msgType", &cap.msg_types)?;
    let mut facts = Vec::new();
    let mut read_any = false;
    for (index, info) in children(alert, "info").enumerate() {
        let language = child_text(info, "language").unwrap_or(DEFAULT_LANGUAGE);
        if !language
            .to_ascii_lowercase()
            .starts_with(&cap.language.to_ascii_lowercase())
        {
            continue;
        }
        read_any = true;
        let path = format!("alert.info[{index}]");
        map_info(alert, info, &path, index, mapping, order_given, &mut facts)?;
    }
    if !read_any {
        return Err(IngestError::at(
            "alert.info",
            format!("no <info> in the mapping's language {:?}", cap.language),
        ));
    }
    Ok(facts)
}

fn map_info(
    alert: Node,
    info: Node,
    path: &str,
    group: usize,
    mapping: &Mapping,
    order_given: bool,
    facts: &mut Vec<MappedFact>,
) -> Result<(), IngestError> {
    let cap = &mapping.cap;
    let at = |field: &str| format!("{path}.{field}");
    let event = required(info, "event", &at("event"))?;
    let rule = cap
        .rules
        .iter()
        .find(|rule| rule.event.eq_ignore_ascii_case(event))
        .ok_or_else(|| {
            let known: Vec<&str> = cap.rules.iter().map(|rule| rule.event.as_str()).collect();
            IngestError::at(
                at("event"),
                format!(
                    "{event:?} has no rule in the mapping (mapped: {})",
                    known.join(", ")
                ),
            )
        })?;
    accepted(info, "urgency", &at("urgency"), &cap.urgencies)?;
    accepted(info, "certainty", &at("certainty"), &cap.certainties)?;
    let (time_path, time_text) = [("onset", info), ("effective", info), ("sent", alert)]
        .into_iter()
        .find_map(|(name, node)| {
            let owner = if name == "sent" {
                "alert".to_string()
            } else {
                path.to_string()
            };
            child_text(node, name).map(|text| (format!("{owner}.{name}"), text))
        })
        .ok_or_else(|| IngestError::at("alert.sent", "missing"))?;
    let event_time =
        time::utc(time_text).map_err(|message| IngestError::at(&time_path, message))?;
    let areas: Vec<Node> = children(info, "area").collect();
    if areas.is_empty() {
        return Err(IngestError::at(
            at("area"),
            "missing: an alert says where it applies",
        ));
    }
    for (index, area) in areas.into_iter().enumerate() {
        let area_path = format!("{path}.area[{index}]");
        let fields = fields_of(&rule.fields, mapping, |source| {
            read_source(alert, info, area, path, &area_path, source)
        })?;
        let route = if order_given {
            Route::Given
        } else {
            match fields.get(&cap.route_field) {
                Some(Value::String(value)) => Route::TermContains {
                    term: cap.route_term.clone(),
                    value: value.clone(),
                },
                _ => {
                    return Err(IngestError::at(
                        &area_path,
                        format!("the field {:?} to route by is not text", cap.route_field),
                    ))
                }
            }
        };
        facts.push(MappedFact {
            path: area_path,
            group,
            route,
            event: EventRequest {
                kind: rule.kind.clone(),
                at: event_time.clone(),
                fields,
            },
        });
    }
    Ok(())
}

/// The text a field source names, and its path in the document.
fn read_source(
    alert: Node,
    info: Node,
    area: Node,
    info_path: &str,
    area_path: &str,
    source: &str,
) -> Result<(Value, String), IngestError> {
    let (node, node_path, name) = if let Some(name) = source.strip_prefix("area.") {
        (area, area_path, name)
    } else if let Some(name) = source.strip_prefix("alert.") {
        (alert, "alert", name)
    } else {
        (info, info_path, source)
    };
    let found = match name.split_once(':') {
        Some((element, value_name)) => named_value(node, element, value_name).map(|text| {
            (
                text,
                format!("{node_path}.{element}[valueName={value_name}]"),
            )
        }),
        None => child_text(node, name).map(|text| (text, format!("{node_path}.{name}"))),
    };
    match found {
        Some((text, path)) => Ok((Value::String(text.to_string()), path)),
        None => Err(IngestError::at(
            format!("{node_path}.{}", name.split(':').next().unwrap_or(name)),
            format!("missing {source:?} (the mapping reads it)"),
        )),
    }
}

/// The `<value>` of the `<element>` (a CAP `parameter`, `eventCode` or `geocode`) whose
/// `<valueName>` is `value_name`.
fn named_value<'a>(node: Node<'a, 'a>, element: &str, value_name: &str) -> Option<&'a str> {
    children(node, element)
        .find(|pair| child_text(*pair, "valueName") == Some(value_name))
        .and_then(|pair| child_text(pair, "value"))
}

/// The CAP elements named `name` under `node`.
fn children<'a, 'input, 'name>(
    node: Node<'a, 'input>,
    name: &'name str,
) -> impl Iterator<Item = Node<'a, 'input>> + use<'a, 'input, 'name> {
    node.children().filter(move |child| {
        child.is_element()
            && child.tag_name().name() == name
            && child.tag_name().namespace() == Some(CAP_NAMESPACE)
    })
}

/// The trimmed text of the first CAP element `name` under `node`.
fn child_text<'a>(node: Node<'a, 'a>, name: &str) -> Option<&'a str> {
    children(node, name)
        .next()
        .and_then(|child| child.text())
        .map(str::trim)
}

fn required<'a>(node: Node<'a, 'a>, name: &str, path: &str) -> Result<&'a str, IngestError> {
    child_text(node, name).ok_or_else(|| IngestError::at(path, "missing"))
}

/// A `Cancel` withdraws an earlier alert, but a recorded fact is never withdrawn (history
/// only grows), and mapping its `<info>` as usual would record the cancelled warning once
/// more: it is refused whatever `msg_types` lists, saying how the parties undo what the
/// cancelled alert changed.
fn refuse_cancel(alert: Node) -> Result<(), IngestError> {
    if child_text(alert, "msgType") != Some("Cancel") {
        return Ok(());
    }
    Err(IngestError::at(
        "alert.msgType",
        "\"Cancel\" is not applied: facts already recorded from the cancelled alert stay recorded (an order's history only grows); if that alert changed an order, its parties undo it with a review or an agreement (POST /orders/{id}/agreements)",
    ))
}

/// The element's text, which must be one of `allowed`.
fn accepted(node: Node, name: &str, path: &str, allowed: &[String]) -> Result<(), IngestError> {
    let value = required(node, name, path)?;
    if allowed.iter().any(|accepted| accepted == value) {
        Ok(())
    } else {
        Err(IngestError::at(
            path,
            format!(
                "{value:?} is not accepted (the mapping accepts {})",
                allowed.join(", ")
            ),
        ))
    }
}
