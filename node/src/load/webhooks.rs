//! `pactum-node load webhooks`: webhook delivery latency under load. A seller's and a buyer's
//! node on loopback (in this process) co-sign orders while carrier-signed facts arrive at a
//! fixed rate; the seller's node sends every committed entry to a webhook receiver in this
//! process, which checks each signature. Latency is from the event's `created_at` (when the
//! node staged it in the entry's commit batch, just before the flush) to its receipt; both
//! clocks are this machine's.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::anyhow;
use verifier::model::{Digest, OrderId, SignedEvent};

use crate::{
    api::AttesterRequest,
    bench::{eta_event, launch_pair, open_order, percentiles, Latency},
    demo::scenario,
    events::{receiver::Receiver, Webhook},
    launch::RunningNode,
};

const SECRET: &str = "load-webhooks-secret-0123456789";

/// What to run.
#[derive(Debug, Clone)]
pub struct WebhookLoadOptions {
    /// Entries per second submitted (spread over the orders).
    pub rate: u64,
    pub duration: Duration,
    pub orders: usize,
}

/// The figures.
#[derive(Debug, Clone)]
pub struct WebhookLoadReport {
    pub rate: u64,
    pub seconds: f64,
    pub committed: u64,
    pub delivered: u64,
    pub invalid_signatures: u64,
    /// From `created_at` to receipt.
    pub latency: Latency,
}

impl WebhookLoadReport {
    pub fn render(&self) -> String {
        format!(
            "webhook delivery at {} entries/s offered for {:.1} s: {} entries committed ({:.0}/s), {} deliveries received, {} with a bad signature\n  latency commit → receipt: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
            self.rate,
            self.seconds,
            self.committed,
            self.committed as f64 / self.seconds.max(0.001),
            self.delivered,
            self.invalid_signatures,
            ms(self.latency.p50),
            ms(self.latency.p99),
            ms(self.latency.max),
        )
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Runs the measurement.
pub fn run(options: &WebhookLoadOptions) -> anyhow::Result<WebhookLoadReport> {
    let (dir, runtime, keys) = super::in_process("webhooks", &["seller", "buyer", "carrier"])?;
    let receiver = runtime.block_on(Receiver::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        SECRET,
    ))?;
    let webhook = Webhook::configured(&receiver.url(), SECRET, &["entry".to_string()])?;
    let (seller, buyer) = runtime.block_on(launch_pair(
        &keys["seller"],
        &keys["buyer"],
        dir.path(),
        |role, spec| {
            if role == "seller" {
                spec.events.webhooks.push(webhook.clone());
            }
        },
    ))?;
    let orders = runtime.block_on(start_orders(
        &seller,
        &buyer,
        &keys,
        options.orders.max(1),
        "PO-LOAD-WEBHOOK",
    ))?;
    // The genesis entries' deliveries are not part of the measurement.
    let before = orders.len();
    runtime.block_on(receiver.wait_for(Duration::from_secs(30), |got| got.len() >= before));
    let skip = receiver.deliveries().len();

    let count = options.rate.max(1) * options.duration.as_secs().max(1);
    let per_order = count / orders.len() as u64 + 1;
    let carrier = &keys["carrier"];
    let queues: Vec<Arc<Mutex<std::vec::IntoIter<SignedEvent>>>> = orders
        .iter()
        .map(|order| {
            let events: Vec<SignedEvent> = (0..per_order)
                .filter_map(|n| eta_event(*order, n).sign(carrier).ok())
                .collect();
            Arc::new(Mutex::new(events.into_iter()))
        })
        .collect();
    let busy: Vec<Arc<tokio::sync::Mutex<()>>> = orders.iter().map(|_| Arc::default()).collect();
    let committed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let interval = Duration::from_secs_f64(1.0 / options.rate.max(1) as f64);
    let started = Instant::now();
    let mut handles = Vec::new();
    for n in 0..count {
        let due = started + interval.mul_f64(n as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let index = (n as usize) % orders.len();
        let engine = seller.engine.clone();
        let (order, queue, lock, committed) = (
            orders[index],
            queues[index].clone(),
            busy[index].clone(),
            committed.clone(),
        );
        handles.push(runtime.spawn(async move {
            // One entry at a time per order, as a real order's facts arrive.
            let _turn = lock.lock().await;
            let Some(event) = queue.lock().ok().and_then(|mut queue| queue.next()) else {
                return;
            };
            if engine.submit_signed(order, event).await.is_ok() {
                committed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    runtime.block_on(async {
        for handle in handles {
            let _ = handle.await;
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let committed = committed.load(std::sync::atomic::Ordering::Relaxed);
    let expected = skip + committed as usize;
    let deliveries =
        runtime.block_on(receiver.wait_for(Duration::from_secs(60), |got| got.len() >= expected));
    let measured = deliveries.get(skip..).unwrap_or_default();
    let latencies = measured
        .iter()
        .filter_map(|delivery| {
            let created = delivery.json()["created_at_us"].as_u64()?;
            Some(Duration::from_micros(
                delivery.received_us.saturating_sub(created),
            ))
        })
        .collect();
    let report = WebhookLoadReport {
        rate: options.rate,
        seconds,
        committed,
        delivered: measured.len() as u64,
        invalid_signatures: measured.iter().filter(|d| !d.signature_valid).count() as u64,
        latency: percentiles(latencies),
    };
    runtime.block_on(async {
        seller.stop().await;
        buyer.stop().await;
        receiver.stop().await;
    });
    Ok(report)
}

/// `count` orders between the seller and the buyer (references `PREFIX-0`, …), the carrier
/// attesting shipment facts.
pub(crate) async fn start_orders(
    seller: &RunningNode,
    buyer: &RunningNode,
    keys: &BTreeMap<String, verifier::sign::SigningKey>,
    count: usize,
    prefix: &str,
) -> anyhow::Result<Vec<OrderId>> {
    let mut orders = Vec::with_capacity(count);
    for index in 0..count {
        let mut proposal = scenario::proposal(keys, &format!("{prefix}-{index}"));
        proposal.parties = Some(
            ["seller", "buyer"]
                .iter()
                .map(|role| {
                    (
                        role.to_string(),
                        hex::encode(keys[*role].public_key().as_bytes()),
                    )
                })
                .collect(),
        );
        proposal.attesters = Some(vec![AttesterRequest {
            name: "carrier".into(),
            key: hex::encode(keys["carrier"].public_key().as_bytes()),
            kinds: vec!["shipment.*".into()],
        }]);
        let id = open_order(seller, buyer, proposal).await?;
        orders.push(Digest::from_hex(&id).ok_or_else(|| anyhow!("bad order id"))?);
    }
    Ok(orders)
}
