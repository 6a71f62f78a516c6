//! The node's configuration file and its party key file: what `pactum-node init` writes and
//! `pactum-node run` reads.
//!
//! The configuration is TOML with every field documented in place (see [`render_template`]);
//! unknown keys are refused so a misspelt setting is an error, not a silently ignored line.
//! Relative paths are resolved against the directory holding the configuration file, so a node
//! directory can be moved as a whole.
//!
//! The key file holds the party's ed25519 seed as 64 hex digits. It is created with mode 0600
//! and refused at load time if group or others may read it, like `ssh` does with private keys.

use std::{
    collections::BTreeSet,
    fs,
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use libp2p::{multiaddr::Protocol, Multiaddr, PeerId};
use serde::{Deserialize, Serialize};
use verifier::sign::{PublicKey, SigningKey};

use crate::net::peer_id_for;

/// File name of the configuration written by `init`.
pub const CONFIG_FILE: &str = "pactum-node.toml";
/// File name of the key written by `init`.
pub const KEY_FILE: &str = "party.key";
/// Default largest HTTP request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Shortest bearer token accepted: anything shorter is guessable.
pub const MIN_TOKEN_LENGTH: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} already exists; remove it or choose another directory")]
    Exists { path: PathBuf },
    #[error("{path} is not a valid configuration: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("key file {path}: {message}")]
    Key { path: PathBuf, message: String },
}

