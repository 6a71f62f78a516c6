//! HTTPS on the API of a real `pactum-node run` process, with a CA and a certificate made by
//! rcgen at test time: the CLI trusts the node through `--ca-file` or `PACTUM_CA_FILE` and
//! refuses it, clearly, without; plain HTTP to the TLS port gets a clear JSON error; and a
//! webhook to an `https://` receiver is delivered, trusting `[events] ca_file`.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use pactum_node::{
    client::{ApiClient, ClientError},
    config::{render_template, Settings},
    events::receiver::Receiver,
    load::node_process::{NodeDir, NodeProcess},
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use serde_json::{json, Value};

const SECRET: &str = "whsec-tls-test-0123456789abcdef";

/// A CA and a server certificate it signed for `localhost` and 127.0.0.1, as PEM files.
struct Certificates {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    /// A CA that signed nothing here: trusting it is not trusting the node.
    other_ca: PathBuf,
}

fn make_ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    (params.self_signed(&key).unwrap(), key)
}

fn certificates(dir: &Path) -> Certificates {
    let (ca, ca_key) = make_ca("Pactum test CA");
    let server =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = server.signed_by(&server_key, &ca, &ca_key).unwrap();
    let (other, _) = make_ca("Someone else's CA");
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    Certificates {
        ca: write("ca.pem", ca.pem()),
        cert: write("node-cert.pem", server.pem()),
        key: write("node-key.pem", server_key.serialize_pem()),
        other_ca: write("other-ca.pem", other.pem()),
    }
}

/// `pactum-node init`, then TLS on the API and `[events] ca_file` in its configuration.
fn tls_node(base: &Path, certs: &Certificates) -> NodeDir {
    let mut node = NodeDir::init(base, "seller").unwrap();
    let mut file = node.settings.file.clone();
    file.http.tls_cert = Some(certs.cert.clone());
    file.http.tls_key = Some(certs.key.clone());
    let text = render_template(&file, &node.public_key)
        + &format!("\n[events]\nca_file = {:?}\n", certs.ca.to_str().unwrap());
    std::fs::write(&node.config, text).unwrap();
    node.settings = Settings::load(&node.config).unwrap();
    node
}

/// Runs the `pactum-node` binary; returns (success, stdout, stderr).
fn cli(args: &[&str], env: &[(&str, &Path)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pactum-node"));
    command
        .args(args)
        .env_remove("PACTUM_TOKEN")
        .env_remove("PACTUM_CA_FILE");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_cli_speaks_https_to_a_node_it_trusts_and_refuses_one_it_does_not() {
    let base = tempfile::tempdir().unwrap();
    let certs = certificates(base.path());
    let node = tls_node(base.path(), &certs);
    let _process = NodeProcess::spawn(Path::new(env!("CARGO_BIN_EXE_pactum-node")), &node).unwrap();
    let url = node.settings.http_url();
    assert!(url.starts_with("https://"), "{url}");
    let config = node.config.to_str().unwrap();
    let ca = certs.ca.to_str().unwrap();

    // With the CA, by flag or environment variable, from the configuration or a URL.
    let (ok, out, err) = cli(&["health", "--config", config, "--ca-file", ca], &[]);
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["role"],
        "seller"
    );
    let (ok, out, err) = cli(&["health", "--url", &url], &[("PACTUM_CA_FILE", &certs.ca)]);
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["role"],
        "seller"
    );

    // Without it (the system's CAs do not know this one), or with another CA: refused, and
    // the message says what to do.
    for args in [
        vec!["health", "--url", url.as_str()],
        vec![
            "health",
            "--url",
            &url,
            "--ca-file",
            certs.other_ca.to_str().unwrap(),
        ],
    ] {
        let (ok, out, err) = cli(&args, &[]);
        assert!(!ok, "{out}");
        assert!(err.contains("no trusted HTTPS connection"), "{err}");
        assert!(err.contains("--ca-file"), "{err}");
    }
    // A CA file that is not one is named.
    let (ok, _, err) = cli(&["health", "--url", &url, "--ca-file", config], &[]);
    assert!(!ok);
    assert!(err.contains("no PEM certificate"), "{err}");

    // Plain HTTP to the TLS port: a clear JSON error, not a dropped connection.
    let plain = ApiClient::new(url.replacen("https://", "http://", 1), None);
    let refused = plain.get("/health").unwrap_err();
    assert_eq!(refused.code(), Some("https_required"), "{refused}");
    // And the library's client without the CA says it is a TLS failure.
    let untrusted = ApiClient::new(url.clone(), None)
        .get("/health")
        .unwrap_err();
    assert!(matches!(untrusted, ClientError::Tls { .. }), "{untrusted}");
}

/// Terminates TLS for `target` (the webhook receiver) on a loopback port.
async fn tls_front(certs: &Certificates, target: SocketAddr) -> SocketAddr {
    let config = pactum_node::tls::server_config(&certs.cert, &certs.key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

#[test]
fn a_webhook_to_an_https_receiver_is_delivered() {
    let base = tempfile::tempdir().unwrap();
    let certs = certificates(base.path());
    let node = tls_node(base.path(), &certs);
    let _process = NodeProcess::spawn(Path::new(env!("CARGO_BIN_EXE_pactum-node")), &node).unwrap();
    let client = ApiClient::with_ca_file(
        node.settings.http_url(),
        Some(node.settings.file.http.token.clone()),
        Some(&certs.ca),
    )
    .unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver = runtime
        .block_on(Receiver::start(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            SECRET,
        ))
        .unwrap();
    let front = runtime.block_on(tls_front(&certs, receiver.addr));
    let url = format!("https://127.0.0.1:{}/pactum", front.port());
    client
        .post(
            "/webhooks",
            &json!({ "url": url, "secret": SECRET, "kinds": ["entry"] }),
        )
        .unwrap();

    // A one-party order starts as soon as it is proposed: its genesis is an entry event.
    let mut proposal = pactum_node::demo::scenario::proposal(&BTreeMap::new(), "PO-TLS");
    proposal.parties = Some(
        [(
            "seller".to_string(),
            hex::encode(node.public_key.as_bytes()),
        )]
        .into_iter()
        .collect(),
    );
    proposal.attesters = None;
    proposal.clauses.truncate(1);
    let proposed = client.post("/orders", &proposal).unwrap();
    let order = proposed["order"].as_str().unwrap().to_string();

    let deliveries = runtime.block_on(receiver.wait_for(Duration::from_secs(60), |seen| {
        seen.iter()
            .any(|delivery| delivery.json()["order"] == order.as_str())
    }));
    let delivered = deliveries
        .iter()
        .find(|delivery| delivery.json()["order"] == order.as_str())
        .unwrap_or_else(|| panic!("no delivery for {order}: {deliveries:?}"));
    assert!(delivered.signature_valid);
    assert_eq!(delivered.kind, "entry");
    runtime.block_on(receiver.stop());
}
