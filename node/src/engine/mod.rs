//! The co-signing engine: orders executed through the verifier's state machine, every entry
//! co-signed by every party, committed durably with its log leaf, and announced.
//!
//! * [`order`]: the protocol logic of one order, without I/O ([`order::OrderCore`]);
//! * [`protocol`]: the messages between nodes;
//! * [`records`]: what is stored, and how entries, heads and log leaves commit together;
//! * [`protocol_core`], [`opening`]: one order's protocol at one party, sans-IO (open, and
//!   before its genesis committed); `driver`, `genesis`: the node carrying out their actions;
//! * `sequencer`: submitting facts and signatures to the order's core;
//! * `peer`: answering other nodes (cosign, commit, forwarded facts, catch-up, witnessing);
//! * `checkpoints`: signed checkpoints and their witnesses; `export`: bundles;
//! * [`sources`]: the operator's JSON into contracts and events; `amend`: an agreement
//!   request into the changes every party signs; [`views`]: JSON views.
//!
//! Concurrency: each order has its own lock, so orders proceed independently and a slow or
//! absent party holds up only the orders it is a party of. The Merkle log has one lock, held
//! only to append and queue a batch, so batches reach the store in log order. Nothing awaits a
//! peer while holding the log lock, and no handler of a peer's request waits for another
//! order's lock.

mod admit;
pub mod agreement;
mod amend;
mod api_impl;
mod batch;
pub mod catch_up;
mod checkpoints;
mod driver;
mod export;
pub mod faults;
pub(crate) mod genesis;
mod ingest;
pub mod opening;
mod operations;
pub mod order;
mod outbox;
mod peer;
mod peer_keys;
pub mod peers;
pub mod program_cache;
pub mod programs;
pub mod protocol;
pub mod protocol_core;
mod queries;
pub(crate) mod queue;
pub mod records;
pub mod round;
mod sequencer;
pub mod sources;
pub mod views;
pub mod witness;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex as StdMutex, RwLock},
    time::Duration,
};

use contract_lang::ir::Program;
use libp2p::PeerId;
use tokio::sync::{mpsc, Mutex};
use verifier::{
    bundle::Source,
    model::{Digest, EntryBody, OrderId, SignedContract, SignedEntry},
    sign::{PublicKey, SigningKey},
    state::Signatures,
};

use crate::{
    durable::Store,
    log_store::{LogError, LogReader, NodeLog},
    metrics::Metrics,
    net::{party_key_of, peer_id_for, InboundRequest, NetHandle},
};
use order::{OrderCore, Refusal};
use protocol::{Request, Response};
use protocol_core::{Commit, OrderProtocol, ProtocolConfig, QueuedFact};
use records::{
    decode, entry_key, EntryRecord, HeadRecord, OrderRecord, ProposalRecord, RecordError, CLOSED,
    ENTRIES, ORDERS, PROGRAMS, PROPOSALS, QUEUE,
};

