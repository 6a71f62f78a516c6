//! Determinism faults keep `/health` degraded until an operator acknowledges them.
//!
//! A determinism fault (a party's node proposed an entry that this node computed differently:
//! a bug or tampering on one side) is evidence, so its record stays in the store (`FAULTS`)
//! for good. What an operator changes by looking into it is only whether it still makes the
//! node `degraded`: `POST /faults/{id}/acknowledge` with a note stores an acknowledgement
//! under the fault's key in its own space ([`FAULT_ACKS`]), the fault record untouched.
//!
//! Unacknowledged faults are found again in the store when the node starts, so a restart does
//! not hide one (before, the reason lived in a counter and vanished at restart). The counter
//! `pactum_determinism_faults_total` counts every fault the store holds, acknowledged or not
//! (it starts from them at start); the gauge `pactum_determinism_faults_unacknowledged` is the number `/health` reports.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    records::{self, FaultRecord, RecordError, FAULTS},
    EngineError, Inner,
};
use crate::{
    api::{ApiError, Code},
    durable::Space,
};

/// Fault key (as in `FAULTS`) → [`Acknowledgement`].
pub const FAULT_ACKS: Space = Space::new("fault_acks");

/// At most this many faults in one `GET /faults` answer (a dishonest sequencer can cause
/// many; the store keeps them all).
const LIST_LIMIT: usize = 1000;

/// At most this many fault ids named in `/health`'s reason.
const HEALTH_IDS: usize = 10;

/// An operator's word that a determinism fault has been looked into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// When (Unix seconds, this node's clock: operator time, not order time).
    pub at: i64,
    /// Why it may stop degrading the node (what was found, the ticket…).
    pub note: String,
}

/// The determinism faults not yet acknowledged, by store key.
#[derive(Debug, Default)]
pub(crate) struct OpenFaults(BTreeSet<Vec<u8>>);

impl OpenFaults {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The first few fault ids, for `/health`.
    fn ids(&self, limit: usize) -> Vec<String> {
        self.0.iter().take(limit).map(hex::encode).collect()
    }
}

fn is_determinism(fault: &FaultRecord) -> bool {
    fault.computed.is_some()
}

fn corrupt(error: RecordError) -> ApiError {
    ApiError::new(Code::StoreFailed, error.to_string())
}

impl Inner {
    /// Finds the determinism faults no operator acknowledged (at start).
    pub(crate) fn load_open_faults(&self) -> Result<(), EngineError> {
        let mut open = BTreeSet::new();
        let mut recorded = 0u64;
        for item in self.store.scan_prefix(FAULTS, b"") {
            let (key, bytes) = item.map_err(RecordError::from)?;
            let fault: FaultRecord = records::decode("fault", &bytes)?;
            if !is_determinism(&fault) {
                continue;
            }
            recorded = recorded.saturating_add(1);
            if self
                .store
                .get(FAULT_ACKS, &key)
                .map_err(RecordError::from)?
                .is_none()
            {
                open.insert(key);
            }
        }
        // The counter counts every fault this node ever recorded, so a restart does not reset it.
        self.metrics.determinism_faults.inc_by(recorded);
        self.change_open_faults(|faults| faults.0 = open);
        Ok(())
    }

    /// A determinism fault was just stored under `key`: it degrades the node until
    /// acknowledged.
    pub(crate) fn fault_opened(&self, key: Vec<u8>) {
        self.change_open_faults(|faults| {
            faults.0.insert(key);
        });
    }

    /// Changes the set of unacknowledged faults and keeps its gauge,
    /// `pactum_determinism_faults_unacknowledged`, equal to its size.
    fn change_open_faults(&self, change: impl FnOnce(&mut OpenFaults)) {
        if let Ok(mut faults) = self.open_faults.lock() {
            change(&mut faults);
            self.metrics
                .determinism_faults_unacknowledged
                .set(i64::try_from(faults.len()).unwrap_or(i64::MAX));
        }
    }

