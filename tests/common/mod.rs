//! Shared helpers of the end-to-end tests: clusters of real nodes on loopback (in this process,
//! each with its own sled directory, network and HTTP API), and the demo order.

#![allow(dead_code)]

pub mod browser;

use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Duration};

use pactum_node::{
    api::{AcceptOrder, EventRequest, SubmitEvent},
    client::{ApiClient, ClientError},
    demo::scenario,
    engine::Hooks,
    launch::{launch, NodeSpec, RunningNode},
};
use serde_json::{json, Value};
use verifier::sign::SigningKey;

pub use pactum_node::http::openapi::{assert_documented, recorder, Answers};

/// Liveness bound for anything a test waits for; never a performance assertion.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Waits (polling) until `done`; [`PATIENCE`] only ends a hung test, naming `what`.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Nodes running in this process.
pub struct Cluster {
    pub runtime: tokio::runtime::Runtime,
    pub nodes: BTreeMap<String, RunningNode>,
    pub keys: BTreeMap<String, SigningKey>,
    pub dir: tempfile::TempDir,
    /// Applied to every node's spec before it starts (and restarts).
    pub configure: fn(&mut NodeSpec),
    /// `(method, path, status, error code)` of every answer the nodes' HTTP APIs gave: each
    /// must be a status the OpenAPI document lists for its operation, with an error code its
    /// description names (`openapi::undocumented`, checked when the cluster drops).
    pub answered: Answers,
}

impl Cluster {
    /// Starts one node per role (demo keys), each knowing the others' addresses.
    pub fn start(roles: &[&str], hooks: BTreeMap<String, Hooks>) -> Cluster {
        Cluster::start_with(roles, hooks, |_| {})
    }

    /// [`Cluster::start`] with `configure` applied to each node's spec.
    pub fn start_with(
        roles: &[&str],
        hooks: BTreeMap<String, Hooks>,
        configure: fn(&mut NodeSpec),
    ) -> Cluster {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let keys: BTreeMap<String, SigningKey> = roles
            .iter()
            .map(|role| (role.to_string(), scenario::demo_key(role)))
            .collect();
        let mut cluster = Cluster {
            runtime,
            nodes: BTreeMap::new(),
            keys,
            dir,
            configure,
            answered: Arc::default(),
        };
        for role in roles {
            let hooks = hooks.get(*role).cloned().unwrap_or_default();
            cluster.start_node(role, hooks);
        }
        cluster
    }

    fn spec(&self, role: &str, hooks: Hooks) -> NodeSpec {
        let mut spec = NodeSpec::local(role, self.keys[role].clone(), self.dir.path().join(role));
        spec.peers = self
            .keys
            .iter()
            .filter(|(other, _)| other.as_str() != role)
            .map(|(other, key)| (other.clone(), key.public_key(), Vec::new()))
            .collect();
        spec.checkpoint_batch = 4;
        // Catch-up is also exercised explicitly; keep the background one quick.
        spec.sync_interval = Duration::from_millis(300);
        spec.request_timeout = Duration::from_secs(5);
        spec.hooks = hooks;
        if spec.hooks.observe_http.is_none() {
            record_answers(&mut spec, &self.answered);
        }
        (self.configure)(&mut spec);
        spec
    }

    /// Starts (or restarts, on its existing directory) the node of `role`.
    pub fn start_node(&mut self, role: &str, hooks: Hooks) {
        if let Err(error) = self.try_start_node(role, hooks) {
            panic!("the {role}'s node does not start: {error}");
        }
    }

    /// [`Cluster::start_node`], with the launch error (a node that refuses its store) returned.
    pub fn try_start_node(&mut self, role: &str, hooks: Hooks) -> Result<(), String> {
        let spec = self.spec(role, hooks);
        let node = self
            .runtime
            .block_on(launch(spec))
            .map_err(|error| format!("{error:#}"))?;
        self.runtime.block_on(async {
            for other in self.nodes.values() {
                node.learn(other).await;
                other.learn(&node).await;
            }
        });
        self.nodes.insert(role.to_string(), node);
        Ok(())
    }

    /// Stops the node of `role` (its directory stays).
    pub fn stop_node(&mut self, role: &str) {
        if let Some(node) = self.nodes.remove(role) {
            self.runtime.block_on(node.stop());
        }
    }

    pub fn client(&self, role: &str) -> ApiClient {
        self.nodes[role].client()
    }

    /// The demo's proposal, restricted to `parties`, proposed by the seller and accepted by
    /// the others. Returns the order id.
    pub fn start_order(
        &self,
        parties: &[&str],
        order_ref: &str,
        breaker: Option<(u32, i64)>,
    ) -> String {
        let order = self.propose_order(parties, order_ref, breaker);
        for role in parties.iter().filter(|role| **role != "seller") {
            self.client(role)
                .post(&format!("/orders/{order}/accept"), &AcceptOrder::default())
                .unwrap();
        }
        order
    }

