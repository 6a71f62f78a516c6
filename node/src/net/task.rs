//! The task that owns the swarm and runs its event loop.
//!
//! It multiplexes, with `tokio::select!`, swarm events, commands from [`NetHandle`]s, the
//! application's replies to inbound requests, and the breaker's ban expiries. Nothing in the
//! loop awaits application work: inbound requests are handed over with `try_send` (a full queue
//! answers the peer `Busy`) and their replies come back as futures polled by the loop.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use libp2p::{
    allow_block_list, connection_limits,
    core::{transport::ListenerId, ConnectedPoint},
    identify, mdns,
    multiaddr::Protocol,
    noise, ping,
    request_response::{
        self, OutboundFailure, OutboundRequestId, ProtocolSupport, ResponseChannel,
    },
    swarm::{
        behaviour::toggle::Toggle,
        dial_opts::{DialOpts, PeerCondition},
        ConnectionId, SwarmEvent,
    },
    tcp, yamux, Multiaddr, PeerId, Swarm, SwarmBuilder,
};
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use super::{
    admission::{Admission, RefusalCounters},
    behaviour::{NodeBehaviour, NodeBehaviourEvent},
    breaker::{Breaker, Verdict},
    codec::{Decoded, FrameCodec, Refusal, Reply, WireMessage, PROTOCOL},
    config::NetConfig,
    handle::{self, Command, InboundRequest, NetError, NetHandle, ShutdownReport},
    patience::Patient,
};

/// A running network: the handle, the stream of peers' requests, and the task itself.
pub struct Network<Req, Resp> {
    pub handle: NetHandle<Req, Resp>,
    pub inbound: mpsc::Receiver<InboundRequest<Req, Resp>>,
    pub task: JoinHandle<()>,
}

/// Builds the swarm for `keypair` and spawns its task on the current tokio runtime.
pub fn start<Req: WireMessage, Resp: WireMessage>(
    config: NetConfig,
    keypair: libp2p::identity::Keypair,
) -> Result<Network<Req, Resp>, NetError> {
    let local_peer_id = keypair.public().to_peer_id();
    let behaviour = build_behaviour::<Req, Resp>(&config, &keypair)?;
    let idle = config.idle_connection_timeout;
    let mut swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::new().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|error| NetError::Transport(error.to_string()))?
        .with_behaviour(|_| behaviour)
        .map_err(|error| NetError::Transport(error.to_string()))?
        .with_swarm_config(|swarm_config| swarm_config.with_idle_connection_timeout(idle))
        .build();

    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|error| NetError::Listen {
                addr: addr.clone(),
                reason: error.to_string(),
            })?;
    }
    let mut addressed: HashMap<PeerId, Vec<Multiaddr>> = HashMap::new();
    for addr in &config.bootstrap {
        if let Some(Protocol::P2p(peer)) = addr.iter().last() {
            swarm.add_peer_address(peer, addr.clone());
            addressed.entry(peer).or_default().push(addr.clone());
        }
        if let Err(error) = swarm.dial(addr.clone()) {
            tracing::warn!(%addr, %error, "cannot dial bootstrap peer");
        }
    }

    let (commands_tx, commands) = mpsc::channel(config.command_queue.max(1));
    let (inbound_tx, inbound) = mpsc::channel(config.inbound_queue.max(1));
    let handle = NetHandle::new(commands_tx, local_peer_id, config.request_timeout);
    let state = State {
        breaker: Breaker::new(config.breaker),
        inbound: inbound_tx,
        reply_timeout: config.request_timeout,
        listens: HashMap::new(),
        dials: HashMap::new(),
        requests: HashMap::new(),
        refusals: config.refusals.clone(),
        addressed,
    };
    let task = tokio::spawn(run(swarm, commands, state));
    Ok(Network {
        handle,
        inbound,
        task,
    })
}

