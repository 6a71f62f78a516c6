//! Checkpoints and witnessing, without I/O: when this node signs a checkpoint of its log, what
//! it signs and which parties witness it, from which size it proves to a witness that the log
//! only grew, what each witness's answer (or its silence) leads to ([`Witnessing`]), and what
//! a witness answers a checkpoint presented to it (cosign it and remember it, ask for a proof
//! from the size it cosigned last, or refuse a rollback, a fork or a bad signature). The driver
//! (`checkpoints.rs`) reads and writes the store and the log, and talks to the peers.

use std::collections::BTreeMap;

use verifier::{
    checkpoint::{
        cosign, sign_checkpoint, Checkpoint, NoteError, NoteSignature, NoteVerifierKey, SignedNote,
    },
    merkle::{verify_consistency, Hash},
    model::Digest,
    sign::{PublicKey, SigningKey},
};

use super::records::WitnessedRecord;
use crate::config::default_origin;

/// Whether a checkpoint is due: `batch` entries became durable since the last checkpoint (of
/// size `last`) and none is being made.
pub fn checkpoint_due(durable: u64, last: u64, batch: u64, busy: bool) -> bool {
    !busy && durable >= last.saturating_add(batch)
}

/// The size a consistency proof to a witness starts from, for a checkpoint of `size`: the size
/// the witness cosigned last (as this node believes), and `None` when no proof is needed (it
/// saw nothing yet, or exactly this size).
pub fn proof_from(believed: u64, size: u64) -> (u64, bool) {
    let from = believed.min(size);
    (from, from != 0 && from != size)
}

/// Most times one witness is asked to cosign one checkpoint (again, from the size it names).
const MAX_ASKS: u8 = 2;

/// The witnesses of this node's checkpoints: every other party it knows, the configured
/// `peers` first (several peers sharing a role are told apart by their key) and then the
/// parties of its orders, by name; never this node itself (`me`).
pub fn witnesses<'a>(
    peers: &[(String, PublicKey)],
    parties: impl IntoIterator<Item = (&'a String, &'a PublicKey)>,
    me: &PublicKey,
) -> BTreeMap<String, PublicKey> {
    let mut witnesses: BTreeMap<String, PublicKey> = BTreeMap::new();
    for (role, key) in peers {
        let name = match witnesses.get(role) {
            Some(known) if known != key => format!("{role}-{}", &key.to_string()[..8]),
            _ => role.clone(),
        };
        witnesses.insert(name, *key);
    }
    for (role, key) in parties {
        witnesses.entry(role.clone()).or_insert(*key);
    }
    witnesses.retain(|_, key| key != me);
    witnesses
}

/// One request to a witness: present the checkpoint with a consistency proof from
/// `from_size` (`proof`: whether one is needed; see [`proof_from`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub name: String,
    pub key: PublicKey,
    pub from_size: u64,
    pub proof: bool,
}

/// A witness's answer as its node gave it (or did not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessAnswer {
    Cosignature {
        name: String,
        key_id: u32,
        signature: Vec<u8>,
    },
    /// Present it again with a proof from this size.
    From {
        size: u64,
    },
    Refused {
        code: String,
        message: String,
    },
    /// Unreachable, timed out, an answer that makes no sense.
    NoAnswer {
        reason: String,
    },
}

/// What became of one witness.
#[derive(Debug, Clone)]
struct Witness {
    key: PublicKey,
    asks: u8,
    cosigned: bool,
}

/// A checkpoint of this node's log being witnessed, without I/O: what is signed (the log's
/// origin, size and root, with the node's key), who is asked from which size, and what each
/// answer (or its absence) leads to. The driver sends each [`Ask`] (with the consistency proof
/// its log gives), hands the answers back, and stores what [`Witnessing::finish`] returns.
#[derive(Debug)]
pub struct Witnessing {
    note: SignedNote,
    text: String,
    size: u64,
    witnesses: BTreeMap<String, Witness>,
}

/// A witnessed checkpoint: its note with every cosignature that verified, and the witnesses
/// that cosigned it (each remembered as having seen `size`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    pub size: u64,
    pub text: String,
    pub cosigned_by: Vec<String>,
}

