//! Webhook subscriptions: from the configuration file (`[[webhooks]]`) and from the operator
//! API (`POST/GET/DELETE /webhooks`, admin scope). A secret is never shown back: the list
//! gives each webhook's id, URL, kinds and where it came from.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{EventKind, Events, EventsError, OUTBOX, WEBHOOKS};
use crate::{
    durable::{Store, WriteBatch},
    engine::records,
};

/// Shortest secret accepted: anything shorter is guessable.
pub const MIN_SECRET_LENGTH: usize = 16;

/// A webhook's id: 8 bytes, shown as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WebhookId([u8; 8]);

impl WebhookId {
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    pub fn parse(text: &str) -> Option<WebhookId> {
        let bytes: [u8; 8] = hex::decode(text).ok()?.try_into().ok()?;
        Some(WebhookId(bytes))
    }

    /// The id of a webhook from the configuration file: derived from its URL, so its pending
    /// deliveries are still its own after a restart.
    fn for_configured(url: &str) -> WebhookId {
        let digest = Sha256::digest(url.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        WebhookId(id)
    }

    fn random() -> Result<WebhookId, WebhookError> {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|error| WebhookError::Random(error.to_string()))?;
        Ok(WebhookId(id))
    }
}

impl std::fmt::Display for WebhookId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    pub secret: String,
    pub kinds: BTreeSet<EventKind>,
    /// `config` (the configuration file; change it there) or `api`.
    pub source: &'static str,
}

impl Webhook {
    /// A webhook of the configuration file, checked.
    pub fn configured(url: &str, secret: &str, kinds: &[String]) -> Result<Webhook, WebhookError> {
        let kinds = parse_kinds(kinds)?;
        check(url, secret)?;
        Ok(Webhook {
            id: WebhookId::for_configured(url),
            url: url.to_string(),
            secret: secret.to_string(),
            kinds,
            source: "config",
        })
    }

    /// What the API shows: everything but the secret.
    pub fn public_view(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "url": self.url,
            "kinds": self.kinds,
            "source": self.source,
        })
    }
}

/// A webhook created through the API, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub url: String,
    pub secret: String,
    pub kinds: Vec<EventKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook url `{0}` must be an http:// or https:// URL with a host")]
    Url(String),
    #[error("webhook secret must be at least {MIN_SECRET_LENGTH} characters")]
    Secret,
    #[error("{0}")]
    Kind(String),
    #[error("a webhook needs at least one kind")]
    NoKinds,
    #[error("no webhook {0}")]
    Unknown(String),
    #[error("webhook {0} comes from the configuration file: remove it there")]
    Configured(String),
    #[error("cannot make a webhook id: {0}")]
    Random(String),
}

/// Kind names into kinds; no names means every kind.
pub fn parse_kinds(names: &[String]) -> Result<BTreeSet<EventKind>, WebhookError> {
    if names.is_empty() {
        return Ok(EventKind::all());
    }
    names
        .iter()
        .map(|name| name.parse().map_err(WebhookError::Kind))
        .collect()
}

fn check(url: &str, secret: &str) -> Result<(), WebhookError> {
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    if host.is_none_or(str::is_empty) || url.chars().any(char::is_whitespace) {
        return Err(WebhookError::Url(url.to_string()));
    }
    if secret.chars().count() < MIN_SECRET_LENGTH {
        return Err(WebhookError::Secret);
    }
    Ok(())
}

/// The webhooks created through the API.
pub(crate) fn load(store: &Store) -> Result<Vec<Webhook>, EventsError> {
    let mut webhooks = Vec::new();
    for item in store.scan_prefix(WEBHOOKS, []) {
        let (key, value) = item?;
        let Some(id) = key.as_slice().try_into().ok().map(WebhookId) else {
            continue;
        };
        let record: WebhookRecord = records::decode("webhook", &value)?;
        webhooks.push(Webhook {
            id,
            url: record.url,
            secret: record.secret,
            kinds: record.kinds.into_iter().collect(),
            source: "api",
        });
    }
    Ok(webhooks)
}

impl Events {
    /// Creates a webhook (stored durably before it is returned). Events committed from now on
    /// are delivered to it.
    pub async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        kinds: &[String],
    ) -> Result<Webhook, EventsError> {
        let kinds = parse_kinds(kinds)?;
        check(url, secret)?;
        let webhook = Webhook {
            id: WebhookId::random()?,
            url: url.to_string(),
            secret: secret.to_string(),
            kinds,
            source: "api",
        };
        let record = WebhookRecord {
            url: webhook.url.clone(),
            secret: webhook.secret.clone(),
            kinds: webhook.kinds.iter().copied().collect(),
        };
        let mut batch = WriteBatch::new();
        batch.put(
            WEBHOOKS,
            webhook.id.as_bytes(),
            records::encode("webhook", &record)?,
        );
        self.store().commit(batch).await?;
        if let Ok(mut webhooks) = self.webhooks.write() {
            webhooks.push(webhook.clone());
        }
        self.changed.notify_waiters();
        Ok(webhook)
    }

    /// Deletes a webhook created through the API, with its pending deliveries.
    pub async fn delete_webhook(&self, id: &str) -> Result<Webhook, EventsError> {
        let unknown = || WebhookError::Unknown(id.to_string());
        let parsed = WebhookId::parse(id).ok_or_else(unknown)?;
        let webhook = self.webhook(&parsed).ok_or_else(unknown)?;
        if webhook.source == "config" {
            return Err(WebhookError::Configured(id.to_string()).into());
        }
        if let Ok(mut webhooks) = self.webhooks.write() {
            webhooks.retain(|webhook| webhook.id != parsed);
        }
        let mut batch = WriteBatch::new();
        batch.remove(WEBHOOKS, parsed.as_bytes());
        for item in self.store().scan_prefix(OUTBOX, parsed.as_bytes()) {
            let (key, _) = item?;
            batch.remove(OUTBOX, key);
        }
        self.store().commit(batch).await?;
        self.changed.notify_waiters();
        Ok(webhook)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_secrets_and_kinds_are_checked() {
        let ok = Webhook::configured("http://127.0.0.1:9000/hook", "0123456789abcdef", &[]);
        assert_eq!(ok.map(|w| w.kinds.len()), Ok(7));
        for url in [
            "",
            "http://",
            "https://",
            "ftp://x",
            "http:// x",
            "erp/hook",
        ] {
            assert_eq!(
                Webhook::configured(url, "0123456789abcdef", &[]),
                Err(WebhookError::Url(url.to_string())),
                "{url}"
            );
        }
        assert_eq!(
            Webhook::configured("http://h/x", "short", &[]),
            Err(WebhookError::Secret)
        );
        let kinds = parse_kinds(&["notification".into(), "obligation".into()]).unwrap();
        assert_eq!(kinds.len(), 2);
        let unknown = parse_kinds(&["notifications".into()]).unwrap_err();
        assert!(
            unknown.to_string().contains("notification, obligation"),
            "{unknown}"
        );
    }

    #[test]
    fn a_configured_webhook_keeps_its_id_across_restarts() {
        let a = Webhook::configured("http://h/x", "0123456789abcdef", &[]).unwrap();
        let b = Webhook::configured("http://h/x", "another-secret-0123", &[]).unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(WebhookId::parse(&a.id.to_string()), Some(a.id));
        assert_eq!(WebhookId::parse("xyz"), None);
    }
}