/// Why [`Engine::submit_signed`] did not commit a fact now.
#[derive(Debug, thiserror::Error)]
pub enum NotCommitted {
    /// Stored durably; it commits, in order, once every party's node answers.
    #[error("fact {event} is queued until every party's node answers")]
    Queued { event: Digest },
    #[error(transparent)]
    Refused(#[from] crate::api::ApiError),
}

/// The network handle the engine uses.
pub type Net = NetHandle<Request, Response>;

/// Alters clause sources before compiling (see [`Hooks::tamper_sources`]).
pub type SourcesHook = Arc<dyn Fn(&mut Vec<Source>) + Send + Sync>;
/// Alters a proposed entry body (see [`Hooks::tamper_proposals`]).
pub type ProposalHook = Arc<dyn Fn(&mut EntryBody) + Send + Sync>;
/// Sees every entry proposal this node receives (see [`Hooks::observe_proposals`]).
pub type ObserveHook = Arc<dyn Fn(&SignedEntry) + Send + Sync>;
/// Runs between an ingested document's check and its submission (see
/// [`Hooks::ingest_checked`]).
pub type PauseHook = Arc<dyn Fn() -> futures::future::BoxFuture<'static, ()> + Send + Sync>;

/// Test hooks that make a node misbehave on purpose.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Alters clause sources after this node checked their hash and before it compiles them:
    /// a node whose clause text was tampered with.
    pub tamper_sources: Option<SourcesHook>,
    /// Alters each entry body this node proposes as sequencer: a dishonest or broken sequencer.
    pub tamper_proposals: Option<ProposalHook>,
    /// As sequencer, never announce commits: the other parties learn of entries only by
    /// catching up (as after missing announcements while offline).
    pub drop_announcements: bool,
    /// As cosigner, sees every proposal received, exactly as it arrived: what a party could
    /// keep and present later.
    pub observe_proposals: Option<ObserveHook>,
    /// As sequencer, after each commit also announces a different body at the same position,
    /// altered by this hook and signed: a sequencer that equivocates.
    pub equivocate: Option<ProposalHook>,
    /// As cosigner, refuses this many proposals (then cosigns again): a round that fails.
    pub refuse_proposals: Option<Arc<std::sync::atomic::AtomicUsize>>,
    /// Awaited after an ingested document was checked whole and before its facts are
    /// submitted: the moment another client's write can race the document.
    pub ingest_checked: Option<PauseHook>,
    /// Awaited after an ingested document's facts were checked under their orders' locks and
    /// before those of orders sequenced elsewhere are sent to the sequencer's node: the moment
    /// the sequencer's view can move ahead of this node's.
    pub ingest_forwarding: Option<PauseHook>,
    /// Awaited as sequencer after a contract's last signature was stored and before the order
    /// opens: the moment the sync tick can open the order first.
    pub contract_signed: Option<PauseHook>,
    /// Awaited as witness after a presented checkpoint was judged against what this node
    /// remembers of its log and before the new memory is written: the moment another
    /// presentation of the same log could be judged against the same memory.
    pub witness_judged: Option<PauseHook>,
    /// Told the method, path and status of every answer of this node's HTTP API (tests check
    /// each against the OpenAPI document).
    pub observe_http: Option<crate::http::Observer>,
}

/// How the engine runs.
#[derive(Clone)]
pub struct EngineConfig {
    /// This node's role in its configuration (its role in a contract is found by its key).
    pub role: String,
    pub key: SigningKey,
    /// The C2SP origin of this node's log.
    pub origin: String,
    /// Sign a checkpoint every this many committed entries.
    pub checkpoint_batch: u64,
    /// How often to ask sequencers for entries this node missed.
    pub sync_interval: Duration,
    /// The other parties' nodes this node knows from its configuration: role, key and
    /// addresses (the operator changes them at run time, see [`peers`]).
    pub peers: Vec<(String, PublicKey, Vec<libp2p::Multiaddr>)>,
    pub hooks: Hooks,
    /// How every order's protocol core behaves (its patience with a round's answers).
    pub protocol: ProtocolConfig,
    /// The event journal and webhooks (`crate::events`).
    pub events: crate::events::EventsConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("order {order}: {message}")]
    Load { order: OrderId, message: String },
    #[error(transparent)]
    Events(#[from] crate::events::EventsError),
}

/// An order this node takes part in.
pub(crate) struct Slot {
    /// The order's protocol core: its state and head entry, the facts it recorded (rebuilt
    /// from the entries on start) and, as sequencer, the facts it queued, its round and the
    /// records collecting signatures; as cosigner, the entry it cosigned.
    pub protocol: OrderProtocol,
    pub record: OrderRecord,
    /// The head's seq, hash and log leaf.
    pub head: HeadRecord,
    /// Queued facts that were later refused (by the state machine or a party), for their
    /// status URL; a few hundred at most, in memory.
    pub refused: std::collections::BTreeMap<Digest, (String, String)>,
}

