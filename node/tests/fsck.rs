//! `fsck` on a real node's store: clean after a node ran an order, and each corruption made on
//! purpose (a signature, a missing entry, a log hash, a checkpoint) is reported, while the
//! store is left as it was.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use pactum_node::{
    api::{EventRequest, SubmitEvent},
    client::ClientError,
    demo::scenario,
    durable::{Store, WriteBatch},
    engine::records::{self, EntryRecord, CHECKPOINTS, ENTRIES},
    fsck::{check, check_dir, FsckReport},
    http::openapi::{assert_documented, recorder, Answers},
    launch::{launch, NodeSpec},
    log_store::LOG_HASHES,
};
use serde_json::json;
use verifier::{model::Digest, sign::SigningKey};

/// Runs a one-party order with a few facts and checkpoints every 2 entries; its order id.
fn run_a_node(dir: &Path, key: &SigningKey) -> Digest {
    run_a_node_with(dir, key, |_, _| {})
}

/// [`run_a_node`], then `more(client, order)` while the node still runs.
fn run_a_node_with(
    dir: &Path,
    key: &SigningKey,
    more: impl FnOnce(&pactum_node::client::ApiClient, &str) + Send + 'static,
) -> Digest {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answers = Answers::default();
    let order = runtime.block_on(async {
        let mut spec = NodeSpec::local("seller", key.clone(), dir.to_path_buf());
        spec.checkpoint_batch = 2;
        spec.hooks.observe_http = Some(recorder(&answers));
        let node = launch(spec).await.unwrap();
        let client = node.client();
        let order = tokio::task::spawn_blocking(move || {
            let mut proposal = scenario::proposal(&BTreeMap::new(), "PO-FSCK");
            proposal.parties = Some(BTreeMap::from([(
                "seller".into(),
                hex::encode(key_bytes(&client)),
            )]));
            proposal.sequencer = Some("seller".into());
            proposal.attesters = None;
            let order = client.post("/orders", &proposal).unwrap()["order"]
                .as_str()
                .unwrap()
                .to_string();
            for day in 11..16 {
                let request = SubmitEvent {
                    signed: None,
                    event: Some(EventRequest {
                        kind: "return.requested".into(),
                        at: format!("2026-01-{day}T00:00:00Z"),
                        fields: [("reason".to_string(), json!(format!("reason {day}")))]
                            .into_iter()
                            .collect(),
                    }),
                };
                client
                    .post(&format!("/orders/{order}/events"), &request)
                    .unwrap();
            }
            more(&client, &order);
            order
        })
        .await
        .unwrap();
        node.stop().await;
        Digest::from_hex(&order).unwrap()
    });
    let posted = ("POST".to_string(), "/orders".to_string(), 201, None);
    assert!(
        answers.lock().unwrap().contains(&posted),
        "the node's answers not seen"
    );
    assert_documented(&answers);
    order
}

fn return_requested(day: u32) -> SubmitEvent {
    SubmitEvent {
        signed: None,
        event: Some(EventRequest {
            kind: "return.requested".into(),
            at: format!("2026-02-{day:02}T00:00:00Z"),
            fields: [("reason".to_string(), json!(format!("reason {day}")))]
                .into_iter()
                .collect(),
        }),
    }
}

fn key_bytes(client: &pactum_node::client::ApiClient) -> Vec<u8> {
    let health = client.get("/health").unwrap();
    hex::decode(health["public_key"].as_str().unwrap()).unwrap()
}

fn fsck(dir: &Path, key: &SigningKey) -> FsckReport {
    let origin = pactum_node::config::default_origin("seller", &key.public_key());
    check_dir(dir, Some((key.public_key(), origin))).unwrap()
}

/// Applies `change` to the store in `dir`, runs fsck, undoes the change, and returns the
/// problems found.
fn with_corruption(
    dir: &Path,
    key: &SigningKey,
    change: impl FnOnce(&Store) -> WriteBatch,
) -> Vec<String> {
    let store = Arc::new(Store::open(dir).unwrap());
    let undo = change(&store);
    let origin = pactum_node::config::default_origin("seller", &key.public_key());
    let report = check(&store, Some((key.public_key(), origin)));
    store.commit_blocking(undo).unwrap();
    drop(store);
    report.problems
}

fn entry(store: &Store, order: &Digest, seq: u64) -> (Vec<u8>, Vec<u8>) {
    let key = records::entry_key(order, seq);
    let bytes = store.get(ENTRIES, &key).unwrap().unwrap().to_vec();
    (key, bytes)
}

