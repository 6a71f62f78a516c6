//! Example orders made through the order core, without I/O: the three example parties'
//! contract (seller sequences; buyer and carrier cosign; the air-freight clause), carrier
//! facts, and whole histories signed by every party. The simulator runs one of them; `pactum-node
//! bench-start` writes many into a store.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use contract_lang::{
    ir::Program,
    value::{EnumValue, Value},
};
use verifier::{
    bundle::{
        build::{compile_sources, example_contract, library_sources, ExampleKeys},
        Source,
    },
    model::{
        BreakerPolicy, Close, Digest, Event, OrderId, SignedClose, SignedContract, SignedEntry,
        SignedEvent,
    },
    state::{check_contract, Compiled, Machine, ProgramSource, Signatures},
};

use crate::engine::{order::OrderCore, records::OrderRecord, sources::hash_sources};

/// The regions of the example orders' route (force majeure reads them).
pub const ROUTE_REGIONS: [&str; 2] = ["Guangdong", "South China Sea"];

/// The parties, sources and compiled program every example order shares.
pub struct ExampleOrders {
    keys: ExampleKeys,
    clauses: Vec<String>,
    sources: Vec<Source>,
    program: Arc<Program>,
    sources_hash: Digest,
}

impl ExampleOrders {
    /// The air-freight clause alone.
    pub fn new() -> Result<ExampleOrders, String> {
        ExampleOrders::with_clauses(&["air_freight_fallback"])
    }

    /// Orders bound to the library's clauses `names` (the air-freight clause and force majeure
    /// are the ones [`ExampleOrders::contract`] knows the terms of).
    pub fn with_clauses(names: &[&str]) -> Result<ExampleOrders, String> {
        let files: Vec<String> = names
            .iter()
            .map(|name| format!("clauses/{name}.clause"))
            .collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let sources = library_sources(&files).map_err(|e| e.to_string())?;
        let program = compile_sources(&sources).map_err(|e| e.to_string())?;
        let sources_hash = hash_sources(&sources)?;
        Ok(ExampleOrders {
            keys: ExampleKeys::new(),
            clauses: names.iter().map(|name| name.to_string()).collect(),
            sources,
            program: Arc::new(program),
            sources_hash,
        })
    }

    pub fn keys(&self) -> &ExampleKeys {
        &self.keys
    }

    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// The hash of the shared sources (the key their compiled program is stored under).
    pub fn sources_hash(&self) -> Digest {
        self.sources_hash
    }

    /// The contract check's source of programs: the one compiled here for these sources.
    pub fn programs(&self) -> Arc<dyn ProgramSource> {
        Arc::new(Compiled {
            hash: self.sources_hash,
            program: self.program.clone(),
        })
    }

