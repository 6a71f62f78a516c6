//! The API's connection handling: a cap on open connections, a deadline for the request head,
//! limits on the request line and the headers, all answered with the API's JSON error shape.
//!
//! hyper answers an over-long request line or header block itself, with `414`/`431` and an
//! empty body, and a client that never finishes its head would hold a connection (and a file
//! descriptor) for as long as it likes. So each connection's request head is read here first,
//! under a deadline and within limits; only a complete head is handed to hyper, which serves
//! that one request (no keep-alive: every connection carries one request, so no idle
//! connection is ever held open after its answer). The request body is read under its own
//! deadline by the router's middleware ([`super::read_body`]).
//!
//! At the cap, a new connection displaces the oldest one still waiting for its request head
//! (closed without an answer) rather than being refused: a slowloris or a pile of idle
//! connections then costs the clients that send their request at once nothing, while a
//! connection that is being served is never touched. Only when every slot serves a request
//! is a new connection answered `503`.
//!
//! With TLS configured the same happens inside the TLS session, after a handshake that must
//! also finish within the head's deadline. A client speaking plain HTTP to a TLS port gets a
//! plain-text JSON `400 https_required` rather than a dropped connection.

use std::{
    collections::BTreeMap,
    future::Future,
    io,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::Router;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{oneshot, OwnedSemaphorePermit, Semaphore},
};

use crate::{
    api::{ApiError, Code, ErrorBody},
    metrics::Metrics,
};

/// Limits on connections and request heads.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections served at once; more are answered `503` and closed.
    pub max_connections: usize,
    /// Time allowed from accepting a connection to the end of its request head (also the
    /// longest a connection that sends nothing is kept).
    pub header_timeout: Duration,
    /// Time allowed to receive a request's body.
    pub body_timeout: Duration,
    /// Longest request line (method, path and query, version).
    pub max_request_line: usize,
    /// Largest request head (request line and headers).
    pub max_head_bytes: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_request_line: 8 * 1024,
            max_head_bytes: 32 * 1024,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits for the connections
/// being served (at most one request each) to finish. With `tls`, every connection is HTTPS.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let waiting = Arc::new(Waiting {
        next: Mutex::default(),
        gauge: metrics.http_connections_awaiting_head.clone(),
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors or a connection reset before accept: keep serving.
                Err(error) => {
                    tracing::warn!(%error, "cannot accept an HTTP connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            router: router.clone(),
            tls: tls.clone(),
            limits,
            open: metrics.http_connections_open.clone(),
        };
        // Registered here, not in the connection's task, so that the very next accepted
        // connection can already displace it.
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let waits = waiting.enter();
                tokio::spawn(connection.serve(stream, slot, waits));
            }
            Err(_) if waiting.evict_oldest() => {
                let waits = waiting.enter();
                metrics.http_connections_evicted.inc();
                // The evicted connection's slot comes back as soon as its task ends.
                let slots = slots.clone();
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(limits.header_timeout, slots.acquire_owned()).await {
                        Ok(Ok(slot)) => connection.serve(stream, slot, waits).await,
                        _ => {
                            metrics.http_connections_refused.inc();
                            refuse(stream, limits.header_timeout).await;
                        }
                    }
                });
            }
            Err(_) => {
                metrics.http_connections_refused.inc();
                tokio::spawn(refuse(stream, limits.header_timeout));
            }
        }
    }
    drop(listener);
    // Every slot back means every connection finished.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(limits.body_timeout, slots.acquire_many(all)).await;
    Ok(())
}

/// What serving one connection needs.
struct Connection {
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: ConnectionLimits,
    /// Counts the slots in use (`pactum_http_connections_open`).
    open: prometheus_client::metrics::gauge::Gauge,
}

impl Connection {
    /// Serves `stream` holding `slot`, unless it is evicted while its head is awaited.
    async fn serve(
        self,
        stream: TcpStream,
        slot: OwnedSemaphorePermit,
        (ticket, evicted): (Ticket, oneshot::Receiver<()>),
    ) {
        let open = self.open.clone();
        open.inc();
        let served = async {
            match self.tls {
                None => serve_connection(stream, self.router, self.limits, ticket).await,
                Some(acceptor) => {
                    serve_tls(stream, acceptor, self.router, self.limits, ticket).await
                }
            }
        };
        tokio::select! {
            () = served => {}
            // Dropping the connection's future closes it.
            Ok(()) = evicted => tracing::debug!("idle HTTP connection evicted at the cap"),
        }
        drop(slot);
        open.dec();
    }
}

/// Connections still waiting for their request head, oldest first (by arrival number).
struct Waiting {
    next: Mutex<(u64, BTreeMap<u64, oneshot::Sender<()>>)>,
    /// How many wait (`pactum_http_connections_awaiting_head`).
    gauge: prometheus_client::metrics::gauge::Gauge,
}

impl Waiting {
    /// Registers a new connection; the receiver fires if it is evicted.
    fn enter(self: &Arc<Self>) -> (Ticket, oneshot::Receiver<()>) {
        let (evict, evicted) = oneshot::channel();
        let number = match self.next.lock() {
            Ok(mut guard) => {
                let (next, waiting) = &mut *guard;
                *next += 1;
                waiting.insert(*next, evict);
                self.gauge.inc();
                *next
            }
            Err(_) => 0,
        };
        (
            Ticket {
                number,
                waiting: self.clone(),
            },
            evicted,
        )
    }

