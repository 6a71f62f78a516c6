//! Batched signature verification for the engine.
//!
//! Orders proceed concurrently, so at load many signatures wait to be checked at the same
//! moment (attesters' signatures on events, sequencers' signatures on proposals, parties'
//! cosignatures). One thread collects whatever is queued and checks it with the verifier's
//! [`verify_batch`], which costs about half as much per signature as one-by-one checks and
//! reaches the same verdicts (see its documentation). With a single request queued it is one
//! ordinary verification.

use std::thread;

use tokio::sync::{mpsc, oneshot};
use verifier::{
    model::SignedEvent,
    sign::{verify_batch, BatchItem, Domain, PublicKey, Signature},
};

/// Most signatures checked in one batch.
const MAX_BATCH: usize = 64;

struct Job {
    key: PublicKey,
    domain: Domain,
    message: Vec<u8>,
    signature: Signature,
    reply: oneshot::Sender<bool>,
}

/// A handle to the verification thread. Cheap to clone.
#[derive(Clone)]
pub(crate) struct BatchVerifier {
    jobs: mpsc::UnboundedSender<Job>,
}

impl BatchVerifier {
    /// Starts the verification thread; it stops when every handle is dropped.
    pub(crate) fn start() -> BatchVerifier {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let spawned = thread::Builder::new()
            .name("pactum-verify".into())
            .spawn(move || {
                while let Some(first) = queue.blocking_recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match queue.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    let verdicts = verdicts(&batch);
                    for (job, valid) in batch.into_iter().zip(verdicts) {
                        let _ = job.reply.send(valid);
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the verification thread; verifying inline");
        }
        BatchVerifier { jobs }
    }

    /// Whether `event`'s signature verifies under `attester`, the key its contract grants
    /// it (`true` without one: an attester granted nothing is refused by the state machine).
    /// A `false` decides nothing here: the order's core, told the signature is unverified,
    /// checks it itself and refuses the fact or the proposal, recording the fault.
    pub(crate) async fn event(&self, attester: Option<PublicKey>, event: &SignedEvent) -> bool {
        match attester {
            Some(key) => {
                self.verify(key, Domain::Event, &event.body, event.signature)
                    .await
            }
            None => true,
        }
    }

    /// Whether `signature` is `key`'s over `message` in `domain`.
    pub(crate) async fn verify(
        &self,
        key: PublicKey,
        domain: Domain,
        message: &[u8],
        signature: Signature,
    ) -> bool {
        let (reply, verdict) = oneshot::channel();
        let job = Job {
            key,
            domain,
            message: message.to_vec(),
            signature,
            reply,
        };
        match self.jobs.send(job) {
            Ok(()) => verdict.await.unwrap_or(false),
            // No thread: check here.
            Err(failed) => {
                let job = failed.0;
                job.key
                    .verify(job.domain, &job.message, &job.signature)
                    .is_ok()
            }
        }
    }
}

/// The verdict of each job: the batch verifier names the first failing signature, so check
/// again after it until the rest passes.
fn verdicts(batch: &[Job]) -> Vec<bool> {
    let mut verdicts = vec![true; batch.len()];
    let mut start = 0;
    while start < batch.len() {
        let items: Vec<BatchItem<'_>> = batch[start..]
            .iter()
            .map(|job| (job.domain, job.message.as_slice(), &job.signature, &job.key))
            .collect();
        match verify_batch(&items) {
            Ok(()) => break,
            Err(error) => {
                let failed = start + error.index;
                if let Some(verdict) = verdicts.get_mut(failed) {
                    *verdict = false;
                }
                start = failed + 1;
            }
        }
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::sign::SigningKey;

    #[tokio::test]
    async fn batched_verdicts_match_single_ones() {
        let verifier = BatchVerifier::start();
        let key = SigningKey::from_seed([5; 32]);
        let other = SigningKey::from_seed([6; 32]);
        let checks: Vec<_> = (0..40u8)
            .map(|n| {
                let message = vec![n; 100];
                // Every fifth signature is by the wrong key.
                let signer = if n % 5 == 0 { &other } else { &key };
                let signature = signer.sign(Domain::Entry, &message);
                let verifier = verifier.clone();
                let public = key.public_key();
                tokio::spawn(async move {
                    (
                        n,
                        verifier
                            .verify(public, Domain::Entry, &message, signature)
                            .await,
                    )
                })
            })
            .collect();
        for check in checks {
            let (n, valid) = check.await.unwrap();
            assert_eq!(valid, n % 5 != 0, "signature {n}");
        }
        // The domain is part of what is signed.
        let signature = key.sign(Domain::Event, b"x");
        assert!(
            !verifier
                .verify(key.public_key(), Domain::Entry, b"x", signature)
                .await
        );
        assert!(
            verifier
                .verify(key.public_key(), Domain::Event, b"x", signature)
                .await
        );
    }
}
