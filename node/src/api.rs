//! What the node offers its operator, independent of HTTP: the [`NodeApi`] trait the engine
//! implements, its request types, and [`ApiError`], the error every operation reports.
//!
//! The HTTP layer ([`crate::http`]) only parses requests into these types, checks the bearer
//! token and size limits, and turns results into JSON; tests drive it with a fake `NodeApi`.

use std::{collections::BTreeMap, fmt, future::Future};

use serde::{Deserialize, Serialize};

/// An error of the API: a stable machine-readable [`Code`], a message that says what is wrong
/// and, for a document fed to the node, the path of the field it concerns. It has no HTTP
/// status: the HTTP edge ([`crate::http::status_of`]) answers it with its code's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// Where the offending field is in a document fed to the node (`POST /ingest/…`), e.g.
    /// `epcisBody.eventList[1].bizStep`; the message starts with it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            path: None,
        }
    }

    /// The same error, naming the path of the document field it concerns.
    pub fn at_path(self, path: impl Into<String>) -> ApiError {
        ApiError {
            path: Some(path.into()),
            ..self
        }
    }

    /// An order this node does not know.
    pub fn unknown_order(id: &str) -> ApiError {
        Self::new(Code::UnknownOrder, format!("no order {id} on this node"))
    }

    /// A refusal by a code computed at run time: one of this node's protocol core, or one
    /// another party's node answered ([`Code::parse`]).
    pub fn refusal(code: &str, message: impl Into<String>) -> ApiError {
        Self::new(Code::parse(code), message)
    }

    /// A fault of the node itself.
    pub fn internal(message: impl Into<String>) -> ApiError {
        Self::new(Code::Internal, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The codes, each with its text on the wire: one list makes [`Code`], [`Code::KNOWN`],
/// [`Code::as_str`] and [`Code::parse`], so a code's text is written once.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// The code of an [`ApiError`], written on the wire as its text (`unknown_order`).
        /// What each means for a client is in the OpenAPI document; the HTTP status each is
        /// answered with is chosen at the HTTP edge only ([`crate::http::status_of`]).
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
            /// A code this node does not know: one a newer node answered, or one of the
            /// protocol core's that only peers are answered with. Built by [`Code::parse`]
            /// only, never holding a known code's text.
            Other(String),
        }

        impl Code {
            /// Every code this node knows.
            pub const KNOWN: &'static [Code] = &[$(Code::$variant,)*];

            /// The code's text on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Code::$variant => $text,)*
                    Code::Other(text) => text,
                }
            }

            /// The code written as `text`.
            pub fn parse(text: &str) -> Code {
                match text {
                    $($text => Code::$variant,)*
                    other => Code::Other(other.to_string()),
                }
            }
        }
    };
}