/// The configuration file, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The party this node speaks for (`seller`, `buyer`, `carrier`…).
    pub role: String,
    /// The party's ed25519 key file.
    pub key_file: PathBuf,
    /// Directory of the node's sled database.
    pub data_dir: PathBuf,
    pub network: NetworkSection,
    pub http: HttpSection,
    pub checkpoint: CheckpointSection,
    /// The other parties' nodes.
    #[serde(default)]
    pub peers: Vec<PeerSection>,
    /// Where to deliver what the contracts decide (see docs/webhooks.md).
    #[serde(default)]
    pub webhooks: Vec<WebhookSection>,
    /// The event journal behind webhooks and `GET /events`.
    #[serde(default)]
    pub events: Option<EventsSection>,
    /// How EPCIS and CAP documents become facts (`POST /ingest/…`, docs/ingest.md).
    #[serde(default)]
    pub ingest: Option<IngestSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSection {
    /// A mapping file (TOML) replacing the built-in one, relative to this file.
    #[serde(default)]
    pub mapping: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    /// An http:// URL that receives a POST per event.
    pub url: String,
    /// Key of the `Pactum-Signature` HMAC, at least 16 characters.
    pub secret: String,
    /// Event kinds to send (entry, notification, obligation, breaker_trip, review,
    /// determinism_fault, queued_fact_committed); empty or absent means all.
    #[serde(default)]
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSection {
    /// Events kept in the journal (default 1,000,000).
    #[serde(default)]
    pub retention: Option<u64>,
    /// Time allowed for one webhook delivery, ms (default 10,000).
    #[serde(default)]
    pub delivery_timeout_ms: Option<u64>,
    /// PEM CA certificates that deliveries to `https://` webhooks trust (default: the
    /// system's CA bundle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// libp2p listen addresses.
    pub listen: Vec<String>,
    /// Discover peers on the local network with mDNS.
    #[serde(default)]
    pub mdns: bool,
    /// Time allowed for one protocol request's round trip, in milliseconds.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Seconds the sequencer waits for every party's answer to a proposal before it gives the
    /// round up (the fact is queued, `202`). Below `request_timeout_ms`, so the protocol decides,
    /// not the transport.
    #[serde(default = "default_round_patience_secs")]
    pub round_patience_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    /// Address of the local HTTP API.
    pub bind: String,
    /// Bearer token every write request must present.
    pub token: String,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    // Edges of the API (node/src/http): see `HttpSection::limits` and `http::tokens`.
    /// More bearer tokens with scopes, re-read when the file changes.
    #[serde(default)]
    pub tokens_file: Option<PathBuf>,
    /// Connections served at once (more are answered 503).
    #[serde(default)]
    pub max_connections: Option<usize>,
    /// Deadline for a request's head (and for a connection that sends nothing), ms.
    #[serde(default)]
    pub header_timeout_ms: Option<u64>,
    /// Deadline for a request's body, ms.
    #[serde(default)]
    pub body_timeout_ms: Option<u64>,
    /// Serve HTTPS only, with this PEM certificate chain (leaf first) and `tls_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `tls_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
}

impl HttpSection {
    /// The connection cap and deadlines, defaults where the file says nothing.
    pub fn limits(&self) -> crate::http::ConnectionLimits {
        let defaults = crate::http::ConnectionLimits::default();
        let ms = std::time::Duration::from_millis;
        crate::http::ConnectionLimits {
            max_connections: self.max_connections.unwrap_or(defaults.max_connections),
            header_timeout: self.header_timeout_ms.map_or(defaults.header_timeout, ms),
            body_timeout: self.body_timeout_ms.map_or(defaults.body_timeout, ms),
            ..defaults
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSection {
    /// Sign a checkpoint once this many entries were committed since the last one.
    pub batch_size: u64,
    /// The log's origin line in checkpoints (C2SP); defaults to `pactum/<role>/<key prefix>`.
    #[serde(default)]
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSection {
    pub role: String,
    /// The party's ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// Where its node listens (libp2p multiaddrs; `/p2p/<peer id>` is added if missing).
    #[serde(default)]
    pub addresses: Vec<String>,
}

fn default_request_timeout_ms() -> u64 {
    10_000
}

fn default_round_patience_secs() -> u64 {
    5
}

fn default_max_body_bytes() -> usize {
    DEFAULT_MAX_BODY_BYTES
}

/// A peer as the node uses it: checked key, its peer id, dialable addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub role: String,
    pub public_key: PublicKey,
    pub peer_id: PeerId,
    pub addresses: Vec<Multiaddr>,
}

/// A loaded and checked configuration, paths made absolute.
#[derive(Debug, Clone)]
pub struct Settings {
    pub file: NodeConfig,
    pub config_path: PathBuf,
    pub key_path: PathBuf,
    pub data_dir: PathBuf,
    pub listen: Vec<Multiaddr>,
    pub http_bind: SocketAddr,
    pub peers: Vec<Peer>,
}

/// A TOML syntax error as its line, column and message, without the excerpt of the source
/// that `toml`'s own message quotes: configuration and tokens files hold secrets (the API
/// tokens), and these messages go to logs and terminals.
pub fn toml_error(error: &toml::de::Error, text: &str) -> String {
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before
                .rsplit('\n')
                .next()
                .map_or(0, |last| last.chars().count())
                + 1;
            format!("line {line}, column {column}: {}", error.message())
        }
        None => error.message().to_string(),
    }
}

impl Settings {
    /// Reads and checks the configuration at `path`.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parse_error = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|error| parse_error(toml_error(&error, &text)))?;
        apply_env_overrides(&mut table, std::env::vars());
        let file: NodeConfig = table
            .try_into()
            .map_err(|error: toml::de::Error| parse_error(error.to_string()))?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Settings::from_file(file, path, base)
    }

    /// Checks `file`, resolving relative paths against `base`.
    pub fn from_file(file: NodeConfig, path: &Path, base: &Path) -> Result<Settings, ConfigError> {
        check_role(&file.role)?;
        if file.http.token.len() < MIN_TOKEN_LENGTH {
            return Err(ConfigError::Invalid(format!(
                "http.token must be at least {MIN_TOKEN_LENGTH} characters"
            )));
        }
        if file.http.max_body_bytes == 0 {
            return Err(ConfigError::Invalid(
                "http.max_body_bytes must be positive".into(),
            ));
        }
        if file.checkpoint.batch_size == 0 {
            return Err(ConfigError::Invalid(
                "checkpoint.batch_size must be at least 1".into(),
            ));
        }
        if file.network.request_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "network.request_timeout_ms must be positive".into(),
            ));
        }
        if file.network.round_patience_secs == 0 {
            return Err(ConfigError::Invalid(
                "network.round_patience_secs must be at least 1".into(),
            ));
        }
        let http_bind: SocketAddr = file.http.bind.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "http.bind {:?} is not an address like 127.0.0.1:7300",
                file.http.bind
            ))
        })?;
        let listen = file
            .network
            .listen
            .iter()
            .map(|addr| parse_multiaddr("network.listen", addr))
            .collect::<Result<Vec<_>, _>>()?;
        // Peers are told apart by key: a seller may know 50 buyers and 3 carriers.
        let mut keys = BTreeSet::new();
        let mut peers = Vec::with_capacity(file.peers.len());
        for section in &file.peers {
            check_role(&section.role)?;
            let peer = peer_from_section(section)?;
            if !keys.insert(peer.public_key) {
                return Err(ConfigError::Invalid(format!(
                    "peer {}: key {} is configured twice",
                    section.role, section.public_key
                )));
            }
            peers.push(peer);
        }
        Ok(Settings {
            key_path: base.join(&file.key_file),
            data_dir: base.join(&file.data_dir),
            config_path: path.to_path_buf(),
            listen,
            http_bind,
            peers,
            file,
        })
    }

    /// The ingest mapping: the file `[ingest] mapping` names (relative to the configuration
    /// file), checked, or the built-in one.
    pub fn ingest_mapping(&self) -> Result<crate::ingest::Mapping, ConfigError> {
        let Some(file) = self
            .file
            .ingest
            .as_ref()
            .and_then(|ingest| ingest.mapping.as_ref())
        else {
            return Ok(crate::ingest::Mapping::standard());
        };
        let base = self.config_path.parent().unwrap_or(Path::new("."));
        let path = base.join(file);
        let text = std::fs::read_to_string(&path).map_err(|error| {
            ConfigError::Invalid(format!("ingest.mapping {}: {error}", path.display()))
        })?;
        crate::ingest::Mapping::parse(&text)
            .map_err(|error| ConfigError::Invalid(format!("{}: {error}", path.display())))
    }

    /// The journal's settings and the configured webhooks, checked.
    pub fn events_config(&self) -> Result<crate::events::EventsConfig, ConfigError> {
        let mut config = crate::events::EventsConfig::default();
        if let Some(section) = &self.file.events {
            if section.retention == Some(0) || section.delivery_timeout_ms == Some(0) {
                return Err(ConfigError::Invalid(
                    "events.retention and events.delivery_timeout_ms must be positive".into(),
                ));
            }
            config.retention = section.retention.unwrap_or(config.retention);
            if let Some(ms) = section.delivery_timeout_ms {
                config.delivery_timeout = std::time::Duration::from_millis(ms);
            }
            if let Some(ca_file) = &section.ca_file {
                let tls = crate::tls::client_tls(Some(&self.relative(ca_file)))
                    .map_err(|error| ConfigError::Invalid(format!("events.ca_file: {error}")))?;
                config.tls = Some(tls);
            }
        }
        for (index, section) in self.file.webhooks.iter().enumerate() {
            let webhook =
                crate::events::Webhook::configured(&section.url, &section.secret, &section.kinds)
                    .map_err(|error| ConfigError::Invalid(format!("webhooks[{index}]: {error}")))?;
            config.webhooks.push(webhook);
        }
        Ok(config)
    }

    /// A path of the configuration file, relative to the file's directory unless absolute.
    pub fn relative(&self, path: &Path) -> PathBuf {
        let base = self.config_path.parent().unwrap_or(Path::new("."));
        base.join(path)
    }

    /// The API's TLS configuration when `[http] tls_cert` and `tls_key` are set.
    pub fn http_tls(&self) -> Result<Option<Arc<rustls::ServerConfig>>, ConfigError> {
        let http = &self.file.http;
        match (&http.tls_cert, &http.tls_key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => {
                crate::tls::server_config(&self.relative(cert), &self.relative(key))
                    .map(Some)
                    .map_err(|error| {
                        ConfigError::Invalid(format!("http.tls_cert/tls_key: {error}"))
                    })
            }
            _ => Err(ConfigError::Invalid(
                "http.tls_cert and http.tls_key go together: set both or neither".into(),
            )),
        }
    }

    /// The API's base URL, `https://` when TLS is configured.
    pub fn http_url(&self) -> String {
        let scheme = if self.file.http.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.http_bind)
    }

    /// Reads the party key named by the configuration.
    pub fn signing_key(&self) -> Result<SigningKey, ConfigError> {
        read_key_file(&self.key_path)
    }

    /// The checkpoint origin line for a node with this public key.
    pub fn origin(&self, key: &PublicKey) -> String {
        self.file
            .checkpoint
            .origin
            .clone()
            .unwrap_or_else(|| default_origin(&self.file.role, key))
    }
}

