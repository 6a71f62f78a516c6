//! Checkpoints of this node's log (C2SP signed notes) and witnessing the other parties' logs.
//!
//! Every `checkpoint_batch` committed entries, the node signs a checkpoint of its durable log
//! and asks every other party's node to cosign it. A witness cosigns only after checking the
//! log's signature with the party's key and a consistency proof from the last checkpoint it
//! cosigned for that origin, so a log can only grow; that checkpoint is stored before the
//! cosignature leaves, and a log's next checkpoint is judged only once it is ([`Judging`]).
//! Every decision (when, what is signed, who witnesses, what an answer
//! leads to, what a witness answers) is `witness.rs`'s; this file reads and writes the store
//! and the log and carries the requests.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex as StdMutex, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

use futures::future::join_all;
use libp2p::PeerId;
use tokio::sync::{Mutex, OwnedMutexGuard};
use verifier::{
    checkpoint::{Checkpoint, SignedNote},
    model::Digest,
    sign::PublicKey,
};

use super::{
    protocol::{Request, Response},
    records::{self, WitnessedRecord, CHECKPOINTS, WITNESSED},
    witness::{self, Ask, Cosigned, Declined, Presented, WitnessAnswer, Witnessing},
    EngineError, Inner,
};
use crate::{
    api::{ApiError, Code},
    config::default_origin,
    durable::WriteBatch,
};

/// The latest checkpoint and what each witness saw last.
#[derive(Debug, Default)]
pub(crate) struct CheckpointState {
    /// Size and signed note of the latest checkpoint.
    pub latest: Option<(u64, String)>,
    /// Witness role → the size it last cosigned.
    pub witnessed_by: BTreeMap<String, u64>,
    /// A checkpoint is being made (by a background task).
    pub busy: bool,
}

impl CheckpointState {
    pub(crate) fn load(store: &crate::durable::Store, _log_size: u64) -> Result<Self, EngineError> {
        let latest = store
            .last_with_prefix(CHECKPOINTS, b"")
            .map_err(records::RecordError::from)?
            .and_then(|(key, note)| {
                let size = u64::from_be_bytes(key.as_slice().try_into().ok()?);
                Some((size, String::from_utf8_lossy(&note).into_owned()))
            });
        Ok(CheckpointState {
            latest,
            ..CheckpointState::default()
        })
    }
}

impl CheckpointState {
    /// After a restart: the log must still have the root this node signed for its latest
    /// checkpoint (it only ever grows, and a crash never leaves half an entry in it).
    pub(crate) fn check_against(&self, log: &crate::log_store::NodeLog) -> Result<(), EngineError> {
        let Some((size, text)) = &self.latest else {
            return Ok(());
        };
        let corrupt =
            |message: String| EngineError::Log(crate::log_store::LogError::Corrupt(message));
        let note = SignedNote::parse(text).map_err(|e| corrupt(e.to_string()))?;
        let checkpoint = Checkpoint::parse(note.text()).map_err(|e| corrupt(e.to_string()))?;
        if checkpoint.size() != *size {
            return Err(corrupt(format!(
                "checkpoint stored under size {size} says {}",
                checkpoint.size()
            )));
        }
        let root = log.root_at(*size)?;
        if &root != checkpoint.root() {
            return Err(corrupt(format!(
                "the log's root at {size} does not match the last checkpoint this node signed"
            )));
        }
        Ok(())
    }
}

/// One judgement at a time per log at this witness: a lock per memory key
/// ([`witness::memory_key`]), held from reading what the witness remembers of the log to
/// writing (flushed) what it remembers after cosigning. Without it two checkpoints of one log
/// presented at once were both judged against the same memory: a checkpoint and a fork of it
/// both cosigned, or a smaller one written last, so the memory went back. A log's entry lives
/// while a judgement of it holds or awaits its lock, so the map holds only the logs being
/// judged now, whatever origins a party presents.
#[derive(Debug, Default)]
pub(crate) struct Judging {
    logs: StdMutex<HashMap<Vec<u8>, Arc<Mutex<()>>>>,
}