codes! {
    // Not on this node.
    UnknownOrder = "unknown_order",
    UnknownProposal = "unknown_proposal",
    UnknownFact = "unknown_fact",
    UnknownPeer = "unknown_peer",
    UnknownFault = "unknown_fault",
    UnknownWebhook = "unknown_webhook",
    UnknownLink = "unknown_link",
    NoOrders = "no_orders",
    NoStore = "no_store",
    NoEventJournal = "no_event_journal",
    // A request the API cannot read: an id, key, hash, query, path or body of the wrong form.
    BadOrderId = "bad_order_id",
    BadKey = "bad_key",
    BadEventId = "bad_event_id",
    BadFaultId = "bad_fault_id",
    BadCursor = "bad_cursor",
    BadLang = "bad_lang",
    BadPath = "bad_path",
    InvalidQuery = "invalid_query",
    InvalidLastEventId = "invalid_last_event_id",
    InvalidIdempotencyKey = "invalid_idempotency_key",
    MalformedJson = "malformed_json",
    UnreadableBody = "unreadable_body",
    // Well-formed, but the API does not take its values.
    InvalidClause = "invalid_clause",
    DuplicateClause = "duplicate_clause",
    UnknownClause = "unknown_clause",
    InvalidDecision = "invalid_decision",
    InvalidRole = "invalid_role",
    InvalidAddress = "invalid_address",
    UnresolvableAddress = "unresolvable_address",
    OwnKey = "own_key",
    InvalidKey = "invalid_key",
    InvalidLang = "invalid_lang",
    InvalidTime = "invalid_time",
    InvalidAcknowledgement = "invalid_acknowledgement",
    InvalidWebhook = "invalid_webhook",
    BackupFailed = "backup_failed",
    BadRange = "bad_range",
    UnknownReference = "unknown_reference",
    DocumentSpansSequencers = "document_spans_sequencers",
    DocumentDoesNotFit = "document_does_not_fit",
    IdempotencyKeyReused = "idempotency_key_reused",
    // The request itself does not fit: its content, signature or author.
    InvalidRequest = "invalid_request",
    InvalidContract = "invalid_contract",
    InvalidEvent = "invalid_event",
    InvalidReview = "invalid_review",
    InvalidClose = "invalid_close",
    InvalidAgreement = "invalid_agreement",
    MalformedEntry = "malformed_entry",
    BadSignature = "bad_signature",
    NotAParty = "not_a_party",
    NotSequencer = "not_sequencer",
    NotInvited = "not_invited",
    NotAccepted = "not_accepted",
    Stranger = "stranger",
    RefusedByStateMachine = "refused_by_state_machine",
    WrongOrder = "wrong_order",
    OutOfSequence = "out_of_sequence",
    WrongPrev = "wrong_prev",
    DeterminismFault = "determinism_fault",
    // The order's state: closed, closing, paused, moved past the record, holding it already,
    // facts queued; a party's refusal of the entry; a second entry at one position.
    AlreadyStarted = "already_started",
    OrderClosed = "order_closed",
    OrderClosing = "order_closing",
    OrderPaused = "order_paused",
    FactsQueued = "facts_queued",
    NothingToReview = "nothing_to_review",
    DuplicateEvent = "duplicate_event",
    StaleReview = "stale_review",
    StaleAgreement = "stale_agreement",
    StaleClose = "stale_close",
    RefusedByParty = "refused_by_party",
    Conflict = "conflict",
    Equivocation = "equivocation",
    ConfiguredWebhook = "configured_webhook",
    IdempotencyKeyInUse = "idempotency_key_in_use",
    /// A document's facts taken in part: another party's node refused a later one.
    IngestIncomplete = "ingest_incomplete",
    // The caller: no token, or a token without the scope.
    Unauthorized = "unauthorized",
    Forbidden = "forbidden",
    // What the node's HTTP listener and router refuse before an operation.
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    RequestTimeout = "request_timeout",
    PayloadTooLarge = "payload_too_large",
    UriTooLong = "uri_too_long",
    UnsupportedMediaType = "unsupported_media_type",
    HeadersTooLarge = "headers_too_large",
    HttpsRequired = "https_required",
    TooManyConnections = "too_many_connections",
    /// A fault of the node itself.
    Internal = "internal",
    // Another node answered, but not as the protocol says.
    BadAnswer = "bad_answer",
    BadCosignature = "bad_cosignature",
    // Not answered, or not kept: the same request may succeed later.
    PartyUnreachable = "party_unreachable",
    NoAnswer = "no_answer",
    StoreFailed = "store_failed",
    NetworkFailed = "network_failed",
}

impl Code {
    /// Whether the request was refused: decided against, by this node or the party's node
    /// that answered. Not so for a fault of a node, an answer that is not the protocol's, no
    /// answer at all, or a connection not taken: such a request may have been held, and may
    /// succeed later.
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Code::Internal
                | Code::BadAnswer
                | Code::BadCosignature
                | Code::PartyUnreachable
                | Code::NoAnswer
                | Code::StoreFailed
                | Code::NetworkFailed
                | Code::TooManyConnections
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, text: &str) -> bool {
        self.as_str() == text
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, text: &&str) -> bool {
        self.as_str() == *text
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        String::deserialize(deserializer).map(|text| Code::parse(&text))
    }
}

/// The JSON body of every error response: `{ "error": { "code": …, "message": … } }`, with
/// `path` too when a fed document does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// Only for a document fed to `POST /ingest/…` that does not fit: the path of the
    /// offending field (`epcisBody.eventList[1].bizStep`, `alert.info[0].area[2].geocode[0]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl From<&ApiError> for ErrorBody {
    fn from(error: &ApiError) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: error.code.as_str().to_string(),
                message: error.message.clone(),
                path: error.path.clone(),
            },
        }
    }
}

/// A clause of a proposed order: a library clause by name, or a clause given as source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClauseRequest {
    pub name: String,
    /// Clause source text; absent: the clause of that name from the embedded library.
    #[serde(default)]
    pub source: Option<String>,
    /// Parameters, written as in scenario files (`"20000.00 EUR"`, `"42d"`, `true`, `3`).
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// An oracle (or party) allowed to attest event kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttesterRequest {
    pub name: String,
    /// Public key, 64 hex digits.
    pub key: String,
    pub kinds: Vec<String>,
}

/// The evolution circuit breaker's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakerRequest {
    pub max_automatic_amendments: u32,
    pub window_seconds: i64,
}