impl Witnessing {
    /// Signs `checkpoint` with the log's `key` and asks every one of `witnesses`, each from
    /// the size it cosigned last as this node believes (`believed`, by name).
    pub fn start(
        checkpoint: &Checkpoint,
        key: &SigningKey,
        witnesses: BTreeMap<String, PublicKey>,
        believed: &BTreeMap<String, u64>,
    ) -> Result<(Witnessing, Vec<Ask>), NoteError> {
        let note = sign_checkpoint(checkpoint, key)?;
        let size = checkpoint.size();
        let mut witnessing = Witnessing {
            text: note.to_text(),
            note,
            size,
            witnesses: BTreeMap::new(),
        };
        let asks = witnesses
            .into_iter()
            .filter_map(|(name, key)| {
                let witness = Witness {
                    key,
                    asks: 0,
                    cosigned: false,
                };
                witnessing.witnesses.insert(name.clone(), witness);
                let from = believed.get(&name).copied().unwrap_or(0);
                witnessing.ask(&name, from)
            })
            .collect();
        Ok((witnessing, asks))
    }

    /// The checkpoint as the log signed it: what is presented to every witness.
    pub fn presented(&self) -> &str {
        &self.text
    }

    /// The size of the log the checkpoint commits to.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Asks `name` to cosign with a proof from `from`, unless it was asked enough.
    fn ask(&mut self, name: &str, from: u64) -> Option<Ask> {
        let witness = self.witnesses.get_mut(name)?;
        if witness.asks >= MAX_ASKS {
            return None;
        }
        witness.asks = witness.asks.saturating_add(1);
        let (from_size, proof) = proof_from(from, self.size);
        Some(Ask {
            name: name.to_string(),
            key: witness.key,
            from_size,
            proof,
        })
    }

    /// `name`'s answer: a cosignature kept only if it verifies under the witness's key; a
    /// request for a proof from a size at most the checkpoint's asked once more; a refusal or
    /// no answer leaves the witness out of this checkpoint (asked again at the next one).
    pub fn on_answer(&mut self, name: &str, answer: WitnessAnswer) -> Option<Ask> {
        match answer {
            WitnessAnswer::Cosignature {
                name: line_name,
                key_id,
                signature,
            } => {
                let key = self.witnesses.get(name)?.key;
                let line = NoteSignature::new(&line_name, key_id, signature).ok()?;
                let verifier = NoteVerifierKey::witness(&line_name, key).ok()?;
                let alone = SignedNote::new(self.note.text(), vec![line.clone()]).ok()?;
                alone.verify(&[verifier]).ok()?;
                self.note.push_signature(line).ok()?;
                if let Some(witness) = self.witnesses.get_mut(name) {
                    witness.cosigned = true;
                }
                None
            }
            WitnessAnswer::From { size } if size <= self.size => self.ask(name, size),
            WitnessAnswer::From { .. }
            | WitnessAnswer::Refused { .. }
            | WitnessAnswer::NoAnswer { .. } => None,
        }
    }

    /// The checkpoint with the cosignatures gathered, once no request is outstanding.
    pub fn finish(self) -> Witnessed {
        let cosigned_by = self
            .witnesses
            .into_iter()
            .filter(|(_, witness)| witness.cosigned)
            .map(|(name, _)| name)
            .collect();
        Witnessed {
            size: self.size,
            text: self.note.to_text(),
            cosigned_by,
        }
    }
}

/// What a node keeps once a checkpoint of its log is witnessed: it becomes the latest unless a
/// larger one was witnessed meanwhile (an export makes one while another is being witnessed in
/// the background: kept in the order they finish, the latest went back to the smaller, and a
/// customer who had verified a bundle at the larger was handed a rollback), and each witness
/// that cosigned it is believed to have seen at least its size.
pub fn keep(
    latest: &mut Option<(u64, String)>,
    witnessed_by: &mut BTreeMap<String, u64>,
    witnessed: Witnessed,
) {
    let Witnessed {
        size,
        text,
        cosigned_by,
    } = witnessed;
    for name in cosigned_by {
        let seen = witnessed_by.entry(name).or_default();
        *seen = (*seen).max(size);
    }
    if latest.as_ref().is_none_or(|(last, _)| *last <= size) {
        *latest = Some((size, text));
    }
}

/// The key under which a witness remembers the last checkpoint it cosigned of a log: the log's
/// key, then its origin. A party that presents a checkpoint in another party's origin, signed
/// with its own key (which is all a witness can check it against), reaches only what the
/// witness remembers of that origin under its own key, never what it remembers of the other
/// party's log (which it could otherwise make the witness refuse).
pub fn memory_key(origin: &str, log_key: &PublicKey) -> Vec<u8> {
    let mut key = log_key.as_bytes().to_vec();
    key.extend_from_slice(origin.as_bytes());
    key
}