/// One log's judgement lock: dropped, it releases the lock and forgets the log unless another
/// judgement of it holds or awaits the lock.
pub(crate) struct Judgement<'a> {
    judging: &'a Judging,
    memory: Vec<u8>,
    held: Option<OwnedMutexGuard<()>>,
}

impl Judging {
    /// Waits for the judgement of the log remembered under `memory` to be this one's.
    pub(crate) async fn lock(&self, memory: &[u8]) -> Judgement<'_> {
        let lock = self
            .logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(memory.to_vec())
            .or_default()
            .clone();
        // Made before waiting, so a request dropped while it waits forgets the log as well.
        let mut judgement = Judgement {
            judging: self,
            memory: memory.to_vec(),
            held: None,
        };
        judgement.held = Some(lock.lock_owned().await);
        judgement
    }

    /// How many logs have a judgement under way or waiting.
    #[cfg(test)]
    fn logs(&self) -> usize {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for Judgement<'_> {
    fn drop(&mut self) {
        drop(self.held.take());
        let mut logs = self
            .judging
            .logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let idle = logs
            .get(&self.memory)
            .is_some_and(|lock| Arc::strong_count(lock) == 1);
        if idle {
            logs.remove(&self.memory);
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Inner {
    /// This node's key name as a witness.
    pub(crate) fn witness_name(&self) -> String {
        default_origin(&self.config.role, &self.public)
    }

    /// Every other party this node knows, by name: its checkpoints' witnesses
    /// ([`witness::witnesses`]: configured peers, then the parties of its orders).
    pub(crate) async fn known_parties(&self) -> BTreeMap<String, PublicKey> {
        let slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| orders.values().cloned().collect())
            .unwrap_or_default();
        let mut parties: Vec<(String, PublicKey)> = Vec::new();
        for slot in slots {
            let slot = slot.lock().await;
            let contract = slot.protocol.core().contract();
            parties.extend(
                contract
                    .parties
                    .iter()
                    .map(|(role, key)| (role.clone(), *key)),
            );
        }
        let parties = parties.iter().map(|(role, key)| (role, key));
        witness::witnesses(&self.peers(), parties, &self.public)
    }

    /// Called after each commit: starts a checkpoint when a batch of entries accumulated.
    pub(crate) fn after_commit(self: &Arc<Self>) {
        let inner = self.clone();
        tokio::spawn(async move {
            let size = inner.log.lock().await.durable_size();
            {
                let mut state = inner.checkpoints.lock().await;
                let last = state.latest.as_ref().map_or(0, |(size, _)| *size);
                let batch = inner.config.checkpoint_batch;
                if !witness::checkpoint_due(size, last, batch, state.busy) {
                    return;
                }
                state.busy = true;
            }
            if let Err(error) = inner.make_checkpoint().await {
                tracing::warn!(%error, "checkpoint failed");
            }
            inner.checkpoints.lock().await.busy = false;
        });
    }

    /// Signs a checkpoint of the durable log, has it witnessed and stores it (what is signed,
    /// who witnesses it and what each answer leads to: [`Witnessing`]). Returns its size and
    /// note.
    pub(crate) async fn make_checkpoint(&self) -> Result<(u64, String), ApiError> {
        let internal = |error: String| ApiError::internal(error);
        let (size, root) = {
            let log = self.log.lock().await;
            let size = log.durable_size();
            (
                size,
                log.root_at(size).map_err(|e| internal(e.to_string()))?,
            )
        };
        let checkpoint = Checkpoint::new(&self.config.origin, size, root)
            .map_err(|e| internal(e.to_string()))?;
        let witnesses = self.known_parties().await;
        let believed = self.checkpoints.lock().await.witnessed_by.clone();
        let (mut witnessing, mut asks) =
            Witnessing::start(&checkpoint, &self.config.key, witnesses, &believed)
                .map_err(|e| internal(e.to_string()))?;
        while !asks.is_empty() {
            let presented = witnessing.presented();
            let answers = join_all(asks.into_iter().map(|ask| async move {
                let answer = self.ask_witness(presented, size, &ask).await;
                (ask.name, answer)
            }))
            .await;
            asks = answers
                .into_iter()
                .filter_map(|(name, answer)| witnessing.on_answer(&name, answer))
                .collect();
        }
        let witnessed = witnessing.finish();
        let (size, text) = (witnessed.size, witnessed.text.clone());
        let mut batch = WriteBatch::new();
        batch.put(CHECKPOINTS, size.to_be_bytes(), text.clone().into_bytes());
        self.store
            .commit(batch)
            .await
            .map_err(|e| ApiError::new(Code::StoreFailed, e.to_string()))?;
        let mut state = self.checkpoints.lock().await;
        let CheckpointState {
            latest,
            witnessed_by,
            ..
        } = &mut *state;
        witness::keep(latest, witnessed_by, witnessed);
        self.metrics.checkpoints_signed.inc();
        Ok((size, text))
    }

    /// Presents the checkpoint `note` (of the log at `size`) to a witness as `ask` says, with
    /// the consistency proof it names; the witness's answer.
    async fn ask_witness(&self, note: &str, size: u64, ask: &Ask) -> WitnessAnswer {
        let no_answer = |reason: String| WitnessAnswer::NoAnswer { reason };
        let proof = if ask.proof {
            match self.log.lock().await.consistency_proof(ask.from_size, size) {
                Ok(proof) => proof,
                Err(error) => return no_answer(error.to_string()),
            }
        } else {
            Vec::new()
        };
        let request = Request::Witness {
            note: note.to_string(),
            from_size: ask.from_size,
            proof: proof.into_iter().map(Digest).collect(),
        };
        match self.request(&ask.key, request).await {
            Ok(Response::Cosignature {
                name,
                key_id,
                signature,
            }) => WitnessAnswer::Cosignature {
                name,
                key_id,
                signature,
            },
            Ok(Response::WitnessFrom { size }) => WitnessAnswer::From { size },
            Ok(Response::Refused { code, message }) => WitnessAnswer::Refused { code, message },
            Ok(other) => no_answer(format!("it answered {other:?} to a checkpoint")),
            Err(error) => no_answer(error.to_string()),
        }
    }

    /// The key of the party whose node is `peer`, among the parties this node knows.
    async fn key_of_peer(&self, peer: PeerId) -> Option<PublicKey> {
        let mut keys: BTreeSet<PublicKey> = self.peers().iter().map(|(_, key)| *key).collect();
        keys.extend(self.known_parties().await.into_values());
        keys.into_iter().find(|key| self.peer_id(key) == Some(peer))
    }

    /// Cosigns a peer's checkpoint if [`Presented::judge`] does (its signature, and its log
    /// only grew since the last checkpoint this node cosigned for the same origin and key),
    /// one judgement of a log at a time ([`Judging`]).
    pub(crate) async fn on_witness(
        &self,
        peer: PeerId,
        text: &str,
        from_size: u64,
        proof: &[Digest],
    ) -> Response {
        let Some(log_key) = self.key_of_peer(peer).await else {
            return Response::refused("unknown_peer", "this node witnesses only known parties");
        };
        let presented = match Presented::parse(text) {
            Ok(presented) => presented,
            Err(answer) => return answered(answer),
        };
        let memory = witness::memory_key(presented.origin(), &log_key);
        // Held until the new memory is flushed: the next checkpoint of this log is judged
        // against it ([`Judging`]).
        let _judgement = self.judging.lock(&memory).await;
        let remembered: Option<WitnessedRecord> =
            match records::read(&self.store, WITNESSED, &memory, "witnessed") {
                Ok(record) => record,
                Err(error) => return Response::refused("store_failed", error.to_string()),
            };
        // What a node before the key in the memory remembered of this log, if its origin
        // names this key: moved under the key with the memory written below.
        let former = match remembered {
            Some(_) => None,
            None => witness::former_memory_key(presented.origin(), &log_key),
        };
        let remembered = match &former {
            Some(former) => match records::read(&self.store, WITNESSED, former, "witnessed") {
                Ok(record) => record,
                Err(error) => return Response::refused("store_failed", error.to_string()),
            },
            None => remembered,
        };
        let name = self.witness_name();
        let witness = (name.as_str(), &self.config.key);
        let answer = presented.judge(
            log_key,
            from_size,
            proof,
            remembered.as_ref(),
            witness,
            now(),
        );
        let Cosigned { line, remember } = match answer {
            Ok(cosigned) => cosigned,
            Err(declined) => return answered(declined),
        };
        if let Some(pause) = &self.config.hooks.witness_judged {
            pause().await;
        }
        let mut batch = WriteBatch::new();
        match records::encode("witnessed", &remember) {
            Ok(bytes) => batch.put(WITNESSED, memory, bytes),
            Err(error) => return Response::refused("store_failed", error.to_string()),
        };
        if let Some(former) = former {
            batch.remove(WITNESSED, former);
        }
        if let Err(error) = self.store.commit(batch).await {
            return Response::refused("store_failed", error.to_string());
        }
        self.metrics.checkpoints_witnessed.inc();
        Response::Cosignature {
            name: line.name().to_string(),
            key_id: line.key_id(),
            signature: line.signature().to_vec(),
        }
    }
}

/// Why a witness did not cosign, as a response.
fn answered(declined: Declined) -> Response {
    match declined {
        Declined::From { size } => Response::WitnessFrom { size },
        Declined::Refused { code, message } => Response::refused(code, message),
    }
}

#[cfg(test)]
mod tests {
    use std::{
        pin::pin,
        sync::atomic::{AtomicUsize, Ordering},
        task::Poll,
    };

    use tokio::sync::Notify;
    use verifier::{
        checkpoint::sign_checkpoint,
        merkle::{MemoryStore, MerkleLog},
        sign::SigningKey,
    };

    use super::*;
    use crate::{
        durable::Store,
        engine::{Engine, EngineConfig, Hooks, PauseHook},
        metrics::Metrics,
        net::{self, keypair_from_secret, peer_id_for, NetConfig},
    };

    const ORIGIN: &str = "pactum.test/buyer";

    /// A checkpoint presented to the witness: which log (by its leaves' prefix), its size.
    #[derive(Debug, Clone, Copy)]
    struct Shown {
        leaves: &'static str,
        size: u64,
    }

    impl Shown {
        fn log(self) -> MerkleLog<MemoryStore> {
            witness::tests::log(self.leaves, self.size)
        }

        fn note(self, key: &SigningKey) -> String {
            self.note_in(ORIGIN, key)
        }

        fn note_in(self, origin: &str, key: &SigningKey) -> String {
            let checkpoint = Checkpoint::new(origin, self.size, self.root().0).unwrap();
            sign_checkpoint(&checkpoint, key).unwrap().to_text()
        }

        fn root(self) -> Digest {
            Digest(self.log().root_at(self.size).unwrap())
        }

        fn proof(self, from: u64) -> Vec<Digest> {
            let proof = self.log().consistency_proof(from, self.size).unwrap();
            proof.into_iter().map(Digest).collect()
        }
    }

    /// A hook that pauses the first judgement until released; later ones go on.
    fn pause_first() -> (Arc<AtomicUsize>, Arc<Notify>, PauseHook) {
        let judged = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(Notify::new());
        let (count, paused) = (judged.clone(), release.clone());
        let hook: PauseHook = Arc::new(move || {
            let first = count.fetch_add(1, Ordering::SeqCst) == 0;
            let paused = paused.clone();
            Box::pin(async move {
                if first {
                    paused.notified().await;
                }
            })
        });
        (judged, release, hook)
    }

    /// The seller's node, witness of the buyer's log, with `hooks`.
    fn witness_node(dir: &std::path::Path, buyer: PublicKey, hooks: Hooks) -> Engine {
        let key = SigningKey::from_seed([1; 32]);
        let network = net::start::<Request, Response>(
            NetConfig::default(),
            keypair_from_secret(key.to_seed()).unwrap(),
        )
        .unwrap();
        let config = EngineConfig {
            role: "seller".into(),
            origin: "pactum.test/seller".into(),
            key,
            checkpoint_batch: 1_000,
            sync_interval: std::time::Duration::from_secs(3_600),
            peers: vec![("buyer".into(), buyer, Vec::new())],
            hooks,
            protocol: Default::default(),
            events: Default::default(),
        };
        let store = Arc::new(Store::open(dir).unwrap());
        let metrics = Arc::new(Metrics::new());
        Engine::start(config, store, network.handle, network.inbound, metrics).unwrap()
    }

    /// A log's judgement waits for the one under way, another log's does not, and the map
    /// forgets each log once no judgement of it holds or awaits its lock, even one dropped
    /// while it waited (a peer's request given up).
    #[tokio::test]
    async fn judgements_wait_only_for_the_same_log_and_leave_nothing_behind() {
        let judging = Judging::default();
        let held = judging.lock(b"buyer").await;
        let mut same = pin!(judging.lock(b"buyer"));
        assert!(futures::poll!(same.as_mut()).is_pending());
        let mut dropped = Box::pin(judging.lock(b"buyer"));
        assert!(futures::poll!(dropped.as_mut()).is_pending());
        let other = judging.lock(b"carrier").await;
        assert_eq!(judging.logs(), 2);
        drop(other);
        drop(dropped);
        assert_eq!(judging.logs(), 1);
        drop(held);
        drop(same.await);
        assert_eq!(judging.logs(), 0);
    }

    /// Two checkpoints of the buyer's log presented to the seller's witness at once, the first
    /// paused between its judgement and the write of the witness's memory; each asked again
    /// with the proof the witness names. The witness never cosigns two checkpoints of
    /// different histories, and its memory ends at the largest checkpoint it cosigned: the
    /// second is judged against what the first wrote, not against what both read.
    #[tokio::test]
    async fn a_witness_judges_one_checkpoint_of_a_log_at_a_time() {
        let cases = [
            (
                "a smaller checkpoint paused, a larger one raced",
                Shown {
                    leaves: "a",
                    size: 4,
                },
                Shown {
                    leaves: "a",
                    size: 6,
                },
            ),
            (
                "a checkpoint paused, a fork of it raced",
                Shown {
                    leaves: "a",
                    size: 6,
                },
                Shown {
                    leaves: "b",
                    size: 6,
                },
            ),
        ];
        for (case, first, second) in cases {
            let dir = tempfile::tempdir().unwrap();
            let buyer = SigningKey::from_seed([2; 32]);
            let peer = peer_id_for(buyer.public_key().to_bytes()).unwrap();
            let (judged, release, hook) = pause_first();
            let hooks = Hooks {
                witness_judged: Some(hook),
                ..Hooks::default()
            };
            let engine = witness_node(dir.path(), buyer.public_key(), hooks);
            let inner = engine.inner.clone();
            let (first_note, second_note) = (first.note(&buyer), second.note(&buyer));
            let mut paused = pin!(inner.on_witness(peer, &first_note, 0, &[]));
            assert!(futures::poll!(paused.as_mut()).is_pending(), "{case}");
            assert_eq!(judged.load(Ordering::SeqCst), 1, "{case}: not paused");
            let mut raced = pin!(inner.on_witness(peer, &second_note, 0, &[]));
            // The raced presentation goes as far as it can while the first is paused.
            let early = futures::poll!(raced.as_mut());
            release.notify_one();
            let mut answers = vec![(first, paused.await)];
            let answer = match early {
                Poll::Ready(answer) => answer,
                Poll::Pending => raced.await,
            };
            answers.push((second, answer));
            let mut cosigned = Vec::new();
            for (shown, answer) in answers {
                let answer = match answer {
                    Response::WitnessFrom { size } => {
                        let (note, proof) = (shown.note(&buyer), shown.proof(size));
                        inner.on_witness(peer, &note, size, &proof).await
                    }
                    answer => answer,
                };
                if let Response::Cosignature { .. } = answer {
                    cosigned.push(shown);
                }
            }
            let histories: BTreeSet<&str> = cosigned.iter().map(|shown| shown.leaves).collect();
            assert_eq!(
                histories.len(),
                1,
                "{case}: the witness cosigned checkpoints of two histories: {cosigned:?}"
            );
            let memory = witness::memory_key(ORIGIN, &buyer.public_key());
            let remembered: WitnessedRecord =
                records::read(&inner.store, WITNESSED, &memory, "witnessed")
                    .unwrap()
                    .unwrap();
            let largest = cosigned.iter().map(|shown| shown.size).max();
            assert_eq!(
                inner.judging.logs(),
                0,
                "{case}: a finished judgement's lock kept"
            );
            assert_eq!(
                Some(remembered.size),
                largest,
                "{case}: the witness's memory went back below what it cosigned ({cosigned:?})"
            );
        }
    }

    /// A store as a node before the key in the witness's memory wrote it: what it cosigned of
    /// the log of `origin` remembered under the origin alone.
    async fn remembered_by_origin(origin: &str, record: &WitnessedRecord) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut batch = WriteBatch::new();
        let bytes = records::encode("witnessed", record).unwrap();
        batch.put(WITNESSED, origin.as_bytes(), bytes);
        store.commit(batch).await.unwrap();
        store.close().unwrap();
        dir
    }

    /// A witness upgraded from a node that remembered a log by its origin alone: what it
    /// cosigned of the buyer's log in the buyer's default origin (`pactum/buyer/<key prefix>`,
    /// which names the buyer's key) still holds: a fork and a rollback of it are refused, the
    /// log grown from it is cosigned, and from then on the memory is under the buyer's key and
    /// origin only. A memory under an origin that names no key is not taken for the buyer's.
    #[tokio::test]
    async fn a_witness_keeps_what_a_node_before_the_key_in_its_memory_cosigned() {
        let buyer = SigningKey::from_seed([2; 32]);
        let origin = crate::config::default_origin("buyer", &buyer.public_key());
        let peer = peer_id_for(buyer.public_key().to_bytes()).unwrap();
        let cosigned = Shown {
            leaves: "a",
            size: 6,
        };
        let remembered = WitnessedRecord {
            size: cosigned.size,
            root: cosigned.root(),
        };
        let cases = [
            (
                "a fork",
                Shown {
                    leaves: "b",
                    size: 6,
                },
                false,
            ),
            (
                "a rollback",
                Shown {
                    leaves: "a",
                    size: 4,
                },
                false,
            ),
            (
                "the log grown",
                Shown {
                    leaves: "a",
                    size: 9,
                },
                true,
            ),
        ];
        for (case, shown, cosigns) in cases {
            let dir = remembered_by_origin(&origin, &remembered).await;
            let engine = witness_node(dir.path(), buyer.public_key(), Hooks::default());
            let inner = engine.inner.clone();
            let mut answer = inner
                .on_witness(peer, &shown.note_in(&origin, &buyer), 0, &[])
                .await;
            if let Response::WitnessFrom { size } = answer {
                assert_eq!(size, cosigned.size, "{case}");
                // Asked again as the log's side asks (`witness::proof_from`).
                let (from, proven) = witness::proof_from(size, shown.size);
                let proof = if proven {
                    shown.proof(from)
                } else {
                    Vec::new()
                };
                let note = shown.note_in(&origin, &buyer);
                answer = inner.on_witness(peer, &note, from, &proof).await;
            }
            let was_cosigned = matches!(answer, Response::Cosignature { .. });
            assert_eq!(was_cosigned, cosigns, "{case}: {answer:?}");
            let memory = witness::memory_key(&origin, &buyer.public_key());
            let now: Option<WitnessedRecord> =
                records::read(&inner.store, WITNESSED, &memory, "witnessed").unwrap();
            let old: Option<WitnessedRecord> =
                records::read(&inner.store, WITNESSED, origin.as_bytes(), "witnessed").unwrap();
            if cosigns {
                assert_eq!(now.map(|record| record.size), Some(shown.size), "{case}");
                assert_eq!(old, None, "{case}: the memory under the origin alone kept");
            } else {
                assert_eq!(now, None, "{case}");
                assert_eq!(old, Some(remembered), "{case}: the former memory lost");
            }
        }
        // Under an origin that names no key, the memory may be of any party's checkpoint in
        // it: the buyer's log in that origin is judged as one never seen.
        let dir = remembered_by_origin(ORIGIN, &remembered).await;
        let engine = witness_node(dir.path(), buyer.public_key(), Hooks::default());
        let fork = Shown {
            leaves: "b",
            size: 6,
        };
        let answer = engine
            .inner
            .on_witness(peer, &fork.note(&buyer), 0, &[])
            .await;
        assert!(matches!(answer, Response::Cosignature { .. }), "{answer:?}");
    }
}
