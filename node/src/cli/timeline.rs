//! `pactum-node show` and `history` for people: the order as text and its history as the
//! verifier's timeline (in `--lang`), or the API's JSON with `--format json`; `history
//! --follow` keeps printing new entries as they commit.
//!
//! The timeline is not the node's word: the command downloads the order's bundle and verifies
//! it with the verifier's library against the node's trust file and the order's parties, then
//! prints the verifier's rendering, as `pactum-verify` would.

use std::time::Duration;

use anyhow::{anyhow, Context};
use contract_lang::ir::TransferKind;
use contract_lang::render::Glossary;
use contract_lang::untrusted::{escape, escape_json, escape_lines};
use serde_json::Value;
use verifier::{
    bundle::{verify_bundle, Report, TrustFile, VerifyOptions},
    timeline::{owes_in, render_report, Lang},
};

use crate::client::ApiClient;

/// How `show` and `history` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Readable text (the verifier's timeline for `history`).
    #[default]
    Text,
    /// The API's native JSON (`docs/json.md`).
    Json,
}

/// How often `history --follow` asks the node for new entries.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// `show`: status, terms, facts, obligations and clauses of the order.
pub fn show(client: &ApiClient, order: &str, format: Format) -> anyhow::Result<()> {
    let view = client.get(&format!("/orders/{order}"))?;
    match format {
        Format::Json => println!("{}", escape_json(&serde_json::to_string_pretty(&view)?)),
        Format::Text => print!("{}", escape_lines(&order_text(&view))),
    }
    Ok(())
}

/// The order view as text; every value from the order is escaped (`untrusted`).
pub fn order_text(view: &Value) -> String {
    let text = |value: &Value| escape(&plain(value)).into_owned();
    let mut out = format!(
        "order {} ({})\nstate: {} at entry #{}; this node is the {}; sequencer {}; jurisdiction {}\n",
        text(&view["order_ref"]),
        text(&view["order"]),
        text(&view["status"]["state"]),
        view["seq"],
        text(&view["role"]),
        text(&view["sequencer"]),
        text(&view["jurisdiction"]),
    );
    out.push_str("terms:\n");
    for (name, value) in view["terms"].as_object().into_iter().flatten() {
        out.push_str(&format!("  {}: {}\n", escape(name), text(value)));
    }
    let facts = view["facts"].as_object().cloned().unwrap_or_default();
    if !facts.is_empty() {
        out.push_str("latest facts:\n");
        for (kind, fact) in &facts {
            let fields: Vec<String> = fact["fields"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| format!("{}={}", escape(name), text(value)))
                .collect();
            out.push_str(&format!(
                "  {} at {}: {}\n",
                escape(kind),
                text(&fact["at"]),
                fields.join(", ")
            ));
        }
    }
    let obligations = view["obligations"].as_array().cloned().unwrap_or_default();
    if !obligations.is_empty() {
        out.push_str("owed:\n");
        for total in &obligations {
            out.push_str(&format!("  {}\n", owed(total, text)));
        }
    }
    out.push_str("clauses:\n");
    for clause in view["clauses"].as_array().into_iter().flatten() {
        let active = if clause["active"] == true {
            "active"
        } else {
            "inactive"
        };
        out.push_str(&format!("  {} ({active})\n", text(&clause["name"])));
    }
    out
}

/// One total the order owes, in the verifier's timeline's words ("the seller owes the buyer
/// 5100.00 EUR (payment)"); a kind this version does not know is shown as the node wrote it.
fn owed(total: &Value, text: impl Fn(&Value) -> String) -> String {
    let (from, to, amount) = (
        text(&total["from"]["name"]),
        text(&total["to"]["name"]),
        text(&total["amount"]),
    );
    match serde_json::from_value::<TransferKind>(total["kind"].clone()) {
        Ok(kind) => owes_in(Lang::En, Glossary::STANDARD, &from, &to, amount, kind),
        Err(_) => format!("{from} owes {to} {amount} ({})", text(&total["kind"])),
    }
}

/// A value of the native JSON as a person writes it.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "unset".into(),
        Value::String(text) => text.clone(),
        Value::Object(object) if object.contains_key("currency") => format!(
            "{} {}",
            object["amount"].as_str().unwrap_or(""),
            object["currency"].as_str().unwrap_or("")
        ),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `history`: the verified timeline, then (with `follow`) each new entry as it commits.