    /// The seller proposes an order between `parties`; its id (nobody accepted it yet).
    pub fn propose_order(
        &self,
        parties: &[&str],
        order_ref: &str,
        breaker: Option<(u32, i64)>,
    ) -> String {
        let mut proposal = scenario::proposal(&scenario::party_keys(), order_ref);
        proposal.parties = Some(
            parties
                .iter()
                .map(|role| {
                    (
                        role.to_string(),
                        hex::encode(self.keys[*role].public_key().as_bytes()),
                    )
                })
                .collect(),
        );
        if let Some((max, window)) = breaker {
            proposal.breaker = Some(pactum_node::api::BreakerRequest {
                max_automatic_amendments: max,
                window_seconds: window,
            });
        }
        let proposed = self.client("seller").post("/orders", &proposal).unwrap();
        proposed["order"].as_str().unwrap().to_string()
    }

    /// Submits an event the node of `role` signs (its party attests it).
    pub fn event(
        &self,
        role: &str,
        order: &str,
        kind: &str,
        at: &str,
        fields: Value,
    ) -> Result<Value, ClientError> {
        let fields = fields
            .as_object()
            .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let request = SubmitEvent {
            signed: None,
            event: Some(EventRequest {
                kind: kind.into(),
                at: at.into(),
                fields,
            }),
        };
        self.client(role)
            .post(&format!("/orders/{order}/events"), &request)
    }

    /// The demo's first fact: the carrier's node reports the shipment left Shenzhen on
    /// 2026-01-10.
    pub fn departed(&self, order: &str) -> Result<Value, ClientError> {
        self.event(
            "carrier",
            order,
            "shipment.departed",
            "2026-01-10T00:00:00Z",
            json!({ "port": "Shenzhen" }),
        )
    }

    /// Submits a weather alert signed by the demo's weather service.
    pub fn weather(
        &self,
        via: &str,
        order: &str,
        at: &str,
        region: &str,
    ) -> Result<Value, ClientError> {
        use base64::Engine as _;
        let request = EventRequest {
            kind: "weather.alert".into(),
            at: at.into(),
            fields: [
                ("kind".to_string(), json!("typhoon")),
                ("level".to_string(), json!("red")),
                ("region".to_string(), json!(region)),
            ]
            .into_iter()
            .collect(),
        };
        let order_id = verifier::model::Digest::from_hex(order).unwrap();
        let typed = scenario::typed_event(&request, order_id).unwrap();
        let signed = scenario::sign_as_weather(&typed).unwrap();
        let body = SubmitEvent {
            signed: Some(
                base64::engine::general_purpose::STANDARD.encode(signed.to_bytes().unwrap()),
            ),
            event: None,
        };
        self.client(via)
            .post(&format!("/orders/{order}/events"), &body)
    }

    pub fn view(&self, role: &str, order: &str) -> Value {
        self.client(role).get(&format!("/orders/{order}")).unwrap()
    }

    /// Waits until every node of `roles` shows the same head for `order` as the first.
    pub fn settle(&self, roles: &[&str], order: &str) -> Value {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let views: Vec<Value> = roles
                .iter()
                .filter_map(|role| self.client(role).get(&format!("/orders/{order}")).ok())
                .collect();
            if views.len() == roles.len()
                && views
                    .windows(2)
                    .all(|pair| pair[0]["head"] == pair[1]["head"])
            {
                return views[0].clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "nodes never agreed: {:?}",
                views
                    .iter()
                    .map(|v| (&v["role"], &v["seq"]))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The exporter's bundle and a trust file for it (its log key and witnesses, the parties).
    pub fn bundle(&self, role: &str, order: &str) -> (Vec<u8>, verifier::bundle::TrustFile) {
        let client = self.client(role);
        let bytes = client
            .get_bytes(&format!("/orders/{order}/bundle"))
            .unwrap();
        let checkpoint = client.get("/checkpoint").unwrap();
        let mut trust: verifier::bundle::TrustFile =
            serde_json::from_value(checkpoint["trust"].clone()).unwrap();
        let view = self.view(role, order);
        trust.parties = view["parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|party| {
                (
                    party["name"].as_str().unwrap().to_string(),
                    party["key"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        (bytes, trust)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let nodes = std::mem::take(&mut self.nodes);
        self.runtime.block_on(async {
            for (_, node) in nodes {
                node.stop().await;
            }
        });
        if std::thread::panicking() {
            return;
        }
        assert_documented(&self.answered);
    }
}

/// Makes the node of `spec` record `(method, path, status, error code)` of every answer its
/// HTTP API gives into `answered`.
pub fn record_answers(spec: &mut NodeSpec, answered: &Answers) {
    spec.hooks.observe_http = Some(recorder(answered));
}

/// Verifies a bundle with the verifier library (the code behind `pactum-verify`).
pub fn verify(
    bytes: &[u8],
    trust: &verifier::bundle::TrustFile,
) -> Result<verifier::bundle::Report, verifier::bundle::VerifyError> {
    verifier::bundle::verify_bundle(bytes, &trust.trust().unwrap(), &Default::default())
}
