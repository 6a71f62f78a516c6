//! Nodes as separate `pactum-node run` processes: the sequencer is killed with SIGKILL while
//! clients push events as fast as they commit, restarted from its directory, and must hold
//! every entry it acknowledged, with a log whose checkpoint and bundles still verify.

use std::{
    collections::{hash_map::RandomState, BTreeMap},
    hash::{BuildHasher, Hasher},
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use pactum_node::{
    api::{EventRequest, SubmitEvent},
    client::ApiClient,
    load::node_process::{free_port, introduce, proposal_among, NodeDir, NodeProcess},
};
use serde_json::{json, Value};

const PATIENCE: Duration = Duration::from_secs(60);
const ORDERS: usize = 3;

fn random_below(bound: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(7);
    hasher.finish() % bound.max(1)
}

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_pactum-node"))
}

/// `pactum-node init` in `base/role` (a checkpoint every 16 entries).
fn make_node(base: &Path, role: &str) -> NodeDir {
    NodeDir::init_with_batch(base, role, 16).unwrap()
}

/// `pactum-node run`, once its API listens.
fn spawn(node: &NodeDir) -> NodeProcess {
    NodeProcess::spawn(exe(), node).unwrap()
}

/// A child process killed however the test ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn client(node: &NodeDir) -> ApiClient {
    node.client()
}

/// The (seq, entry hash) of an acknowledged fact: from its answer when it committed at once,
/// else from its status once it committed (waiting on that condition).
fn committed_entry(api: &ApiClient, answer: &Value) -> (u64, String) {
    let mut status = answer.clone();
    if answer["status"] == "queued" {
        let url = answer["status_url"].as_str().unwrap();
        wait_until("a queued fact to commit", || {
            status = api.get(url).unwrap_or(Value::Null);
            status["status"] == "committed"
        });
    }
    let seq = status["seq"].as_u64();
    let hash = status["entry_hash"].as_str().map(str::to_string);
    match (seq, hash) {
        (Some(seq), Some(hash)) => (seq, hash),
        _ => panic!("not a committed fact: {status}"),
    }
}

fn eta_update(minute: u64) -> SubmitEvent {
    let at = 1_768_000_000 + minute * 60;
    SubmitEvent {
        signed: None,
        event: Some(EventRequest {
            kind: "shipment.eta_updated".into(),
            at: contract_lang_time(at),
            fields: [(
                "eta".to_string(),
                json!(contract_lang_time(at + 86_400 * 30)),
            )]
            .into_iter()
            .collect(),
        }),
    }
}

