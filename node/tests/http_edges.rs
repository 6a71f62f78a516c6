//! The HTTP API's edges over real TCP against a real node: the connection cap, deadlines for
//! the request head and body, limits on the request line and headers, scoped tokens rotated
//! without a restart — every refusal in the API's one JSON error shape, and every answer one the
//! OpenAPI document describes (`openapi::undocumented`).

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

use pactum_node::{
    api::ErrorBody,
    http::{
        openapi::{assert_documented, recorder, Answers},
        ConnectionLimits,
    },
    launch::{launch, NodeSpec, RunningNode},
};
use verifier::bundle::build::example_key;

const READER: &str = "reader-token-0123456789abcdef0123456";
const SUBMITTER: &str = "submit-token-0123456789abcdef0123456";

/// A node whose API's every answer is kept in `answers`.
async fn node(dir: &std::path::Path, limits: ConnectionLimits, answers: &Answers) -> RunningNode {
    let tokens = dir.join("tokens.toml");
    std::fs::write(
        &tokens,
        format!(
            "[[token]]\nname = \"dashboard\"\ntoken = \"{READER}\"\nscopes = [\"read\"]\n\n\
             [[token]]\nname = \"erp\"\ntoken = \"{SUBMITTER}\"\nscopes = [\"submit\"]\n"
        ),
    )
    .unwrap();
    let mut spec = NodeSpec::local("seller", example_key("seller"), dir.join("data"));
    spec.http_limits = limits;
    spec.tokens_file = Some(tokens);
    spec.hooks.observe_http = Some(recorder(answers));
    launch(spec).await.unwrap()
}

/// Sends raw bytes on a fresh connection and reads the whole answer (the node closes it).
fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The node may answer (and close) before reading everything: ignore write errors.
    let _ = stream.write_all(request);
    read_answer(&mut stream)
}

fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

fn code(body: &str) -> String {
    serde_json::from_str::<ErrorBody>(body)
        .unwrap_or_else(|_| panic!("not the JSON error shape: {body:?}"))
        .error
        .code
}

fn get(path: &str, token: Option<&str>) -> Vec<u8> {
    let auth = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: node\r\n{auth}\r\n").into_bytes()
}

