//! `pactum-node run`: starts the node described by a configuration file (store, network,
//! co-signing engine, HTTP API) and stops cleanly on Ctrl-C or SIGTERM. Everything
//! acknowledged is already durable, so a hard kill loses nothing acknowledged either.

use std::path::Path;

use anyhow::Context;

use crate::{
    config::Settings,
    launch::{launch, NodeSpec},
};

/// How log lines are written on standard error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per line (timestamp, level, target, message and the event's fields),
    /// for log collectors.
    Json,
}

/// Runs the node configured in `config_path` until it is interrupted.
pub fn run_from_config(config_path: &Path, log_format: LogFormat) -> anyhow::Result<()> {
    let settings = Settings::load(config_path)?;
    let spec = NodeSpec::from_settings(&settings)?;
    init_tracing(log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let node = launch(spec).await?;
        tracing::info!(
            role = %node.role,
            http = %node.http_addr,
            peer_id = %node.peer_id,
            p2p = ?node.p2p_addrs,
            "node running"
        );
        // One line on stdout for scripts: where the API listens.
        println!("pactum-node {} listening on {}", node.role, node.url());
        shutdown_signal().await;
        tracing::info!("stopping");
        node.stop().await;
        Ok(())
    })
}

/// Installs a `RUST_LOG`-driven log subscriber (default: info), once.
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
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
