//! A webhook receiver: an HTTP server that checks each delivery's `Pactum-Signature` and
//! keeps what arrived. What an integrator's endpoint does, as a tool
//! (`pactum-node webhook-receiver`), for the demo, the tests and the latency measurement.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Router,
};
use tokio::sync::{oneshot, Notify};

use super::signature;

/// How old (or how far ahead) a signature's timestamp may be.
pub const TOLERANCE_S: i64 = 300;

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `Pactum-Delivery`: the same on every attempt of one event to one webhook.
    pub delivery: String,
    /// `Pactum-Event`.
    pub kind: String,
    pub body: Vec<u8>,
    /// Whether `Pactum-Signature` verified with the receiver's secret.
    pub signature_valid: bool,
    /// When it arrived (Unix microseconds).
    pub received_us: u64,
}

impl Delivery {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Called with each delivery as it arrives (e.g. to print it).
pub type OnDelivery = Box<dyn Fn(&Delivery) + Send + Sync>;

struct Shared {
    secret: Vec<u8>,
    deliveries: Mutex<Vec<Delivery>>,
    arrived: Notify,
    /// Called with each delivery (e.g. to print it).
    on_delivery: Option<OnDelivery>,
}

/// A running receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    /// Listens on `bind` and answers `204` to every POST, keeping it (a bad signature is
    /// kept too, marked, and answered `401`).
    pub async fn start(bind: SocketAddr, secret: &str) -> std::io::Result<Receiver> {
        Self::start_with(bind, secret, None).await
    }

    /// [`Receiver::start`], calling `on_delivery` with each delivery.
    pub async fn start_with(
        bind: SocketAddr,
        secret: &str,
        on_delivery: Option<OnDelivery>,
    ) -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            secret: secret.as_bytes().to_vec(),
            deliveries: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            on_delivery,
        });
        let router = Router::new()
            .fallback(post(receive))
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "webhook receiver stopped");
            }
        });
        Ok(Receiver {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The URL to configure as the webhook.
    pub fn url(&self) -> String {
        format!("http://{}/pactum", self.addr)
    }

    /// Everything received so far, in arrival order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared
            .deliveries
            .lock()
            .map(|deliveries| deliveries.clone())
            .unwrap_or_default()
    }

    /// Waits until `done` holds for what was received (or `patience` passes); returns it.
    pub async fn wait_for(
        &self,
        patience: std::time::Duration,
        done: impl Fn(&[Delivery]) -> bool,
    ) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let arrived = self.shared.arrived.notified();
            let deliveries = self.deliveries();
            if done(&deliveries) || tokio::time::Instant::now() >= deadline {
                return deliveries;
            }
            let _ = tokio::time::timeout_at(deadline, arrived).await;
        }
    }

    /// Stops listening (the port is free again once this returns).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let now = now_us();
    let now_s = i64::try_from(now / 1_000_000).unwrap_or(i64::MAX);
    let signature_valid = signature::verify(
        &shared.secret,
        &header(signature::HEADER),
        &body,
        now_s,
        TOLERANCE_S,
    )
    .is_ok();
    let delivery = Delivery {
        delivery: header("Pactum-Delivery"),
        kind: header("Pactum-Event"),
        body: body.to_vec(),
        signature_valid,
        received_us: now,
    };
    if let Some(callback) = &shared.on_delivery {
        callback(&delivery);
    }
    if let Ok(mut deliveries) = shared.deliveries.lock() {
        deliveries.push(delivery);
    }
    shared.arrived.notify_waiters();
    if signature_valid {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// Unix time in microseconds.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