    /// The parties with their keys, the sequencer first.
    pub fn parties(&self) -> [(&'static str, &verifier::sign::SigningKey); 3] {
        [
            ("seller", &self.keys.seller),
            ("buyer", &self.keys.buyer),
            ("carrier", &self.keys.carrier),
        ]
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The contract of order `reference`, signed by every party, and its checked machine.
    pub fn contract(&self, reference: &str) -> Result<(SignedContract, Machine), String> {
        self.contract_with(reference, BreakerPolicy::default())
    }

    /// [`ExampleOrders::contract`] with the breaker `policy`.
    pub fn contract_with(
        &self,
        reference: &str,
        policy: BreakerPolicy,
    ) -> Result<(SignedContract, Machine), String> {
        self.contract_with_parties(reference, policy, &self.parties())
    }

    /// [`ExampleOrders::contract_with`] between `parties` (role and key; the seller, who
    /// sequences, among them), every one of them signing.
    pub fn contract_with_parties(
        &self,
        reference: &str,
        policy: BreakerPolicy,
        parties: &[(&str, &verifier::sign::SigningKey)],
    ) -> Result<(SignedContract, Machine), String> {
        let mut terms = BTreeMap::from([
            (
                "transport_mode".to_string(),
                Value::Enum(EnumValue {
                    ty: "transport_mode".into(),
                    variant: "sea".into(),
                }),
            ),
            ("delivery_due".to_string(), Value::Timestamp(1_772_323_200)),
        ]);
        if self.clauses.iter().any(|name| name == "force_majeure") {
            let regions = ROUTE_REGIONS
                .iter()
                .map(|region| Value::Text(region.to_string()))
                .collect();
            terms.insert("route_regions".into(), Value::List(regions));
        }
        let mut contract = example_contract(
            &self.keys,
            &self.program,
            &self.clauses,
            "CN",
            terms,
            1_767_225_600,
        );
        contract.breaker = policy;
        contract.order_ref = reference.to_string();
        contract.parties = parties
            .iter()
            .map(|(role, key)| (role.to_string(), key.public_key()))
            .collect();
        contract.sources = self.sources_hash;
        for binding in &mut contract.clauses {
            let clause = self
                .program
                .clause(&binding.name)
                .ok_or_else(|| format!("no {} clause", binding.name))?;
            binding.id = Digest(clause.id.0);
        }
        let mut signed = SignedContract::unsigned(&contract).map_err(|e| e.to_string())?;
        for (role, key) in parties {
            signed.sign(role, key);
        }
        let machine = check_contract(&signed, &self.sources, self.programs(), Signatures::All)
            .map_err(|e| e.to_string())?;
        Ok((signed, machine))
    }

    /// The carrier's `n`th fact for `order`, an hour after the one before: departures, and
    /// every third an ETA fifty days out (which switches the order to air freight).
    pub fn fact(&self, order: OrderId, n: i64) -> Result<SignedEvent, String> {
        let at = 1_768_000_000 + n * 3_600;
        let event = if n % 3 == 2 {
            let eta = Value::Timestamp(at + 50 * 86_400);
            Event::new(
                order,
                "shipment.eta_updated",
                at,
                BTreeMap::from([("eta".into(), eta)]),
            )
        } else {
            let port = Value::Text("Shenzhen".into());
            Event::new(
                order,
                "shipment.departed",
                at,
                BTreeMap::from([("port".into(), port)]),
            )
        };
        event.sign(&self.keys.carrier).map_err(|e| e.to_string())
    }

    /// `entries` committed entries of order `reference`, each signed by every party: the
    /// genesis, carrier facts, and a close last when `close`.
    pub fn history(
        &self,
        reference: &str,
        entries: u64,
        close: bool,
    ) -> Result<(OrderRecord, Vec<SignedEntry>), String> {
        let (contract, machine) = self.contract(reference)?;
        let order = contract.order_id();
        let (mut core, genesis) = OrderCore::genesis(machine).map_err(|e| e.to_string())?;
        let mut history = vec![self.sign_all(genesis.entry)];
        let facts = entries.saturating_sub(1 + u64::from(close));
        let mut seen = HashMap::new();
        for n in 0..facts {
            let fact = self.fact(order, n as i64)?;
            let sealed = core
                .prepare_event(&seen, &fact)
                .map_err(|e| e.to_string())?;
            seen.insert(fact.hash(), sealed.body.seq);
            history.push(self.sign_all(sealed.entry));
            core.advance(sealed.state);
        }
        if close {
            let at = core.state().high_water;
            let close = Close::new(order, core.state().seq, at, "settled");
            let mut signed = SignedClose::unsigned(&close).map_err(|e| e.to_string())?;
            for (role, key) in self.parties() {
                signed.sign(role, key);
            }
            let sealed = core.prepare_close(&signed).map_err(|e| e.to_string())?;
            history.push(self.sign_all(sealed.entry));
        }
        let record = OrderRecord {
            contract,
            sources: self.sources.clone(),
        };
        Ok((record, history))
    }

    fn sign_all(&self, mut entry: SignedEntry) -> SignedEntry {
        for (role, key) in self.parties() {
            entry.sign(role, key);
        }
        entry
    }
}
