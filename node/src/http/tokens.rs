//! Bearer tokens with scopes, rotatable without a restart.
//!
//! The configuration's `http.token` is the operator's token and holds every scope. More tokens
//! live in an optional tokens file (`http.tokens_file`), each with a name and its scopes:
//!
//! ```toml
//! [[token]]
//! name = "erp"                       # shown in logs, never the secret
//! token = "a-long-random-secret-of-32-characters-or-more"
//! scopes = ["read", "submit"]        # read: GET; submit: POST events; admin: everything
//! ```
//!
//! The file is read again when its modification time or size changes (checked at most once a
//! second, on a request), so adding, removing or replacing a token takes effect without a
//! restart. A file that no longer parses keeps the previous table in force and is reported in
//! the log, so a bad edit does not lock every client out.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    sync::RwLock,
    time::{Duration, Instant, SystemTime},
};

use serde::Deserialize;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read orders, histories, bundles, checkpoints and metrics.
    Read,
    /// Submit facts (`POST /orders/{id}/events`).
    Submit,
    /// Everything: propose, accept, review, and the other scopes.
    Admin,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
            Scope::Admin => "admin",
        }
    }
}

/// Shortest secret accepted in a tokens file (the configuration's token has the same rule).
pub const MIN_TOKEN_LENGTH: usize = 32;
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    name: String,
    token: String,
    scopes: BTreeSet<Scope>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    #[serde(default)]
    token: Vec<TokenEntry>,
}

/// Why a request is not authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No token, or one the node does not know: 401.
    Unknown,
    /// A known token without the scope: 403.
    Scope { token: String, needed: Scope },
}

#[derive(Debug, Default)]
struct Loaded {
    entries: Vec<TokenEntry>,
    stamp: Option<(SystemTime, u64)>,
    checked: Option<Instant>,
}

/// The node's tokens.
#[derive(Debug)]
pub struct Tokens {
    operator: String,
    file: Option<PathBuf>,
    loaded: RwLock<Loaded>,
}

impl Tokens {
    /// `operator` holds every scope; `file` adds named, scoped tokens.
    pub fn new(operator: impl Into<String>, file: Option<PathBuf>) -> Tokens {
        let tokens = Tokens {
            operator: operator.into(),
            file,
            loaded: RwLock::new(Loaded::default()),
        };
        tokens.refresh(true);
        tokens
    }

    /// Checks the token presented (`None`: no `Authorization` header) for `needed`.
    pub fn authorize(&self, presented: Option<&str>, needed: Scope) -> Result<(), Denied> {
        let presented = presented.ok_or(Denied::Unknown)?.as_bytes();
        if same_token(presented, self.operator.as_bytes()) {
            return Ok(());
        }
        self.refresh(false);
        let loaded = self
            .loaded
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        // Compare with every token, so timing does not tell which one nearly matched.
        let found = loaded
            .entries
            .iter()
            .fold(None, |found, entry| {
                if same_token(presented, entry.token.as_bytes()) {
                    Some(entry)
                } else {
                    found
                }
            })
            .ok_or(Denied::Unknown)?;
        if found.scopes.contains(&needed) || found.scopes.contains(&Scope::Admin) {
            Ok(())
        } else {
            Err(Denied::Scope {
                token: found.name.clone(),
                needed,
            })
        }
    }

