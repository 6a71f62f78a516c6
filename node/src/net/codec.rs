//! The `/pactum/1` wire codec: length-prefixed canonical CBOR frames.
//!
//! A frame is a `u32` big-endian byte count followed by that many bytes of canonical CBOR
//! (`pactum_canonical`), so the bytes on the wire are exactly the bytes that get hashed and
//! signed. Frames larger than [`CodecLimits::max_frame_bytes`] are refused from the length prefix
//! alone; the claimed length is never allocated up front.
//!
//! Inbound requests are decoded into [`Decoded`] rather than failing the stream: libp2p's
//! request-response behaviour drops codec read errors silently (no event names the peer), so a
//! malformed request must reach the swarm task as a value for the circuit breaker to see who
//! sent it and for the sender to get an error reply.

use std::{fmt, io, marker::PhantomData, time::Duration};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{request_response, StreamProtocol};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The protocol name negotiated on every request-response stream.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/pactum/1");

/// Default largest frame accepted or sent.
pub const DEFAULT_MAX_FRAME_BYTES: u32 = 4 * 1024 * 1024;

/// Bytes read per step, so a lying length prefix costs at most this much memory before the
/// stream runs dry.
const READ_CHUNK: usize = 64 * 1024;

/// A message type that can travel in a frame.
pub trait WireMessage: Serialize + DeserializeOwned + Send + Sync + fmt::Debug + 'static {}
impl<T: Serialize + DeserializeOwned + Send + Sync + fmt::Debug + 'static> WireMessage for T {}

/// Why an inbound frame could not be turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameFault {
    #[error("frame claims {claimed} bytes, more than the {limit}-byte limit")]
    TooLarge { claimed: u32, limit: u32 },
    #[error("stream ended after {got} of {expected} frame bytes")]
    Truncated { expected: u32, got: u64 },
    #[error("frame is not a valid canonical message: {0}")]
    Malformed(String),
    #[error("peer did not send a complete frame within {0:?}")]
    Stalled(Duration),
    #[error("i/o error while reading frame: {0}")]
    Io(String),
}

/// An inbound request as decoded from the wire: the message, or why it is not one.
pub type Decoded<T> = Result<T, FrameFault>;

/// Why a node refused to answer a request; sent back to the requester in place of a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    #[error("request was malformed: {reason}")]
    Malformed { reason: String },
    #[error("request exceeded the {limit}-byte frame limit")]
    TooLarge { limit: u32 },
    #[error("node is overloaded, retry later")]
    Busy,
    #[error("node could not produce a response")]
    Unavailable,
}

impl From<&FrameFault> for Refusal {
    fn from(fault: &FrameFault) -> Self {
        match fault {
            FrameFault::TooLarge { limit, .. } => Refusal::TooLarge { limit: *limit },
            other => Refusal::Malformed {
                reason: other.to_string(),
            },
        }
    }
}

/// What travels back for every request: the application's response or a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply<Resp> {
    Ok(Resp),
    Refused(Refusal),
}

/// Limits applied by the codec.
#[derive(Debug, Clone, Copy)]
pub struct CodecLimits {
    pub max_frame_bytes: u32,
    /// How long a peer may take to deliver one inbound request frame.
    pub read_timeout: Duration,
}

impl Default for CodecLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            read_timeout: Duration::from_secs(5),
        }
    }
}

/// The request-response codec for `/pactum/1`, generic over the node's message types.
pub struct FrameCodec<Req, Resp> {
    limits: CodecLimits,
    // fn() -> T keeps the codec Send + Sync whatever the message types are.
    _messages: PhantomData<fn() -> (Req, Resp)>,
}

impl<Req, Resp> FrameCodec<Req, Resp> {
    pub fn new(limits: CodecLimits) -> Self {
        Self {
            limits,
            _messages: PhantomData,
        }
    }
}

impl<Req, Resp> Clone for FrameCodec<Req, Resp> {
    fn clone(&self) -> Self {
        Self::new(self.limits)
    }
}

/// Reads one frame, refusing oversize and truncated ones.
pub async fn read_frame<T: AsyncRead + Unpin>(
    io: &mut T,
    max_frame_bytes: u32,
) -> Result<Vec<u8>, FrameFault> {
    let mut prefix = [0u8; 4];
    io.read_exact(&mut prefix).await.map_err(|error| {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            FrameFault::Truncated {
                expected: 4,
                got: 0,
            }
        } else {
            FrameFault::Io(error.to_string())
        }
    })?;
    let claimed = u32::from_be_bytes(prefix);
    if claimed > max_frame_bytes {
        return Err(FrameFault::TooLarge {
            claimed,
            limit: max_frame_bytes,
        });
    }
    // Grow with what actually arrives instead of trusting the prefix.
    let mut body = Vec::with_capacity(usize::min(claimed as usize, READ_CHUNK));
    let got = io
        .take(u64::from(claimed))
        .read_to_end(&mut body)
        .await
        .map_err(|error| FrameFault::Io(error.to_string()))?;
    if got != claimed as usize {
        return Err(FrameFault::Truncated {
            expected: claimed,
            got: got as u64,
        });
    }
    Ok(body)
}

