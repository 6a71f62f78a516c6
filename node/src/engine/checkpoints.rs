//! Checkpoints of this node's log (C2SP signed notes) and witnessing the other parties' logs.
//!
//! Every `checkpoint_batch` committed entries, the node signs a checkpoint of its durable log
//! and asks every other party's node to cosign it. A witness cosigns only after checking the
//! log's signature with the party's key and a consistency proof from the last checkpoint it
//! cosigned for that origin, so a log can only grow; that checkpoint is stored before the
//! cosignature leaves.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use libp2p::PeerId;
use verifier::{
    checkpoint::{sign_checkpoint, Checkpoint, NoteSignature, NoteVerifierKey, SignedNote},
    model::Digest,
    sign::PublicKey,
};

use super::{
    protocol::{Request, Response},
    records::{self, WitnessedRecord, CHECKPOINTS, WITNESSED},
    witness::{self, Cosigned, Declined, Presented},
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

    /// Every other party this node knows: configured peers and the parties of its orders.
    pub(crate) async fn known_parties(&self) -> BTreeMap<String, PublicKey> {
        let mut parties: BTreeMap<String, PublicKey> = BTreeMap::new();
        for (role, key) in &self.peers() {
            // Several peers may share a role: the later ones are named by their key too.
            let name = match parties.get(role) {
                Some(known) if known != key => format!("{role}-{}", &key.to_string()[..8]),
                _ => role.clone(),
            };
            parties.insert(name, *key);
        }
        let slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| orders.values().cloned().collect())
            .unwrap_or_default();
        for slot in slots {
            let slot = slot.lock().await;
            for (role, key) in &slot.protocol.core().contract().parties {
                parties.entry(role.clone()).or_insert(*key);
            }
        }
        parties.retain(|_, key| *key != self.public);
        parties
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

    /// Signs a checkpoint of the durable log, gathers the witnesses' cosignatures and stores
    /// it. Returns its size and note.
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
        let mut note =
            sign_checkpoint(&checkpoint, &self.config.key).map_err(|e| internal(e.to_string()))?;
        let witnesses = self.known_parties().await;
        let mut witnessed_by = self.checkpoints.lock().await.witnessed_by.clone();
        for (role, key) in witnesses {
            match self
                .request_cosignature(
                    &note,
                    size,
                    witnessed_by.get(&role).copied().unwrap_or(0),
                    &key,
                )
                .await
            {
                Ok(signature) => {
                    if note.push_signature(signature).is_ok() {
                        witnessed_by.insert(role, size);
                    }
                }
                Err(error) => tracing::debug!(%role, %error, "witness did not cosign"),
            }
        }
        let text = note.to_text();
        let mut batch = WriteBatch::new();
        batch.put(CHECKPOINTS, size.to_be_bytes(), text.clone().into_bytes());
        self.store
            .commit(batch)
            .await
            .map_err(|e| ApiError::unavailable("store_failed", e.to_string()))?;
        let mut state = self.checkpoints.lock().await;
        state.witnessed_by = witnessed_by;
        state.latest = Some((size, text.clone()));
        self.metrics.checkpoints_signed.inc();
        Ok((size, text))
    }

    async fn request_cosignature(
        &self,
        note: &SignedNote,
        size: u64,
        believed: u64,
        witness: &PublicKey,
    ) -> Result<NoteSignature, String> {
        let mut from_size = believed;
        for _ in 0..2 {
            let (from, needs_proof) = witness::proof_from(from_size, size);
            from_size = from;
            let proof = if needs_proof {
                self.log
                    .lock()
                    .await
                    .consistency_proof(from_size, size)
                    .map_err(|e| e.to_string())?
            } else {
                Vec::new()
            };
            let request = Request::Witness {
                note: note.to_text(),
                from_size,
                proof: proof.into_iter().map(Digest).collect(),
            };
            match self
                .request(witness, request)
                .await
                .map_err(|e| e.to_string())?
            {
                Response::Cosignature {
                    name,
                    key_id,
                    signature,
                } => {
                    let line =
                        NoteSignature::new(&name, key_id, signature).map_err(|e| e.to_string())?;
                    // Keep only a cosignature that verifies under the witness's key.
                    let key =
                        NoteVerifierKey::witness(&name, *witness).map_err(|e| e.to_string())?;
                    let check = SignedNote::new(note.text(), vec![line.clone()])
                        .map_err(|e| e.to_string())?;
                    check.verify(&[key]).map_err(|e| e.to_string())?;
                    return Ok(line);
                }
                Response::WitnessFrom { size: seen } if seen <= size => from_size = seen,
                Response::Refused { code, message } => return Err(format!("{code}: {message}")),
                other => return Err(format!("unexpected answer {other:?}")),
            }
        }
        Err("the witness keeps asking for another proof".into())
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
        let origin = presented.origin().to_string();
        let remembered: Option<WitnessedRecord> =
            match records::read(&self.store, WITNESSED, origin.as_bytes(), "witnessed") {
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
            Ok(bytes) => batch.put(WITNESSED, origin.as_bytes(), bytes),
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