/// `POST /orders`: propose a new order to the other parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeOrder {
    /// The business order reference (the ERP's order number).
    pub order_ref: String,
    /// Role → public key (hex). Absent: this node and every configured peer.
    #[serde(default)]
    pub parties: Option<BTreeMap<String, String>>,
    /// The role whose node sequences the order; absent: this node's role.
    #[serde(default)]
    pub sequencer: Option<String>,
    pub jurisdiction: String,
    /// Initial terms, written as in scenario files.
    pub terms: BTreeMap<String, serde_json::Value>,
    pub clauses: Vec<ClauseRequest>,
    /// Who attests what; absent: every party may attest every event kind.
    #[serde(default)]
    pub attesters: Option<Vec<AttesterRequest>>,
    #[serde(default)]
    pub breaker: Option<BreakerRequest>,
    /// When the order starts (RFC 3339 UTC, e.g. `2026-01-05T00:00:00Z`).
    pub genesis_at: String,
}

/// `POST /orders/{id}/accept`: sign a pending proposal as this party.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptOrder {
    /// Optional operator note, kept locally.
    #[serde(default)]
    pub note: Option<String>,
}

/// An event written out for the node to sign with its own key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// Event kind from the vocabulary (`shipment.eta_updated`).
    pub kind: String,
    /// Event time (RFC 3339 UTC).
    pub at: String,
    /// Fields, written as in scenario files.
    #[serde(default)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// `POST /orders/{id}/events`: either an event signed by its attester (the canonical CBOR of
/// the signed event, base64), or an event the node signs with its party's key because its
/// operator vouches for it. Exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitEvent {
    #[serde(default)]
    pub signed: Option<String>,
    #[serde(default)]
    pub event: Option<EventRequest>,
}

/// `POST /ingest/epcis`, `POST /ingest/cap`: the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// Every fact of the document goes to this order (its id, or its `order_ref`) instead
    /// of the order the document names (EPCIS: its `po` business transaction; CAP: every
    /// open order whose route lists the alert's area).
    #[serde(default)]
    pub order: Option<String>,
}

/// `POST /orders/{id}/review`: this party's decision on an order waiting for review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitReview {
    /// `approve` (apply what the breaker held back) or `discard` (drop it); either way the
    /// order resumes automatic amendments once every party signed the same decision.
    pub decision: String,
    /// Why; recorded in the signed review.
    #[serde(default)]
    pub note: String,
    /// Review time (RFC 3339 UTC), signed into the review; absent: the order's latest
    /// recorded event time. Every party must sign the same time; a review dated before the
    /// latest recorded event is refused.
    #[serde(default)]
    pub at: Option<String>,
    /// Terms the parties set with their decision ("the due date is 2026-03-09"), written as in
    /// scenario files or as native JSON and typed by the vocabulary of the rules in force.
    /// Applied after what was held (approve) or instead of it (discard), before the facts
    /// recorded during the pause are evaluated. Every party must sign the same terms.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub terms: BTreeMap<String, serde_json::Value>,
}

/// `POST /admin/backup`: copy the node's store, online, into a new directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// Where the copy goes, on the node's machine: a directory that does not exist or is
    /// empty (absolute, or relative to the node's working directory).
    pub dir: String,
}

/// `POST /faults/{id}/acknowledge`: the operator has looked into a determinism fault.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeFault {
    /// What was found (kept beside the fault, which stays stored as evidence).
    pub note: String,
}

/// `POST /orders/{id}/close`: this party's signature on closing a running order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitClose {
    /// Why, or what was settled; recorded in the signed close. Every party signs the same.
    #[serde(default)]
    pub note: String,
    /// Close time (RFC 3339 UTC), signed into the close; absent: the order's latest recorded
    /// event time. Not before the latest recorded event.
    #[serde(default)]
    pub at: Option<String>,
}

/// `POST /orders/{id}/agreements`: this party's signature on amending a running order by
/// agreement. Every party sends the same request; the order is amended once every party
/// signed the same agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitAgreement {
    /// Terms to set, written as in scenario files or as native JSON.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub terms: BTreeMap<String, serde_json::Value>,
    /// Clause parameters to bind: clause name → parameter → value.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Clauses to add: the library's by name, or your own `source`, with parameters.
    #[serde(default)]
    pub add_clauses: Vec<ClauseRequest>,
    /// Clauses to run under a new version of their source: the `source` given, or else the
    /// library's current text of that clause. Parameters and whether active are kept.
    #[serde(default)]
    pub upgrade_clauses: Vec<ClauseUpgrade>,
    /// Clauses to remove from the contract, by name.
    #[serde(default)]
    pub remove_clauses: Vec<String>,
    /// Why; recorded in the signed agreement. Every party signs the same.
    #[serde(default)]
    pub note: String,
    /// When the agreement takes effect (RFC 3339 UTC); absent: the order's latest recorded
    /// event time. Not before the latest recorded event.
    #[serde(default)]
    pub at: Option<String>,
}

