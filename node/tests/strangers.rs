//! Strangers' contract proposals: a peer that is not a configured party cannot make a node
//! compile clause sources or store anything, however valid its contract (it may name itself a
//! party and sign it); the same proposal from a configured party is compiled and kept.

use std::time::Duration;

use pactum_node::{
    engine::protocol::{Request, Response},
    launch::{launch, NodeSpec, RunningNode},
    load::strangers::ProposalMaker,
    net::{self, keypair_from_secret, NetConfig, NetHandle},
};
use serde_json::Value;
use verifier::sign::SigningKey;

const PATIENCE: Duration = Duration::from_secs(30);

async fn peer_as(key: &SigningKey) -> NetHandle<Request, Response> {
    let keypair = keypair_from_secret(key.to_seed()).unwrap();
    net::start::<Request, Response>(NetConfig::default(), keypair)
        .unwrap()
        .handle
}

async fn propose(
    from: &NetHandle<Request, Response>,
    node: &RunningNode,
    maker: &ProposalMaker,
    n: usize,
) -> Response {
    from.dial(node.p2p_addrs[0].clone()).await.unwrap();
    let (contract, sources) = maker.proposal(n).unwrap();
    tokio::time::timeout(
        PATIENCE,
        from.request(node.peer_id, Request::ProposeContract { contract, sources }),
    )
    .await
    .unwrap()
    .unwrap()
}

fn metric(node: &RunningNode, name: &str) -> String {
    node.metrics
        .render()
        .lines()
        .find(|line| line.starts_with(name))
        .unwrap_or_default()
        .to_string()
}

fn proposals_listed(node: &RunningNode) -> usize {
    let client = node.client();
    let listed: Value = tokio::task::block_in_place(|| client.get("/proposals")).unwrap();
    listed["proposals"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_else(|| panic!("{listed}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_proposal_is_refused_before_it_is_compiled_or_stored() {
    let dir = tempfile::tempdir().unwrap();
    let seller = SigningKey::from_seed([1; 32]);
    let buyer = SigningKey::from_seed([2; 32]);
    let mut spec = NodeSpec::local("seller", seller.clone(), dir.path().join("seller"));
    spec.peers = vec![("buyer".into(), buyer.public_key(), Vec::new())];
    let node = launch(spec).await.unwrap();

    // A stranger naming itself and the seller as parties, its signature on the contract.
    let stranger = SigningKey::from_seed([3; 32]);
    let from_stranger = peer_as(&stranger).await;
    let maker = ProposalMaker::new(stranger, seller.public_key()).unwrap();
    for n in 0..3 {
        match propose(&from_stranger, &node, &maker, n).await {
            Response::Refused { code, .. } => assert_eq!(code, "stranger"),
            other => panic!("a stranger's proposal was answered {other:?}"),
        }
    }
    assert_eq!(
        metric(&node, "pactum_programs_cached"),
        "pactum_programs_cached 0"
    );
    assert_eq!(proposals_listed(&node), 0, "nothing of it is stored");
    assert!(
        metric(&node, "pactum_proposals_refused_total{reason=\"stranger\"}").ends_with(" 3"),
        "{}",
        node.metrics.render()
    );

    // The same kind of proposal from the configured buyer is compiled and kept.
    let from_buyer = peer_as(&buyer).await;
    let maker = ProposalMaker::new(buyer, seller.public_key()).unwrap();
    assert_eq!(propose(&from_buyer, &node, &maker, 0).await, Response::Ack);
    assert_eq!(
        metric(&node, "pactum_programs_cached"),
        "pactum_programs_cached 1"
    );
    assert_eq!(proposals_listed(&node), 1);
    node.stop().await;
}