    /// Re-reads the tokens file if it changed (or `force`).
    fn refresh(&self, force: bool) {
        let Some(path) = &self.file else { return };
        {
            let loaded = self
                .loaded
                .read()
                .unwrap_or_else(|poison| poison.into_inner());
            if !force && loaded.checked.is_some_and(|at| at.elapsed() < RECHECK) {
                return;
            }
        }
        let mut loaded = self
            .loaded
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        loaded.checked = Some(Instant::now());
        let stamp = std::fs::metadata(path)
            .ok()
            .and_then(|meta| Some((meta.modified().ok()?, meta.len())));
        if !force && stamp.is_some() && stamp == loaded.stamp {
            return;
        }
        match read_file(path) {
            Ok(entries) => {
                tracing::info!(path = %path.display(), tokens = entries.len(), "tokens file loaded");
                loaded.entries = entries;
                loaded.stamp = stamp;
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "tokens file not loaded; the previous tokens stay in force");
                loaded.stamp = stamp;
            }
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<TokenEntry>, String> {
    let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
    let file: TokensFile =
        toml::from_str(&text).map_err(|error| crate::config::toml_error(&error, &text))?;
    for entry in &file.token {
        if entry.token.len() < MIN_TOKEN_LENGTH {
            return Err(format!(
                "token {:?} is shorter than {MIN_TOKEN_LENGTH} characters",
                entry.name
            ));
        }
        if entry.scopes.is_empty() {
            return Err(format!("token {:?} has no scopes", entry.name));
        }
    }
    Ok(file.token)
}

/// Constant-time comparison, so a token cannot be guessed byte by byte from timings.
pub fn same_token(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPERATOR: &str = "operator-token-0123456789abcdef0123";

    #[test]
    fn token_comparison() {
        assert!(same_token(b"abc", b"abc"));
        assert!(!same_token(b"abd", b"abc"));
        assert!(!same_token(b"ab", b"abc"));
        assert!(!same_token(b"", b"abc"));
    }

    #[test]
    fn a_tokens_file_that_does_not_parse_is_reported_without_its_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        let secret = "s3cret-token-0123456789abcdef012345";
        // The quotes forgotten: the parser's own message quotes the line, token and all.
        std::fs::write(
            &path,
            format!("[[token]]\nname = \"dash\"\ntoken = {secret}\nscopes = [\"read\"]\n"),
        )
        .unwrap();
        let error = read_file(&path).unwrap_err();
        assert!(!error.contains("s3cret"), "{error}");
        assert!(error.starts_with("line 3, column 9: "), "{error}");
    }

    #[test]
    fn scopes_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        let reader = "reader-token-0123456789abcdef012345";
        std::fs::write(
            &path,
            format!("[[token]]\nname = \"dash\"\ntoken = \"{reader}\"\nscopes = [\"read\"]\n"),
        )
        .unwrap();
        let tokens = Tokens::new(OPERATOR, Some(path.clone()));
        assert_eq!(tokens.authorize(Some(OPERATOR), Scope::Admin), Ok(()));
        assert_eq!(tokens.authorize(Some(reader), Scope::Read), Ok(()));
        assert_eq!(
            tokens.authorize(Some(reader), Scope::Submit),
            Err(Denied::Scope {
                token: "dash".into(),
                needed: Scope::Submit
            })
        );
        assert_eq!(tokens.authorize(None, Scope::Read), Err(Denied::Unknown));
        assert_eq!(
            tokens.authorize(Some("nope"), Scope::Read),
            Err(Denied::Unknown)
        );

        // Rotation: the old token is replaced; the change is seen without a restart.
        let rotated = "rotated-token-0123456789abcdef01234";
        std::fs::write(
            &path,
            format!("[[token]]\nname = \"dash\"\ntoken = \"{rotated}\"\nscopes = [\"read\", \"submit\"]\n"),
        )
        .unwrap();
        tokens.refresh(true);
        assert_eq!(
            tokens.authorize(Some(reader), Scope::Read),
            Err(Denied::Unknown)
        );
        assert_eq!(tokens.authorize(Some(rotated), Scope::Submit), Ok(()));

        // A broken edit keeps the tokens in force.
        std::fs::write(
            &path,
            "[[token]]\nname = \"x\"\ntoken = \"short\"\nscopes = []\n",
        )
        .unwrap();
        tokens.refresh(true);
        assert_eq!(tokens.authorize(Some(rotated), Scope::Read), Ok(()));
    }
}