pub fn history(
    client: &ApiClient,
    order: &str,
    format: Format,
    lang: Lang,
    follow: bool,
) -> anyhow::Result<()> {
    let mut shown = match format {
        Format::Json => {
            let history = client.get(&format!("/orders/{order}/history"))?;
            let entries = history["entries"].as_array().cloned().unwrap_or_default();
            if follow {
                // One entry per line, so a follower can be piped line by line.
                for entry in &entries {
                    println!("{}", escape_json(&entry.to_string()));
                }
            } else {
                println!("{}", escape_json(&serde_json::to_string_pretty(&history)?));
            }
            entries.len() as u64
        }
        Format::Text => {
            let report = verified_report(client, order)?;
            print!("{}", render_report(&report, lang));
            report.entries.len() as u64
        }
    };
    if !follow {
        return Ok(());
    }
    loop {
        std::thread::sleep(FOLLOW_INTERVAL);
        let view = client.get(&format!("/orders/{order}"))?;
        let entries = view["seq"].as_u64().map_or(0, |seq| seq + 1);
        if entries <= shown {
            continue;
        }
        match format {
            Format::Json => {
                let page = client.get(&format!(
                    "/orders/{order}/history?after={}&limit=500",
                    shown - 1
                ))?;
                for entry in page["entries"].as_array().into_iter().flatten() {
                    println!("{}", escape_json(&entry.to_string()));
                    shown += 1;
                }
            }
            Format::Text => {
                let report = verified_report(client, order)?;
                print!("{}", timeline_from(&render_report(&report, lang), shown));
                shown = report.entries.len() as u64;
            }
        }
    }
}

/// The lines of a rendered report's timeline from entry `#first` on (each entry's text starts
/// with `#<seq>` at the start of a line; the timeline ends at the first empty line).
fn timeline_from(rendered: &str, first: u64) -> String {
    let start = format!("#{first} ");
    let mut out = String::new();
    let mut copying = false;
    for line in rendered.lines() {
        if !copying && line.starts_with(&start) {
            copying = true;
        }
        if copying {
            if line.is_empty() {
                break;
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The order's bundle from the node, verified against the node's trust file and the order's
/// parties.
pub fn verified_report(client: &ApiClient, order: &str) -> anyhow::Result<Report> {
    let bundle = client.get_bytes(&format!("/orders/{order}/bundle"))?;
    let checkpoint = client.get("/checkpoint")?;
    let mut trust: TrustFile = serde_json::from_value(checkpoint["trust"].clone())
        .context("the node's trust description")?;
    let view = client.get(&format!("/orders/{order}"))?;
    trust.parties = view["parties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|party| {
            Some((
                party["name"].as_str()?.to_string(),
                party["key"].as_str()?.to_string(),
            ))
        })
        .collect();
    let trust = trust
        .trust()
        .map_err(|error| anyhow!("the node's trust file: {error}"))?;
    verify_bundle(&bundle, &trust, &VerifyOptions::default())
        .map_err(|error| anyhow!("the order's bundle does not verify: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_prints_only_the_new_entries() {
        let rendered = "VALID\n\nTimeline:\n#0  2026  opened\n#1  2026  departed\n      effect\n#2  2026  eta\n\nFinal terms:\n  x: 1\n";
        assert_eq!(
            timeline_from(rendered, 1),
            "#1  2026  departed\n      effect\n#2  2026  eta\n"
        );
        assert_eq!(timeline_from(rendered, 3), "");
        // #1 is not #10.
        let rendered = "#10  a\n#1  b\n";
        assert_eq!(timeline_from(rendered, 1), "#1  b\n");
    }

    #[test]
    fn values_read_as_written_and_foreign_text_is_escaped() {
        let view = serde_json::json!({
            "order_ref": "PO-1\u{1b}[31m", "order": "ab", "status": {"state": "running"},
            "seq": 2, "role": "buyer", "sequencer": "seller", "jurisdiction": "CN",
            "terms": {"price": {"amount": "5400.00", "currency": "EUR"}, "route_regions": ["CN-GD", "HK"]},
            "facts": {}, "obligations": [], "clauses": [{"name": "force_majeure", "active": true}],
        });
        let text = order_text(&view);
        assert!(text.contains("price: 5400.00 EUR"), "{text}");
        assert!(text.contains("route_regions: CN-GD, HK"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("force_majeure (active)"), "{text}");
    }

    /// `show` says what is owed as `pactum-verify`'s timeline does, not in the API's field names.
    #[test]
    fn what_is_owed_reads_as_the_verifier_s_timeline() {
        let view = serde_json::json!({
            "order_ref": "PO-1", "order": "ab", "status": {"state": "running"},
            "seq": 2, "role": "buyer", "sequencer": "seller", "jurisdiction": "CN", "terms": {},
            "facts": {}, "clauses": [],
            "obligations": [{"from": {"name": "seller"}, "to": {"name": "buyer"},
                             "amount": {"amount": "5100.00", "currency": "EUR"}, "kind": "pay"}],
        });
        let text = order_text(&view);
        assert!(
            text.contains("  the seller owes the buyer 5100.00 EUR (payment)\n"),
            "{text}"
        );
    }
}
