//! `pactum-node load drain`: how fast a sequencer's queue drains once a party's node returns.
//! A seller's and a buyer's node (in this process) co-sign one order; the buyer's node stops,
//! carrier-signed facts are submitted to the seller's node (all queued, stored durably), the
//! buyer's node starts again from its directory, and the time until the last queued fact is
//! committed is measured: from the buyer's return (which includes waiting for the seller's
//! next sync tick) and from the first queued fact's commit to the last.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail};
use verifier::model::OrderId;

use crate::{
    api::NodeApi,
    bench::{eta_event, launch_pair},
    demo::scenario,
    launch::{launch, NodeSpec, RunningNode},
};

/// What to run.
#[derive(Debug, Clone)]
pub struct DrainLoadOptions {
    /// Facts queued while the buyer's node is away.
    pub facts: u64,
}

/// The figures.
#[derive(Debug, Clone)]
pub struct DrainLoadReport {
    pub facts: u64,
    /// Submitting every fact (each answered `queued`).
    pub queueing: Duration,
    /// From the buyer's node starting again to the last fact committed.
    pub from_return: Duration,
    /// From the first queued fact committed to the last.
    pub draining: Duration,
}

impl DrainLoadReport {
    pub fn render(&self) -> String {
        let rate = |duration: Duration| self.facts as f64 / duration.as_secs_f64().max(0.001);
        format!(
            "{} facts queued at the sequencer's node while the buyer's was away ({:.0}/s to queue)\n  drained: {:.2} s from the first commit to the last = {:.0} facts/s; {:.2} s from the buyer's return (the sync tick included) = {:.0} facts/s\n",
            self.facts,
            rate(self.queueing),
            self.draining.as_secs_f64(),
            rate(self.draining),
            self.from_return.as_secs_f64(),
            rate(self.from_return),
        )
    }
}

/// Runs the measurement.
pub fn run(options: &DrainLoadOptions) -> anyhow::Result<DrainLoadReport> {
    let dir = tempfile::Builder::new()
        .prefix("pactum-load-drain-")
        .tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let keys: BTreeMap<String, _> = ["seller", "buyer", "carrier"]
        .into_iter()
        .map(|role| (role.to_string(), scenario::demo_key(role)))
        .collect();
    let (seller, buyer) = runtime.block_on(launch_pair(
        &keys["seller"],
        &keys["buyer"],
        dir.path(),
        |_, _| {},
    ))?;
    let order = runtime.block_on(crate::load::webhooks::start_orders(
        &seller,
        &buyer,
        &keys,
        1,
        "PO-LOAD-DRAIN",
    ))?;
    let order = *order.first().ok_or_else(|| anyhow!("no order started"))?;
    runtime.block_on(buyer.stop());

    let facts = options.facts.max(1);
    let started = Instant::now();
    for n in 0..facts {
        let event = eta_event(order, n).sign(&keys["carrier"])?;
        match runtime.block_on(seller.engine.submit_signed(order, event)) {
            Err(error) if error.status == 202 => {}
            Ok((seq, _)) => bail!("fact {n} committed (seq {seq}) with the buyer's node away"),
            Err(error) => bail!("fact {n} refused: {error}"),
        }
    }
    let queueing = started.elapsed();

    let returned = Instant::now();
    let buyer = runtime.block_on(restart_buyer(&seller, &keys, dir.path()))?;
    let mut first = None;
    let deadline = returned + Duration::from_secs(600);
    loop {
        let seq = runtime.block_on(seq_of(&seller, order))?;
        if seq > 0 && first.is_none() {
            first = Some(Instant::now());
        }
        if seq >= facts {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {seq} of {facts} queued facts committed in 600 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let done = Instant::now();
    let report = DrainLoadReport {
        facts,
        queueing,
        from_return: done.duration_since(returned),
        draining: done.duration_since(first.unwrap_or(returned)),
    };
    runtime.block_on(async {
        seller.stop().await;
        buyer.stop().await;
    });
    Ok(report)
}

/// The buyer's node again, from its directory, as `launch_pair` made it.
async fn restart_buyer(
    seller: &RunningNode,
    keys: &BTreeMap<String, verifier::sign::SigningKey>,
    dir: &std::path::Path,
) -> anyhow::Result<RunningNode> {
    let mut spec = NodeSpec::local("buyer", keys["buyer"].clone(), dir.join("buyer"));
    spec.peers = vec![(
        "seller".to_string(),
        keys["seller"].public_key(),
        Vec::new(),
    )];
    spec.checkpoint_batch = 4096;
    let buyer = launch(spec).await?;
    seller.learn(&buyer).await;
    buyer.learn(seller).await;
    Ok(buyer)
}

/// The seq of the seller's head of `order`.
async fn seq_of(seller: &RunningNode, order: OrderId) -> anyhow::Result<u64> {
    let view = seller
        .engine
        .order(order.to_string())
        .await
        .map_err(|error| anyhow!("{error}"))?;
    view["seq"]
        .as_u64()
        .ok_or_else(|| anyhow!("the order's view has no seq"))
}