/// A clause upgraded by agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClauseUpgrade {
    pub name: String,
    /// The new clause source; absent: the library's current text of that clause.
    #[serde(default)]
    pub source: Option<String>,
}

/// `PUT /peers/{key}`: a party's node this node talks to, added or changed at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPeer {
    /// The party's role (several peers may share one).
    pub role: String,
    /// Where its node listens: multiaddrs, IP (`/ip4/10.0.0.2/tcp/7201`) or host names
    /// (`/dns4/buyer.example/tcp/7201`, resolved when set and at each start).
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// `GET /orders` filters and page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// The business order reference, exactly (lookup by the ERP's order number).
    #[serde(default)]
    pub reference: Option<String>,
    /// `running`, `breaker_tripped` or `in_review`.
    #[serde(default)]
    pub state: Option<String>,
    /// A party by role or public key (hex).
    #[serde(default)]
    pub party: Option<String>,
    /// Only orders whose latest fact (or genesis) is at or after this RFC 3339 time.
    #[serde(default)]
    pub updated_since: Option<String>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `GET /orders/{id}/history` page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Entries after this sequence number (`next_after` of the previous page); absent: from
    /// the genesis.
    #[serde(default)]
    pub after: Option<u64>,
    /// Page size, 1 to 500 (default 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `GET /orders/{id}/bundle` options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// The size of this node's log checkpoint the customer remembers (`pactum-verify
    /// --state-dir`): the bundle then carries a consistency proof from it to its checkpoint.
    #[serde(default)]
    pub since: Option<u64>,
}

/// `GET /log/consistency` range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older log size (at least 1).
    pub from: u64,
    /// The newer log size (at most the durable log size).
    pub to: u64,
}

/// `GET /proposals` language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProposalQuery {
    /// Language of the rendered clauses: `en` (default), `zh` or `de`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// An exported file (a bundle, a signed head): its bytes, their media type and a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleExport {
    pub content_type: &'static str,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Everything the HTTP API can ask of the node. Views are JSON values the engine builds.
