//! Admission of connections from strangers: peers that are not configured parties.
//!
//! A libp2p identity costs nothing, so limits per peer (the breaker, `max_established_per_peer`)
//! do not stop a flood of fresh identities. This behaviour adds limits on strangers in
//! aggregate: how many stranger connections at once, how many from one IP address, how many
//! connections in total (parties always get in: their slots are kept), and a shared fault
//! budget — when strangers together commit more than `stranger_faults` protocol faults within
//! a minute, new stranger connections are refused for `strangers_closed_for`, whatever
//! identity they come with. Every refusal is counted by reason in `refusals`.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    convert::Infallible,
    net::IpAddr,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use libp2p::{
    core::{transport::PortUse, ConnectedPoint, Endpoint},
    multiaddr::Protocol,
    swarm::{
        dummy, ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour,
        THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
    },
    Multiaddr, PeerId,
};
use prometheus_client::metrics::{counter::Counter, family::Family};

/// Label set of the refusal counters: `reason`.
pub type RefusalCounters = Family<Vec<(&'static str, String)>, Counter>;

/// Limits on strangers' connections.
#[derive(Debug, Clone, Copy)]
pub struct AdmissionLimits {
    /// Established connections from strangers at once.
    pub max_strangers: usize,
    /// Established connections from strangers at one IP address.
    pub max_strangers_per_ip: usize,
    /// Established connections in total; parties get in even when it is reached.
    pub max_total: usize,
    /// Protocol faults by strangers, all identities together, tolerated within a minute.
    pub stranger_faults: usize,
    /// How long new stranger connections are refused once the fault budget is spent.
    pub strangers_closed_for: Duration,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        AdmissionLimits {
            max_strangers: 128,
            max_strangers_per_ip: 16,
            max_total: 512,
            stranger_faults: 20,
            strangers_closed_for: Duration::from_secs(60),
        }
    }
}

const FAULT_WINDOW: Duration = Duration::from_secs(60);

/// Why a stranger's connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("too many connections from strangers")]
    Strangers,
    #[error("too many connections from strangers at this address")]
    PerIp,
    #[error("too many connections")]
    Total,
    #[error("strangers are refused for a while after too many faults")]
    Closed,
}

impl Refused {
    pub fn reason(self) -> &'static str {
        match self {
            Refused::Strangers => "strangers_full",
            Refused::PerIp => "per_ip",
            Refused::Total => "total",
            Refused::Closed => "strangers_closed",
        }
    }
}

/// The behaviour: no protocol, only admission decisions.
pub struct Admission {
    limits: AdmissionLimits,
    parties: HashSet<PeerId>,
    established: HashSet<ConnectionId>,
    strangers: HashMap<ConnectionId, Option<IpAddr>>,
    per_ip: HashMap<IpAddr, usize>,
    faults: VecDeque<Instant>,
    closed_until: Option<Instant>,
    refusals: RefusalCounters,
}

impl Admission {
    pub fn new(
        limits: AdmissionLimits,
        parties: impl IntoIterator<Item = PeerId>,
        refusals: RefusalCounters,
    ) -> Admission {
        Admission {
            limits,
            parties: parties.into_iter().collect(),
            established: HashSet::new(),
            strangers: HashMap::new(),
            per_ip: HashMap::new(),
            faults: VecDeque::new(),
            closed_until: None,
            refusals,
        }
    }

    pub fn is_party(&self, peer: &PeerId) -> bool {
        self.parties.contains(peer)
    }

    /// Makes `peer` a party's node (its connections get in like the configured parties') or,
    /// with `false`, a stranger again: parties added and removed at run time.
    pub fn set_party(&mut self, peer: PeerId, party: bool) {
        if party {
            self.parties.insert(peer);
        } else {
            self.parties.remove(&peer);
        }
    }