/// RFC 3339 UTC for Unix seconds.
fn contract_lang_time(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60
    )
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_sequencer_killed_under_load_loses_nothing_it_acknowledged() {
    let base = tempfile::tempdir().unwrap();
    let mut nodes = vec![
        make_node(base.path(), "seller"),
        make_node(base.path(), "buyer"),
    ];
    introduce(&mut nodes).unwrap();
    let mut processes = vec![spawn(&nodes[0]), spawn(&nodes[1])];

    let mut orders = Vec::new();
    for index in 0..ORDERS {
        let proposed = client(&nodes[0])
            .post(
                "/orders",
                &proposal_among(&nodes, &format!("PO-LOAD-{index}")),
            )
            .unwrap();
        let order = proposed["order"].as_str().unwrap().to_string();
        assert_eq!(proposed["delivered"]["buyer"], "delivered", "{proposed}");
        let accepted = client(&nodes[1])
            .post(&format!("/orders/{order}/accept"), &json!({}))
            .unwrap();
        assert_eq!(accepted["status"], "started", "{accepted}");
        orders.push(order);
    }

    // Clients push events to the sequencer as fast as they commit, one order each.
    let acknowledged: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let total = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = orders
        .iter()
        .cloned()
        .map(|order| {
            let (client, acknowledged, total, stop) = (
                client(&nodes[0]),
                acknowledged.clone(),
                total.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let mut minute = 0;
                while !stop.load(Ordering::Relaxed) {
                    minute += 1;
                    match client.post(&format!("/orders/{order}/events"), &eta_update(minute)) {
                        // Committed, or queued (a round that outlived its timeout on a
                        // loaded machine): both are acknowledgements.
                        Ok(answer) => {
                            acknowledged.lock().unwrap().push((order.clone(), answer));
                            total.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    let kill_after = 40 + random_below(120);
    wait_until("load", || total.load(Ordering::Relaxed) >= kill_after);
    processes[0].kill().unwrap(); // SIGKILL
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() as u64 >= kill_after);

    processes[0] = spawn(&nodes[0]);
    let seller_api = client(&nodes[0]);
    let acknowledged: Vec<(String, u64, String)> = acknowledged
        .iter()
        .map(|(order, answer)| {
            let (seq, hash) = committed_entry(&seller_api, answer);
            (order.clone(), seq, hash)
        })
        .collect();
    for order in &orders {
        let history = seller_api.get(&format!("/orders/{order}/history")).unwrap();
        let stored: BTreeMap<u64, String> = history["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                (
                    entry["seq"].as_u64().unwrap(),
                    entry["hash"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        // Contiguous from the genesis: no hole, no half-applied entry.
        assert_eq!(
            stored.keys().copied().collect::<Vec<_>>(),
            (0..stored.len() as u64).collect::<Vec<_>>()
        );
        for (acked_order, seq, hash) in acknowledged.iter().filter(|(o, _, _)| o == order) {
            assert_eq!(
                stored.get(seq),
                Some(hash),
                "{acked_order} entry {seq} was acknowledged but lost"
            );
        }
    }

    // The order goes on after the restart, and the buyer converges on the seller's heads.
    for (index, order) in orders.iter().enumerate() {
        let answer = seller_api
            .post(
                &format!("/orders/{order}/events"),
                &eta_update(100_000 + index as u64),
            )
            .unwrap();
        // Queued if the restarted seller has not reached the buyer yet: it commits once it has.
        committed_entry(&seller_api, &answer);
    }
    let buyer_api = client(&nodes[1]);
    for order in &orders {
        wait_until("the buyer to catch up", || {
            let a = seller_api.get(&format!("/orders/{order}")).unwrap();
            let b = buyer_api
                .get(&format!("/orders/{order}"))
                .unwrap_or(Value::Null);
            a["head"] == b["head"]
        });
    }

    // The restarted log still proves every entry against a checkpoint both parties witness.
    let bytes = seller_api
        .get_bytes(&format!("/orders/{}/bundle", orders[0]))
        .unwrap();
    let checkpoint = seller_api.get("/checkpoint").unwrap();
    let mut trust: verifier::bundle::TrustFile =
        serde_json::from_value(checkpoint["trust"].clone()).unwrap();
    trust.parties = BTreeMap::new();
    let report =
        verifier::bundle::verify_bundle(&bytes, &trust.trust().unwrap(), &Default::default())
            .unwrap();
    assert!(report.entries.len() >= 2);
    assert_eq!(
        report.witnesses.len(),
        1,
        "the buyer cosigned the seller's checkpoint"
    );

    drop(processes);
}

/// Runs the `pactum-node` binary with `args`; returns (success, stdout, stderr).
fn cli(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pactum-node"))
        .args(args)
        .env_remove("PACTUM_TOKEN")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_operator_cli_drives_a_running_node() {
    let base = tempfile::tempdir().unwrap();
    let node = make_node(base.path(), "seller");
    let _processes = spawn(&node);
    let config = node.config.to_str().unwrap();

    let (ok, health, _) = cli(&["health", "--config", config]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<Value>(&health).unwrap()["role"],
        "seller"
    );

    // A one-party order starts as soon as it is proposed.
    // Other people's text (here the order reference and an attested field) carries ESC, BEL,
    // CR, U+202E and U+2066: the CLI's output shows them escaped, never raw.
    let hostile = "PO-\u{1b}[2K\u{7}\rVALID\u{202e}\u{2066}\n";
    let no_raw = |out: &str| {
        let raw: Vec<char> = out
            .chars()
            .filter(|&c| c != '\n' && contract_lang::untrusted::is_unsafe(c))
            .collect();
        assert!(raw.is_empty(), "{raw:?} in {out}");
    };
    let mut order = proposal_among(std::slice::from_ref(&node), hostile);
    order.clauses.truncate(1);
    let proposal_path = base.path().join("proposal.json");
    std::fs::write(&proposal_path, serde_json::to_string(&order).unwrap()).unwrap();
    let (ok, out, err) = cli(&[
        "propose",
        "--config",
        config,
        proposal_path.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let proposed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(proposed["status"], "started", "{proposed}");
    let id = proposed["order"].as_str().unwrap().to_string();

    let (ok, out, err) = cli(&[
        "event",
        "--config",
        config,
        &id,
        "--kind",
        "shipment.departed",
        "--at",
        "2026-01-10T00:00:00Z",
        "--field",
        "port=Shenzhen\u{1b}]0;x\u{7}\r\u{202e}\u{2066}",
    ]);
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["seq"], 1);

    // Text by default: the order, values as written, foreign text escaped.
    let (ok, out, err) = cli(&["show", "--config", config, &id]);
    assert!(ok, "{err}");
    no_raw(&out);
    assert!(out.contains("state: running at entry #1"), "{out}");
    assert!(
        out.contains("shipment.departed at 2026-01-10T00:00:00Z: port=Shenzhen"),
        "{out}"
    );
    let (ok, out, _) = cli(&["show", "--format", "json", "--config", config, &id]);
    assert!(ok);
    no_raw(&out);
    let shown = serde_json::from_str::<Value>(&out).unwrap();
    assert_eq!(
        shown["facts"]["shipment.departed"]["fields"]["port"],
        "Shenzhen\u{1b}]0;x\u{7}\r\u{202e}\u{2066}",
        "native JSON: the text itself, escaped only by JSON"
    );
    assert_eq!(shown["order_ref"], hostile, "JSON stays JSON: {out}");
    // The verifier's timeline of the bundle, verified by the command, in the chosen language.
    let (ok, out, err) = cli(&["history", "--config", config, &id]);
    assert!(ok, "{err}");
    no_raw(&out);
    assert!(out.starts_with("VALID"), "{out}");
    assert!(out.contains("\n#1  2026-01-10T00:00:00Z"), "{out}");
    let (ok, out, err) = cli(&["history", "--lang", "de", "--config", config, &id]);
    assert!(ok, "{err}");
    assert!(out.starts_with("GÜLTIG"), "{out}");
    let (ok, out, _) = cli(&["history", "--format", "json", "--config", config, &id]);
    assert!(ok);
    no_raw(&out);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // --follow prints each new entry as it commits.
    let mut follower = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pactum-node"))
            .args([
                "history", "--follow", "--format", "json", "--config", config, &id,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = follower.0.stdout.take().unwrap();
    let (lines, followed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap_or_default()).is_err() {
                return;
            }
        }
    });
    let next_seq = || {
        let line = followed.recv_timeout(PATIENCE).expect("a followed entry");
        serde_json::from_str::<Value>(&line).unwrap()["seq"].as_u64()
    };
    assert_eq!((next_seq(), next_seq()), (Some(0), Some(1)));
    let (ok, _, err) = cli(&[
        "event",
        "--config",
        config,
        &id,
        "--kind",
        "shipment.eta_updated",
        "--at",
        "2026-01-20T00:00:00Z",
        "--field",
        "eta=2026-02-01T00:00:00Z",
    ]);
    assert!(ok, "{err}");
    assert_eq!(next_seq(), Some(2));
    drop(follower);

    let bundle_path = base.path().join("order.bundle");
    let (ok, _, err) = cli(&[
        "bundle",
        "--config",
        config,
        &id,
        "--out",
        bundle_path.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let bytes = std::fs::read(&bundle_path).unwrap();
    assert!(verifier::bundle::Bundle::from_bytes(&bytes).is_ok());
    let (ok, out, _) = cli(&["checkpoint", "--config", config]);
    assert!(ok);
    assert!(
        serde_json::from_str::<Value>(&out).unwrap()["size"]
            .as_u64()
            .unwrap()
            >= 2
    );
    let (ok, out, _) = cli(&["metrics", "--config", config]);
    assert!(ok);
    assert!(out.contains("pactum_entries_committed_total 3"), "{out}");

    // Shell completions and man pages, generated from the command line's own definition.
    let (ok, out, _) = cli(&["completions", "bash"]);
    assert!(
        ok && out.contains("pactum-node") && out.contains("--follow"),
        "{out}"
    );
    let man = base.path().join("man");
    let (ok, _, err) = cli(&["man", "--out", man.to_str().unwrap()]);
    assert!(ok, "{err}");
    let page = std::fs::read_to_string(man.join("pactum-node-history.1")).unwrap();
    assert!(page.contains("follow"), "{page}");
    assert!(man.join("pactum-node.1").is_file());

    // Errors are reported, with a failing exit status.
    let (ok, _, err) = cli(&["show", "--config", config, "not-an-order"]);
    assert!(!ok);
    assert!(err.contains("bad_order_id"), "{err}");
    let url = format!("http://{}", node.settings.http_bind);
    let (ok, _, err) = cli(&[
        "event",
        "--url",
        &url,
        &id,
        "--kind",
        "shipment.departed",
        "--at",
        "2026-01-11T00:00:00Z",
    ]);
    assert!(!ok);
    assert!(err.contains("unauthorized"), "{err}");
    let (ok, _, err) = cli(&["review", "--config", config, &id, "--decision", "approve"]);
    assert!(!ok);
    assert!(err.contains("nothing_to_review"), "{err}");
}

/// A webhook's deliveries are written with the entries they describe: a node killed with
/// SIGKILL after committing and before delivering (its receiver is down) delivers them after
/// it restarts, each with a valid signature.
#[test]
fn webhook_deliveries_survive_a_kill_between_commit_and_delivery() {
    use pactum_node::{config::WebhookSection, events::receiver::Receiver};
    const SECRET: &str = "whsec-processes-0123456789";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver_port = free_port().unwrap();
    let receiver_addr = std::net::SocketAddr::from(([127, 0, 0, 1], receiver_port));

    let base = tempfile::tempdir().unwrap();
    let mut nodes = vec![
        make_node(base.path(), "seller"),
        make_node(base.path(), "buyer"),
    ];
    // From the configuration file, as an operator sets it up.
    nodes[0].settings.file.webhooks = vec![WebhookSection {
        url: format!("http://{receiver_addr}/pactum"),
        secret: SECRET.into(),
        kinds: vec!["entry".into()],
    }];
    introduce(&mut nodes).unwrap();
    let mut processes = [spawn(&nodes[0]), spawn(&nodes[1])];
    let proposed = client(&nodes[0])
        .post("/orders", &proposal_among(&nodes, "PO-KILLED"))
        .unwrap();
    let order = proposed["order"].as_str().unwrap().to_string();
    client(&nodes[1])
        .post(&format!("/orders/{order}/accept"), &json!({}))
        .unwrap();
    for minute in 1..=5 {
        client(&nodes[0])
            .post(&format!("/orders/{order}/events"), &eta_update(minute))
            .unwrap();
    }
    // Six entries committed, none delivered: the receiver is not listening yet.
    wait_until("six pending deliveries", || {
        let listed = client(&nodes[0]).get("/webhooks").unwrap();
        listed["webhooks"][0]["pending_deliveries"] == 6
    });
    processes[0].kill().unwrap(); // SIGKILL

    let receiver = runtime
        .block_on(Receiver::start(receiver_addr, SECRET))
        .unwrap();
    processes[0] = spawn(&nodes[0]);
    let deliveries = runtime.block_on(receiver.wait_for(PATIENCE, |got| {
        got.iter()
            .filter_map(|delivery| delivery.json()["data"]["seq"].as_u64())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            == 6
    }));
    let seqs: std::collections::BTreeSet<u64> = deliveries
        .iter()
        .filter_map(|delivery| delivery.json()["data"]["seq"].as_u64())
        .collect();
    assert_eq!(seqs.into_iter().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 5]);
    for delivery in &deliveries {
        assert!(delivery.signature_valid, "{delivery:?}");
        assert_eq!(delivery.json()["order"], order.as_str());
    }
    wait_until("an empty outbox", || {
        let listed = client(&nodes[0]).get("/webhooks").unwrap();
        listed["webhooks"][0]["pending_deliveries"] == 0
    });
}

/// Two `pactum-node run` processes with one order started between them: (nodes, processes,
/// order).
fn two_parties_one_order(base: &Path, order_ref: &str) -> (Vec<NodeDir>, Vec<NodeProcess>, String) {
    let mut nodes = vec![make_node(base, "seller"), make_node(base, "buyer")];
    introduce(&mut nodes).unwrap();
    let processes = vec![spawn(&nodes[0]), spawn(&nodes[1])];
    let proposed = client(&nodes[0])
        .post("/orders", &proposal_among(&nodes, order_ref))
        .unwrap();
    let order = proposed["order"].as_str().unwrap().to_string();
    client(&nodes[1])
        .post(&format!("/orders/{order}/accept"), &json!({}))
        .unwrap();
    (nodes, processes, order)
}

#[test]
fn a_fact_queued_while_a_party_is_down_commits_after_the_sequencer_is_killed() {
    let base = tempfile::tempdir().unwrap();
    let (nodes, mut processes, order) = two_parties_one_order(base.path(), "PO-QUEUED");
    // The buyer's node goes down; a fact reaches the seller (the sequencer): accepted, queued.
    processes[1].kill().unwrap(); // SIGKILL
    let events = format!("/orders/{order}/events");
    let accepted = client(&nodes[0]).post(&events, &eta_update(1)).unwrap();
    assert_eq!(accepted["status"], "queued", "{accepted}");
    let status_url = accepted["status_url"].as_str().unwrap().to_string();
    // The sequencer is killed with the fact still queued, and restarted.
    processes[0].kill().unwrap(); // SIGKILL
    processes[0] = spawn(&nodes[0]);
    let status = client(&nodes[0]).get(&status_url).unwrap();
    assert_eq!(status["status"], "queued", "{status}");
    // The party comes back: the fact commits without being resent, at both parties.
    processes[1] = spawn(&nodes[1]);
    wait_until("the queued fact to commit", || {
        client(&nodes[0]).get(&status_url).unwrap()["status"] == "committed"
    });
    let committed = client(&nodes[0]).get(&status_url).unwrap();
    assert_eq!(committed["seq"], 1, "{committed}");
    wait_until("the buyer to hold it", || {
        client(&nodes[1])
            .get(&format!("/orders/{order}"))
            .map(|view| view["seq"] == 1)
            .unwrap_or(false)
    });
    // Sent again, the same fact gets its committed entry.
    let again = client(&nodes[0]).post(&events, &eta_update(1)).unwrap();
    assert_eq!(again["seq"], 1, "{again}");
}

/// Sends `signal` (`STOP`, `CONT`) to a node's process.
fn signal(process: &NodeProcess, signal: &str) {
    let sent = Command::new("kill")
        .args([format!("-{signal}"), process.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal} failed");
}

/// Stops a node's process and waits until the kernel shows every one of its threads stopped
/// (state `T` in `/proc/PID/task/*/stat`): a test that goes on before then could be answered
/// by a thread that had not stopped yet.
fn stop(process: &NodeProcess) {
    signal(process, "STOP");
    let tasks = format!("/proc/{}/task", process.pid());
    wait_until("every thread of the stopped node to be stopped", || {
        thread_states(&tasks).is_some_and(|states| states.iter().all(|state| *state == 'T'))
    });
}

/// The scheduler state of each thread under `/proc/PID/task` (the field after the command
/// name, which may hold spaces), `None` if the directory cannot be read.
fn thread_states(tasks: &str) -> Option<Vec<char>> {
    let mut states = Vec::new();
    for task in std::fs::read_dir(tasks).ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("stat")).ok()?;
        let after_name = stat.get(stat.rfind(')')? + 1..)?;
        states.push(after_name.trim_start().chars().next()?);
    }
    Some(states)
}

#[test]
fn a_party_that_takes_a_proposal_and_never_answers_is_given_up_by_the_core_not_the_transport() {
    let base = tempfile::tempdir().unwrap();
    let mut nodes = vec![
        make_node(base.path(), "seller"),
        make_node(base.path(), "buyer"),
    ];
    introduce(&mut nodes).unwrap();
    for node in &mut nodes {
        // The protocol core's patience (two seconds) far below the transport's timeouts: a
        // round whose answer never comes must be ended by the core.
        let mut file = node.settings.file.clone();
        file.network.request_timeout_ms = 600_000;
        file.network.round_patience_secs = 2;
        let text = pactum_node::config::render_template(&file, &node.public_key);
        std::fs::write(&node.config, text).unwrap();
        node.settings = pactum_node::config::Settings::load(&node.config).unwrap();
    }
    let processes = [spawn(&nodes[0]), spawn(&nodes[1])];
    let proposed = client(&nodes[0])
        .post("/orders", &proposal_among(&nodes, "PO-STOPPED"))
        .unwrap();
    let order = proposed["order"].as_str().unwrap().to_string();
    client(&nodes[1])
        .post(&format!("/orders/{order}/accept"), &json!({}))
        .unwrap();
    let events = format!("/orders/{order}/events");
    let first = client(&nodes[0]).post(&events, &eta_update(1)).unwrap();
    assert_eq!(committed_entry(&client(&nodes[0]), &first).0, 1);

    // The buyer's node is stopped: its connection stays open, the proposal is taken by the
    // kernel, no answer ever comes. The fact is answered queued, by the core's timer.
    stop(&processes[1]);
    let accepted = client(&nodes[0]).post(&events, &eta_update(2)).unwrap();
    assert_eq!(
        accepted["status"],
        "queued",
        "{accepted}\nthe buyer's threads: {:?}",
        thread_states(&format!("/proc/{}/task", processes[1].pid()))
    );
    // Given up by the core, not by the network: the request to the buyer's node has not
    // failed (it is still waiting), so the sequencer does not report the buyer unreachable.
    let health = client(&nodes[0]).get("/health").unwrap();
    let codes: Vec<&str> = health["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|reason| reason["code"].as_str())
        .collect();
    assert!(codes.contains(&"facts_queued"), "{health}");
    assert!(!codes.contains(&"party_unreachable"), "{health}");
    let status_url = accepted["status_url"].as_str().unwrap().to_string();

    // Resumed, the buyer answers again: the fact commits without being resent.
    signal(&processes[1], "CONT");
    wait_until("the queued fact to commit", || {
        client(&nodes[0]).get(&status_url).unwrap()["status"] == "committed"
    });
    assert_eq!(client(&nodes[0]).get(&status_url).unwrap()["seq"], 2);
    wait_until("the buyer to hold it", || {
        client(&nodes[1])
            .get(&format!("/orders/{order}"))
            .map(|view| view["seq"] == 2)
            .unwrap_or(false)
    });
}

#[test]
fn the_ingest_command_sends_documents_whole() {
    let base = tempfile::tempdir().unwrap();
    let node = make_node(base.path(), "seller");
    let _processes = spawn(&node);
    let config = node.config.to_str().unwrap();
    let order = proposal_among(std::slice::from_ref(&node), "PO-2026-0117");
    let proposed = client(&node).post("/orders", &order).unwrap();
    let id = proposed["order"].as_str().unwrap().to_string();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ingest");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ingest");

    // A document that does not fit: an error naming the field, exit status non-zero, nothing
    // recorded.
    let unfit = data.join("epcis-unmapped-bizstep.json");
    let (ok, _, err) = cli(&["ingest", "--config", config, unfit.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("epcisBody.eventList[1].bizStep"), "{err}");
    assert_eq!(
        client(&node).get(&format!("/orders/{id}")).unwrap()["seq"],
        0
    );

    // The samples: the order found by its reference (EPCIS) and by its route (CAP).
    let voyage = samples.join("epcis-voyage.json");
    let (ok, out, err) = cli(&["ingest", "--config", config, voyage.to_str().unwrap()]);
    assert!(ok, "{err}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["facts"].as_array().unwrap().len(), 2, "{answer}");
    let typhoon = samples.join("cap-typhoon.xml");
    let (ok, out, err) = cli(&["ingest", "--config", config, typhoon.to_str().unwrap()]);
    assert!(ok, "{err}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["facts"][0]["kind"], "weather.alert", "{answer}");
    assert_eq!(
        client(&node).get(&format!("/orders/{id}")).unwrap()["seq"],
        3
    );
}
