//! `pactum-node demo`: three nodes on loopback run the demo order end to end, then the
//! verifier checks the bundle one of them exports.
//!
//! Everything goes through the nodes' HTTP APIs, as an ERP or an operator would use them; the
//! nodes talk to each other over libp2p. Each node has its own sled directory under a
//! temporary folder (kept with `--keep`).

pub mod scenario;

use std::{collections::BTreeMap, io::Write, path::PathBuf, time::Duration};

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use contract_lang::untrusted::escape_lines;
use serde_json::Value;
use verifier::{
    bundle::{verify_bundle, TrustFile, VerifyOptions},
    model::Digest,
    timeline::{render_report, Lang},
};

use crate::{
    api::{AcceptOrder, SubmitEvent},
    client::ApiClient,
    launch::{launch, NodeSpec, RunningNode},
};
use scenario::{Source, Step};

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Keep the nodes' directories (and the exported bundle) instead of deleting them.
    pub keep: Option<PathBuf>,
    /// Print the evolving order (off in tests).
    pub verbose: bool,
    /// Language of the verifier's timeline.
    pub lang: Lang,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            keep: None,
            verbose: true,
            lang: Lang::En,
        }
    }
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub order: String,
    /// The order as each party's node shows it at the end.
    pub views: BTreeMap<String, Value>,
    /// The exported bundle and where it was written.
    pub bundle: Vec<u8>,
    pub bundle_path: PathBuf,
    /// Entries the verifier accepted.
    pub verified_entries: usize,
    /// The verifier's readable report.
    pub verdict: String,
}

struct Out {
    verbose: bool,
}

impl Out {
    /// Prints one line of the demo's story. It quotes the nodes' answers (terms, notes,
    /// attested fields), so control and bidirectional characters are shown escaped.
    fn line(&self, text: impl AsRef<str>) {
        if self.verbose {
            println!("{}", escape_lines(text.as_ref()));
            let _ = std::io::stdout().flush();
        }
    }
}

/// Where `pactum-node demo --webhook URL` sends the buyer's node's events.
#[derive(Debug, Clone)]
pub struct DemoWebhook {
    pub url: String,
    pub secret: String,
}

/// Runs the demo; see the module documentation.
pub fn run(options: &DemoOptions) -> anyhow::Result<DemoReport> {
    run_with_webhook(options, None)
}

