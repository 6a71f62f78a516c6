//! Checkpoints of this node's log (C2SP signed notes) and witnessing the other parties' logs.
//!
//! Every `checkpoint_batch` committed entries, the node signs a checkpoint of its durable log
//! and asks every other party's node to cosign it. A witness cosigns only after checking the
//! log's signature with the party's key and a consistency proof from the last checkpoint it
//! cosigned for that origin, so a log can only grow; that checkpoint is stored before the
//! cosignature leaves. Every decision (when, what is signed, who witnesses, what an answer
//! leads to, what a witness answers) is `witness.rs`'s; this file reads and writes the store
//! and the log and carries the requests.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use futures::future::join_all;
use libp2p::PeerId;
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
use crate::{api::ApiError, config::default_origin, durable::WriteBatch};

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
            .map_err(|e| ApiError::refusal("store_failed", e.to_string()))?;
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
    /// only grew since the last checkpoint this node cosigned for the same origin).
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
        let remembered: Option<WitnessedRecord> =
            match records::read(&self.store, WITNESSED, &memory, "witnessed") {
                Ok(record) => record,
                Err(error) => return Response::refused("store_failed", error.to_string()),
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
        let mut batch = WriteBatch::new();
        match records::encode("witnessed", &remember) {
            Ok(bytes) => batch.put(WITNESSED, memory, bytes),
            Err(error) => return Response::refused("store_failed", error.to_string()),
        };
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