/// Where a node before [`memory_key`] remembered the log of `origin`, when that memory is the
/// log of `log_key`'s: such a node remembered a log by its origin alone, and only a default
/// origin (`pactum/<role>/<first 8 bytes of the key in hex>`, [`default_origin`]) names the
/// key of its log. A witness reads it while it has no memory under [`memory_key`] and moves
/// it there with the next memory it writes, so an upgraded witness does not forget what it
/// cosigned (a memory a party poisoned before the upgrade, presenting a checkpoint in this
/// origin signed with its own key, stays as the older node held it). An origin that names no
/// key (`[checkpoint] origin`) is not read: its memory may be of any party's checkpoint in
/// that origin, and taken for another key's log it would make the witness refuse that log for
/// ever (a new key presenting the same origin, or a party that presented its own checkpoint in
/// another party's origin, the poisoning [`memory_key`] ends); for such a log the upgraded
/// witness forgets once what it cosigned.
pub fn former_memory_key(origin: &str, log_key: &PublicKey) -> Option<Vec<u8>> {
    let (role, _) = origin.strip_prefix("pactum/")?.rsplit_once('/')?;
    (default_origin(role, log_key) == origin).then(|| origin.as_bytes().to_vec())
}

/// A checkpoint presented for witnessing, parsed.
#[derive(Debug)]
pub struct Presented {
    note: SignedNote,
    checkpoint: Checkpoint,
}

/// A witness's cosignature of a checkpoint, and what it remembers for the checkpoint's log
/// (stored under [`memory_key`] before the cosignature is sent, so a restart never cosigns a
/// smaller log).
#[derive(Debug)]
pub struct Cosigned {
    pub line: NoteSignature,
    pub remember: WitnessedRecord,
}

/// Why a witness does not cosign.
#[derive(Debug)]
pub enum Declined {
    /// Present it again with a consistency proof from this size, the last one cosigned.
    From { size: u64 },
    /// Not cosigned; a stable code and why.
    Refused { code: &'static str, message: String },
}

fn refused(code: &'static str, message: impl Into<String>) -> Declined {
    Declined::Refused {
        code,
        message: message.into(),
    }
}

impl Presented {
    /// Parses a signed checkpoint note (C2SP).
    pub fn parse(text: &str) -> Result<Presented, Declined> {
        let malformed = |error: String| refused("malformed_note", error);
        let note = SignedNote::parse(text).map_err(|e| malformed(e.to_string()))?;
        let checkpoint = Checkpoint::parse(note.text()).map_err(|e| malformed(e.to_string()))?;
        Ok(Presented { note, checkpoint })
    }

    /// The log's origin: what the witness remembers is kept under it and the log's key
    /// ([`memory_key`]).
    pub fn origin(&self) -> &str {
        self.checkpoint.origin()
    }

    /// The witness's answer to this checkpoint, signed by the log whose key is `log_key`,
    /// shown with a consistency `proof` from `from_size`, when the witness last cosigned
    /// `remembered` for its origin. `witness` names and signs the cosignature at `now`.
    pub fn judge(
        &self,
        log_key: PublicKey,
        from_size: u64,
        proof: &[Digest],
        remembered: Option<&WitnessedRecord>,
        witness: (&str, &SigningKey),
        now: u64,
    ) -> Result<Cosigned, Declined> {
        let verified = NoteVerifierKey::log(self.origin(), log_key)
            .map_err(|e| e.to_string())
            .and_then(|key| self.note.verify(&[key]).map_err(|e| e.to_string()));
        if let Err(error) = verified {
            return Err(refused(
                "bad_signature",
                format!("the log's signature: {error}"),
            ));
        }
        let size = self.checkpoint.size();
        let root: Hash = *self.checkpoint.root();
        match remembered {
            Some(seen) if from_size != seen.size => return Err(Declined::From { size: seen.size }),
            Some(seen) if size < seen.size => {
                let message = format!("the log shrank from {} to {size}", seen.size);
                return Err(refused("rollback", message));
            }
            Some(seen) if !grew(seen, size, &root, proof) => {
                let message = format!(
                    "the checkpoint at {size} is not an extension of the one at {}",
                    seen.size
                );
                return Err(refused("inconsistent", message));
            }
            None if from_size != 0 => return Err(Declined::From { size: 0 }),
            _ => {}
        }
        let line = cosign(&self.checkpoint, witness.0, witness.1, now)
            .map_err(|error| refused("cannot_cosign", error.to_string()))?;
        let remember = WitnessedRecord {
            size,
            root: Digest(root),
        };
        Ok(Cosigned { line, remember })
    }
}

/// Whether the log at `size` with `root` extends the one `seen` (the same root at the same
/// size; else a valid consistency proof).
fn grew(seen: &WitnessedRecord, size: u64, root: &Hash, proof: &[Digest]) -> bool {
    if size == seen.size {
        return *root == seen.root.0;
    }
    let proof: Vec<Hash> = proof.iter().map(|digest| digest.0).collect();
    verify_consistency(seen.size, size, &seen.root.0, root, &proof).is_ok()
}

#[cfg(test)]
pub(super) mod tests {
    use verifier::checkpoint::sign_checkpoint;
    use verifier::merkle::{MemoryStore, MerkleLog};