pub trait NodeApi: Send + Sync + 'static {
    fn propose(
        &self,
        request: ProposeOrder,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send;

    fn accept(
        &self,
        order: String,
        request: AcceptOrder,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send;

    fn submit_event(
        &self,
        order: String,
        request: SubmitEvent,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send;

    fn order(
        &self,
        order: String,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send;

    fn history(
        &self,
        order: String,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send;

    fn review(
        &self,
        order: String,
        request: SubmitReview,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send;

    fn bundle(&self, order: String) -> impl Future<Output = Result<BundleExport, ApiError>> + Send;

    fn checkpoint(&self) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send;

    fn health(&self) -> impl Future<Output = serde_json::Value> + Send;

    /// The event journal and webhooks (`GET /events`, `/webhooks`); `None` where there are
    /// none (test doubles).
    fn events(&self) -> Option<std::sync::Arc<crate::events::Events>> {
        None
    }

    /// The facts of an EPCIS or CAP document, routed to their orders (or to `order`, an id
    /// or reference), checked whole and submitted (`POST /ingest/…`). Returns the answer and
    /// whether any fact waits in the queue.
    fn ingest(
        &self,
        format: crate::ingest::Format,
        facts: Vec<crate::ingest::MappedFact>,
        order: Option<String>,
    ) -> impl Future<Output = Result<(serde_json::Value, bool), ApiError>> + Send {
        let _ = (facts, order);
        async move {
            Err(ApiError::new(
                Code::NoOrders,
                format!("this node takes no {} documents", format.name()),
            ))
        }
    }

    /// Copies the store into `dir`, online and consistent (`POST /admin/backup`).
    fn backup(
        &self,
        request: BackupRequest,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move {
            Err(ApiError::new(
                Code::NoStore,
                format!("this node keeps no store to copy to {}", request.dir),
            ))
        }
    }

    /// Every determinism fault this node recorded, with its acknowledgement (`GET /faults`).
    fn faults(&self) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move { Ok(serde_json::json!({ "faults": [], "truncated": false })) }
    }

    /// Marks a determinism fault as looked into, so it no longer degrades `/health`
    /// (`POST /faults/{id}/acknowledge`).
    fn acknowledge_fault(
        &self,
        id: String,
        request: AcknowledgeFault,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        let _ = request;
        async move {
            Err(ApiError::new(
                Code::UnknownFault,
                format!("no determinism fault {id}"),
            ))
        }
    }

    /// Brings the gauges that are read rather than counted (orders by state, queued facts)
    /// up to date, before the metrics are rendered.
    fn refresh_gauges(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// What became of a submitted fact (by its event hash): committed, queued or refused.
    fn fact(
        &self,
        order: String,
        event: String,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move {
            Err(ApiError::new(
                Code::UnknownFact,
                format!("order {order} has no fact {event}"),
            ))
        }
    }

    /// Withdraws this party's review decision before every party signed it.
    fn withdraw_review(
        &self,
        order: String,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move { Err(ApiError::unknown_order(&order)) }
    }

    /// Withdraws this party's close signature before every party signed (`DELETE
    /// /orders/{id}/close`): its node takes facts again, and the sequencer's holds it no more.
    fn withdraw_close(
        &self,
        order: String,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move { Err(ApiError::unknown_order(&order)) }
    }

    /// This party's signature on closing the order (`POST /orders/{id}/close`); the order
    /// closes once every party signed the same close.
    fn close(
        &self,
        order: String,
        request: SubmitClose,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        let _ = request;
        async move { Err(ApiError::unknown_order(&order)) }
    }

    /// This party's signature on amending the order by agreement (`POST
    /// /orders/{id}/agreements`); applied once every party signed the same agreement.
    fn agree(
        &self,
        order: String,
        request: SubmitAgreement,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        let _ = request;
        async move { Err(ApiError::unknown_order(&order)) }
    }

    /// The other parties' nodes this node knows (`GET /peers`).
    fn peers(&self) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move { Ok(serde_json::json!({ "peers": [] })) }
    }

    /// Adds or changes the peer with `key` (hex) without a restart (`PUT /peers/{key}`).
    fn put_peer(
        &self,
        key: String,
        request: PutPeer,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        let _ = request;
        async move { Err(ApiError::new(Code::UnknownPeer, format!("no peer {key}"))) }
    }

    /// Forgets the peer with `key` (hex) without a restart (`DELETE /peers/{key}`).
    fn delete_peer(
        &self,
        key: String,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move { Err(ApiError::new(Code::UnknownPeer, format!("no peer {key}"))) }
    }

    /// This node's signed head of the order (`GET /orders/{id}/head`): canonical CBOR, the
    /// file `pactum-verify --head` reads.
    fn head(&self, order: String) -> impl Future<Output = Result<BundleExport, ApiError>> + Send {
        async move { Err(ApiError::unknown_order(&order)) }
    }

    /// The order's bundle carrying a consistency proof from the log size `since`
    /// (`GET /orders/{id}/bundle?since=N`).
    fn bundle_since(
        &self,
        order: String,
        since: Option<u64>,
    ) -> impl Future<Output = Result<BundleExport, ApiError>> + Send {
        let _ = since;
        self.bundle(order)
    }

    /// A consistency proof of this node's log between two sizes (`GET /log/consistency`).
    fn consistency(
        &self,
        query: ConsistencyQuery,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move {
            Err(ApiError::new(
                Code::BadRange,
                format!("no consistency proof from {} to {}", query.from, query.to),
            ))
        }
    }

    /// Proofs this node keeps that the order's sequencer equivocated.
    fn evidence(
        &self,
        order: String,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move { Err(ApiError::unknown_order(&order)) }
    }

    /// `GET /orders`: the orders matching the filters, a page at a time.
    fn list_orders(
        &self,
        query: OrderQuery,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move {
            let _ = query;
            Ok(serde_json::json!({ "orders": [], "next_cursor": null }))
        }
    }

    /// `GET /orders/{id}/history` with a page.
    fn history_page(
        &self,
        order: String,
        query: HistoryQuery,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move {
            let _ = query;
            self.history(order).await
        }
    }

    /// `GET /proposals` (all, `order` absent) or `GET /proposals/{id}`: proposals this party
    /// is invited to, with their clauses rendered as text.
    fn proposals(
        &self,
        order: Option<String>,
        query: ProposalQuery,
    ) -> impl Future<Output = Result<serde_json::Value, ApiError>> + Send {
        async move {
            let _ = query;
            match order {
                Some(order) => Err(ApiError::unknown_order(&order)),
                None => Ok(serde_json::json!({ "proposals": [] })),
            }
        }
    }
}