    /// `/health`'s `determinism_fault` reason, if any fault is unacknowledged.
    pub(crate) fn open_faults_reason(&self) -> Option<Value> {
        let faults = self.open_faults.lock().ok()?;
        let count = faults.len();
        (count > 0).then(|| {
            json!({
                "code": "determinism_fault",
                "count": count,
                "faults": faults.ids(HEALTH_IDS),
                "message": format!(
                    "{} refused because this node computed another entry, not yet acknowledged: look into each (GET /faults), then POST /faults/{{id}}/acknowledge with a note",
                    contract_lang::render::english_count(count, ["proposal", "proposals"])
                ),
            })
        })
    }

    /// `GET /faults`: every determinism fault this node recorded, with its acknowledgement.
    pub(crate) fn faults_view(&self) -> Result<Value, ApiError> {
        let mut listed = Vec::new();
        let mut truncated = false;
        for item in self.store.scan_prefix(FAULTS, b"") {
            let (key, bytes) = item.map_err(|error| corrupt(error.into()))?;
            let fault: FaultRecord = records::decode("fault", &bytes).map_err(corrupt)?;
            if !is_determinism(&fault) {
                continue;
            }
            if listed.len() == LIST_LIMIT {
                truncated = true;
                break;
            }
            let acknowledged = self.acknowledgement(&key)?;
            listed.push(fault_json(&key, &fault, acknowledged.as_ref()));
        }
        Ok(json!({ "faults": listed, "truncated": truncated }))
    }

    /// `POST /faults/{id}/acknowledge`: stores the operator's note beside the fault, which
    /// then no longer degrades the node. Acknowledging again keeps the first note.
    pub(crate) async fn acknowledge_fault(
        &self,
        id: &str,
        note: String,
    ) -> Result<Value, ApiError> {
        if note.trim().is_empty() {
            return Err(ApiError::new(
                Code::InvalidAcknowledgement,
                "note: say what was found (it is kept beside the fault as evidence)",
            ));
        }
        let key = hex::decode(id)
            .ok()
            .filter(|key| key.len() == records::FAULT_KEY_LEN)
            .ok_or_else(|| {
                ApiError::new(
                    Code::BadFaultId,
                    format!(
                        "fault id {id:?} is not {} hex digits",
                        records::FAULT_KEY_LEN * 2
                    ),
                )
            })?;
        let fault = records::read::<FaultRecord>(&self.store, FAULTS, &key, "fault")
            .map_err(corrupt)?
            .filter(is_determinism)
            .ok_or_else(|| {
                ApiError::new(Code::UnknownFault, format!("no determinism fault {id}"))
            })?;
        if let Some(earlier) = self.acknowledgement(&key)? {
            return Ok(fault_json(&key, &fault, Some(&earlier)));
        }
        let acknowledgement = Acknowledgement {
            at: now_seconds(),
            note,
        };
        let mut batch = crate::durable::WriteBatch::new();
        let bytes = records::encode("acknowledgement", &acknowledgement).map_err(corrupt)?;
        batch.put(FAULT_ACKS, &key, bytes);
        self.store
            .commit(batch)
            .await
            .map_err(|error| ApiError::new(Code::StoreFailed, error.to_string()))?;
        self.change_open_faults(|faults| {
            faults.0.remove(&key);
        });
        tracing::warn!(
            fault = id,
            order = %fault.order,
            seq = fault.seq,
            note = %acknowledgement.note,
            "determinism fault acknowledged by the operator"
        );
        Ok(fault_json(&key, &fault, Some(&acknowledgement)))
    }

    fn acknowledgement(&self, key: &[u8]) -> Result<Option<Acknowledgement>, ApiError> {
        records::read(&self.store, FAULT_ACKS, key, "acknowledgement").map_err(corrupt)
    }
}

fn fault_json(key: &[u8], fault: &FaultRecord, acknowledged: Option<&Acknowledgement>) -> Value {
    json!({
        "id": hex::encode(key),
        "order": fault.order.to_string(),
        "seq": fault.seq,
        "code": fault.code,
        "message": fault.message,
        "proposed": fault.proposed.to_string(),
        "computed": fault.computed.map(|digest| digest.to_string()),
        "acknowledged": acknowledged.map(|ack| json!({
            "at": verifier::json::timestamp(ack.at),
            "note": ack.note,
        })),
    })
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