    use super::*;

    const ORIGIN: &str = "pactum.test/seller";

    /// A log of `size` leaves (leaf `n` is the text of `n`, after `prefix`).
    pub(in crate::engine) fn log(prefix: &str, size: u64) -> MerkleLog<MemoryStore> {
        let mut log = MerkleLog::new(MemoryStore::new());
        for n in 0..size {
            log.append(format!("{prefix}{n}").as_bytes()).unwrap();
        }
        log
    }

    fn note(log: &MerkleLog<MemoryStore>, size: u64, key: &SigningKey) -> Presented {
        let checkpoint = Checkpoint::new(ORIGIN, size, log.root_at(size).unwrap()).unwrap();
        let text = sign_checkpoint(&checkpoint, key).unwrap().to_text();
        Presented::parse(&text).unwrap()
    }

    fn proof(log: &MerkleLog<MemoryStore>, from: u64, to: u64) -> Vec<Digest> {
        let proof = log.consistency_proof(from, to).unwrap();
        proof.into_iter().map(Digest).collect()
    }

    struct Witness {
        key: SigningKey,
        remembered: Option<WitnessedRecord>,
    }

    impl Witness {
        /// Judges like a witness's node and remembers what it cosigned.
        fn judge(
            &mut self,
            note: &Presented,
            log_key: PublicKey,
            from: u64,
            proof: &[Digest],
        ) -> Result<Cosigned, Declined> {
            let answer = note.judge(
                log_key,
                from,
                proof,
                self.remembered.as_ref(),
                ("buyer", &self.key),
                1_700_000_000,
            );
            if let Ok(cosigned) = &answer {
                self.remembered = Some(cosigned.remember);
            }
            answer
        }
    }

    fn code<T>(answer: &Result<T, Declined>) -> &str {
        match answer {
            Ok(_) => "cosigned",
            Err(Declined::From { .. }) => "from",
            Err(Declined::Refused { code, .. }) => code,
        }
    }

    #[test]
    fn a_witness_cosigns_a_log_that_only_grows_and_refuses_one_that_shrank_or_forked() {
        let seller = SigningKey::from_seed([1; 32]);
        let mut witness = Witness {
            key: SigningKey::from_seed([2; 32]),
            remembered: None,
        };
        let grown = log("entry ", 12);
        let first = note(&grown, 5, &seller);
        assert_eq!(
            code(&witness.judge(&first, seller.public_key(), 0, &[])),
            "cosigned"
        );

        // Later, larger: a proof from the size it cosigned is asked for, then accepted.
        let later = note(&grown, 12, &seller);
        let answer = witness.judge(&later, seller.public_key(), 0, &[]);
        assert!(
            matches!(answer, Err(Declined::From { size: 5 })),
            "{answer:?}"
        );
        let answer = witness.judge(&later, seller.public_key(), 5, &proof(&grown, 5, 12));
        assert_eq!(code(&answer), "cosigned");
        // The same checkpoint again needs no proof.
        assert_eq!(
            code(&witness.judge(&later, seller.public_key(), 12, &[])),
            "cosigned"
        );

        // Smaller than what it cosigned: a rollback; another history of the same size: a fork.
        let earlier = note(&grown, 9, &seller);
        assert_eq!(
            code(&witness.judge(&earlier, seller.public_key(), 12, &[])),
            "rollback"
        );
        let forked = log("forged ", 14);
        let other = note(&forked, 14, &seller);
        let answer = witness.judge(&other, seller.public_key(), 12, &proof(&forked, 12, 14));
        assert_eq!(code(&answer), "inconsistent");
    }

