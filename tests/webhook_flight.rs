//! A webhook delivery that hangs holds up no other: while a receiver sits on one request,
//! the node keeps delivering the events after it (more of them than fit in one batch of
//! requests), and the held one completes once the receiver answers. Waits are bounded by
//! `common::PATIENCE` (through `common::wait_until`) only so that a failure ends; nothing asserts on timings.

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Condvar, Mutex},
    time::Duration,
};

use common::{wait_until, Cluster};
use serde_json::{json, Value};

/// An HTTP receiver that holds the first request it gets until released, and answers every
/// other at once; it records the event id of each body.
struct HoldingReceiver {
    url: String,
    state: Arc<(Mutex<Held>, Condvar)>,
}

#[derive(Default)]
struct Held {
    holding: Option<u64>,
    released: bool,
    received: BTreeSet<u64>,
}

impl HoldingReceiver {
    fn start() -> HoldingReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let state = Arc::new((Mutex::new(Held::default()), Condvar::new()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || answer(stream, &state));
            }
        });
        HoldingReceiver { url, state }
    }

    fn received(&self) -> BTreeSet<u64> {
        self.state.0.lock().unwrap().received.clone()
    }

    fn holding(&self) -> Option<u64> {
        self.state.0.lock().unwrap().holding
    }

    fn release(&self) {
        self.state.0.lock().unwrap().released = true;
        self.state.1.notify_all();
    }
}

fn answer(stream: TcpStream, state: &(Mutex<Held>, Condvar)) {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_u64()
        .unwrap();
    let (held, released) = state;
    let mut held = held.lock().unwrap();
    if held.holding.is_none() {
        held.holding = Some(id);
        while !held.released {
            held = released.wait(held).unwrap();
        }
    }
    held.received.insert(id);
    drop(held);
    let _ = reader
        .into_inner()
        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

#[test]
fn a_hanging_delivery_holds_up_no_other() {
    // Deliveries may take as long as they like: only the receiver ends the held one.
    let cluster = Cluster::start_with(&["seller"], BTreeMap::new(), |spec| {
        spec.events.delivery_timeout = Duration::from_secs(3600);
    });
    let receiver = HoldingReceiver::start();
    cluster
        .client("seller")
        .post(
            "/webhooks",
            &json!({"url": receiver.url, "secret": "whsec-flight-test-0123456789", "kinds": ["entry"]}),
        )
        .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/api/propose.json");
    let mut proposal: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let seller = hex::encode(cluster.keys["seller"].public_key().as_bytes());
    proposal["parties"] = json!({ "seller": seller });
    let order = cluster.client("seller").post("/orders", &proposal).unwrap()["order"]
        .as_str()
        .unwrap()
        .to_string();
    wait_until("the first delivery to be held", || {
        receiver.holding().is_some()
    });
    // Far more entries than requests in flight at once (16).
    let entries = 40;
    for minute in 0..entries {
        let at = format!("2026-01-06T00:{minute:02}:00Z");
        cluster
            .event(
                "seller",
                &order,
                "shipment.eta_updated",
                &at,
                json!({"eta": "2026-02-10T00:00:00Z"}),
            )
            .unwrap();
    }
    // Genesis and 40 event entries: every one but the held one arrives while it is held.
    wait_until("every other delivery while one is held", || {
        receiver.received().len() == entries
    });
    let held = receiver.holding().unwrap();
    assert!(!receiver.received().contains(&held));
    receiver.release();
    wait_until("the held delivery once answered", || {
        receiver.received().len() == entries + 1
    });
}
