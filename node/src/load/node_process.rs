//! A node as a separate `pactum-node run` process on loopback, in a directory of its own
//! (made by `init`), for the load commands and the process tests.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use anyhow::{anyhow, bail, Context};
use libp2p::{Multiaddr, PeerId};
use verifier::sign::PublicKey;

use crate::{
    api::ProposeOrder,
    client::ApiClient,
    config::{init, render_template, InitOptions, PeerSection, Settings},
    process_stats::{figures, ProcessFigures},
};

/// The demo order `order_ref` among `nodes`' parties (by role and key), in which every party
/// may attest every kind: with no departure recorded, ETA updates amend nothing and the
/// breaker never trips, whatever the load.
pub fn proposal_among<'a>(
    nodes: impl IntoIterator<Item = &'a NodeDir>,
    order_ref: &str,
) -> ProposeOrder {
    let mut proposal =
        crate::demo::scenario::proposal(&std::collections::BTreeMap::new(), order_ref);
    proposal.parties = Some(
        nodes
            .into_iter()
            .map(|node| (node.role.clone(), hex::encode(node.public_key.as_bytes())))
            .collect(),
    );
    proposal.attesters = None;
    proposal
}

/// A free TCP port on loopback (free when asked; a node binds it right after).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .context("cannot bind a loopback port")?
        .local_addr()?
        .port())
}

/// A node's directory: its configuration and where it listens.
pub struct NodeDir {
    pub role: String,
    pub config: PathBuf,
    pub settings: Settings,
    pub public_key: PublicKey,
    pub peer_id: PeerId,
    pub p2p_port: u16,
}

impl NodeDir {
    /// `pactum-node init` in `base/role`, listening on free loopback ports.
    pub fn init(base: &Path, role: &str) -> anyhow::Result<NodeDir> {
        Self::init_with_batch(base, role, 64)
    }

    /// [`NodeDir::init`], signing a checkpoint every `checkpoint_batch` entries.
    pub fn init_with_batch(
        base: &Path,
        role: &str,
        checkpoint_batch: u64,
    ) -> anyhow::Result<NodeDir> {
        let p2p_port = free_port()?;
        let options = InitOptions {
            role: role.into(),
            listen: format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
            http_bind: format!("127.0.0.1:{}", free_port()?),
            checkpoint_batch_size: checkpoint_batch,
        };
        let done = init(&base.join(role), &options)?;
        let settings = Settings::load(&done.config_path)?;
        Ok(NodeDir {
            role: role.into(),
            config: done.config_path,
            settings,
            public_key: done.public_key,
            peer_id: done.peer_id,
            p2p_port,
        })
    }

    /// Where the node's libp2p listener is, with its peer id.
    pub fn p2p_addr(&self) -> anyhow::Result<Multiaddr> {
        format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", self.p2p_port, self.peer_id)
            .parse()
            .map_err(|error| anyhow!("bad address: {error}"))
    }

    /// Rewrites the configuration with `peers` under `[[peers]]`: role, key, p2p port.
    pub fn set_peers(&mut self, peers: &[(String, PublicKey, u16)]) -> anyhow::Result<()> {
        let mut file = self.settings.file.clone();
        file.peers = peers
            .iter()
            .filter(|(role, key, _)| *role != self.role || *key != self.public_key)
            .map(|(role, key, port)| PeerSection {
                role: role.clone(),
                public_key: hex::encode(key.as_bytes()),
                addresses: vec![format!("/ip4/127.0.0.1/tcp/{port}")],
            })
            .collect();
        std::fs::write(&self.config, render_template(&file, &self.public_key))?;
        self.settings = Settings::load(&self.config)?;
        Ok(())
    }

    /// The key and libp2p port other nodes list under `[[peers]]`.
    pub fn as_peer(&self) -> (String, PublicKey, u16) {
        (self.role.clone(), self.public_key, self.p2p_port)
    }

    /// A client of the node's HTTP API with its operator token.
    pub fn client(&self) -> ApiClient {
        ApiClient::new(
            self.settings.http_url(),
            Some(self.settings.file.http.token.clone()),
        )
    }
}

/// Lists every node under `[[peers]]` in every other node's configuration.
pub fn introduce(nodes: &mut [NodeDir]) -> anyhow::Result<()> {
    let all: Vec<_> = nodes.iter().map(NodeDir::as_peer).collect();
    for node in nodes {
        node.set_peers(&all)?;
    }
    Ok(())
}

/// A running `pactum-node run` process, killed when dropped.
pub struct NodeProcess {
    child: Child,
}

impl NodeProcess {
    /// Starts `exe run --config …` and waits for its "listening on" line (its API is up).
    /// Its log goes to this process's standard error, filtered by `RUST_LOG` (default warn).
    pub fn spawn(exe: &Path, node: &NodeDir) -> anyhow::Result<NodeProcess> {
        let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
        Self::start(Command::new(exe), node, &level, Stdio::inherit(), &[])
    }

    /// [`NodeProcess::spawn`] inside the network namespace `namespace` (`ip netns exec`, which
    /// becomes the node's process: killing it kills the node). Needs root.
    pub fn spawn_in_namespace(
        exe: &Path,
        node: &NodeDir,
        namespace: &str,
    ) -> anyhow::Result<NodeProcess> {
        let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
        let mut command = Command::new("ip");
        command.args(["netns", "exec", namespace]).arg(exe);
        Self::start(command, node, &level, Stdio::inherit(), &[])
    }

    /// Like [`NodeProcess::spawn`], with its log as JSON lines (`--log-format json`, level
    /// info) appended to the file `log`.
    pub fn spawn_logging_to(exe: &Path, node: &NodeDir, log: &Path) -> anyhow::Result<NodeProcess> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        Self::start(
            Command::new(exe),
            node,
            "info",
            Stdio::from(file),
            &["--log-format", "json"],
        )
    }

    /// Runs `command` (the executable, or a wrapper that runs it) with `run --config …`.
    fn start(
        mut command: Command,
        node: &NodeDir,
        level: &str,
        stderr: Stdio,
        extra: &[&str],
    ) -> anyhow::Result<NodeProcess> {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .arg("run")
            .arg("--config")
            .arg(&node.config)
            .args(extra)
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut line)?;
        }
        let process = NodeProcess { child };
        if !line.contains("listening on") {
            bail!("the {} node did not start: {line:?}", node.role);
        }
        Ok(process)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL (no chance to flush anything) and reaps it.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait().map(|_| ())
    }

    /// Its memory, descriptors and CPU time now.
    pub fn figures(&self) -> ProcessFigures {
        figures(Some(self.pid()))
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