fn build_behaviour<Req: WireMessage, Resp: WireMessage>(
    config: &NetConfig,
    keypair: &libp2p::identity::Keypair,
) -> Result<NodeBehaviour<Req, Resp>, NetError> {
    let local_peer_id = keypair.public().to_peer_id();
    let mdns = if config.mdns {
        Some(
            mdns::tokio::Behaviour::new(mdns::Config::default(), local_peer_id)
                .map_err(|error| NetError::Transport(format!("mDNS: {error}")))?,
        )
    } else {
        None
    };
    let limits = connection_limits::ConnectionLimits::default()
        .with_max_pending_incoming(Some(config.max_pending_incoming))
        .with_max_established_per_peer(Some(config.max_established_per_peer));
    let rpc_config = request_response::Config::default()
        .with_request_timeout(config.request_timeout)
        .with_max_concurrent_streams(config.max_concurrent_streams);
    Ok(NodeBehaviour {
        blocked: allow_block_list::Behaviour::default(),
        admission: Admission::new(
            config.admission,
            config.parties.iter().copied(),
            config.refusals.clone(),
        ),
        limits: connection_limits::Behaviour::new(limits),
        // No cache of reported addresses: identify would hand every peer's self-reported
        // listen addresses to the swarm itself; `on_swarm_event` decides which to keep.
        identify: identify::Behaviour::new(
            identify::Config::new(PROTOCOL.to_string(), keypair.public()).with_cache_size(0),
        ),
        ping: ping::Behaviour::new(ping::Config::new()),
        mdns: Toggle::from(mdns),
        rpc: Patient::new(
            request_response::Behaviour::with_codec(
                FrameCodec::new(config.codec),
                [(PROTOCOL, ProtocolSupport::Full)],
                rpc_config,
            ),
            config.request_timeout,
        ),
    })
}

type ReplyFuture<Resp> = BoxFuture<'static, (ResponseChannel<Reply<Resp>>, Option<Resp>)>;

/// Everything the loop tracks besides the swarm.
struct State<Req, Resp> {
    breaker: Breaker,
    inbound: mpsc::Sender<InboundRequest<Req, Resp>>,
    reply_timeout: Duration,
    listens: HashMap<ListenerId, handle::Reply<Multiaddr>>,
    dials: HashMap<ConnectionId, (Multiaddr, handle::Reply<PeerId>)>,
    requests: HashMap<OutboundRequestId, (PeerId, handle::Reply<Resp>)>,
    /// Connections refused, by reason (shared with the node's metrics).
    refusals: RefusalCounters,
    /// Addresses the operator gave (configuration, `add_address`), by peer. They are never
    /// forgotten: libp2p drops an address from its cache when a dial to it fails, which
    /// would leave a party's node that was unreachable once never dialled again, so they are
    /// given back after every failed dial. And the listen addresses such a peer reports
    /// through identify are not dialled: a node behind NAT, a port forward or a proxy
    /// reports addresses others cannot (or must not) use.
    addressed: HashMap<PeerId, Vec<Multiaddr>>,
}

type NodeSwarm<Req, Resp> = Swarm<NodeBehaviour<Req, Resp>>;

async fn run<Req: WireMessage, Resp: WireMessage>(
    mut swarm: NodeSwarm<Req, Resp>,
    mut commands: mpsc::Receiver<Command<Req, Resp>>,
    mut state: State<Req, Resp>,
) {
    let mut replies: FuturesUnordered<ReplyFuture<Resp>> = FuturesUnordered::new();
    let shutdown = loop {
        let next_expiry = state.breaker.next_expiry();
        let wake = tokio::time::Instant::from_std(
            next_expiry.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600)),
        );
        tokio::select! {
            event = swarm.select_next_some() => {
                on_swarm_event(&mut swarm, &mut state, &mut replies, event);
            }
            command = commands.recv() => match command {
                Some(command) => {
                    if let Some(reply) = on_command(&mut swarm, &mut state, command) {
                        break Some(reply);
                    }
                }
                // Every handle is gone: nobody can use the network any more.
                None => break None,
            },
            Some((channel, response)) = replies.next(), if !replies.is_empty() => {
                let reply = match response {
                    Some(response) => Reply::Ok(response),
                    None => Reply::Refused(Refusal::Unavailable),
                };
                // Fails only if the peer gave up waiting; nothing to do then.
                let _ = swarm.behaviour_mut().rpc.send_response(channel, reply);
            }
            _ = tokio::time::sleep_until(wake), if next_expiry.is_some() => {
                for peer in state.breaker.expire(Instant::now()) {
                    tracing::info!(%peer, "circuit breaker ban lifted");
                    swarm.behaviour_mut().blocked.unblock_peer(peer);
                }
            }
        }
    };
    // Close the command channel first, so handles report closed as soon as the caller
    // learns the shutdown is complete.
    drop(commands);
    let report = ShutdownReport {
        disconnected_peers: swarm.connected_peers().count(),
        abandoned_requests: state.requests.len(),
    };
    drop(swarm);
    drop(state);
    drop(replies);
    if let Some(reply) = shutdown {
        let _ = reply.send(report);
    }
}

