//! `pactum-node load drain`: how fast a sequencer's queue drains once a party's node returns.
//! A seller's and a buyer's node (in this process) co-sign one order; the buyer's node stops,
//! carrier-signed facts are submitted to the seller's node (all queued, stored durably), the
//! buyer's node starts again from its directory, and the seller's node is handed the tick its
//! sync loop would give (the loop itself is slowed down so it does not start the drain
//! first): the time that drain takes, until the last queued fact is committed, is measured.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail};
use verifier::model::OrderId;

use crate::{
    api::NodeApi,
    bench::{eta_event, launch_pair, pair_spec},
    engine::NotCommitted,
    launch::{launch, RunningNode},
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
    /// The drain: from the tick to the last fact committed.
    pub draining: Duration,
}

impl DrainLoadReport {
    pub fn render(&self) -> String {
        let rate = |duration: Duration| self.facts as f64 / duration.as_secs_f64().max(0.001);
        format!(
            "{} facts queued at the sequencer's node while the buyer's was away ({:.0}/s to queue)\n  drained once the buyer's node returned: {:.2} s = {:.1} facts/s committed\n",
            self.facts,
            rate(self.queueing),
            self.draining.as_secs_f64(),
            rate(self.draining),
        )
    }
}

/// Runs the measurement.
pub fn run(options: &DrainLoadOptions) -> anyhow::Result<DrainLoadReport> {
    let (dir, runtime, keys) = super::in_process("drain", &["seller", "buyer", "carrier"])?;
    let (seller, buyer) = runtime.block_on(launch_pair(
        &keys["seller"],
        &keys["buyer"],
        dir.path(),
        |role, spec| {
            if role == "seller" {
                // The measured drain is started below, not by the sync loop.
                spec.sync_interval = Duration::from_secs(3600);
            }
        },
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
            Err(NotCommitted::Queued { .. }) => {}
            Ok((seq, _)) => bail!("fact {n} committed (seq {seq}) with the buyer's node away"),
            Err(error) => bail!("fact {n} refused: {error}"),
        }
    }
    let queueing = started.elapsed();

    let buyer = runtime.block_on(restart_buyer(&seller, &keys, dir.path()))?;
    let draining = Instant::now();
    runtime.block_on(seller.engine.drain_now());
    let draining = draining.elapsed();
    let seq = runtime.block_on(seq_of(&seller, order))?;
    if seq < facts {
        bail!("only {seq} of {facts} queued facts committed in the drain");
    }
    let report = DrainLoadReport {
        facts,
        queueing,
        draining,
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
    let spec = pair_spec(dir, "buyer", &keys["buyer"], "seller", &keys["seller"]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queued_fact_is_committed_by_the_drain() {
        // `run` fails unless the drain committed every queued fact.
        let report = run(&DrainLoadOptions { facts: 20 }).unwrap();
        assert_eq!(report.facts, 20);
        assert!(report.render().contains("20 facts queued"));
    }
}