/// Configuration keys an environment variable may override: `PACTUM_` and the section and key
/// in capitals joined by `_` (`PACTUM_HTTP_BIND`, `PACTUM_DATA_DIR`,
/// `PACTUM_CHECKPOINT_BATCH_SIZE`). `[[peers]]` and `[[webhooks]]` are lists: file only.
pub const ENV_OVERRIDABLE: &[(&str, &str)] = &[
    ("", "role"),
    ("", "key_file"),
    ("", "data_dir"),
    ("network", "listen"),
    ("network", "mdns"),
    ("network", "request_timeout_ms"),
    ("network", "round_patience_secs"),
    ("http", "bind"),
    ("http", "token"),
    ("http", "max_body_bytes"),
    ("http", "tokens_file"),
    ("http", "max_connections"),
    ("http", "header_timeout_ms"),
    ("http", "body_timeout_ms"),
    ("http", "tls_cert"),
    ("http", "tls_key"),
    ("checkpoint", "batch_size"),
    ("checkpoint", "origin"),
    ("events", "retention"),
    ("events", "delivery_timeout_ms"),
    ("events", "ca_file"),
    ("ingest", "mapping"),
];

/// The environment variable overriding `section.key`.
pub fn env_name(section: &str, key: &str) -> String {
    let path = if section.is_empty() {
        key.to_string()
    } else {
        format!("{section}_{key}")
    };
    format!("PACTUM_{}", path.to_ascii_uppercase())
}

