//! Exporting an order's bundle from the store: contract, sources, the clauses' IR, every entry
//! with its inclusion proof, a checkpoint covering them with the witnesses' cosignatures, and
//! this party's signed statement of the head. The same assembly the verifier's builder uses.

use verifier::{
    bundle::{
        assemble::{assemble, contract_ir, OrderParts},
        Head, SignedHead, TrustFile,
    },
    checkpoint::{Checkpoint, NoteVerifierKey, SignedNote, TrustPolicy},
    merkle::MerkleLog,
    model::{Digest, OrderId, SignedEntry},
};

use super::{
    records::{self, EntryRecord, ENTRIES},
    Inner,
};
use crate::api::{ApiError, Code};

impl Inner {
    /// Waits (a few seconds at most) until the log leaf `leaf` is durable: a cosigner may
    /// still be flushing its latest entries, and only what is durable is exported or signed.
    async fn wait_durable(&self, leaf: u64) {
        for _ in 0..500 {
            if self.log.lock().await.durable_size() > leaf {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// This node's signed head of `order` (`GET /orders/{id}/head`): its latest committed
    /// entry with the entry's time, in a log of the current durable size, signed by this party
    /// in the head domain. The bytes are the file `pactum-verify --head` reads; a customer
    /// presents it beside an older bundle to learn (STALE) which entries it lacks.
    pub(crate) async fn signed_head(&self, order: OrderId) -> Result<Vec<u8>, ApiError> {
        let internal = |error: String| ApiError::internal(error);
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        let (head, last, parties, genesis_at) = {
            let slot = slot.lock().await;
            let contract = slot.protocol.core().contract();
            (
                slot.head,
                Some(slot.protocol.last().clone()),
                contract.parties.clone(),
                contract.genesis_at,
            )
        };
        let last = match last {
            Some(last) => last,
            None => self.stored_entry(order, head.seq)?,
        };
        self.wait_durable(head.leaf).await;
        let log_size = self.log.lock().await.durable_size();
        let role = self
            .my_role(&parties)
            .ok_or_else(|| internal("this node is not a party".into()))?;
        let body = last.entry().map_err(|e| internal(e.to_string()))?;
        let head = Head::for_entry(&body, head.entry, genesis_at, log_size)
            .map_err(|e| internal(e.to_string()))?;
        SignedHead::sign(&head, &role, &self.config.key)
            .and_then(|signed| signed.to_bytes())
            .map_err(|e| internal(e.to_string()))
    }

    /// The committed entry of `order` at `seq`, as stored.
    fn stored_entry(&self, order: OrderId, seq: u64) -> Result<SignedEntry, ApiError> {
        records::read_entry(&self.store, &order, seq)
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map(|record| record.entry)
            .ok_or_else(|| ApiError::internal(format!("order {order} has no entry {seq}")))
    }

    /// The bundle of `order`, encoded. With `since` (the size of this log's checkpoint the
    /// customer remembers), it carries a consistency proof from that size to its checkpoint,
    /// so the customer sees the growth proven without relying on witnesses.
    pub(crate) async fn export_bundle(
        &self,
        order: OrderId,
        since: Option<u64>,
    ) -> Result<Vec<u8>, ApiError> {
        let internal = |error: String| ApiError::internal(error);
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        let (record, contract, head) = {
            let slot = slot.lock().await;
            (
                slot.record.clone(),
                slot.protocol.core().contract().clone(),
                slot.head,
            )
        };
        self.wait_durable(head.leaf).await;
        let mut entries = Vec::new();
        let mut leaves = Vec::new();
        for item in self
            .store
            .scan_prefix(ENTRIES, order.as_bytes())
            .take(usize::try_from(head.seq.saturating_add(1)).unwrap_or(usize::MAX))
        {
            let stored: EntryRecord = item
                .map_err(records::RecordError::from)
                .and_then(|(_, bytes)| records::decode("entry", &bytes))
                .map_err(|e| internal(e.to_string()))?;
            leaves.push(stored.leaf);
            entries.push(stored.entry);
        }
        // A checkpoint that covers the head's leaf, made now if the latest does not.
        let latest = self.checkpoints.lock().await.latest.clone();
        let (size, note) = match latest {
            Some((size, note)) if size > head.leaf => (size, note),
            _ => self.make_checkpoint().await?,
        };
        // A proof from a size the checkpoint does not extend would prove nothing.
        let consistency_from: Vec<u64> = since
            .filter(|from| (1..size).contains(from))
            .into_iter()
            .collect();
        let program = self.program(&record.sources).map_err(internal)?;
        let ir = contract_ir(&program, &contract).map_err(|e| internal(e.to_string()))?;
        let parts = OrderParts {
            sources: record.sources,
            ir,
            contract: record.contract,
            entries,
        };
        let log = self.durable_log().await?;
        let role = self
            .my_role(&contract.parties)
            .ok_or_else(|| internal("this node is not a party".into()))?;
        let exporter = (role.as_str(), &self.config.key);
        let bundle = assemble(&parts, &leaves, &log, &note, exporter, &consistency_from)
            .map_err(|e| internal(e.to_string()))?;
        bundle.to_bytes().map_err(|e| internal(e.to_string()))
    }

    /// This log as far as it is durable, read from the store.
    async fn durable_log(&self) -> Result<MerkleLog<crate::log_store::LogReader>, ApiError> {
        let size = self.log.lock().await.durable_size();
        MerkleLog::open(self.reader.clone(), size).map_err(|e| ApiError::internal(e.to_string()))
    }

    /// A consistency proof (RFC 9162) from this log at `from` leaves to the log at `to`
    /// (`GET /log/consistency`), for anyone holding two of its checkpoints.
    pub(crate) async fn consistency_proof(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<Digest>, ApiError> {
        let log = self.durable_log().await?;
        if from == 0 || from > to || to > log.size() {
            return Err(ApiError::new(
                Code::BadRange,
                format!(
                    "a consistency proof needs 1 <= from <= to <= {} (the durable log size); got from={from}, to={to}",
                    log.size()
                ),
            ));
        }
        let proof = log
            .consistency_proof(from, to)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(proof.into_iter().map(Digest).collect())
    }

    /// A trust file for verifying this node's bundles: its log key, the parties that cosigned
    /// its latest checkpoint as witnesses (all of them required), and the parties' keys of
    /// `order` when given.
    pub(crate) async fn trust_file(
        &self,
        parties: Option<std::collections::BTreeMap<String, verifier::sign::PublicKey>>,
    ) -> Result<TrustFile, ApiError> {
        let internal = |error: String| ApiError::internal(error);
        let latest = self.checkpoints.lock().await.latest.clone();
        let mut witnesses = Vec::new();
        if let Some((_, text)) = &latest {
            let note = SignedNote::parse(text).map_err(|e| internal(e.to_string()))?;
            let known = self.known_parties().await;
            for line in note.signatures() {
                for key in known.values() {
                    let Ok(vkey) = NoteVerifierKey::witness(line.name(), *key) else {
                        continue;
                    };
                    if vkey.key_id() == line.key_id()
                        && note.verify(std::slice::from_ref(&vkey)).is_ok()
                        && !witnesses.iter().any(|(name, _)| name == line.name())
                    {
                        witnesses.push((line.name().to_string(), *key));
                    }
                }
            }
            let _ = Checkpoint::parse(note.text()).map_err(|e| internal(e.to_string()))?;
        }
        let named: Vec<(&str, verifier::sign::PublicKey)> = witnesses
            .iter()
            .map(|(name, key)| (name.as_str(), *key))
            .collect();
        let policy = TrustPolicy::from_keys(&self.config.origin, self.public, &named, named.len())
            .map_err(|e| internal(e.to_string()))?;
        Ok(TrustFile {
            log: policy,
            parties: parties
                .unwrap_or_default()
                .into_iter()
                .map(|(role, key)| (role, verifier::model::hex(key.as_bytes())))
                .collect(),
            heads: Default::default(),
        })
    }
}