/// Carries out one command; returns the reply sender when the command is to shut down.
fn on_command<Req: WireMessage, Resp: WireMessage>(
    swarm: &mut NodeSwarm<Req, Resp>,
    state: &mut State<Req, Resp>,
    command: Command<Req, Resp>,
) -> Option<oneshot::Sender<ShutdownReport>> {
    match command {
        Command::Listen { addr, reply } => match swarm.listen_on(addr.clone()) {
            Ok(listener) => {
                state.listens.insert(listener, reply);
            }
            Err(error) => {
                let _ = reply.send(Err(NetError::Listen {
                    addr,
                    reason: error.to_string(),
                }));
            }
        },
        Command::Dial { addr, reply } => {
            let opts = DialOpts::unknown_peer_id().address(addr.clone()).build();
            let connection = opts.connection_id();
            match swarm.dial(opts) {
                Ok(()) => {
                    state.dials.insert(connection, (addr, reply));
                }
                Err(error) => {
                    let _ = reply.send(Err(NetError::Dial {
                        addr,
                        reason: error.to_string(),
                    }));
                }
            }
        }
        Command::AddAddress { peer, addr } => {
            let known = state.addressed.entry(peer).or_default();
            if !known.contains(&addr) {
                known.push(addr.clone());
            }
            swarm.add_peer_address(peer, addr);
        }
        Command::SetParty { peer, party } => {
            swarm.behaviour_mut().admission.set_party(peer, party);
            if !party {
                // Removed: not redialled at the addresses the operator gave, and cut off.
                state.addressed.remove(&peer);
                let _ = swarm.disconnect_peer_id(peer);
            }
        }
        Command::Request {
            peer,
            request,
            reply,
        } => {
            if state.breaker.is_banned(&peer, Instant::now()) {
                let _ = reply.send(Err(NetError::Banned(peer)));
                return None;
            }
            let id = swarm.behaviour_mut().rpc.send_request(&peer, Ok(request));
            state.requests.insert(id, (peer, reply));
        }
        Command::Peers { reply } => {
            let _ = reply.send(swarm.connected_peers().copied().collect());
        }
        Command::Listeners { reply } => {
            let _ = reply.send(swarm.listeners().cloned().collect());
        }
        Command::Standings { reply } => {
            let _ = reply.send(state.breaker.standings(Instant::now()));
        }
        Command::Shutdown { reply } => return Some(reply),
    }
    None
}