/// Sets each key of [`ENV_OVERRIDABLE`] whose variable is in `vars`. A value that reads as a
/// TOML value (`true`, `64`, `["/ip4/…"]`, `"text"`) is taken as one; anything else is text.
pub fn apply_env_overrides(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) {
    let vars: std::collections::BTreeMap<String, String> = vars.into_iter().collect();
    for (section, key) in ENV_OVERRIDABLE {
        let Some(raw) = vars.get(&env_name(section, key)) else {
            continue;
        };
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut parsed| parsed.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.clone()));
        let target = if section.is_empty() {
            Some(&mut *table)
        } else {
            table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
        };
        if let Some(target) = target {
            target.insert(key.to_string(), value);
        }
    }
}

/// Where commands look for the configuration when none is given: `./pactum-node.toml` if it
/// exists, else `$XDG_CONFIG_HOME/pactum/pactum-node.toml` (`~/.config/pactum/…`).
pub fn default_config_path() -> Option<PathBuf> {
    let here = PathBuf::from(CONFIG_FILE);
    if here.is_file() {
        return Some(here);
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config_home.join("pactum").join(CONFIG_FILE))
}

/// The default C2SP origin line: readable, and unique per party key.
pub fn default_origin(role: &str, key: &PublicKey) -> String {
    format!("pactum/{role}/{}", hex::encode(&key.as_bytes()[..8]))
}

fn check_role(role: &str) -> Result<(), ConfigError> {
    let valid = !role.is_empty()
        && role.len() <= 64
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "role {role:?} must be 1 to 64 characters of a-z, 0-9, '_' or '-'"
        )))
    }
}

fn parse_multiaddr(field: &str, text: &str) -> Result<Multiaddr, ConfigError> {
    text.parse().map_err(|error| {
        ConfigError::Invalid(format!(
            "{field}: {text:?} is not a multiaddr like /ip4/127.0.0.1/tcp/7301 ({error})"
        ))
    })
}

/// Parses 64 hex digits into a checked public key.
pub fn parse_public_key(text: &str) -> Result<PublicKey, String> {
    let bytes = hex::decode(text.trim()).map_err(|_| format!("{text:?} is not hex"))?;
    PublicKey::from_slice(&bytes).map_err(|error| format!("{text:?}: {error}"))
}

fn peer_from_section(section: &PeerSection) -> Result<Peer, ConfigError> {
    let invalid =
        |message: String| ConfigError::Invalid(format!("peer {}: {message}", section.role));
    let public_key = parse_public_key(&section.public_key).map_err(invalid)?;
    let peer_id = peer_id_for(public_key.to_bytes()).map_err(|error| invalid(error.to_string()))?;
    let mut addresses = Vec::with_capacity(section.addresses.len());
    for text in &section.addresses {
        let mut addr = parse_multiaddr("peers.addresses", text)?;
        match addr.iter().last() {
            Some(Protocol::P2p(named)) if named != peer_id => {
                return Err(invalid(format!(
                    "address {text} names peer {named}, but the key belongs to {peer_id}"
                )));
            }
            Some(Protocol::P2p(_)) => {}
            _ => addr.push(Protocol::P2p(peer_id)),
        }
        addresses.push(addr);
    }
    Ok(Peer {
        role: section.role.clone(),
        public_key,
        peer_id,
        addresses,
    })
}