    /// Counts a protocol fault by `peer`; strangers share one budget.
    pub fn record_fault(&mut self, peer: &PeerId, now: Instant) {
        if self.is_party(peer) {
            return;
        }
        self.faults.push_back(now);
        while self
            .faults
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) > FAULT_WINDOW)
        {
            self.faults.pop_front();
        }
        if self.faults.len() > self.limits.stranger_faults {
            let until = now + self.limits.strangers_closed_for;
            if self.closed_until.is_none_or(|closed| closed < now) {
                tracing::warn!(
                    faults = self.faults.len(),
                    closed_for = ?self.limits.strangers_closed_for,
                    "strangers' faults exceeded their shared budget: new stranger connections refused"
                );
            }
            self.closed_until = Some(until);
        }
    }

    /// Stranger connections established now.
    pub fn strangers(&self) -> usize {
        self.strangers.len()
    }

    fn admit(&self, peer: &PeerId, remote: &Multiaddr, now: Instant) -> Result<(), Refused> {
        if self.is_party(peer) {
            return Ok(());
        }
        if self.closed_until.is_some_and(|until| now < until) {
            return Err(Refused::Closed);
        }
        if self.strangers.len() >= self.limits.max_strangers {
            return Err(Refused::Strangers);
        }
        if let Some(ip) = ip_of(remote) {
            if self.per_ip.get(&ip).copied().unwrap_or(0) >= self.limits.max_strangers_per_ip {
                return Err(Refused::PerIp);
            }
        }
        if self.established.len() >= self.limits.max_total {
            return Err(Refused::Total);
        }
        Ok(())
    }

    fn decide(&self, peer: &PeerId, remote: &Multiaddr) -> Result<(), ConnectionDenied> {
        self.admit(peer, remote, Instant::now()).map_err(|refused| {
            let before = self
                .refusals
                .get_or_create(&vec![("reason", refused.reason().to_string())])
                .inc();
            // A flood must not flood the log: the 1st, 2nd, 4th, 8th… refusal of each reason.
            let count = before.saturating_add(1);
            if count.is_power_of_two() {
                tracing::info!(%peer, %remote, reason = refused.reason(), refused = count, "strangers' connections refused");
            } else {
                tracing::debug!(%peer, %remote, reason = refused.reason(), "stranger's connection refused");
            }
            ConnectionDenied::new(refused)
        })
    }
}

fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    addr.iter().find_map(|part| match part {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

impl NetworkBehaviour for Admission {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.decide(&peer, remote)?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        // The node chose to dial: always allowed, counted in the total.
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(established) => {
                self.established.insert(established.connection_id);
                if !self.is_party(&established.peer_id) {
                    let ip = match established.endpoint {
                        ConnectedPoint::Listener { send_back_addr, .. } => ip_of(send_back_addr),
                        ConnectedPoint::Dialer { address, .. } => ip_of(address),
                    };
                    if let Some(ip) = ip {
                        *self.per_ip.entry(ip).or_default() += 1;
                    }
                    self.strangers.insert(established.connection_id, ip);
                }
            }
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                self.established.remove(&connection_id);
                if let Some(Some(ip)) = self.strangers.remove(&connection_id) {
                    if let Some(count) = self.per_ip.get_mut(&ip) {
                        *count = count.saturating_sub(1);
                        if *count == 0 {
                            self.per_ip.remove(&ip);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _: PeerId,
        _: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stranger() -> PeerId {
        PeerId::random()
    }

    fn addr(ip: &str) -> Multiaddr {
        format!("/ip4/{ip}/tcp/4000").parse().unwrap()
    }

    #[test]
    fn strangers_are_limited_in_aggregate_and_parties_always_get_in() {
        let party = stranger();
        let limits = AdmissionLimits {
            max_strangers: 3,
            max_strangers_per_ip: 2,
            max_total: 4,
            stranger_faults: 2,
            strangers_closed_for: Duration::from_secs(60),
        };
        let counters = RefusalCounters::default();
        let mut admission = Admission::new(limits, [party], counters.clone());
        let now = Instant::now();
        let established = |admission: &mut Admission, peer: PeerId, ip: &str| {
            let id = ConnectionId::new_unchecked(admission.established.len() + 1000);
            admission.established.insert(id);
            if !admission.is_party(&peer) {
                let ip = ip_of(&addr(ip));
                if let Some(ip) = ip {
                    *admission.per_ip.entry(ip).or_default() += 1;
                }
                admission.strangers.insert(id, ip);
            }
        };
        assert_eq!(admission.admit(&stranger(), &addr("10.0.0.1"), now), Ok(()));
        established(&mut admission, stranger(), "10.0.0.1");
        established(&mut admission, stranger(), "10.0.0.1");
        assert_eq!(
            admission.admit(&stranger(), &addr("10.0.0.1"), now),
            Err(Refused::PerIp),
            "fresh identities at one address share its limit"
        );
        established(&mut admission, stranger(), "10.0.0.2");
        assert_eq!(
            admission.admit(&stranger(), &addr("10.0.0.3"), now),
            Err(Refused::Strangers)
        );
        established(&mut admission, party, "10.0.0.9");
        assert_eq!(admission.admit(&party, &addr("10.0.0.1"), now), Ok(()));

        // Faults by three different identities spend one budget.
        let mut fresh = Admission::new(limits, [party], counters);
        for _ in 0..3 {
            fresh.record_fault(&stranger(), now);
        }
        assert_eq!(
            fresh.admit(&stranger(), &addr("10.0.0.5"), now),
            Err(Refused::Closed)
        );
        assert_eq!(fresh.admit(&party, &addr("10.0.0.5"), now), Ok(()));
        let later = now + Duration::from_secs(61);
        assert_eq!(fresh.admit(&stranger(), &addr("10.0.0.5"), later), Ok(()));
    }
}
