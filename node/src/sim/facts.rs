//! The facts the simulated attesters sign: each with its own clock (skewed from the others'),
//! so event times arrive out of order and the breaker measures backdated facts.

use std::collections::BTreeMap;

use contract_lang::value::{EnumValue, Value};
use verifier::{
    model::{Event, OrderId, SignedEvent},
    sign::SigningKey,
};

use crate::fixtures::ROUTE_REGIONS;

/// A day in seconds.
const DAY: i64 = 86_400;

/// What kind of fact to make, chosen by the simulator's seeded generator.
#[derive(Debug, Clone, Copy)]
pub(super) enum FactKind {
    /// The goods left port (no clause amends on it).
    Departed,
    /// A new ETA: `late` ones are past the sea-transit limit (air freight, an amendment).
    Eta { late: bool },
    /// A typhoon alert: `on_route` red ones extend the delivery date (an amendment).
    Typhoon { on_route: bool, red: bool },
    /// Delivered, `days` after the attester's clock says now (late ones owe compensation).
    Delivered { days: i64 },
}

/// The attesters' keys and clock offsets.
pub(super) struct Attesters {
    pub carrier: SigningKey,
    pub carrier_skew: i64,
    pub weather: SigningKey,
    pub weather_skew: i64,
}

impl Attesters {
    /// The fact of `kind` at the true time `now`, as its attester's clock dates it; `n` keeps
    /// facts of one kind at one time distinct.
    pub fn fact(
        &self,
        order: OrderId,
        kind: FactKind,
        now: i64,
        n: usize,
    ) -> Result<SignedEvent, String> {
        let text = |text: &str| Value::Text(text.to_string());
        let carrier_at = now.saturating_add(self.carrier_skew);
        let weather_at = now.saturating_add(self.weather_skew);
        let (key, event) = match kind {
            FactKind::Departed => {
                let port = text(&format!("Shenzhen berth {n}"));
                let fields = BTreeMap::from([("port".to_string(), port)]);
                (
                    &self.carrier,
                    Event::new(order, "shipment.departed", carrier_at, fields),
                )
            }
            FactKind::Eta { late } => {
                let days = if late { 50 } else { 30 };
                let eta = Value::Timestamp(carrier_at.saturating_add(days * DAY));
                let fields = BTreeMap::from([("eta".to_string(), eta)]);
                (
                    &self.carrier,
                    Event::new(order, "shipment.eta_updated", carrier_at, fields),
                )
            }
            FactKind::Typhoon { on_route, red } => {
                let region = if on_route {
                    ROUTE_REGIONS[n % ROUTE_REGIONS.len()]
                } else {
                    "Hokkaido"
                };
                let level = Value::Enum(EnumValue {
                    ty: "alert_level".into(),
                    variant: if red { "red" } else { "orange" }.into(),
                });
                let fields = BTreeMap::from([
                    ("kind".to_string(), text("typhoon")),
                    ("level".to_string(), level),
                    ("region".to_string(), text(region)),
                ]);
                (
                    &self.weather,
                    Event::new(order, "weather.alert", weather_at, fields),
                )
            }
            FactKind::Delivered { days } => {
                let at = carrier_at.saturating_add(days.saturating_mul(DAY));
                let fields =
                    BTreeMap::from([("received_by".to_string(), text(&format!("dock {n}")))]);
                (
                    &self.carrier,
                    Event::new(order, "shipment.delivered", at, fields),
                )
            }
        };
        event.sign(key).map_err(|error| error.to_string())
    }
}