    /// Evicts the connection that has waited longest for its head; false if none waits.
    fn evict_oldest(&self) -> bool {
        let oldest = self
            .next
            .lock()
            .ok()
            .and_then(|mut guard| guard.1.pop_first());
        if oldest.is_some() {
            self.gauge.dec();
        }
        oldest.is_some_and(|(_, evict)| evict.send(()).is_ok())
    }
}

/// A connection's place among those waiting for their head; dropped once the head arrived
/// (or the connection ended), so a connection being served is never evicted.
struct Ticket {
    number: u64,
    waiting: Arc<Waiting>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.waiting.next.lock() {
            if guard.1.remove(&self.number).is_some() {
                self.waiting.gauge.dec();
            }
        }
    }
}

/// Answers a connection over the cap with `503` and closes it.
async fn refuse(mut stream: TcpStream, timeout: Duration) {
    let error = ApiError::new(
        Code::TooManyConnections,
        "the node serves as many HTTP connections as it allows; retry shortly",
    );
    let _ = tokio::time::timeout(timeout, async {
        let _ = stream.write_all(&error_response(&error)).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Completes the TLS handshake (within the head's deadline), then serves the request inside.
async fn serve_tls(
    stream: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    router: Router,
    limits: ConnectionLimits,
    ticket: Ticket,
) {
    let mut first = [0u8; 1];
    match tokio::time::timeout(limits.header_timeout, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] != TLS_HANDSHAKE_RECORD => {
            let error = ApiError::new(
                Code::HttpsRequired,
                "this node's API speaks HTTPS only: use an https:// URL",
            );
            return answer_and_close(stream, error).await;
        }
        Ok(Ok(1)) => {}
        _ => return,
    }
    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls_stream)) => serve_connection(tls_stream, router, limits, ticket).await,
        Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
        Err(_) => tracing::debug!("TLS handshake did not finish in time"),
    }
}

async fn serve_connection<S>(
    mut stream: S,
    router: Router,
    limits: ConnectionLimits,
    ticket: Ticket,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head =
        match tokio::time::timeout(limits.header_timeout, read_head(&mut stream, &limits)).await {
            Ok(Ok(head)) => head,
            Ok(Err(HeadError::Closed)) => return,
            Ok(Err(HeadError::Refused(error))) => return answer_and_close(stream, error).await,
            Err(_) => {
                let error = ApiError::new(
                    Code::RequestTimeout,
                    format!(
                        "the request head did not arrive within {} ms",
                        limits.header_timeout.as_millis()
                    ),
                );
                return answer_and_close(stream, error).await;
            }
        };
    // The head is here: from now on the connection is served, never evicted.
    drop(ticket);
    let io = TokioIo::new(Prefixed::new(head, stream));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .keep_alive(false)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let service = TowerToHyperService::new(router);
    if let Err(error) = builder.serve_connection(io, service).await {
        tracing::debug!(%error, "HTTP connection ended with an error");
    }
}

async fn answer_and_close<S: AsyncWrite + Unpin>(mut stream: S, error: ApiError) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(&error_response(&error)).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

enum HeadError {
    /// The client closed before sending a complete head.
    Closed,
    /// The head breaks a limit: answer this and close.
    Refused(ApiError),
}

/// Reads until the end of the request head (`\r\n\r\n`), within the limits. Returns every
/// byte read (the head and whatever of the body came with it).
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    limits: &ConnectionLimits,
) -> Result<Vec<u8>, HeadError> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if read == 0 {
            return Err(HeadError::Closed);
        }
        let searched_from = buffer.len().saturating_sub(3);
        buffer.extend_from_slice(&chunk[..read]);
        let line_end = find(&buffer, b"\r\n");
        if line_end.unwrap_or(buffer.len()) > limits.max_request_line {
            return Err(HeadError::Refused(ApiError::new(
                Code::UriTooLong,
                format!(
                    "the request line is longer than {} bytes",
                    limits.max_request_line
                ),
            )));
        }
        let head_end = find(&buffer[searched_from..], b"\r\n\r\n").map(|at| searched_from + at + 4);
        if head_end.unwrap_or(buffer.len()) > limits.max_head_bytes {
            return Err(HeadError::Refused(ApiError::new(
                Code::HeadersTooLarge,
                format!(
                    "the request headers are larger than {} bytes",
                    limits.max_head_bytes
                ),
            )));
        }
        if head_end.is_some() {
            return Ok(buffer);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A whole HTTP/1.1 response carrying `error` in the API's JSON shape.
pub(crate) fn error_response(error: &ApiError) -> Vec<u8> {
    let body = serde_json::to_vec(&ErrorBody::from(error)).unwrap_or_default();
    let status = super::status_of(&error.code);
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut response = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    response
}

/// A stream that first yields bytes already read from it.
struct Prefixed<S> {
    prefix: Vec<u8>,
    offset: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    fn new(prefix: Vec<u8>, inner: S) -> Self {
        Prefixed {
            prefix,
            offset: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this
            .prefix
            .get(this.offset..)
            .filter(|rest| !rest.is_empty())
        {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.offset += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
