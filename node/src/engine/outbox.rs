//! One outbox per peer: what the sequencer sends a cosigner's node, batched.
//!
//! Under load a sequencer has many orders in a round at once. Sending each proposal and each
//! commit announcement as its own request costs a stream, a protocol negotiation and a timer
//! per message on both sides; instead every message for a peer goes through its outbox, and
//! one task per peer sends whatever queued meanwhile as one [`Request::Batch`], with up to
//! [`IN_FLIGHT`] batches in flight.
//!
//! Batches in flight together may be handled in any order, so an order's commit announcement
//! can reach the peer after the proposal of its next entry: each proposal therefore carries
//! the order's previous entry, which the cosigner applies first when it has not yet.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Semaphore};
use verifier::{model::SignedEntry, sign::PublicKey};

use super::{
    protocol::{Proposal, Request, Response},
    Inner,
};
use crate::net::NetError;

/// Most messages in one batch; a cosigner refuses more than [`MAX_BATCH_ITEMS`].
const BATCH_ITEMS: usize = 256;
/// Entry bytes that close a batch early, well under the codec's message cap.
const BATCH_BYTES: usize = 1024 * 1024;
/// Most messages a cosigner accepts in one batch.
pub(crate) const MAX_BATCH_ITEMS: usize = 512;
/// Batches in flight per peer: two, so that one slow answer (a cosigner catching up an order
/// first) does not hold up every other order's proposals; more only adds requests.
const IN_FLIGHT: usize = 2;

/// A message waiting in a peer's outbox.
pub(crate) enum Outgoing {
    /// An entry committed with every signature.
    Commit(SignedEntry),
    /// An entry to cosign; the peer's answer goes to `reply`.
    Propose {
        proposal: Proposal,
        reply: oneshot::Sender<Result<Response, NetError>>,
    },
}

impl Outgoing {
    fn size(&self) -> usize {
        let size =
            |entry: &SignedEntry| entry.body.len().saturating_add(entry.signatures.len() * 96);
        match self {
            Outgoing::Commit(entry) => size(entry),
            Outgoing::Propose { proposal, .. } => {
                size(&proposal.entry).saturating_add(proposal.previous.as_ref().map_or(0, size))
            }
        }
    }
}

/// A queue of messages for one peer.
pub(crate) type Outbox = mpsc::UnboundedSender<Outgoing>;

impl Inner {
    /// Queues `message` for the node of `key`, starting its sender task on first use.
    fn send_to(self: &Arc<Self>, key: &PublicKey, message: Outgoing) {
        let Ok(mut outboxes) = self.outboxes.lock() else {
            return;
        };
        let message = match outboxes.get(key) {
            Some(outbox) => match outbox.send(message) {
                Ok(()) => return,
                Err(mpsc::error::SendError(message)) => message,
            },
            None => message,
        };
        let (outbox, queue) = mpsc::unbounded_channel();
        let _ = outbox.send(message);
        outboxes.insert(*key, outbox);
        tokio::spawn(drain(Arc::downgrade(self), *key, queue));
    }

    /// Announces a committed entry to the node of `key` (best effort: a party that misses it
    /// catches up from its head).
    pub(crate) fn announce(self: &Arc<Self>, key: &PublicKey, entry: SignedEntry) {
        self.send_to(key, Outgoing::Commit(entry));
    }

    /// Asks the node of `key` to cosign a proposal; its answer.
    pub(crate) async fn propose(
        self: &Arc<Self>,
        key: &PublicKey,
        proposal: Proposal,
    ) -> Result<Response, NetError> {
        let (reply, answer) = oneshot::channel();
        self.send_to(key, Outgoing::Propose { proposal, reply });
        answer
            .await
            .unwrap_or_else(|_| Err(NetError::Transport("the node is shutting down".into())))
    }
}

/// The sender task of one peer's outbox: up to [`IN_FLIGHT`] batches in flight.
async fn drain(
    inner: std::sync::Weak<Inner>,
    key: PublicKey,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
) {
    let window = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let Ok(permit) = window.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = queue.recv().await else {
            return;
        };
        let mut bytes = first.size();
        let mut messages = vec![first];
        while messages.len() < BATCH_ITEMS && bytes < BATCH_BYTES {
            match queue.try_recv() {
                Ok(message) => {
                    bytes = bytes.saturating_add(message.size());
                    messages.push(message);
                }
                Err(_) => break,
            }
        }
        let Some(inner) = inner.upgrade() else { return };
        inner
            .metrics
            .peers
            .set_queued(&inner.role_of(&key), &key, queue.len());
        tokio::spawn(async move {
            send_batch(&inner, &key, messages).await;
            drop(permit);
        });
    }
}

/// Sends one batch and hands every proposal its answer.
async fn send_batch(inner: &Arc<Inner>, key: &PublicKey, messages: Vec<Outgoing>) {
    let mut commits = Vec::new();
    let mut proposals = Vec::new();
    let mut replies = Vec::new();
    for message in messages {
        match message {
            Outgoing::Commit(entry) => commits.push(entry),
            Outgoing::Propose { proposal, reply } => {
                proposals.push(proposal);
                replies.push(reply);
            }
        }
    }
    let expected = replies.len();
    let result = inner
        .request(key, Request::Batch { commits, proposals })
        .await;
    match result {
        Ok(Response::Answers(answers)) if answers.len() == expected => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(Ok(answer));
            }
        }
        Ok(Response::Answers(answers)) => {
            let refusal = Response::refused(
                "bad_answer",
                format!("{} answers to {expected} proposals", answers.len()),
            );
            answer_all(replies, Ok(refusal));
        }
        Ok(other) => answer_all(replies, Ok(other)),
        Err(error) => {
            tracing::debug!(%error, "a batch for a peer was not delivered");
            answer_all(replies, Err(error));
        }
    }
}

fn answer_all(
    replies: Vec<oneshot::Sender<Result<Response, NetError>>>,
    answer: Result<Response, NetError>,
) {
    for reply in replies {
        let _ = reply.send(answer.clone());
    }
}