    #[test]
    fn a_checkpoint_not_signed_by_the_party_s_log_key_is_refused() {
        let seller = SigningKey::from_seed([1; 32]);
        let stranger = SigningKey::from_seed([3; 32]);
        let mut witness = Witness {
            key: SigningKey::from_seed([2; 32]),
            remembered: None,
        };
        let forged = note(&log("entry ", 3), 3, &stranger);
        let answer = witness.judge(&forged, seller.public_key(), 0, &[]);
        assert_eq!(code(&answer), "bad_signature");
        assert!(witness.remembered.is_none());
        assert_eq!(code(&Presented::parse("not a note")), "malformed_note");
    }

    /// A checkpoint of `log` at `size`, signed by `seller`, witnessed by the buyer and the
    /// carrier, the buyer believed to have cosigned `believed_buyer` last.
    fn witnessing(
        log: &MerkleLog<MemoryStore>,
        size: u64,
        seller: &SigningKey,
        believed: &[(&str, u64)],
    ) -> (Witnessing, Vec<Ask>) {
        let checkpoint = Checkpoint::new(ORIGIN, size, log.root_at(size).unwrap()).unwrap();
        let witnesses = BTreeMap::from([
            (
                "buyer".to_string(),
                SigningKey::from_seed([2; 32]).public_key(),
            ),
            (
                "carrier".to_string(),
                SigningKey::from_seed([4; 32]).public_key(),
            ),
        ]);
        let believed = believed
            .iter()
            .map(|(name, size)| (name.to_string(), *size))
            .collect();
        Witnessing::start(&checkpoint, seller, witnesses, &believed).unwrap()
    }

    #[test]
    fn each_witness_is_asked_from_the_size_it_cosigned_and_only_a_valid_cosignature_is_kept() {
        let seller = SigningKey::from_seed([1; 32]);
        let grown = log("entry ", 12);
        let (mut witnessing, asks) = witnessing(&grown, 12, &seller, &[("buyer", 5)]);
        let buyer_key = SigningKey::from_seed([2; 32]);
        let asked = |name: &str, key: &SigningKey, from_size, proof| Ask {
            name: name.into(),
            key: key.public_key(),
            from_size,
            proof,
        };
        assert_eq!(
            asks,
            [
                asked("buyer", &buyer_key, 5, true),
                asked("carrier", &SigningKey::from_seed([4; 32]), 0, false)
            ]
        );
        // The buyer's node judges what it is presented, with the proof from 5, and cosigns.
        let mut buyer = Witness {
            key: buyer_key,
            remembered: Some(WitnessedRecord {
                size: 5,
                root: Digest(grown.root_at(5).unwrap()),
            }),
        };
        let presented = Presented::parse(witnessing.presented()).unwrap();
        let cosigned = buyer
            .judge(&presented, seller.public_key(), 5, &proof(&grown, 5, 12))
            .unwrap();
        let answer = WitnessAnswer::Cosignature {
            name: cosigned.line.name().into(),
            key_id: cosigned.line.key_id(),
            signature: cosigned.line.signature().to_vec(),
        };
        assert_eq!(witnessing.on_answer("buyer", answer.clone()), None);
        // The same line handed back as the carrier's does not verify under the carrier's key.
        assert_eq!(witnessing.on_answer("carrier", answer), None);
        let done = witnessing.finish();
        assert_eq!(done.size, 12);
        assert_eq!(done.cosigned_by, ["buyer"]);
        assert_eq!(SignedNote::parse(&done.text).unwrap().signatures().len(), 2);
    }

    #[test]
    fn a_witness_is_asked_again_once_from_the_size_it_names_and_otherwise_left_out() {
        let seller = SigningKey::from_seed([1; 32]);
        let (mut witnessing, asks) = witnessing(&log("entry ", 12), 12, &seller, &[]);
        assert!(asks.iter().all(|ask| ask.from_size == 0 && !ask.proof));
        let again = witnessing
            .on_answer("buyer", WitnessAnswer::From { size: 5 })
            .unwrap();
        assert_eq!((again.from_size, again.proof), (5, true));
        // Asked twice: not a third time.
        assert_eq!(
            witnessing.on_answer("buyer", WitnessAnswer::From { size: 7 }),
            None
        );
        // A witness that believes in a larger log than this one is not shown it again.
        assert_eq!(
            witnessing.on_answer("carrier", WitnessAnswer::From { size: 13 }),
            None
        );
        let silent = WitnessAnswer::NoAnswer {
            reason: "timed out".into(),
        };
        assert_eq!(witnessing.on_answer("carrier", silent), None);
        let done = witnessing.finish();
        assert!(done.cosigned_by.is_empty());
        // Signed by the log alone.
        assert_eq!(SignedNote::parse(&done.text).unwrap().signatures().len(), 1);
    }

