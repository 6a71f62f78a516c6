//! `pactum-node load ingest`: how fast EPCIS events become committed entries. A seller's and
//! a buyer's node on loopback (in this process); GS1 EPCIS 2.0 capture documents, each of
//! several `arriving` events with a revised ETA for one order, POSTed to the seller's
//! `/ingest/epcis` over real HTTP, one document in flight per order; every fact co-signed by
//! both nodes and committed before its document is answered.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail};
use serde_json::{json, Value};

use crate::{
    api::NodeApi,
    bench::{launch_pair, open_order},
    client::ApiClient,
    demo::scenario,
    launch::RunningNode,
};

/// What to run.
#[derive(Debug, Clone)]
pub struct IngestLoadOptions {
    /// Orders, each fed by its own client.
    pub orders: usize,
    /// Documents sent per order.
    pub documents: usize,
    /// `arriving` events per document.
    pub events_per_document: usize,
}

/// The figures.
#[derive(Debug, Clone)]
pub struct IngestLoadReport {
    pub options: IngestLoadOptions,
    pub seconds: f64,
    /// Facts committed (entries).
    pub committed: u64,
    /// Documents answered 2xx.
    pub documents: u64,
}

impl IngestLoadReport {
    pub fn render(&self) -> String {
        format!(
            "EPCIS ingest: {} documents of {} events over {} orders in {:.1} s: {} events committed as entries, {:.0} events/s ({:.1} documents/s)\n",
            self.documents,
            self.options.events_per_document,
            self.options.orders,
            self.seconds,
            self.committed,
            self.committed as f64 / self.seconds.max(0.001),
            self.documents as f64 / self.seconds.max(0.001),
        )
    }
}

/// Runs the measurement.
pub fn run(options: &IngestLoadOptions) -> anyhow::Result<IngestLoadReport> {
    let (dir, runtime, keys) = super::in_process("ingest", &["seller", "buyer"])?;
    let (seller, buyer) = runtime.block_on(launch_pair(
        &keys["seller"],
        &keys["buyer"],
        dir.path(),
        |_, _| {},
    ))?;
    let references =
        runtime.block_on(start_orders(&seller, &buyer, &keys, options.orders.max(1)))?;
    let client = seller.client();
    let started = Instant::now();
    let results: Vec<anyhow::Result<(u64, u64)>> = std::thread::scope(|scope| {
        let feeds: Vec<_> = references
            .iter()
            .map(|reference| {
                let client = client.clone();
                scope.spawn(move || feed(&client, reference, options))
            })
            .collect();
        feeds
            .into_iter()
            .map(|feed| {
                feed.join()
                    .unwrap_or_else(|_| Err(anyhow!("a feed panicked")))
            })
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut report = IngestLoadReport {
        options: options.clone(),
        seconds,
        committed: 0,
        documents: 0,
    };
    for result in results {
        let (documents, committed) = result?;
        report.documents += documents;
        report.committed += committed;
    }
    runtime.block_on(async {
        seller.stop().await;
        buyer.stop().await;
    });
    Ok(report)
}

/// Sends one order's documents in turn; returns documents answered and facts committed.
fn feed(
    client: &ApiClient,
    reference: &str,
    options: &IngestLoadOptions,
) -> anyhow::Result<(u64, u64)> {
    let mut committed = 0;
    for number in 0..options.documents {
        let document = epcis_document(reference, number, options.events_per_document);
        let answer = client.post_document(
            "/ingest/epcis",
            "application/ld+json",
            &serde_json::to_vec(&document)?,
        )?;
        let facts = answer["facts"].as_array().map_or(0, Vec::len);
        if facts != options.events_per_document {
            bail!("document {number} of {reference}: {facts} facts answered: {answer}");
        }
        committed += facts as u64;
    }
    Ok((options.documents as u64, committed))
}

/// An EPCIS 2.0 capture document of `events` `arriving` ObjectEvents for `reference`, each a
/// minute after the last (document `number` continues where the one before ended).
pub fn epcis_document(reference: &str, number: usize, events: usize) -> Value {
    let list: Vec<Value> = (0..events)
        .map(|index| {
            let minute = number * events + index;
            let at = 1_768_000_000 + 60 * minute as i64;
            json!({
                "type": "ObjectEvent",
                "eventTime": contract_lang::syntax::civil::format_timestamp(at),
                "eventTimeZoneOffset": "+00:00",
                "epcList": ["urn:epc:id:sscc:0614141.1234567890"],
                "action": "OBSERVE",
                "bizStep": "arriving",
                "readPoint": {"id": "urn:epc:id:sgln:8888555.00012.0"},
                "bizTransactionList": [{"type": "po", "bizTransaction": format!("urn:epcglobal:cbv:bt:0614141000005:{reference}")}],
                "tms:estimatedArrival": contract_lang::syntax::civil::format_timestamp(at + 30 * 86_400),
            })
        })
        .collect();
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"tms": "https://tms.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-10T00:00:00Z",
        "epcisBody": {"eventList": list},
    })
}

/// Orders of the seller and the buyer in which any party attests any kind (the seller's node
/// signs what it ingests); returns their references.
async fn start_orders(
    seller: &RunningNode,
    buyer: &RunningNode,
    keys: &BTreeMap<String, verifier::sign::SigningKey>,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let mut references = Vec::with_capacity(count);
    for index in 0..count {
        let reference = format!("PO-LOAD-INGEST-{index}");
        let mut proposal = scenario::proposal(&BTreeMap::new(), &reference);
        proposal.parties = Some(
            keys.iter()
                .map(|(role, key)| (role.clone(), hex::encode(key.public_key().as_bytes())))
                .collect(),
        );
        proposal.attesters = None;
        let id = open_order(seller, buyer, proposal).await?;
        // Started once the genesis is co-signed at the seller's node.
        let deadline = Instant::now() + Duration::from_secs(30);
        while seller.engine.order(id.clone()).await.is_err() {
            if Instant::now() > deadline {
                bail!("order {reference} did not start");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        references.push(reference);
    }
    Ok(references)
}