fn on_swarm_event<Req: WireMessage, Resp: WireMessage>(
    swarm: &mut NodeSwarm<Req, Resp>,
    state: &mut State<Req, Resp>,
    replies: &mut FuturesUnordered<ReplyFuture<Resp>>,
    event: SwarmEvent<NodeBehaviourEvent<Req, Resp>>,
) {
    match event {
        SwarmEvent::Behaviour(NodeBehaviourEvent::Rpc(event)) => {
            on_rpc_event(swarm, state, replies, event);
        }
        SwarmEvent::Behaviour(NodeBehaviourEvent::Identify(identify::Event::Received {
            peer_id,
            info,
            ..
        })) if !state.addressed.contains_key(&peer_id) => {
            for addr in info.listen_addrs {
                swarm.add_peer_address(peer_id, addr);
            }
        }
        SwarmEvent::Behaviour(NodeBehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
            for (peer, addr) in found {
                swarm.add_peer_address(peer, addr);
                let opts = DialOpts::peer_id(peer)
                    .condition(PeerCondition::DisconnectedAndNotDialing)
                    .build();
                if let Err(error) = swarm.dial(opts) {
                    tracing::debug!(%peer, %error, "cannot dial mDNS-discovered peer");
                }
            }
        }
        SwarmEvent::NewListenAddr {
            listener_id,
            address,
        } => {
            if let Some(reply) = state.listens.remove(&listener_id) {
                let _ = reply.send(Ok(address));
            }
        }
        SwarmEvent::ListenerClosed {
            listener_id,
            reason,
            addresses,
        } => {
            if let Some(reply) = state.listens.remove(&listener_id) {
                let reason = match reason {
                    Ok(()) => "listener closed".to_string(),
                    Err(error) => error.to_string(),
                };
                let addr = addresses
                    .into_iter()
                    .next()
                    .unwrap_or_else(Multiaddr::empty);
                let _ = reply.send(Err(NetError::Listen { addr, reason }));
            }
        }
        SwarmEvent::ListenerError { listener_id, error } => {
            tracing::warn!(?listener_id, %error, "listener error");
        }
        SwarmEvent::ConnectionEstablished {
            peer_id,
            connection_id,
            endpoint,
            num_established,
            ..
        } => {
            if num_established.get() == 1 && swarm.behaviour().admission.is_party(&peer_id) {
                tracing::info!(peer = %peer_id, address = %endpoint.get_remote_address(), "party's node connected");
            }
            if let Some((_, reply)) = state.dials.remove(&connection_id) {
                let _ = reply.send(Ok(peer_id));
            }
            if let ConnectedPoint::Dialer { address, .. } = endpoint {
                // Remember how we reached the peer so requests can redial it.
                swarm.add_peer_address(peer_id, address);
            }
        }
        SwarmEvent::ConnectionClosed {
            peer_id,
            num_established: 0,
            cause,
            ..
        } if swarm.behaviour().admission.is_party(&peer_id) => {
            if closed_as_idle(cause.as_ref()) {
                tracing::debug!(peer = %peer_id, "party's node: idle connection closed (the next request reconnects)");
            } else {
                let cause = cause.map(|error| error.to_string());
                tracing::warn!(peer = %peer_id, ?cause, "party's node disconnected");
            }
        }
        SwarmEvent::OutgoingConnectionError {
            connection_id,
            error,
            peer_id,
        } => {
            if let Some((addr, reply)) = state.dials.remove(&connection_id) {
                let _ = reply.send(Err(NetError::Dial {
                    addr,
                    reason: error.to_string(),
                }));
            }
            // The failed dial made libp2p forget the addresses it tried: give back the
            // configured ones, so the next request dials them again.
            let configured = peer_id.and_then(|peer| Some((peer, state.addressed.get(&peer)?)));
            if let Some((peer, addrs)) = configured {
                for addr in addrs {
                    swarm.add_peer_address(peer, addr.clone());
                }
            }
        }
        SwarmEvent::IncomingConnectionError {
            send_back_addr,
            error,
            peer_id,
            ..
        } => {
            // Unauthenticated garbage fails here, before any PeerId exists to blame; the
            // connection is already closed and connection limits bound how many can pend.
            tracing::debug!(%send_back_addr, ?peer_id, %error, "incoming connection failed");
            count_denial(&state.refusals, &error);
        }
        _ => {}
    }
}

fn on_rpc_event<Req: WireMessage, Resp: WireMessage>(
    swarm: &mut NodeSwarm<Req, Resp>,
    state: &mut State<Req, Resp>,
    replies: &mut FuturesUnordered<ReplyFuture<Resp>>,
    event: request_response::Event<Decoded<Req>, Reply<Resp>>,
) {
    match event {
        request_response::Event::Message {
            peer,
            message:
                request_response::Message::Request {
                    request, channel, ..
                },
            ..
        } => match request {
            Ok(request) => deliver_inbound(swarm, state, replies, peer, request, channel),
            Err(fault) => {
                tracing::debug!(%peer, %fault, "malformed request");
                let refusal = Refusal::from(&fault);
                let _ = swarm
                    .behaviour_mut()
                    .rpc
                    .send_response(channel, Reply::Refused(refusal));
                record_fault(swarm, state, peer);
            }
        },
        request_response::Event::Message {
            peer,
            message:
                request_response::Message::Response {
                    request_id,
                    response,
                },
            ..
        } => {
            if let Some((_, reply)) = state.requests.remove(&request_id) {
                let _ = reply.send(match response {
                    Reply::Ok(response) => Ok(response),
                    Reply::Refused(refusal) => Err(NetError::Refused { peer, refusal }),
                });
            }
        }
        request_response::Event::OutboundFailure {
            peer,
            request_id,
            error,
            ..
        } => {
            let error = match error {
                OutboundFailure::Timeout => NetError::Timeout(peer),
                OutboundFailure::Io(error) => {
                    // The peer answered with bytes that are not a valid reply.
                    record_fault(swarm, state, peer);
                    NetError::BadResponse {
                        peer,
                        reason: error.to_string(),
                    }
                }
                other => NetError::Request {
                    peer,
                    reason: other.to_string(),
                },
            };
            if let Some((_, reply)) = state.requests.remove(&request_id) {
                let _ = reply.send(Err(error));
            }
        }
        request_response::Event::InboundFailure { peer, error, .. } => {
            tracing::debug!(%peer, %error, "inbound request failed");
        }
        request_response::Event::ResponseSent { .. } => {}
    }
}

