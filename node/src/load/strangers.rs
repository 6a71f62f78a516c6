//! `pactum-node load strangers`: one stranger identity (a fresh key, not configured on the
//! node) sends many distinct valid contract proposals to a node process; the node's resident
//! memory is read from `/proc` before and after.
//!
//! Each proposal is a real contract: it names the node's party and the stranger's, is signed
//! by the stranger, binds the library vocabulary and an inline clause whose text differs by a
//! comment, so every proposal has its own sources hash (a node that compiled and cached
//! programs by sources hash before checking the sender grew by each one) while the clause ids
//! stay those of one compilation (so building 4,000 of them costs one compile here).

use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{anyhow, Context};
use futures::{stream, StreamExt};
use libp2p::PeerId;
use verifier::{
    bundle::Source,
    model::{Contract, SignedContract},
    sign::{PublicKey, SigningKey},
};

use super::node_process::{NodeDir, NodeProcess};
use crate::{
    api::{ClauseRequest, ProposeOrder},
    demo::scenario,
    engine::{
        protocol::{Request, Response},
        sources::{build_contract, compile, hash_sources, proposal_sources},
    },
    net::{self, keypair_from_secret, NetConfig, NetHandle},
};

/// What to run.
#[derive(Debug, Clone)]
pub struct StrangersOptions {
    /// Distinct proposals sent.
    pub proposals: usize,
    /// Proposals in flight at once.
    pub concurrency: usize,
}

impl Default for StrangersOptions {
    fn default() -> Self {
        StrangersOptions {
            proposals: 4000,
            concurrency: 16,
        }
    }
}

/// The figures.
#[derive(Debug, Clone, Default)]
pub struct StrangersReport {
    pub proposals: usize,
    /// Answers by code (`ack` for accepted ones, `error` for requests that got no answer).
    pub answers: BTreeMap<String, u64>,
    pub seconds: f64,
    /// The node's RSS once it answered a first proposal, and after the last.
    pub rss_before: u64,
    pub rss_after: u64,
}

impl StrangersReport {
    /// RSS growth in bytes (negative if the node shrank).
    pub fn growth(&self) -> i64 {
        (self.rss_after as i64).saturating_sub(self.rss_before as i64)
    }

    pub fn render(&self) -> String {
        let answers: Vec<String> = self
            .answers
            .iter()
            .map(|(code, count)| format!("{code}: {count}"))
            .collect();
        format!(
            "{} distinct contract proposals from one stranger identity in {:.1} s\n\
             answers: {}\n\
             node RSS: {:.1} MiB before, {:.1} MiB after, growth {:+.1} MiB (target < 16 MiB)\n",
            self.proposals,
            self.seconds,
            answers.join(", "),
            mib(self.rss_before as i64),
            mib(self.rss_after as i64),
            mib(self.growth()),
        )
    }
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Builds distinct valid contract proposals from `stranger` to the party `victim`.
pub struct ProposalMaker {
    contract: Contract,
    sources: Vec<Source>,
    stranger: SigningKey,
}

impl ProposalMaker {
    pub fn new(stranger: SigningKey, victim: PublicKey) -> anyhow::Result<ProposalMaker> {
        let mut request: ProposeOrder = scenario::proposal(&BTreeMap::new(), "stranger");
        request.parties = Some(BTreeMap::from([
            (
                "stranger".to_string(),
                hex::encode(stranger.public_key().as_bytes()),
            ),
            ("seller".to_string(), hex::encode(victim.as_bytes())),
        ]));
        request.sequencer = Some("stranger".into());
        request.attesters = None;
        request.clauses = vec![ClauseRequest {
            name: "late".into(),
            source: Some(CLAUSE.into()),
            params: BTreeMap::new(),
            active: true,
        }];
        let sources = proposal_sources(&request.clauses).map_err(|e| anyhow!("{e}"))?;
        let program = compile(&sources).map_err(|e| anyhow!("{e}"))?;
        let contract = build_contract(
            &request,
            &sources,
            &program,
            ("stranger", stranger.public_key()),
            &[],
        )
        .map_err(|e| anyhow!("{e}"))?;
        Ok(ProposalMaker {
            contract,
            sources,
            stranger,
        })
    }

    /// Proposal number `n`: its own order reference and sources hash, signed by the stranger.
    pub fn proposal(&self, n: usize) -> anyhow::Result<(SignedContract, Vec<Source>)> {
        let mut sources = self.sources.clone();
        if let Some(clause) = sources.last_mut() {
            clause.text.push_str(&format!("// proposal {n}\n"));
        }
        let mut contract = self.contract.clone();
        contract.order_ref = format!("stranger-{n}");
        contract.sources = hash_sources(&sources).map_err(|e| anyhow!("{e}"))?;
        let mut signed = SignedContract::unsigned(&contract)?;
        signed.sign("stranger", &self.stranger);
        Ok((signed, sources))
    }
}

/// The inline clause of every proposal (a comment is appended to make each one distinct).
const CLAUSE: &str = "clause late {\n  param grace: duration = 2d\n  on shipment.delivered\n  \
                      when event.at > terms.delivery_due + grace\n  \
                      then set terms.delivery_due = event.at\n}\n";

/// Starts a node process (`exe run`) in `dir` and floods it as a stranger.
pub fn run(exe: &Path, dir: &Path, options: &StrangersOptions) -> anyhow::Result<StrangersReport> {
    let node = NodeDir::init(dir, "seller")?;
    let process = NodeProcess::spawn(exe, &node)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(flood(&node, &process, options))
}

async fn flood(
    node: &NodeDir,
    process: &NodeProcess,
    options: &StrangersOptions,
) -> anyhow::Result<StrangersReport> {
    let stranger = SigningKey::generate()?;
    let keypair = keypair_from_secret(stranger.to_seed())?;
    let network = net::start::<Request, Response>(NetConfig::default(), keypair)?;
    let handle = network.handle.clone();
    handle
        .dial(node.p2p_addr()?)
        .await
        .context("cannot reach the node")?;
    let maker = ProposalMaker::new(stranger, node.public_key)?;
    let mut report = StrangersReport {
        proposals: options.proposals,
        ..StrangersReport::default()
    };
    // The first answer warms the connection and the node's handlers up: the baseline.
    count(&mut report, send(&handle, node.peer_id, &maker, 0).await);
    report.rss_before = process.figures().rss_bytes.unwrap_or(0);
    let started = Instant::now();
    let mut answers = stream::iter(1..options.proposals)
        .map(|n| send(&handle, node.peer_id, &maker, n))
        .buffer_unordered(options.concurrency.max(1));
    while let Some(answer) = answers.next().await {
        count(&mut report, answer);
    }
    report.seconds = started.elapsed().as_secs_f64();
    // Let the node finish what it received before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    report.rss_after = process.figures().rss_bytes.unwrap_or(0);
    let _ = handle.shutdown().await;
    Ok(report)
}

async fn send(
    handle: &NetHandle<Request, Response>,
    node: PeerId,
    maker: &ProposalMaker,
    n: usize,
) -> Result<Response, String> {
    let (contract, sources) = maker.proposal(n).map_err(|error| error.to_string())?;
    handle
        .request(node, Request::ProposeContract { contract, sources })
        .await
        .map_err(|error| error.to_string())
}

fn count(report: &mut StrangersReport, answer: Result<Response, String>) {
    let code = match answer {
        Ok(Response::Ack) => "ack".to_string(),
        Ok(Response::Refused { code, .. }) => code,
        Ok(_) => "other".to_string(),
        Err(_) => "error".to_string(),
    };
    *report.answers.entry(code).or_default() += 1;
}