/// Reads a key file written by [`write_key_file`], refusing one others may read.
pub fn read_key_file(path: &Path) -> Result<SigningKey, ConfigError> {
    let key_error = |message: String| ConfigError::Key {
        path: path.to_path_buf(),
        message,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = fs::metadata(path).map_err(|error| key_error(error.to_string()))?;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(key_error(format!(
                "permissions {mode:o} let others read the secret key; run chmod 600 on it"
            )));
        }
    }
    let text = fs::read_to_string(path).map_err(|error| key_error(error.to_string()))?;
    let hex_seed = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .ok_or_else(|| key_error("no key in the file".into()))?;
    let bytes = hex::decode(hex_seed).map_err(|_| key_error("the key is not hex".into()))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| key_error("the key is not 32 bytes".into()))?;
    Ok(SigningKey::from_seed(seed))
}

/// Writes `key` to a new file readable by its owner only. Never overwrites.
pub fn write_key_file(path: &Path, key: &SigningKey) -> Result<(), ConfigError> {
    let text = format!(
        "# Pactum party signing key (ed25519 seed). Secret: whoever has it signs for the party.\n\
         # public key: {}\n{}\n",
        hex::encode(key.public_key().as_bytes()),
        hex::encode(key.to_seed())
    );
    write_new_private_file(path, text.as_bytes())
}

fn write_new_private_file(path: &Path, contents: &[u8]) -> Result<(), ConfigError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            ConfigError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            ConfigError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// A random bearer token: 32 bytes of OS randomness in hex.
pub fn generate_token() -> Result<String, ConfigError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|error| ConfigError::Invalid(format!("no randomness for the token: {error}")))?;
    Ok(hex::encode(bytes))
}

/// What `init` needs to know.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub role: String,
    pub listen: String,
    pub http_bind: String,
    pub checkpoint_batch_size: u64,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            role: "seller".into(),
            listen: "/ip4/127.0.0.1/tcp/7301".into(),
            http_bind: "127.0.0.1:7300".into(),
            checkpoint_batch_size: 64,
        }
    }
}

/// What `init` created.
#[derive(Debug, Clone)]
pub struct Initialized {
    pub config_path: PathBuf,
    pub key_path: PathBuf,
    pub public_key: PublicKey,
    pub peer_id: PeerId,
    pub token: String,
}

/// Creates `dir` (if needed) with a new party key and a commented configuration. Refuses to
/// overwrite an existing key or configuration.
pub fn init(dir: &Path, options: &InitOptions) -> Result<Initialized, ConfigError> {
    check_role(&options.role)?;
    parse_multiaddr("--listen", &options.listen)?;
    options.http_bind.parse::<SocketAddr>().map_err(|_| {
        ConfigError::Invalid(format!("--http {:?} is not an address", options.http_bind))
    })?;
    fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let config_path = dir.join(CONFIG_FILE);
    let key_path = dir.join(KEY_FILE);
    for path in [&config_path, &key_path] {
        if path.exists() {
            return Err(ConfigError::Exists { path: path.clone() });
        }
    }
    let key = SigningKey::generate()
        .map_err(|error| ConfigError::Invalid(format!("cannot generate a key: {error}")))?;
    let token = generate_token()?;
    write_key_file(&key_path, &key)?;
    let config = NodeConfig {
        role: options.role.clone(),
        key_file: PathBuf::from(KEY_FILE),
        data_dir: PathBuf::from("data"),
        network: NetworkSection {
            listen: vec![options.listen.clone()],
            mdns: false,
            request_timeout_ms: default_request_timeout_ms(),
            round_patience_secs: default_round_patience_secs(),
        },
        http: HttpSection {
            bind: options.http_bind.clone(),
            token: token.clone(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            tokens_file: None,
            max_connections: None,
            header_timeout_ms: None,
            body_timeout_ms: None,
            tls_cert: None,
            tls_key: None,
        },
        checkpoint: CheckpointSection {
            batch_size: options.checkpoint_batch_size.max(1),
            origin: None,
        },
        peers: Vec::new(),
        webhooks: Vec::new(),
        events: None,
        ingest: None,
    };
    // The configuration holds the token: as private as the key.
    write_new_private_file(
        &config_path,
        render_template(&config, &key.public_key()).as_bytes(),
    )?;
    let peer_id = peer_id_for(key.public_key().to_bytes())
        .map_err(|error| ConfigError::Invalid(error.to_string()))?;
    Ok(Initialized {
        config_path,
        key_path,
        public_key: key.public_key(),
        peer_id,
        token,
    })
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn quoted_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| quoted(item)).collect();
    format!("[{}]", items.join(", "))
}