    #[test]
    fn every_other_party_known_witnesses_and_peers_sharing_a_role_are_told_apart() {
        let key = |seed| SigningKey::from_seed([seed; 32]).public_key();
        let peers = [
            ("buyer".to_string(), key(2)),
            ("buyer".to_string(), key(3)),
            ("seller".to_string(), key(1)),
        ];
        let parties = BTreeMap::from([
            ("carrier".to_string(), key(4)),
            ("buyer".to_string(), key(5)),
        ]);
        let chosen = witnesses(&peers, &parties, &key(1));
        let second = format!("buyer-{}", &key(3).to_string()[..8]);
        assert_eq!(
            chosen,
            BTreeMap::from([
                ("buyer".to_string(), key(2)),
                (second, key(3)),
                ("carrier".to_string(), key(4)),
            ])
        );
    }

    #[test]
    fn a_smaller_checkpoint_witnessed_last_does_not_replace_the_latest() {
        let witnessed = |size, text: &str, by: &[&str]| Witnessed {
            size,
            text: text.into(),
            cosigned_by: by.iter().map(|name| name.to_string()).collect(),
        };
        let (mut latest, mut witnessed_by) = (None, BTreeMap::new());
        keep(
            &mut latest,
            &mut witnessed_by,
            witnessed(12, "at 12", &["buyer"]),
        );
        // Started before it, finished after it.
        let late = witnessed(10, "at 10", &["buyer", "carrier"]);
        keep(&mut latest, &mut witnessed_by, late);
        assert_eq!(latest, Some((12, "at 12".to_string())));
        let believed = BTreeMap::from([("buyer".to_string(), 12), ("carrier".to_string(), 10)]);
        assert_eq!(witnessed_by, believed);
        keep(&mut latest, &mut witnessed_by, witnessed(12, "again", &[]));
        assert_eq!(latest, Some((12, "again".to_string())));
    }

    /// A memory of a node before the key in it is read for a log only in the log key's own
    /// default origin.
    #[test]
    fn a_former_memory_is_read_only_in_the_default_origin_of_the_logs_key() {
        let key = |seed| SigningKey::from_seed([seed; 32]).public_key();
        let buyer = default_origin("buyer", &key(2));
        let cases = [
            (buyer.clone(), key(2), true),
            // Another key's default origin, even with the same role.
            (buyer.clone(), key(3), false),
            (default_origin("carrier", &key(3)), key(3), true),
            // An origin that names no key.
            (ORIGIN.to_string(), key(2), false),
            ("pactum/buyer".to_string(), key(2), false),
            (format!("{buyer}/more"), key(2), false),
            (buyer.to_uppercase(), key(2), false),
        ];
        for (origin, log_key, read) in cases {
            let former = former_memory_key(&origin, &log_key);
            assert_eq!(former.is_some(), read, "{origin}");
            if let Some(former) = former {
                assert_eq!(former, origin.as_bytes(), "{origin}");
                assert_ne!(former, memory_key(&origin, &log_key));
            }
        }
    }

    #[test]
    fn a_witness_remembers_each_log_under_its_key_and_origin() {
        let key = |seed| SigningKey::from_seed([seed; 32]).public_key();
        assert_ne!(memory_key(ORIGIN, &key(1)), memory_key(ORIGIN, &key(3)));
        assert_ne!(
            memory_key(ORIGIN, &key(1)),
            memory_key("pactum.test/buyer", &key(1))
        );
        assert_eq!(memory_key(ORIGIN, &key(1)), memory_key(ORIGIN, &key(1)));
    }

    #[test]
    fn a_checkpoint_is_due_every_batch_and_proven_from_what_the_witness_saw() {
        assert!(!checkpoint_due(99, 0, 100, false));
        assert!(checkpoint_due(100, 0, 100, false));
        assert!(!checkpoint_due(100, 0, 100, true), "one at a time");
        assert!(!checkpoint_due(150, 100, 100, false));
        assert_eq!(proof_from(0, 10), (0, false));
        assert_eq!(proof_from(4, 10), (4, true));
        assert_eq!(proof_from(10, 10), (10, false));
        // A witness that believes in a larger log is shown the whole log again.
        assert_eq!(proof_from(12, 10), (10, false));
    }
}
