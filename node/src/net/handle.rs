//! The cloneable handle through which the node talks to the swarm task.
//!
//! Every method sends one [`Command`] carrying a oneshot reply sender and awaits the reply, so
//! the swarm is only ever touched by its own task. When the task has stopped every method
//! returns [`NetError::Closed`].

use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use super::{breaker::PeerStanding, codec::Refusal};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("the network task has stopped")]
    Closed,
    #[error("cannot build the transport: {0}")]
    Transport(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("cannot dial {addr}: {reason}")]
    Dial { addr: Multiaddr, reason: String },
    #[error("peer {0} is banned by the circuit breaker")]
    Banned(PeerId),
    #[error("no response from {0} in time")]
    Timeout(PeerId),
    #[error("request to {peer} failed: {reason}")]
    Request { peer: PeerId, reason: String },
    #[error("peer {peer} sent an invalid response: {reason}")]
    BadResponse { peer: PeerId, reason: String },
    #[error("peer {peer} refused the request: {refusal}")]
    Refused { peer: PeerId, refusal: Refusal },
}

/// A peer's request, waiting for the application's response on `reply`. Dropping `reply`
/// answers the peer with [`Refusal::Unavailable`].
#[derive(Debug)]
pub struct InboundRequest<Req, Resp> {
    pub peer: PeerId,
    pub request: Req,
    pub reply: oneshot::Sender<Resp>,
}

/// What the swarm task reports when it stops on request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Peers connected at the moment of shutdown (their connections are closed).
    pub disconnected_peers: usize,
    /// Outbound requests still waiting for a response; their callers get [`NetError::Closed`].
    pub abandoned_requests: usize,
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, NetError>>;

pub(crate) enum Command<Req, Resp> {
    Listen {
        addr: Multiaddr,
        reply: Reply<Multiaddr>,
    },
    Dial {
        addr: Multiaddr,
        reply: Reply<PeerId>,
    },
    AddAddress {
        peer: PeerId,
        addr: Multiaddr,
    },
    SetParty {
        peer: PeerId,
        party: bool,
    },
    Request {
        peer: PeerId,
        request: Req,
        reply: Reply<Resp>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerId>>,
    },
    Listeners {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Standings {
        reply: oneshot::Sender<Vec<PeerStanding>>,
    },
    Shutdown {
        reply: oneshot::Sender<ShutdownReport>,
    },
}

/// Cloneable access to the network task.
pub struct NetHandle<Req, Resp> {
    commands: mpsc::Sender<Command<Req, Resp>>,
    local_peer_id: PeerId,
    request_timeout: Duration,
}

impl<Req, Resp> Clone for NetHandle<Req, Resp> {
    fn clone(&self) -> Self {
        Self {
            commands: self.commands.clone(),
            local_peer_id: self.local_peer_id,
            request_timeout: self.request_timeout,
        }
    }
}

/// Slack on top of libp2p's own request timeout, so its precise error normally wins.
const TIMEOUT_SLACK: Duration = Duration::from_secs(2);

impl<Req: Send + 'static, Resp: Send + 'static> NetHandle<Req, Resp> {
    pub(crate) fn new(
        commands: mpsc::Sender<Command<Req, Resp>>,
        local_peer_id: PeerId,
        request_timeout: Duration,
    ) -> Self {
        Self {
            commands,
            local_peer_id,
            request_timeout,
        }
    }

    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// True once the network task has stopped.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }

    async fn call<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command<Req, Resp>,
    ) -> Result<T, NetError> {
        let (reply, response) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| NetError::Closed)?;
        response.await.map_err(|_| NetError::Closed)
    }

    /// Starts listening on `addr`; returns the concrete address (port 0 resolved).
    pub async fn listen(&self, addr: Multiaddr) -> Result<Multiaddr, NetError> {
        self.call(|reply| Command::Listen { addr, reply }).await?
    }

    /// Connects to `addr`; returns the peer that answered once the connection is up.
    pub async fn dial(&self, addr: Multiaddr) -> Result<PeerId, NetError> {
        self.call(|reply| Command::Dial { addr, reply }).await?
    }

    /// Remembers an address of `peer`, used when a request needs a new connection.
    pub async fn add_address(&self, peer: PeerId, addr: Multiaddr) -> Result<(), NetError> {
        self.commands
            .send(Command::AddAddress { peer, addr })
            .await
            .map_err(|_| NetError::Closed)
    }

    /// Makes `peer` a party's node, admitted like the configured ones, or (`false`) a stranger
    /// again, closing its connections: a peer added or removed at run time.
    pub async fn set_party(&self, peer: PeerId, party: bool) -> Result<(), NetError> {
        self.commands
            .send(Command::SetParty { peer, party })
            .await
            .map_err(|_| NetError::Closed)
    }

    /// Sends `request` to `peer` and waits for its response, at most the configured timeout.
    pub async fn request(&self, peer: PeerId, request: Req) -> Result<Resp, NetError> {
        let call = self.call(|reply| Command::Request {
            peer,
            request,
            reply,
        });
        match tokio::time::timeout(self.request_timeout + TIMEOUT_SLACK, call).await {
            Ok(result) => result?,
            Err(_) => Err(NetError::Timeout(peer)),
        }
    }

    /// Peers with at least one open connection.
    pub async fn peers(&self) -> Result<Vec<PeerId>, NetError> {
        self.call(|reply| Command::Peers { reply }).await
    }

    /// Addresses the node currently listens on.
    pub async fn listeners(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.call(|reply| Command::Listeners { reply }).await
    }

    /// The circuit breaker's view of peers that faulted recently.
    pub async fn standings(&self) -> Result<Vec<PeerStanding>, NetError> {
        self.call(|reply| Command::Standings { reply }).await
    }

    /// Stops the network task: closes every connection and listener, fails pending requests
    /// with [`NetError::Closed`], and reports once the swarm is gone.
    pub async fn shutdown(&self) -> Result<ShutdownReport, NetError> {
        self.call(|reply| Command::Shutdown { reply }).await
    }
}