/// The configuration as a TOML file with every setting explained.
pub fn render_template(config: &NodeConfig, public_key: &PublicKey) -> String {
    let peer_id = peer_id_for(public_key.to_bytes())
        .map(|peer| peer.to_string())
        .unwrap_or_default();
    let mut text = format!(
        r#"# Pactum node configuration.
#
# This node's party key: {public}
# Its libp2p peer id:     {peer_id}
# Give both, and the node's listen address, to the other parties: they list this node under
# [[peers]] in their own configuration.

# The party this node speaks for: seller, buyer, carrier… It must match the role the party has
# in the contracts it signs.
role = {role}

# The party's ed25519 signing key (64 hex digits, file mode 0600). Relative paths are relative
# to this file. The node's libp2p identity is derived from the same key.
key_file = {key_file}

# Where the node keeps its sled database: entries, order heads, the Merkle log, checkpoints.
data_dir = {data_dir}

[network]
# libp2p listen addresses (TCP with Noise and Yamux).
listen = {listen}
# Discover peers on the local network with mDNS (off: peers come from [[peers]] below).
mdns = {mdns}
# Time allowed for one protocol request's round trip, in milliseconds.
request_timeout_ms = {timeout}
# Seconds the sequencer waits for every party's answer before giving a round up (the fact
# stays queued and is proposed again).
round_patience_secs = {patience}

[http]
# The local HTTP/JSON API. Keep it on localhost unless a reverse proxy guards it.
bind = {bind}
# Every write request (POST) must send `Authorization: Bearer <token>`. Keep this file private.
token = {token}
# Largest request body accepted, in bytes.
max_body_bytes = {max_body}
# Serve HTTPS only, with a PEM certificate chain (leaf first) and its key (relative to this
# file); clients then need an https:// URL and, for a private CA, `--ca-file`.
{tls}
[checkpoint]
# Sign a checkpoint of the Merkle log every time this many entries have been committed.
batch_size = {batch}
# The checkpoint origin line (C2SP). Unset: "pactum/<role>/<first 8 bytes of the key in hex>".
# origin = "pactum/example"
"#,
        public = hex::encode(public_key.as_bytes()),
        role = quoted(&config.role),
        key_file = quoted(&config.key_file.to_string_lossy()),
        data_dir = quoted(&config.data_dir.to_string_lossy()),
        listen = quoted_list(&config.network.listen),
        mdns = config.network.mdns,
        timeout = config.network.request_timeout_ms,
        patience = config.network.round_patience_secs,
        bind = quoted(&config.http.bind),
        token = quoted(&config.http.token),
        max_body = config.http.max_body_bytes,
        tls = match (&config.http.tls_cert, &config.http.tls_key) {
            (Some(cert), Some(key)) => format!(
                "tls_cert = {}\ntls_key = {}\n",
                quoted(&cert.to_string_lossy()),
                quoted(&key.to_string_lossy())
            ),
            _ => "# tls_cert = \"cert.pem\"\n# tls_key = \"key.pem\"\n".to_string(),
        },
        batch = config.checkpoint.batch_size,
    );
    if let Some(origin) = &config.checkpoint.origin {
        text.push_str(&format!("origin = {}\n", quoted(origin)));
    }
    text.push_str(
        r#"
# The other parties' nodes, one [[peers]] block each:
#
# [[peers]]
# role = "buyer"
# public_key = "<64 hex digits>"
# addresses = ["/ip4/127.0.0.1/tcp/7311"]
"#,
    );
    for peer in &config.peers {
        text.push_str(&format!(
            "\n[[peers]]\nrole = {}\npublic_key = {}\naddresses = {}\n",
            quoted(&peer.role),
            quoted(&peer.public_key),
            quoted_list(&peer.addresses)
        ));
    }
    text.push_str(
        r#"
# Webhooks: a POST per event, signed with `Pactum-Signature` (docs/webhooks.md). More can be
# added at run time through POST /webhooks.
#
# [[webhooks]]
# url = "http://127.0.0.1:9000/pactum"
# secret = "<at least 16 characters>"
# kinds = ["notification", "obligation", "breaker_trip"]   # absent: every kind
"#,
    );
    for webhook in &config.webhooks {
        text.push_str(&format!(
            "\n[[webhooks]]\nurl = {}\nsecret = {}\nkinds = {}\n",
            quoted(&webhook.url),
            quoted(&webhook.secret),
            quoted_list(&webhook.kinds)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scalar_key_can_be_set_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = sample(dir.path()).file;
        // Every optional setting present, so the serialised file shows every key.
        file.http.tokens_file = Some("tokens.toml".into());
        file.http.max_connections = Some(1);
        file.http.header_timeout_ms = Some(1);
        file.http.body_timeout_ms = Some(1);
        file.http.tls_cert = Some("cert.pem".into());
        file.http.tls_key = Some("key.pem".into());
        file.checkpoint.origin = Some("o".into());
        file.events = Some(EventsSection {
            retention: Some(1),
            delivery_timeout_ms: Some(1),
            ca_file: Some("ca.pem".into()),
        });
        file.ingest = Some(IngestSection {
            mapping: Some("mapping.toml".into()),
        });
        let table = toml::Table::try_from(&file).unwrap();
        let mut keys = Vec::new();
        for (name, value) in &table {
            match value {
                toml::Value::Table(section) => {
                    keys.extend(section.keys().map(|key| (name.clone(), key.clone())))
                }
                toml::Value::Array(_) if name == "peers" || name == "webhooks" => {}
                _ => keys.push((String::new(), name.clone())),
            }
        }
        for (section, key) in &keys {
            assert!(
                ENV_OVERRIDABLE.contains(&(section.as_str(), key.as_str())),
                "{section}.{key} cannot be set from the environment"
            );
        }
    }

    #[test]
    fn environment_variables_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = sample(dir.path()).file;
        let mut table = toml::Table::try_from(&file).unwrap();
        apply_env_overrides(
            &mut table,
            [
                ("PACTUM_HTTP_BIND", "127.0.0.1:9999"),
                ("PACTUM_NETWORK_MDNS", "true"),
                ("PACTUM_CHECKPOINT_BATCH_SIZE", "7"),
                ("PACTUM_NETWORK_LISTEN", r#"["/ip4/127.0.0.1/tcp/9998"]"#),
                ("PACTUM_EVENTS_RETENTION", "10"),
                ("PACTUM_TOKEN", "a client's token, not a configuration key"),
            ]
            .map(|(name, value)| (name.to_string(), value.to_string())),
        );
        let changed: NodeConfig = table.try_into().unwrap();
        assert_eq!(changed.http.bind, "127.0.0.1:9999");
        assert!(changed.network.mdns);
        assert_eq!(changed.checkpoint.batch_size, 7);
        assert_eq!(changed.network.listen, ["/ip4/127.0.0.1/tcp/9998"]);
        assert_eq!(changed.events.and_then(|events| events.retention), Some(10));
        assert_eq!(changed.http.token, file.http.token);
        assert_eq!(env_name("", "data_dir"), "PACTUM_DATA_DIR");
    }

    fn sample(dir: &Path) -> Settings {
        let done = init(dir, &InitOptions::default()).unwrap();
        Settings::load(&done.config_path).unwrap()
    }

    #[test]
    fn init_writes_a_loadable_commented_config_and_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let done = init(dir.path(), &InitOptions::default()).unwrap();
        let text = fs::read_to_string(&done.config_path).unwrap();
        assert!(text.contains("# Every write request (POST) must send"));
        let settings = Settings::load(&done.config_path).unwrap();
        assert_eq!(settings.file.role, "seller");
        assert_eq!(settings.data_dir, dir.path().join("data"));
        assert_eq!(settings.http_bind.to_string(), "127.0.0.1:7300");
        assert_eq!(settings.file.http.token, done.token);
        let key = settings.signing_key().unwrap();
        assert_eq!(key.public_key(), done.public_key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [&done.key_path, &done.config_path] {
                let mode = fs::metadata(path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", path.display());
            }
        }
    }

    #[test]
    fn init_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let first = init(dir.path(), &InitOptions::default()).unwrap();
        let error = init(dir.path(), &InitOptions::default()).unwrap_err();
        assert!(matches!(error, ConfigError::Exists { .. }), "{error}");
        assert_eq!(
            read_key_file(&first.key_path).unwrap().public_key(),
            first.public_key
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let settings = sample(dir.path());
        fs::set_permissions(&settings.key_path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = settings.signing_key().unwrap_err();
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }

    #[test]
    fn peers_are_checked_and_get_their_peer_id() {
        let dir = tempfile::tempdir().unwrap();
        let settings = sample(dir.path());
        let buyer = SigningKey::from_seed([9; 32]).public_key();
        let mut file = settings.file.clone();
        file.peers.push(PeerSection {
            role: "buyer".into(),
            public_key: hex::encode(buyer.as_bytes()),
            addresses: vec!["/ip4/127.0.0.1/tcp/7311".into()],
        });
        // The rendered template round-trips, peers included.
        let text = render_template(&file, &settings.signing_key().unwrap().public_key());
        let reparsed: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(reparsed, file);
        let loaded = Settings::from_file(file.clone(), Path::new("x.toml"), dir.path()).unwrap();
        let peer = &loaded.peers[0];
        assert_eq!(peer.peer_id, peer_id_for(buyer.to_bytes()).unwrap());
        assert_eq!(
            peer.addresses[0].iter().last(),
            Some(Protocol::P2p(peer.peer_id))
        );

        // Several peers may share a role (50 buyers, 3 carriers); a key only once.
        let mut two_buyers = file.clone();
        let mut second = two_buyers.peers[0].clone();
        second.public_key = SigningKey::from_seed([10; 32]).public_key().to_string();
        second.addresses.clear();
        two_buyers.peers.push(second.clone());
        let loaded =
            Settings::from_file(two_buyers.clone(), Path::new("x.toml"), dir.path()).unwrap();
        assert_eq!(loaded.peers.len(), 2);
        let mut twice = two_buyers;
        second.role = "carrier".into();
        twice.peers.push(second);
        let error = Settings::from_file(twice, Path::new("x.toml"), dir.path()).unwrap_err();
        assert!(error.to_string().contains("configured twice"), "{error}");

        let mut bad_key = file.clone();
        bad_key.peers[0].public_key = "zz".into();
        assert!(Settings::from_file(bad_key, Path::new("x.toml"), dir.path()).is_err());

        let mut wrong_peer = file;
        let other = peer_id_for(SigningKey::from_seed([3; 32]).public_key().to_bytes()).unwrap();
        wrong_peer.peers[0].addresses = vec![format!("/ip4/127.0.0.1/tcp/1/p2p/{other}")];
        let error = Settings::from_file(wrong_peer, Path::new("x.toml"), dir.path()).unwrap_err();
        assert!(error.to_string().contains("names peer"), "{error}");
    }

    #[test]
    fn bad_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let settings = sample(dir.path());
        type Mutation = fn(&mut NodeConfig);
        let cases: Vec<(Mutation, &str)> = vec![
            (|c| c.role = "Seller!".into(), "role"),
            (|c| c.http.token = "short".into(), "http.token"),
            (|c| c.http.bind = "localhost".into(), "http.bind"),
            (
                |c| c.network.listen = vec!["tcp:1".into()],
                "network.listen",
            ),
            (|c| c.checkpoint.batch_size = 0, "batch_size"),
            (|c| c.http.max_body_bytes = 0, "max_body_bytes"),
        ];
        for (mutate, named) in cases {
            let mut file = settings.file.clone();
            mutate(&mut file);
            let error = Settings::from_file(file, Path::new("x.toml"), dir.path()).unwrap_err();
            assert!(error.to_string().contains(named), "{named}: {error}");
        }
        let path = dir.path().join("typo.toml");
        let text = fs::read_to_string(&settings.config_path)
            .unwrap()
            .replace("mdns =", "mdsn =");
        fs::write(&path, text).unwrap();
        let error = Settings::load(&path).unwrap_err();
        assert!(error.to_string().contains("mdsn"), "{error}");
    }
}