pub(crate) struct Inner {
    pub config: EngineConfig,
    pub public: PublicKey,
    pub store: Arc<Store>,
    pub log: Mutex<NodeLog>,
    pub reader: LogReader,
    pub net: Net,
    pub metrics: Arc<Metrics>,
    pub orders: RwLock<HashMap<OrderId, Arc<Mutex<Slot>>>>,
    /// Contracts proposed and not yet started (also stored).
    pub proposals: StdMutex<HashMap<OrderId, ProposalRecord>>,
    /// Orders whose genesis has not committed here yet (see [`opening`]), each with its lock.
    pub openings: StdMutex<HashMap<OrderId, Arc<Mutex<genesis::OpeningSlot>>>>,
    /// Programs by sources hash: cached (bounded, see [`program_cache`]), stored or compiled.
    pub programs: Arc<programs::Programs>,
    /// Tasks waiting for a core's reply that comes in a later drive (a forwarded fact's
    /// answer), by caller token (see [`driver::Callers`]).
    pub callers: driver::Callers,
    pub checkpoints: Mutex<checkpoints::CheckpointState>,
    /// As witness: one judgement at a time per log presented (see [`checkpoints::Judging`]).
    pub judging: checkpoints::Judging,
    /// Batched signature verification.
    pub batch: batch::BatchVerifier,
    /// Party keys and their nodes' peer ids, both ways (see [`peer_keys`]).
    pub peer_keys: peer_keys::PeerKeys,
    /// Per party key: the messages its node has yet to be sent (see [`outbox`]).
    pub outboxes: StdMutex<HashMap<PublicKey, outbox::Outbox>>,
    /// Recent refusals of proposals (determinism faults first of all), newest last.
    pub faults: StdMutex<Vec<records::FaultRecord>>,
    /// Determinism faults no operator acknowledged yet (they keep `/health` degraded).
    pub open_faults: StdMutex<faults::OpenFaults>,
    /// The other parties' nodes this node knows: the configuration's, changed at run time.
    pub peer_table: RwLock<Vec<peers::Peer>>,
    /// Proofs of equivocation this node holds (stored in `EVIDENCE`), as (order, seq).
    pub evidence: StdMutex<Vec<(OrderId, u64)>>,
    /// Events for webhooks and `GET /events`, staged in the batch of the entry they describe.
    pub events: Arc<crate::events::Events>,
}