/// Reads and strictly decodes one message.
pub async fn read_message<M: WireMessage, T: AsyncRead + Unpin>(
    io: &mut T,
    max_frame_bytes: u32,
) -> Result<M, FrameFault> {
    let body = read_frame(io, max_frame_bytes).await?;
    pactum_canonical::from_slice(&body).map_err(|error| FrameFault::Malformed(error.to_string()))
}

/// Encodes `message` canonically and writes it as one frame.
pub async fn write_message<M: Serialize, T: AsyncWrite + Unpin>(
    io: &mut T,
    message: &M,
    max_frame_bytes: u32,
) -> io::Result<()> {
    let body = pactum_canonical::to_vec(message)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
    let length = u32::try_from(body.len())
        .ok()
        .filter(|length| *length <= max_frame_bytes)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "message of {} bytes exceeds the {max_frame_bytes}-byte frame limit",
                    body.len()
                ),
            )
        })?;
    io.write_all(&length.to_be_bytes()).await?;
    io.write_all(&body).await?;
    io.flush().await
}

fn fault_to_io(fault: FrameFault) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, fault)
}

impl<Req: WireMessage, Resp: WireMessage> request_response::Codec for FrameCodec<Req, Resp> {
    type Protocol = StreamProtocol;
    type Request = Decoded<Req>;
    type Response = Reply<Resp>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Decoded<Req>>
    where
        T: AsyncRead + Unpin + Send,
    {
        let read = read_message::<Req, T>(io, self.limits.max_frame_bytes);
        Ok(
            match tokio::time::timeout(self.limits.read_timeout, read).await {
                Ok(decoded) => decoded,
                Err(_) => Err(FrameFault::Stalled(self.limits.read_timeout)),
            },
        )
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Reply<Resp>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_message(io, self.limits.max_frame_bytes)
            .await
            .map_err(fault_to_io)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Decoded<Req>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        match request {
            Ok(request) => write_message(io, &request, self.limits.max_frame_bytes).await,
            Err(fault) => Err(io::Error::new(io::ErrorKind::InvalidInput, fault)),
        }
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Reply<Resp>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_message(io, &response, self.limits.max_frame_bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Ping {
        Hello { n: u64 },
    }

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn round_trips_a_message() {
        let mut wire = Vec::new();
        block_on(write_message(&mut wire, &Ping::Hello { n: 7 }, 1024)).unwrap();
        let back: Ping = block_on(read_message(&mut &wire[..], 1024)).unwrap();
        assert_eq!(back, Ping::Hello { n: 7 });
    }

    #[test]
    fn refuses_oversize_prefix_without_reading_body() {
        let wire = u32::MAX.to_be_bytes();
        let fault = block_on(read_frame(&mut &wire[..], 1024)).unwrap_err();
        assert_eq!(
            fault,
            FrameFault::TooLarge {
                claimed: u32::MAX,
                limit: 1024
            }
        );
    }

    #[test]
    fn reports_truncation() {
        let mut wire = frame(b"abcdef");
        wire.truncate(6);
        let fault = block_on(read_frame(&mut &wire[..], 1024)).unwrap_err();
        assert_eq!(
            fault,
            FrameFault::Truncated {
                expected: 6,
                got: 2
            }
        );
        let fault = block_on(read_frame(&mut &[0u8, 0][..], 1024)).unwrap_err();
        assert!(matches!(fault, FrameFault::Truncated { expected: 4, .. }));
    }

    #[test]
    fn garbage_body_is_malformed_not_a_panic() {
        for body in [&b"\xff\xff\xff"[..], b"", b"\x18\x01", b"\xa1\x61x\x01"] {
            let wire = frame(body);
            let fault = block_on(read_message::<Ping, _>(&mut &wire[..], 1024)).unwrap_err();
            assert!(matches!(fault, FrameFault::Malformed(_)), "{fault:?}");
        }
    }

    #[test]
    fn refuses_to_send_oversize_messages() {
        let mut wire = Vec::new();
        let error = block_on(write_message(&mut wire, &"x".repeat(100), 16)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(wire.is_empty());
    }
}