fn post(path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_the_json_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ConnectionLimits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        ..ConnectionLimits::default()
    };
    let answers = Answers::default();
    let node = node(dir.path(), limits, &answers).await;
    let addr = node.http_addr;
    let token = node.token.clone();
    let order = "0".repeat(64);
    let long_path = format!("/orders/{}", "a".repeat(100 * 1024));
    let big_header = format!(
        "GET /health HTTP/1.1\r\nHost: node\r\nX-Pad: {}\r\n\r\n",
        "b".repeat(64 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "unknown route",
            get("/nope", Some(&token)),
            404,
            "not_found",
        ),
        (
            "wrong method",
            format!("DELETE /health HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer {token}\r\n\r\n")
                .into_bytes(),
            405,
            "method_not_allowed",
        ),
        (
            "a 100 KB path",
            get(&long_path, Some(&token)),
            414,
            "uri_too_long",
        ),
        (
            "64 KB of headers",
            big_header.into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "not JSON",
            format!(
                "POST /orders HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
            )
            .into_bytes(),
            415,
            "unsupported_media_type",
        ),
        (
            "a body over the limit",
            format!(
                "POST /orders HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                2 * 1024 * 1024
            )
            .into_bytes()
            .into_iter()
            .chain(std::iter::repeat_n(b' ', 2 * 1024 * 1024))
            .collect(),
            413,
            "payload_too_large",
        ),
        (
            "a head that never ends",
            b"GET /health HTTP/1.1\r\nHost: n\r\n".to_vec(),
            408,
            "request_timeout",
        ),
        (
            "a body that never comes",
            format!(
                "POST /orders HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
            )
            .into_bytes(),
            408,
            "request_timeout",
        ),
        (
            "a path parameter that is not UTF-8",
            post("/faults/%FF/acknowledge", &token, r#"{"note": "looked"}"#),
            400,
            "bad_path",
        ),
        (
            "a webhook id that is not UTF-8",
            format!("DELETE /webhooks/%C3%28 HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer {token}\r\n\r\n")
                .into_bytes(),
            400,
            "bad_path",
        ),
        (
            "a query string that does not parse",
            get(&format!("/orders/{order}/trail?lang=de&lang=en"), Some(&token)),
            400,
            "invalid_query",
        ),
        (
            "a share link's query string that does not parse",
            get("/share/unknown?lang=de&lang=en", None),
            400,
            "invalid_query",
        ),
        (
            "a read without a token",
            get("/metrics", None),
            401,
            "unauthorized",
        ),
        (
            "a read with a wrong token",
            get(
                &format!("/orders/{order}"),
                Some("wrong-token-0123456789abcdef0123456"),
            ),
            401,
            "unauthorized",
        ),
        (
            "a write with a read token",
            post(&format!("/orders/{order}/events"), READER, "{}"),
            403,
            "forbidden",
        ),
        (
            "a proposal with a submit token",
            post("/orders", SUBMITTER, "{}"),
            403,
            "forbidden",
        ),
    ];
    let results = tokio::task::spawn_blocking(move || {
        cases
            .into_iter()
            .map(|(what, request, status, expected)| {
                let (got, body) = exchange(addr, &request);
                (what, status, expected, got, body)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (what, status, expected, got, body) in results {
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(code(&body), expected, "{what}");
    }

    // What the scopes allow: health without a token, reads with the read token, events with
    // the submit token (refused by the engine, not by the token check).
    let checks = tokio::task::spawn_blocking(move || {
        [
            exchange(addr, &get("/health", None)).0,
            exchange(addr, &get("/metrics", Some(READER))).0,
            exchange(
                addr,
                &post(&format!("/orders/{order}/events"), SUBMITTER, "{}"),
            )
            .0,
        ]
    })
    .await
    .unwrap();
    assert_eq!(checks[0], 200);
    assert_eq!(checks[1], 200);
    assert_eq!(checks[2], 422);
    node.stop().await;
    assert_documented(&answers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_idle_connections_make_room_and_busy_ones_get_503() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ConnectionLimits {
        max_connections: 8,
        header_timeout: Duration::from_secs(3),
        body_timeout: Duration::from_millis(1500),
        ..ConnectionLimits::default()
    };
    let answers = Answers::default();
    let node = node(dir.path(), limits, &answers).await;
    let (addr, token) = (node.http_addr, node.token.clone());
    let metrics = node.metrics.clone();
    tokio::task::spawn_blocking(move || {
        // Eight idle connections take every slot, yet /health is answered: it displaces the
        // connection that has waited longest for its request head, closed without an answer.
        let idle: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(addr).unwrap()).collect();
        loop {
            let answer = exchange(addr, &get("/health", None));
            assert_eq!(answer.0, 200, "{answer:?}");
            if metrics.http_connections_evicted.get() >= 1 {
                break;
            }
        }
        let mut closed_unanswered = 0;
        for mut stream in idle {
            match read_answer(&mut stream) {
                (0, _) => closed_unanswered += 1,
                (status, body) => {
                    assert_eq!((status, code(&body).as_str()), (408, "request_timeout"))
                }
            }
        }
        assert!(closed_unanswered >= 1);
        // Every slot back (the idle connections and the /health exchanges ended), so that no
        // busy connection below is displaced to make room.
        while metrics.http_connections_open.get() > 0 {
            std::thread::yield_now();
        }

        // Eight requests being served (heads sent, bodies awaited) are never displaced: a new
        // connection is answered 503 in the JSON shape…
        let busy: Vec<TcpStream> = (0..8)
            .map(|_| {
                let mut stream = TcpStream::connect(addr).unwrap();
                let head = format!(
                    "POST /orders HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer {token}\r\n\
                     Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream
            })
            .collect();
        // (A connection whose head the node has not read yet could still be displaced.)
        while metrics.http_connections_awaiting_head.get() > 0
            || metrics.http_connections_open.get() < 8
        {
            std::thread::yield_now();
        }
        let (status, body) = exchange(addr, &get("/health", None));
        assert_eq!(status, 503, "{body}");
        assert_eq!(code(&body), "too_many_connections");
        // …until their bodies' deadline answers them 408, and /health answers again.
        for mut stream in busy {
            let (status, body) = read_answer(&mut stream);
            assert_eq!((status, code(&body).as_str()), (408, "request_timeout"));
        }
        let (status, body) = loop {
            let answer = exchange(addr, &get("/health", None));
            if answer.0 != 503 {
                break answer;
            }
        };
        assert_eq!(status, 200);
        // Refusals and evictions are shown in aggregate.
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            health["connections_refused"]["http"].as_u64().unwrap() >= 1,
            "{health}"
        );
        assert!(
            health["connections_refused"]["http_evicted"]
                .as_u64()
                .unwrap()
                >= 1,
            "{health}"
        );
        assert_eq!(health["connections_refused"]["peers"]["strangers_full"], 0);
    })
    .await
    .unwrap();
    node.stop().await;
    assert_documented(&answers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_added_to_the_tokens_file_works_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let answers = Answers::default();
    let node = node(dir.path(), ConnectionLimits::default(), &answers).await;
    let addr = node.http_addr;
    let tokens = dir.path().join("tokens.toml");
    let fresh = "fresh-token-0123456789abcdef01234567";
    tokio::task::spawn_blocking(move || {
        assert_eq!(exchange(addr, &get("/metrics", Some(fresh))).0, 401);
        std::fs::write(
            &tokens,
            format!("[[token]]\nname = \"new\"\ntoken = \"{fresh}\"\nscopes = [\"read\"]\n"),
        )
        .unwrap();
        // The file is checked at most once a second: the new token is taken within a few.
        let (status, _) = loop {
            let answer = exchange(addr, &get("/metrics", Some(fresh)));
            if answer.0 != 401 {
                break answer;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        assert_eq!(status, 200);
        // The rotated-out token no longer works.
        assert_eq!(exchange(addr, &get("/metrics", Some(READER))).0, 401);
    })
    .await
    .unwrap();
    node.stop().await;
    assert_documented(&answers);
}