/// Runs the demo with the buyer's node sending every event to `webhook` (as an integrator's
/// system would receive them); waits until all are delivered before stopping the nodes.
pub fn run_with_webhook(
    options: &DemoOptions,
    webhook: Option<&DemoWebhook>,
) -> anyhow::Result<DemoReport> {
    let out = Out {
        verbose: options.verbose,
    };
    let temp = tempfile::Builder::new().prefix("pactum-demo-").tempdir()?;
    let base = match &options.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => temp.path().to_path_buf(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let keys = scenario::party_keys();
    out.line("Pactum demo: three parties, three nodes on 127.0.0.1, one order.");
    out.line("");
    let nodes: Vec<RunningNode> = runtime.block_on(async {
        let mut nodes = Vec::new();
        for (role, description) in scenario::PARTIES {
            let key = keys
                .get(role)
                .cloned()
                .ok_or_else(|| anyhow!("no key for {role}"))?;
            let mut spec = NodeSpec::local(role, key, base.join(role));
            spec.peers = keys
                .iter()
                .filter(|(other, _)| other.as_str() != role)
                .map(|(other, key)| (other.clone(), key.public_key(), Vec::new()))
                .collect();
            spec.checkpoint_batch = 8;
            if let (Some(webhook), "buyer") = (webhook, role) {
                spec.events
                    .webhooks
                    .push(crate::events::Webhook::configured(
                        &webhook.url,
                        &webhook.secret,
                        &[],
                    )?);
            }
            let node = launch(spec).await?;
            out.line(format!(
                "  {role:<8} node up: API {}  p2p {}  ({description})",
                node.url(),
                node.p2p_addrs
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ));
            nodes.push(node);
        }
        for node in &nodes {
            for other in &nodes {
                if node.peer_id != other.peer_id {
                    node.learn(other).await;
                }
            }
        }
        anyhow::Ok(nodes)
    })?;
    let clients: BTreeMap<String, ApiClient> = nodes
        .iter()
        .map(|node| (node.role.clone(), node.client()))
        .collect();
    let result = drive(&out, &clients, &base, options);
    if let Some(webhook) = webhook {
        let buyer = nodes.iter().find(|node| node.role == "buyer");
        if let Some(buyer) = buyer {
            let (sent, pending) = runtime.block_on(drain_webhook(buyer));
            out.line(format!(
                "\nWebhook {}: {sent} events delivered{}",
                webhook.url,
                if pending > 0 {
                    format!(", {pending} still failing (the receiver did not answer 2xx)")
                } else {
                    String::new()
                }
            ));
        }
    }
    runtime.block_on(async {
        for node in nodes {
            node.stop().await;
        }
    });
    if options.keep.is_some() {
        out.line(format!(
            "\nNode directories and the bundle are kept in {}",
            base.display()
        ));
    }
    result
}

/// Waits (at most 30 s) until `node`'s webhook outbox is empty; returns the events delivered
/// and the deliveries still pending.
async fn drain_webhook(node: &RunningNode) -> (u64, u64) {
    let events = node.engine.events();
    let total = *events.watch().borrow();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let pending: u64 = events
            .webhooks()
            .iter()
            .filter_map(|webhook| events.pending(&webhook.id).ok())
            .map(|(count, _)| count)
            .sum();
        if pending == 0 || tokio::time::Instant::now() >= deadline {
            return (total.saturating_sub(pending), pending);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn client<'a>(
    clients: &'a BTreeMap<String, ApiClient>,
    role: &str,
) -> anyhow::Result<&'a ApiClient> {
    clients
        .get(role)
        .ok_or_else(|| anyhow!("no node for {role}"))
}

fn drive(
    out: &Out,
    clients: &BTreeMap<String, ApiClient>,
    base: &std::path::Path,
    options: &DemoOptions,
) -> anyhow::Result<DemoReport> {
    let seller = client(clients, "seller")?;
    let keys = scenario::party_keys();
    out.line("\n1. The seller proposes order PO-2026-0117 with three library clauses:");
    out.line("   air_freight_fallback, force_majeure, late_delivery_penalty (jurisdiction CN).");
    let proposed = seller.post("/orders", &scenario::proposal(&keys, "PO-2026-0117"))?;
    let order = proposed["order"]
        .as_str()
        .ok_or_else(|| anyhow!("no order id in {proposed}"))?
        .to_string();
    out.line(format!("   order id (SHA-256 of the contract): {order}"));
    for role in ["buyer", "carrier"] {
        let accepted = client(clients, role)?
            .post(&format!("/orders/{order}/accept"), &AcceptOrder::default())?;
        out.line(format!(
            "   {role} accepts: {}",
            accepted["status"].as_str().unwrap_or("?")
        ));
    }
    let view = seller.get(&format!("/orders/{order}"))?;
    out.line("   genesis co-signed by all three parties; initial terms:");
    print_terms(out, &view, None);

    let order_id = Digest::from_hex(&order).ok_or_else(|| anyhow!("bad order id {order}"))?;
    let mut previous = view;
    let mut step_number = 2;
    for step in scenario::steps() {
        match step {
            Step::Event {
                caption,
                source,
                event,
            } => {
                out.line(format!("\n{step_number}. {caption}"));
                let (via, request) = match source {
                    Source::Node(role) => (
                        role,
                        SubmitEvent {
                            signed: None,
                            event: Some(event.clone()),
                        },
                    ),
                    Source::Weather { via } => {
                        let typed =
                            scenario::typed_event(&event, order_id).map_err(|e| anyhow!(e))?;
                        let signed = scenario::sign_as_weather(&typed)
                            .ok_or_else(|| anyhow!("cannot sign the alert"))?;
                        let bytes = signed.to_bytes().map_err(|e| anyhow!(e.to_string()))?;
                        (
                            via,
                            SubmitEvent {
                                signed: Some(
                                    base64::engine::general_purpose::STANDARD.encode(bytes),
                                ),
                                event: None,
                            },
                        )
                    }
                };
                out.line(format!(
                    "   {} {} at {} → submitted to the {via}'s node",
                    event.kind,
                    serde_json::to_string(&event.fields)?,
                    event.at
                ));
                let committed =
                    client(clients, via)?.post(&format!("/orders/{order}/events"), &request)?;
                describe_entry(out, &committed["entry"]);
            }
            Step::Review { caption, review } => {
                out.line(format!("\n{step_number}. {caption}"));
                for role in ["buyer", "carrier", "seller"] {
                    let answer =
                        client(clients, role)?.post(&format!("/orders/{order}/review"), &review)?;
                    out.line(format!(
                        "   {role} signs the review ({}): {}",
                        review.decision,
                        answer["status"].as_str().unwrap_or("?")
                    ));
                    if answer["status"] == "applied" {
                        describe_entry(out, &answer["entry"]);
                    }
                }
            }
        }
        // Every party's node shows the same order.
        let views: Vec<Value> = clients
            .values()
            .map(|client| client.get(&format!("/orders/{order}")))
            .collect::<Result<_, _>>()?;
        let heads: Vec<&Value> = views.iter().map(|view| &view["head"]).collect();
        if heads.windows(2).any(|pair| pair[0] != pair[1]) {
            // A node may apply the announcement a moment later; one catch-up settles it.
            std::thread::sleep(Duration::from_millis(200));
        }
        let current = client(clients, "buyer")?.get(&format!("/orders/{order}"))?;
        print_terms(out, &current, Some(&previous));
        previous = current;
        step_number += 1;
    }

    out.line(format!(
        "\n{step_number}. The buyer exports the order's bundle and anyone can verify it offline:"
    ));
    let buyer = client(clients, "buyer")?;
    let bundle = buyer.get_bytes(&format!("/orders/{order}/bundle"))?;
    let bundle_path = base.join(format!("order-{}.bundle", &order[..16]));
    std::fs::write(&bundle_path, &bundle)?;
    let checkpoint = buyer.get("/checkpoint")?;
    let mut trust: TrustFile = serde_json::from_value(checkpoint["trust"].clone())
        .context("the node's trust description")?;
    trust.parties = keys
        .iter()
        .map(|(role, key)| (role.clone(), hex::encode(key.public_key().as_bytes())))
        .collect();
    let trust_path = base.join("trust.json");
    std::fs::write(
        &trust_path,
        trust.to_json().map_err(|e| anyhow!(e.to_string()))?,
    )?;
    out.line(format!(
        "   bundle: {} ({} bytes)",
        bundle_path.display(),
        bundle.len()
    ));
    out.line(format!(
        "   trust:  {} (the buyer's log key, its witnesses, the parties' keys)",
        trust_path.display()
    ));
    out.line(format!(
        "   same check from a shell: pactum-verify {} --trust {}",
        bundle_path.display(),
        trust_path.display()
    ));
    let report = verify_bundle(
        &bundle,
        &trust.trust().map_err(|e| anyhow!(e.to_string()))?,
        &VerifyOptions::default(),
    )
    .map_err(|error| anyhow!("the verifier rejected the bundle: {error}"))?;
    let verdict = render_report(&report, options.lang);
    out.line("");
    for line in verdict.lines() {
        out.line(format!("   {line}"));
    }
    let views = clients
        .iter()
        .map(|(role, client)| Ok((role.clone(), client.get(&format!("/orders/{order}"))?)))
        .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
    let heads: Vec<&Value> = views.values().map(|view| &view["head"]).collect();
    if heads.windows(2).any(|pair| pair[0] != pair[1]) {
        bail!("the parties' nodes disagree on the order's head: {heads:?}");
    }
    Ok(DemoReport {
        order,
        views,
        bundle,
        bundle_path,
        verified_entries: report.entries.len(),
        verdict,
    })
}

fn describe_entry(out: &Out, entry: &Value) {
    if entry.is_null() {
        return;
    }
    out.line(format!(
        "   → entry #{} co-signed by {} : {}",
        entry["seq"],
        entry["signed_by"]
            .as_array()
            .map(|roles| roles
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
        entry["summary"].as_str().unwrap_or("")
    ));
    let outcome = &entry["outcome"];
    for (section, effects) in [
        ("applied", &outcome["effects"]),
        ("held", &outcome["held"]),
        ("applied", &entry["applied"]),
    ] {
        for amendment in effects["amendments"].as_array().into_iter().flatten() {
            out.line(format!(
                "     {section}: {} {} → {}  ({})",
                amendment["term"].as_str().unwrap_or(""),
                plain(&amendment["before"]),
                plain(&amendment["after"]),
                amendment["source"]["clause"].as_str().unwrap_or("")
            ));
        }
        for obligation in effects["obligations"].as_array().into_iter().flatten() {
            out.line(format!(
                "     {section}: {} {} → {} {}  ({})",
                obligation["kind"].as_str().unwrap_or(""),
                obligation["from"]["name"].as_str().unwrap_or(""),
                obligation["to"]["name"].as_str().unwrap_or(""),
                plain(&obligation["amount"]),
                obligation["source"]["clause"].as_str().unwrap_or("")
            ));
        }
        for notification in effects["notifications"].as_array().into_iter().flatten() {
            out.line(format!(
                "     notify {}: \"{}\"",
                notification["party"]["name"].as_str().unwrap_or(""),
                notification["message"].as_str().unwrap_or("")
            ));
        }
    }
    if outcome["type"] == "breaker_tripped" {
        let report = &outcome["report"];
        out.line(format!(
            "     BREAKER TRIPPED: more than {} automatic amendments within {} of event time;",
            report["policy"]["max_automatic_amendments"],
            plain(&report["policy"]["window"])
        ));
        out.line("     root cause — amendments already in the window:");
        for amendment in report["in_window"].as_array().into_iter().flatten() {
            let amended: Vec<String> = amendment["amendments"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    format!(
                        "{} = {} ({})",
                        a["term"].as_str().unwrap_or(""),
                        plain(&a["after"]),
                        a["source"]["clause"].as_str().unwrap_or("")
                    )
                })
                .collect();
            out.line(format!(
                "       #{} {} at {} by {}: {}",
                amendment["seq"],
                amendment["event_kind"].as_str().unwrap_or(""),
                amendment["event_at"].as_str().unwrap_or(""),
                amendment["attester"].as_str().unwrap_or(""),
                amended.join("; ")
            ));
        }
        out.line("     the order now waits for a review signed by every party");
    }
}

/// A native JSON value as one short line: texts bare, money as `5400.00 EUR`, unset as `unset`.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "unset".into(),
        Value::String(text) => text.clone(),
        Value::Object(object) if object.contains_key("currency") => format!(
            "{} {}",
            object["amount"].as_str().unwrap_or(""),
            object["currency"].as_str().unwrap_or("")
        ),
        other => other.to_string(),
    }
}

fn print_terms(out: &Out, view: &Value, previous: Option<&Value>) {
    let terms = view["terms"].as_object().cloned().unwrap_or_default();
    let status = view["status"]["state"].as_str().unwrap_or("?");
    let mut line = format!("   order #{} [{status}]", view["seq"]);
    for (name, value) in &terms {
        let changed = previous.is_some_and(|previous| previous["terms"][name] != *value);
        let mark = if changed { "*" } else { "" };
        line.push_str(&format!("  {name}={}{mark}", plain(value)));
    }
    out.line(line);
    let obligations: Vec<String> = view["obligations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            format!(
                "{} {}→{} {}",
                o["kind"].as_str().unwrap_or(""),
                o["from"]["name"].as_str().unwrap_or(""),
                o["to"]["name"].as_str().unwrap_or(""),
                plain(&o["amount"])
            )
        })
        .collect();
    if !obligations.is_empty() {
        out.line(format!("   owed: {}", obligations.join(", ")));
    }
}
