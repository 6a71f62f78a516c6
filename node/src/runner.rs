//! `pactum-node run`: opens the store and the log, serves the HTTP API, and stops cleanly on
//! Ctrl-C or SIGTERM (everything acknowledged is already durable, so a hard kill is safe too).

use std::{path::Path, sync::Arc};

use anyhow::Context;
use serde_json::{json, Value};

use crate::{
    api::{AcceptOrder, ApiError, BundleExport, NodeApi, ProposeOrder, SubmitEvent, SubmitReview},
    config::Settings,
    durable::Store,
    http::{self, HttpSettings},
    log_store::NodeLog,
    metrics::Metrics,
};

/// Runs the node configured in `config_path` until it is interrupted.
pub fn run_from_config(config_path: &Path) -> anyhow::Result<()> {
    let settings = Settings::load(config_path)?;
    let key = settings.signing_key()?;
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
        let store = Arc::new(Store::open(&settings.data_dir)?);
        let log = NodeLog::open(store.clone())?;
        let metrics = Arc::new(Metrics::new());
        metrics.log_size.set(log.size() as i64);
        let service = Arc::new(LogOnlyService {
            role: settings.file.role.clone(),
            public_key: hex::encode(key.public_key().as_bytes()),
            log: tokio::sync::Mutex::new(log),
        });
        let router = http::router(
            service,
            HttpSettings {
                token: settings.file.http.token.clone(),
                max_body_bytes: settings.file.http.max_body_bytes,
            },
            metrics,
        );
        let listener = http::bind(settings.http_bind).await?;
        tracing::info!(addr = %settings.http_bind, role = %settings.file.role, "HTTP API listening");
        http::serve(listener, router, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Installs a `RUST_LOG`-driven log subscriber (default: info), once.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// The API before the co-signing engine is wired in: the log, health and metrics.
struct LogOnlyService {
    role: String,
    public_key: String,
    log: tokio::sync::Mutex<NodeLog>,
}

fn no_engine() -> ApiError {
    ApiError::unavailable(
        "engine_unavailable",
        "this build of the node does not run the co-signing engine yet",
    )
}

impl NodeApi for LogOnlyService {
    async fn propose(&self, _: ProposeOrder) -> Result<Value, ApiError> {
        Err(no_engine())
    }
    async fn accept(&self, order: String, _: AcceptOrder) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn submit_event(&self, order: String, _: SubmitEvent) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn order(&self, order: String) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn history(&self, order: String) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn review(&self, order: String, _: SubmitReview) -> Result<Value, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn bundle(&self, order: String) -> Result<BundleExport, ApiError> {
        Err(ApiError::unknown_order(&order))
    }
    async fn checkpoint(&self) -> Result<Value, ApiError> {
        let log = self.log.lock().await;
        let size = log.durable_size();
        let root = log
            .root_at(size)
            .map_err(|error| ApiError::internal(error.to_string()))?;
        Ok(json!({ "size": size, "root": hex::encode(root) }))
    }
    async fn health(&self) -> Value {
        json!({ "status": "ok", "role": self.role, "public_key": self.public_key })
    }
}