#[test]
fn fsck_finds_each_corruption_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_seed([9; 32]);
    let order = run_a_node(dir.path(), &key);
    let clean = fsck(dir.path(), &key);
    assert!(clean.is_clean(), "{}", clean.render());
    assert_eq!((clean.orders, clean.entries, clean.log_size), (1, 6, 6));
    assert!(clean.checkpoints >= 2, "{}", clean.render());

    // A party's signature on entry 3, one bit changed.
    let problems = with_corruption(dir.path(), &key, |store| {
        let (entry_key, bytes) = entry(store, &order, 3);
        let mut record: EntryRecord = records::decode("entry", &bytes).unwrap();
        let signature = record.entry.signatures.values_mut().next().unwrap();
        let mut raw = signature.to_bytes();
        raw[5] ^= 1;
        *signature = verifier::sign::Signature::from_bytes(raw);
        let mut batch = WriteBatch::new();
        batch.put(
            ENTRIES,
            &entry_key,
            records::encode("entry", &record).unwrap(),
        );
        store.commit_blocking(batch).unwrap();
        let mut undo = WriteBatch::new();
        undo.put(ENTRIES, entry_key, bytes);
        undo
    });
    assert!(
        problems.iter().any(|p| p.contains("entry 3: signatures")),
        "{problems:?}"
    );

    // Entry 2 gone: the chain breaks there.
    let problems = with_corruption(dir.path(), &key, |store| {
        let (entry_key, bytes) = entry(store, &order, 2);
        let mut batch = WriteBatch::new();
        batch.remove(ENTRIES, &entry_key);
        store.commit_blocking(batch).unwrap();
        let mut undo = WriteBatch::new();
        undo.put(ENTRIES, entry_key, bytes);
        undo
    });
    assert!(
        problems.iter().any(|p| p.contains("entries are missing")),
        "{problems:?}"
    );

    // One stored hash of the Merkle log changed.
    let problems = with_corruption(dir.path(), &key, |store| {
        let (log_key, bytes) = store.last_with_prefix(LOG_HASHES, b"").unwrap().unwrap();
        let mut changed = bytes.to_vec();
        changed[0] ^= 1;
        let mut batch = WriteBatch::new();
        batch.put(LOG_HASHES, &log_key, changed);
        store.commit_blocking(batch).unwrap();
        let mut undo = WriteBatch::new();
        undo.put(LOG_HASHES, log_key, bytes.to_vec());
        undo
    });
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Merkle log: stored hash")),
        "{problems:?}"
    );

    // A checkpoint that names another root.
    let problems = with_corruption(dir.path(), &key, |store| {
        let (checkpoint_key, bytes) = store.last_with_prefix(CHECKPOINTS, b"").unwrap().unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // origin, size, root (base64): change the root's first character.
        let root = &mut lines[2];
        let first = if root.starts_with('A') { "B" } else { "A" };
        root.replace_range(0..1, first);
        let mut batch = WriteBatch::new();
        batch.put(CHECKPOINTS, &checkpoint_key, lines.join("\n") + "\n");
        store.commit_blocking(batch).unwrap();
        let mut undo = WriteBatch::new();
        undo.put(CHECKPOINTS, checkpoint_key, bytes.to_vec());
        undo
    });
    assert!(
        problems.iter().any(|p| p.starts_with("checkpoint:")),
        "{problems:?}"
    );

    // fsck itself changed nothing: the store is as clean as before.
    assert_eq!(fsck(dir.path(), &key), clean);
}

#[test]
fn an_online_backup_taken_during_commits_is_sound_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_seed([8; 32]);
    let backup = dir.path().join("backup");
    let target = backup.clone();
    let order = run_a_node_with(&dir.path().join("node"), &key, move |client, order| {
        // Facts keep committing while the copy is made.
        let writer = client.clone();
        let path = format!("/orders/{order}/events");
        let facts = std::thread::spawn(move || {
            for day in 1..=20 {
                writer.post(&path, &return_requested(day)).unwrap();
            }
        });
        let request = pactum_node::api::BackupRequest {
            dir: target.display().to_string(),
        };
        let copied = client.post("/admin/backup", &request).unwrap();
        assert!(copied["pairs"].as_u64().unwrap() > 0, "{copied}");
        facts.join().unwrap();
        // A second backup into the same, now non-empty, directory is refused.
        let refused = client.post("/admin/backup", &request).unwrap_err();
        let ClientError::Api(refused) = refused else {
            panic!("{refused}");
        };
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (422, "backup_failed")
        );
    });
    let report = fsck(&backup, &key);
    assert!(report.is_clean(), "{}", report.render());
    assert!(report.entries >= 6, "{}", report.render());

    // Restored into a new data directory, a node starts on it with the order at the head
    // the backup holds.
    let restored = dir.path().join("restored");
    Store::open(&backup)
        .unwrap()
        .backup_blocking(restored.clone())
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = launch(NodeSpec::local("seller", key.clone(), restored))
            .await
            .unwrap();
        let client = node.client();
        let view =
            tokio::task::spawn_blocking(move || client.get(&format!("/orders/{order}")).unwrap())
                .await
                .unwrap();
        assert_eq!(view["seq"].as_u64(), Some(report.entries - 1), "{view}");
        node.stop().await;
    });
}