/// Hands a valid request to the application without waiting for it.
fn deliver_inbound<Req: WireMessage, Resp: WireMessage>(
    swarm: &mut NodeSwarm<Req, Resp>,
    state: &mut State<Req, Resp>,
    replies: &mut FuturesUnordered<ReplyFuture<Resp>>,
    peer: PeerId,
    request: Req,
    channel: ResponseChannel<Reply<Resp>>,
) {
    let (reply, response) = oneshot::channel();
    match state.inbound.try_send(InboundRequest {
        peer,
        request,
        reply,
    }) {
        Ok(()) => {
            let timeout = state.reply_timeout;
            replies.push(
                async move {
                    let response = tokio::time::timeout(timeout, response)
                        .await
                        .ok()
                        .and_then(Result::ok);
                    (channel, response)
                }
                .boxed(),
            );
        }
        Err(error) => {
            let refusal = match error {
                mpsc::error::TrySendError::Full(_) => Refusal::Busy,
                mpsc::error::TrySendError::Closed(_) => Refusal::Unavailable,
            };
            let _ = swarm
                .behaviour_mut()
                .rpc
                .send_response(channel, Reply::Refused(refusal));
        }
    }
}

/// Counts a connection refused by the block list or the connection limits (the admission of
/// strangers counts its own refusals, with their reason).
fn count_denial(refusals: &RefusalCounters, error: &libp2p::swarm::ListenError) {
    let libp2p::swarm::ListenError::Denied { cause } = error else {
        return;
    };
    let reason = if cause
        .downcast_ref::<connection_limits::Exceeded>()
        .is_some()
    {
        "connection_limits"
    } else if cause.downcast_ref::<allow_block_list::Blocked>().is_some() {
        "banned"
    } else {
        return;
    };
    refusals
        .get_or_create(&vec![("reason", reason.to_string())])
        .inc();
}

fn record_fault<Req: WireMessage, Resp: WireMessage>(
    swarm: &mut NodeSwarm<Req, Resp>,
    state: &mut State<Req, Resp>,
    peer: PeerId,
) {
    // Strangers share one fault budget, whatever identities they use.
    swarm
        .behaviour_mut()
        .admission
        .record_fault(&peer, Instant::now());
    match state.breaker.record_fault(peer, Instant::now()) {
        Verdict::Trip { ban } => {
            tracing::warn!(%peer, ?ban, "circuit breaker tripped: peer disconnected and banned");
            // Blocking closes the peer's connections and refuses new ones until unblocked.
            swarm.behaviour_mut().blocked.block_peer(peer);
        }
        Verdict::Tolerated { faults } => {
            tracing::debug!(%peer, faults, "peer fault recorded");
        }
        Verdict::AlreadyBanned => {}
    }
}

/// Whether a connection was closed only because nothing used it for the idle timeout: normal
/// between parties with nothing to say (the next request dials again), so not worth an
/// operator's attention, unlike a connection that broke.
fn closed_as_idle(cause: Option<&libp2p::swarm::ConnectionError>) -> bool {
    matches!(
        cause,
        Some(libp2p::swarm::ConnectionError::KeepAliveTimeout)
    )
}

#[cfg(test)]
mod tests {
    use libp2p::swarm::ConnectionError;

    use super::closed_as_idle;

    #[test]
    fn an_idle_party_connection_closing_is_no_warning_but_a_broken_one_is() {
        assert!(closed_as_idle(Some(&ConnectionError::KeepAliveTimeout)));
        let broken = ConnectionError::IO(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(!closed_as_idle(Some(&broken)));
        // Closed by this node (a ban, a removed peer, shutdown): said where it is decided.
        assert!(!closed_as_idle(None));
    }
}
