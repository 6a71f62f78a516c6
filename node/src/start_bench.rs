//! `pactum-node bench-start`: how long a node takes to start on a large store. Builds (once) a
//! seller's store of many closed orders and a few open ones through the engine's storage
//! layer — real contracts, entries made by the state machine and signed by every party, each
//! entry's leaf in the node's Merkle log, closed orders' records in the `closed` space as a
//! close entry leaves them — then times `launch` (what `pactum-node run` does) on it.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{anyhow, Context};

use crate::{
    durable::{Store, WriteBatch},
    engine::records::{self, EntryRecord, CLOSED, ENTRIES, ORDERS, PROGRAMS},
    fixtures::ExampleOrders,
    launch::{launch, NodeSpec},
    log_store::NodeLog,
};

/// The store to build and start on.
#[derive(Debug, Clone)]
pub struct StartOptions {
    pub dir: PathBuf,
    pub closed: u64,
    pub open: u64,
    /// Entries per order: the genesis, facts, and (closed orders) the close.
    pub entries_per_order: u64,
}

/// What a start took.
#[derive(Debug, Clone)]
pub struct StartReport {
    pub built: Option<Duration>,
    pub entries: u64,
    pub start: Duration,
    pub orders_loaded: usize,
    /// Asking for one closed order afterwards (replayed from the store).
    pub closed_order_read: Duration,
}

/// Builds the store under `options.dir` unless it is there already, then starts a node on
/// it and stops it.
pub async fn run(options: &StartOptions) -> anyhow::Result<StartReport> {
    let orders = ExampleOrders::new().map_err(|e| anyhow!(e))?;
    let marker = options.dir.join("bench-start.done");
    let mut built = None;
    if !marker.exists() {
        let started = Instant::now();
        build(options, &orders).await?;
        std::fs::write(&marker, "built\n")?;
        built = Some(started.elapsed());
    }
    // The closed order to read is taken from the store itself: a store built by an earlier
    // version of the fixtures holds other order ids than the fixtures compute today.
    let closed = first_closed_order(&options.dir)?;
    let mut spec = NodeSpec::local("seller", orders.keys().seller.clone(), options.dir.clone());
    spec.peers = Vec::new();
    let started = Instant::now();
    let node = launch(spec).await?;
    let start = started.elapsed();
    let orders_loaded = node.engine.order_ids().len();
    let entries = node.engine.log_size().await;
    let started = Instant::now();
    let view = crate::api::NodeApi::order(&node.engine, closed).await;
    let closed_order_read = started.elapsed();
    view.map_err(|e| anyhow!("the closed order cannot be read: {e}"))?;
    node.stop().await;
    Ok(StartReport {
        built,
        entries,
        start,
        orders_loaded,
        closed_order_read,
    })
}

/// The id (hex) of the first closed order in the store under `dir`; the store is closed again
/// before the node opens it.
fn first_closed_order(dir: &std::path::Path) -> anyhow::Result<String> {
    let store =
        Store::open(dir).with_context(|| format!("opening the store in {}", dir.display()))?;
    let first = store.scan_prefix(CLOSED, []).next();
    match first {
        Some(Ok((key, _))) => Ok(hex::encode(key)),
        Some(Err(e)) => Err(anyhow!("reading the closed orders: {e}")),
        None => Err(anyhow!("{} holds no closed order", dir.display())),
    }
}

fn closed_reference(index: u64) -> String {
    format!("BENCH-CLOSED-{index}")
}

/// Writes every order, a few thousand entries per store batch.
async fn build(options: &StartOptions, orders: &ExampleOrders) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.dir)?;
    let store = Arc::new(
        Store::open(&options.dir)
            .with_context(|| format!("opening a store in {}", options.dir.display()))?,
    );
    let mut log = NodeLog::open(store.clone())?;
    if log.size() > 0 {
        return Err(anyhow!(
            "{} holds a store already (remove it to build again)",
            options.dir.display()
        ));
    }
    let mut batch = WriteBatch::new();
    let program = records::encode("program", orders.program().as_ref())?;
    batch.put(PROGRAMS, orders.sources_hash().as_bytes(), program);
    let total = options.closed + options.open;
    let mut pending = 0;
    for index in 0..total {
        let closed = index < options.closed;
        let reference = if closed {
            closed_reference(index)
        } else {
            format!("BENCH-OPEN-{}", index - options.closed)
        };
        let (order, entries) = orders
            .history(&reference, options.entries_per_order, closed)
            .map_err(|e| anyhow!("order {reference}: {e}"))?;
        let space = if closed { CLOSED } else { ORDERS };
        batch.put(
            space,
            order.contract.order_id().as_bytes(),
            records::encode("order", &order)?,
        );
        for (seq, entry) in entries.into_iter().enumerate() {
            let leaf = log
                .append(
                    &[verifier::bundle::format::entry_leaf(&entry.hash())],
                    &mut batch,
                )?
                .start;
            let key = records::entry_key(&order.contract.order_id(), seq as u64);
            batch.put(
                ENTRIES,
                key,
                records::encode("entry", &EntryRecord { entry, leaf })?,
            );
            pending += 1;
        }
        if pending >= 5_000 || index + 1 == total {
            let size = log.size();
            store.commit(std::mem::take(&mut batch)).await?;
            log.acknowledged(size)?;
            pending = 0;
        }
        if index % 10_000 == 0 {
            eprintln!("  built {index} of {total} orders");
        }
    }
    Ok(())
}

/// The report as the command prints it.
pub fn render(options: &StartOptions, report: &StartReport) -> String {
    let mut text = String::new();
    if let Some(built) = report.built {
        text.push_str(&format!(
            "built:  {} closed and {} open orders of {} entries in {:.1} s\n",
            options.closed,
            options.open,
            options.entries_per_order,
            built.as_secs_f64()
        ));
    }
    text.push_str(&format!(
        "start:  {:.3} s to a running node (store opened, {} open orders loaded, log of {} entries)\n",
        report.start.as_secs_f64(),
        report.orders_loaded,
        report.entries
    ));
    text.push_str(&format!(
        "        then one closed order read on demand in {:.1} ms\n",
        report.closed_order_read.as_secs_f64() * 1000.0
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_start_loads_open_orders_only_and_reads_a_closed_one_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let options = StartOptions {
            dir: dir.path().join("store"),
            closed: 3,
            open: 2,
            entries_per_order: 4,
        };
        let first = run(&options).await.unwrap();
        assert!(first.built.is_some());
        assert_eq!(first.entries, 20, "every entry's leaf is in the log");
        assert_eq!(first.orders_loaded, 2, "closed orders are not loaded");
        // Again on the same store: nothing is built, the same start.
        let second = run(&options).await.unwrap();
        assert!(second.built.is_none());
        assert_eq!(second.orders_loaded, 2);
    }
}