/// The running engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl Engine {
    /// Loads every order from the store (replaying its entries through the state machine),
    /// then starts answering peers and syncing.
    pub fn start(
        config: EngineConfig,
        store: Arc<Store>,
        net: Net,
        inbound: mpsc::Receiver<InboundRequest<Request, Response>>,
        metrics: Arc<Metrics>,
    ) -> Result<Engine, EngineError> {
        let log = NodeLog::open(store.clone())?;
        let reader = log.reader();
        metrics.log_size.set(log.size() as i64);
        let checkpoint_state = checkpoints::CheckpointState::load(&store, log.size())?;
        checkpoint_state.check_against(&log)?;
        let events = crate::events::Events::open(store.clone(), config.events.clone())?;
        let programs = Arc::new(programs::Programs::new(
            store.clone(),
            metrics.clone(),
            config.hooks.tamper_sources.clone(),
        ));
        let inner = Arc::new(Inner {
            public: config.key.public_key(),
            config,
            store,
            log: Mutex::new(log),
            reader,
            net,
            metrics,
            orders: RwLock::new(HashMap::new()),
            proposals: StdMutex::new(HashMap::new()),
            openings: StdMutex::new(HashMap::new()),
            programs,
            callers: driver::Callers::default(),
            checkpoints: Mutex::new(checkpoint_state),
            judging: checkpoints::Judging::default(),
            outboxes: StdMutex::new(HashMap::new()),
            peer_keys: peer_keys::PeerKeys::new(PARTY_KEYS_CACHED),
            batch: batch::BatchVerifier::start(),
            faults: StdMutex::new(Vec::new()),
            open_faults: StdMutex::new(Default::default()),
            evidence: StdMutex::new(Vec::new()),
            peer_table: RwLock::new(Vec::new()),
            events,
        });
        let configured = inner
            .config
            .peers
            .iter()
            .map(|(role, key, addresses)| peers::Peer {
                role: role.clone(),
                key: *key,
                addresses: addresses.clone(),
            })
            .collect();
        inner.load_peers(configured)?;
        inner.load()?;
        inner.load_open_faults()?;
        let engine = Engine { inner };
        tokio::spawn(peer::serve(engine.inner.clone(), inbound));
        tokio::spawn(sync_loop(Arc::downgrade(&engine.inner)));
        let dialling = engine.inner.clone();
        tokio::spawn(async move { dialling.dial_known_peers().await });
        crate::events::delivery::start(&engine.inner.events);
        Ok(engine)
    }

    /// The event journal and webhooks.
    pub fn events(&self) -> Arc<crate::events::Events> {
        self.inner.events.clone()
    }

    /// The node's party key.
    pub fn public_key(&self) -> PublicKey {
        self.inner.public
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.inner.metrics.clone()
    }

    /// Orders this node takes part in.
    pub fn order_ids(&self) -> Vec<OrderId> {
        self.inner
            .orders
            .read()
            .map(|orders| orders.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Submits a signed event for `order` (applied here if this node sequences it, otherwise
    /// forwarded to the sequencer); returns the committed entry's seq and hash, or why it did
    /// not commit now: refused, or queued until every party's node answers.
    pub async fn submit_signed(
        &self,
        order: OrderId,
        event: verifier::model::SignedEvent,
    ) -> Result<(u64, Digest), NotCommitted> {
        match self.inner.submit_event(order, event).await? {
            sequencer::Submitted::Committed(committed) => Ok((committed.seq, committed.entry)),
            sequencer::Submitted::Queued { event, .. } => Err(NotCommitted::Queued { event }),
        }
    }

    /// This node's signed head of `order` as canonical CBOR (the file `pactum-verify --head`
    /// reads): its latest committed entry, signed by this party. Served at
    /// `GET /orders/{id}/head` and wherever else a head is handed out.
    pub async fn signed_head(&self, order: OrderId) -> Result<Vec<u8>, crate::api::ApiError> {
        self.inner.signed_head(order).await
    }

    /// Hands every order with queued facts a tick now, as the sync loop does every interval:
    /// a sequencer commits its queue (until a party's node does not answer), a cosigner
    /// forwards its queued facts. Returns when that is done.
    pub async fn drain_now(&self) {
        self.inner.drain_queues().await;
    }

    /// Asks the sequencers of every order for entries this node missed.
    pub async fn sync_now(&self) {
        self.inner.sync_all().await;
    }

    /// The log's current trust policy for verifiers: this node's log key and its witnesses.
    pub async fn log_size(&self) -> u64 {
        self.inner.log.lock().await.durable_size()
    }
}

impl Inner {
    /// The program of `sources`, after the tamper hook: from memory, else as stored (pinned by
    /// the first genesis or agreement that ran it), else compiled.
    pub(crate) fn program(&self, sources: &[Source]) -> Result<Arc<Program>, String> {
        self.programs.of(sources)
    }

    /// The contract check ([`verifier::state::check_contract`]) with this node's programs:
    /// the machine it returns takes the programs of the contract and of every agreement from
    /// them (cached, stored, else compiled).
    pub(crate) fn check_contract(
        &self,
        contract: &SignedContract,
        sources: &[Source],
        signatures: Signatures,
    ) -> Result<verifier::state::Machine, Refusal> {
        verifier::state::check_contract(contract, sources, self.programs.clone(), signatures)
            .map_err(Refusal::Checked)
    }

    /// The genesis batch's record of the program `core` runs, keyed by its contract's (checked)
    /// sources hash, unless one is stored already (or the sources were tampered with, in
    /// tests).
    fn program_record(&self, core: &OrderCore) -> Result<Option<(Digest, Vec<u8>)>, String> {
        if self.config.hooks.tamper_sources.is_some() {
            return Ok(None);
        }
        self.programs
            .record(core.contract().sources, core.machine().program())
    }

    /// An agreement's batch's record of the program it brought into force (the rules in
    /// `core`'s state, which the commit already advanced), unless one is stored already: a
    /// restart reads it back instead of compiling the agreement's sources again.
    fn agreement_program_record(
        &self,
        core: &OrderCore,
    ) -> Result<Option<(Digest, Vec<u8>)>, String> {
        let rules = core.machine().rules(core.state());
        self.programs
            .record(rules.sources_digest(), rules.program())
    }

    /// The order in memory; a closed order (not loaded at start) is replayed from the store
    /// the first time something asks for it.
    pub(crate) fn slot(&self, order: &OrderId) -> Option<Arc<Mutex<Slot>>> {
        let loaded = self
            .orders
            .read()
            .ok()
            .and_then(|orders| orders.get(order).cloned());
        loaded.or_else(|| self.load_closed(order))
    }

    /// Replays a closed order from the store into memory (`None` if there is none, or it
    /// cannot be replayed: that is logged, and the order answers as unknown).
    fn load_closed(&self, order: &OrderId) -> Option<Arc<Mutex<Slot>>> {
        let record: OrderRecord =
            match records::read(&self.store, CLOSED, order.as_bytes(), "order") {
                Ok(record) => record?,
                Err(error) => {
                    tracing::error!(%order, %error, "cannot read the closed order");
                    return None;
                }
            };
        let slot = match self.replay(record) {
            Ok(slot) => slot,
            Err(error) => {
                tracing::error!(%order, %error, "cannot load the closed order");
                return None;
            }
        };
        let mut orders = self.orders.write().ok()?;
        Some(
            orders
                .entry(*order)
                .or_insert_with(|| Arc::new(Mutex::new(slot)))
                .clone(),
        )
    }

    /// This node's role in a contract: the role whose key is this node's.
    pub(crate) fn my_role(
        &self,
        parties: &std::collections::BTreeMap<String, PublicKey>,
    ) -> Option<String> {
        parties
            .iter()
            .find(|(_, key)| **key == self.public)
            .map(|(role, _)| role.clone())
    }

    /// The peer id of the node of the party with `key` (cached).
    pub(crate) fn peer_id(&self, key: &PublicKey) -> Option<PeerId> {
        self.peer_keys.peer_id(key)
    }

    /// The party key `peer`'s connection authenticated with ([`party_key`]), from the cache
    /// (kept for the parties this node addresses and for its first senders).
    pub(crate) fn party_key(&self, peer: &PeerId) -> Option<PublicKey> {
        self.peer_keys.party_key(peer)
    }

    /// Sends `request` to the node of the party with `key`.
    pub(crate) async fn request(
        &self,
        key: &PublicKey,
        request: Request,
    ) -> Result<Response, crate::net::NetError> {
        let peer = self.peer_id(key).ok_or_else(|| {
            crate::net::NetError::Transport(format!("{key} is not a valid peer key"))
        })?;
        let role = self.role_of(key);
        let stats = &self.metrics.peers;
        stats.started(&role, key);
        let started = std::time::Instant::now();
        let result = self.request_with_retries(peer, request).await;
        let outcome = result
            .as_ref()
            .map(|_| ())
            .map_err(|error| error.to_string());
        stats.finished(&role, key, started.elapsed(), outcome);
        result
    }

    /// The role a configured peer's key has here, for logs and metrics ("party" otherwise).
    pub(crate) fn role_of(&self, key: &PublicKey) -> String {
        self.peers()
            .iter()
            .find(|(_, known)| known == key)
            .map_or_else(|| "party".to_string(), |(role, _)| role.clone())
    }

    async fn request_with_retries(
        &self,
        peer: PeerId,
        request: Request,
    ) -> Result<Response, crate::net::NetError> {
        // A connection that could not be made (the peer is starting, a stale address) is worth
        // two more tries; refusals and timeouts are answers.
        let mut delay = Duration::from_millis(100);
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.net.request(peer, request.clone()).await {
                Err(crate::net::NetError::Dial { .. } | crate::net::NetError::Request { .. })
                    if attempts < 3 =>
                {
                    tokio::time::sleep(delay).await;
                    delay *= 3;
                }
                result => return result,
            }
        }
    }

    /// Loads stored proposals and orders, replaying each order's entries.
    fn load(&self) -> Result<(), EngineError> {
        for item in self.store.scan_prefix(records::EVIDENCE, b"") {
            let (key, _) = item.map_err(RecordError::from)?;
            if let (Some(order), Some(seq)) = (key.get(..32), key.get(32..40)) {
                if let (Ok(order), Ok(seq)) =
                    (<[u8; 32]>::try_from(order), <[u8; 8]>::try_from(seq))
                {
                    if let Ok(mut evidence) = self.evidence.lock() {
                        evidence.push((Digest(order), u64::from_be_bytes(seq)));
                    }
                }
            }
        }
        for item in self.store.scan_prefix(PROPOSALS, b"") {
            let (key, bytes) = item.map_err(RecordError::from)?;
            let record: ProposalRecord = decode("proposal", &bytes)?;
            if let Ok(order) = <[u8; 32]>::try_from(key.as_slice()) {
                if let Ok(mut proposals) = self.proposals.lock() {
                    proposals.insert(Digest(order), record);
                }
            }
        }
        let mut loaded = HashMap::new();
        for item in self.store.scan_prefix(ORDERS, b"") {
            let (key, bytes) = item.map_err(RecordError::from)?;
            let record: OrderRecord = decode("order", &bytes)?;
            let order = record.contract.order_id();
            if key.as_slice() != order.as_bytes() {
                return Err(EngineError::Load {
                    order,
                    message: "stored under another id".into(),
                });
            }
            let slot = self.replay(record)?;
            loaded.insert(order, Arc::new(Mutex::new(slot)));
        }
        self.metrics.orders.set(loaded.len() as i64);
        if let Ok(mut orders) = self.orders.write() {
            *orders = loaded;
        }
        Ok(())
    }

    /// Rebuilds an order's state by replaying its stored entries through the state machine,
    /// checking each recomputed entry against the stored bytes.
    fn replay(&self, record: OrderRecord) -> Result<Slot, EngineError> {
        let order = record.contract.order_id();
        let fail = |message: String| EngineError::Load { order, message };
        let machine = self
            .check_contract(&record.contract, &record.sources, Signatures::All)
            .map_err(|error| fail(error.to_string()))?;
        let mut replay = order::Replay::new(machine).map_err(|e| fail(e.to_string()))?;
        let mut head: Option<HeadRecord> = None;
        for item in self.store.scan_prefix(ENTRIES, order.as_bytes()) {
            let (_, bytes) = item.map_err(RecordError::from)?;
            let stored: EntryRecord = decode("entry", &bytes)?;
            let seq = replay.entry(&stored.entry).map_err(&fail)?;
            head = Some(HeadRecord {
                seq,
                entry: stored.entry.hash(),
                leaf: stored.leaf,
            });
        }
        let head = head.ok_or_else(|| fail("no genesis entry".into()))?;
        let (core, last, seen) = replay
            .finish()
            .ok_or_else(|| fail("no genesis entry".into()))?;
        let queued = queue::load(&self.store, &order)?;
        let cosigned_close = self
            .store
            .get(records::COSIGNED_CLOSES, order.as_bytes())
            .map_err(RecordError::from)?
            .and_then(|bytes| <[u8; 8]>::try_from(&bytes[..]).ok())
            .map(u64::from_be_bytes);
        let mut slot = self
            .slot_for(record, core, last, seen, queued, head)
            .ok_or_else(|| fail("this node is not a party of the order".into()))?;
        if let Some(after_seq) = cosigned_close {
            slot.protocol.restore_cosigned_close(after_seq);
        }
        Ok(slot)
    }

    /// The slot of an order whose core is at `last` (head `head`), with the facts it recorded
    /// and queued; `None` if this node is not a party.
    pub(crate) fn slot_for(
        &self,
        record: OrderRecord,
        core: OrderCore,
        last: SignedEntry,
        seen: HashMap<Digest, u64>,
        queued: std::collections::VecDeque<QueuedFact>,
        head: HeadRecord,
    ) -> Option<Slot> {
        let contract = record.contract.clone();
        let protocol = OrderProtocol::new(
            self.config.protocol,
            contract,
            core,
            &self.public,
            last,
            seen,
            queued,
        )?;
        Some(Slot {
            protocol,
            record,
            head,
            refused: Default::default(),
        })
    }

    /// Writes an entry the core committed with every signature, its log leaf (and for a
    /// genesis, the order; for a close, the order moved to the closed space) in one batch,
    /// queued in log order, and moves the slot's head. The entry is durable once
    /// [`Inner::commit_finish`] returns. `queued`: the entry records a fact this node had
    /// queued, stored at this index of the order's queue; its record is removed in the same
    /// batch (never applied twice, nothing left to drop on restart).
    pub(crate) async fn commit_start(
        &self,
        slot: &mut Slot,
        commit: &Commit,
        genesis: bool,
        queued: Option<u64>,
    ) -> Result<PendingCommit, crate::api::ApiError> {
        use crate::api::ApiError;
        use crate::durable::WriteBatch;
        let core = slot.protocol.core();
        let order = core.order();
        let (entry, hash, seq) = (&commit.entry, commit.hash, commit.body.seq);
        let mut batch = WriteBatch::new();
        let internal = |error: String| ApiError::internal(error);
        if genesis {
            batch.put(
                ORDERS,
                order.as_bytes(),
                records::encode("order", &slot.record).map_err(|e| internal(e.to_string()))?,
            );
            batch.remove(PROPOSALS, order.as_bytes());
            if let Some((key, bytes)) = self.program_record(core).map_err(internal)? {
                batch.put(PROGRAMS, key.as_bytes(), bytes);
            }
        }
        if matches!(commit.body.step, verifier::model::Step::Agreement(_)) {
            if let Some((key, bytes)) = self.agreement_program_record(core).map_err(internal)? {
                batch.put(PROGRAMS, key.as_bytes(), bytes);
            }
        }
        if let Some(index) = queued {
            batch.remove(QUEUE, entry_key(&order, index));
        }
        if matches!(commit.body.step, verifier::model::Step::Close(_)) {
            // Closed: not loaded at the next start (see `records::CLOSED`).
            batch.remove(ORDERS, order.as_bytes());
            batch.put(
                CLOSED,
                order.as_bytes(),
                records::encode("order", &slot.record).map_err(|e| internal(e.to_string()))?,
            );
        }
        let (ack, leaf, size, events) = {
            let mut log = self.log.lock().await;
            let leaf = log
                .append(&[verifier::bundle::format::entry_leaf(&hash)], &mut batch)
                .map_err(|e| internal(e.to_string()))?
                .start;
            let record = EntryRecord {
                entry: entry.clone(),
                leaf,
            };
            batch.put(
                ENTRIES,
                entry_key(&order, seq),
                records::encode("entry", &record).map_err(|e| internal(e.to_string()))?,
            );
            let events = self.events.stage_entry(
                &mut batch,
                &crate::events::kinds::EntryEvents {
                    contract: core.contract(),
                    entry,
                    body: &commit.body,
                    leaf,
                    was_queued: queued.is_some(),
                },
            );
            let ack = self
                .store
                .submit(batch)
                .await
                .map_err(|e| ApiError::new(crate::api::Code::StoreFailed, e.to_string()))?;
            (ack, leaf, log.size(), events)
        };
        let tripped = matches!(
            &commit.body.step,
            verifier::model::Step::Event(step)
                if matches!(step.outcome, verifier::model::Outcome::BreakerTripped { .. })
        );
        operations::log_step(&order, seq, &commit.body.step);
        slot.head = HeadRecord {
            seq,
            entry: hash,
            leaf,
        };
        Ok(PendingCommit {
            ack,
            size,
            tripped,
            events,
        })
    }

    /// Waits until a started commit is durable.
    pub(crate) async fn commit_finish(
        &self,
        pending: PendingCommit,
    ) -> Result<(), crate::api::ApiError> {
        use crate::api::ApiError;
        pending
            .ack
            .wait()
            .await
            .map_err(|e| ApiError::new(crate::api::Code::StoreFailed, e.to_string()))?;
        {
            let mut log = self.log.lock().await;
            log.acknowledged(pending.size)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            self.metrics.log_size.set(log.durable_size() as i64);
        }
        if let Some(last) = pending.events {
            self.events.durable(last);
        }
        self.metrics.entries_committed.inc();
        if pending.tripped {
            self.metrics.breaker_trips.inc();
        }
        Ok(())
    }
}

/// A commit queued to the store, not yet known durable.
pub(crate) struct PendingCommit {
    ack: crate::durable::Ack,
    /// The log's size once this entry's batch is durable.
    size: u64,
    tripped: bool,
    /// The last event staged with the entry.
    events: Option<u64>,
}

/// Periodically catches up every order from its sequencer, until the engine is dropped.
async fn sync_loop(inner: std::sync::Weak<Inner>) {
    loop {
        let interval = match inner.upgrade() {
            Some(inner) => inner.config.sync_interval,
            None => return,
        };
        tokio::time::sleep(interval).await;
        let Some(inner) = inner.upgrade() else { return };
        if inner.net.is_closed() {
            return;
        }
        inner.sync_all().await;
        inner.drain_queues().await;
    }
}

/// How many senders' party keys [`Inner::party_key`] keeps read back (addressed parties
/// included).
const PARTY_KEYS_CACHED: usize = 4096;

/// Peer id of a party key, if the key is a valid ed25519 point (contract keys always are).
pub(crate) fn peer_of(key: &PublicKey) -> Option<PeerId> {
    peer_id_for(key.to_bytes()).ok()
}

/// The party key `peer`'s connection authenticated with: what the protocol core is told as a
/// peer message's sender (the core keys parties by public key, never by `PeerId`). `None` for
/// a peer whose identity is no ed25519 key, which speaks for no party.
pub(crate) fn party_key(peer: &PeerId) -> Option<PublicKey> {
    party_key_of(peer).and_then(|bytes| PublicKey::from_bytes(&bytes).ok())
}
