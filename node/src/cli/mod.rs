//! The `pactum-node` command line: `init`, `run`, and client commands over the HTTP API.
//!
//! Client commands find the node and its token from `--config` (the node's configuration
//! file), or from `--url` and `--token` (or the `PACTUM_TOKEN` environment variable). They
//! print the node's JSON answer, pretty-printed, and exit non-zero with the node's error
//! message when it refuses.

mod client_commands;
pub mod timeline;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};

use crate::config::{self, InitOptions};

#[derive(Debug, Parser)]
#[command(
    name = "pactum-node",
    version,
    about = "The Pactum peer node: co-signs executable order amendments with the other parties",
    long_about = "The Pactum peer node. Each counterparty runs one: it executes the orders' clauses \
                  on signed facts, co-signs every amendment with the other parties' nodes, keeps \
                  the signed log, and serves a local HTTP API.\n\nStart with `pactum-node demo`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a party key and a commented configuration file in a directory.
    Init(InitArgs),
    /// Run the node described by a configuration file until interrupted.
    Run(RunArgs),
    /// Start three nodes on loopback (seller, buyer, carrier), run an order with the
    /// air-freight, force-majeure and late-delivery clauses, and verify its bundle.
    Demo(DemoArgs),
    /// Measure co-signed commits: a seller's and a buyer's node on loopback, many orders in
    /// parallel, carrier-signed facts pushed as fast as they commit.
    Bench(BenchArgs),
    /// Measure start time on a large store: many closed orders and a few open ones, built
    /// once in a directory through the engine's storage layer, then a node started on it.
    BenchStart(BenchStartArgs),
    /// Run the deterministic protocol simulator: three parties under lost, duplicated and
    /// reordered messages, cut links and crashes, from seeds; a failure names its seed.
    Simulate(SimulateArgs),
    /// Copy a running node's store into DIR (a new or empty directory on the node's
    /// machine), online and consistent: every batch acknowledged before it, none after.
    Backup {
        #[command(flatten)]
        node: NodeArgs,
        dir: PathBuf,
    },
    /// Restore a backup into a stopped node's data directory (which must not hold a store):
    /// the backup is checked with fsck first and refused if anything is wrong with it.
    Restore {
        /// The backup directory (made by `backup`).
        backup: PathBuf,
        /// The node's configuration file (gives its data directory and key).
        #[arg(long)]
        config: PathBuf,
    },
    /// Check a stopped node's store, or a backup: every entry's signatures and hash chain,
    /// the Merkle log against the entries and every stored checkpoint. Changes nothing;
    /// prints what is wrong and exits non-zero if anything is.
    Fsck(FsckArgs),
    /// Load commands that show the node's limits with figures, against `pactum-node run`
    /// processes on loopback.
    #[command(subcommand)]
    Load(LoadCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Write man pages (pactum-node.1 and one per command) into a directory.
    Man {
        /// Where to write them.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Receive webhook deliveries and print each (signature checked), one JSON line per
    /// delivery: what an integrator's endpoint receives.
    WebhookReceiver(WebhookReceiverArgs),
    /// Propose a new order (JSON file, see the API reference) to the other parties.
    Propose {
        #[command(flatten)]
        node: NodeArgs,
        /// The proposal as a JSON file, or `-` for standard input.
        file: PathBuf,
    },
    /// Sign an amendment of a running order by agreement (the JSON body of `POST
    /// /orders/{id}/agreements`: terms, params, add_clauses, upgrade_clauses, remove_clauses,
    /// note, at); every party signs the same, then the order is amended.
    Agree {
        #[command(flatten)]
        node: NodeArgs,
        order: String,
        /// The agreement as a JSON file, or `-` for standard input.
        file: PathBuf,
    },
    /// Accept (sign) an order another party proposed.
    Accept {
        #[command(flatten)]
        node: NodeArgs,
        order: String,
    },
    /// Submit an event: a signed event file, or fields for this node to sign.
    Event(EventArgs),
    /// Send a GS1 EPCIS 2.0 JSON document or an OASIS CAP 1.2 XML alert to the node, whose
    /// ingest mapping turns it into facts (docs/ingest.md). All of its facts or none.
    Ingest {
        #[command(flatten)]
        node: NodeArgs,
        /// The document, or `-` for standard input.
        file: std::path::PathBuf,
        /// `epcis` or `cap`; absent: from the document's first character (`{` or `<`).
        #[arg(long)]
        format: Option<String>,
        /// The order (id or reference) every fact goes to, instead of the one the document
        /// names.
        #[arg(long)]
        order: Option<String>,
    },
    /// Show an order: status, terms, facts, obligations, clauses.
    Show {
        #[command(flatten)]
        node: NodeArgs,
        order: String,
        /// `text` to read, `json` for the API's native JSON.
        #[arg(long, value_enum, default_value_t)]
        format: timeline::Format,
    },
    /// Show an order's history as the verifier's timeline (its bundle verified here).
    History {
        #[command(flatten)]
        node: NodeArgs,
        order: String,
        /// `text` to read, `json` for the API's native JSON (one entry per line with --follow).
        #[arg(long, value_enum, default_value_t)]
        format: timeline::Format,
        /// Language of the timeline: en, zh or de.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: verifier::timeline::Lang,
        /// Keep printing new entries as they commit (Ctrl-C to stop).
        #[arg(long)]
        follow: bool,
    },
    /// Record this party's review decision on an order held by its circuit breaker.
    Review {
        #[command(flatten)]
        node: NodeArgs,
        order: String,
        /// `approve` (apply what the breaker held back) or `discard` (drop it); the order
        /// resumes once every party signed the same decision and note.
        #[arg(long)]
        decision: String,
        #[arg(long, default_value = "")]
        note: String,
        /// A term the parties set with their decision, as name=value, values written as in
        /// scenario files (repeatable; every party must sign the same terms).
        #[arg(long = "term", alias = "terms", value_name = "NAME=VALUE")]
        term: Vec<String>,
        /// Review time, RFC 3339 UTC; absent: the order's latest recorded event time.
        #[arg(long)]
        at: Option<String>,
    },
    /// Export an order's bundle for `pactum-verify`.
    Bundle {
        #[command(flatten)]
        node: NodeArgs,
        order: String,
        /// Where to write the bundle.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Make a read-only link to an order's trail page for a customer (a waybill, an order
    /// confirmation) and print it with a QR code; or revoke one with --revoke.
    Share(ShareArgs),
    /// Show the node's latest checkpoint.
    Checkpoint {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show the node's health.
    Health {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Print the node's Prometheus metrics.
    Metrics {
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the key, configuration and data directory in.
    #[arg(long)]
    pub dir: PathBuf,
    /// The party's role: seller, buyer, carrier…
    #[arg(long, default_value = "seller")]
    pub role: String,
    /// libp2p listen address.
    #[arg(long, default_value = "/ip4/127.0.0.1/tcp/7301")]
    pub listen: String,
    /// HTTP API address (keep it on localhost).
    #[arg(long, default_value = "127.0.0.1:7300")]
    pub http: String,
    /// Entries per signed checkpoint.
    #[arg(long, default_value_t = 64)]
    pub checkpoint_batch: u64,
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    #[command(flatten)]
    pub node: NodeArgs,
    pub order: String,
    /// The link stops working after this long (`30d`, `12h`, `90m`); default: until revoked.
    #[arg(long)]
    pub expires: Option<String>,
    /// Revoke the link with this token instead of making one.
    #[arg(long, value_name = "TOKEN")]
    pub revoke: Option<String>,
    /// The address customers reach this node at (default: the node's API URL).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the nodes' directories, the bundle and the trust file here.
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Language of the verifier's timeline: en, zh or de.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// Send every event of the buyer's node to this http:// URL, signed, as an integrator's
    /// system would receive it (try `pactum-node webhook-receiver`).
    #[arg(long)]
    pub webhook: Option<String>,
    /// The key of the deliveries' `Pactum-Signature`.
    #[arg(long, default_value = "pactum-demo-webhook-secret")]
    pub webhook_secret: String,
}

#[derive(Debug, Args)]
pub struct WebhookReceiverArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub bind: std::net::SocketAddr,
    /// The webhook's secret: each delivery's `Pactum-Signature` is checked with it.
    #[arg(long)]
    pub secret: String,
}

#[derive(Debug, Args)]
pub struct FsckArgs {
    /// The node's configuration file: checks its data directory, and the checkpoints'
    /// signatures with its key.
    #[arg(long, conflicts_with = "dir")]
    pub config: Option<PathBuf>,
    /// A store directory (a backup): checks everything but the checkpoints' signatures.
    #[arg(long, required_unless_present = "config")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LoadCommand {
    /// One stranger identity sends many distinct valid contract proposals to a node process;
    /// prints the answers and the node's RSS growth (target: under 16 MiB for 4,000).
    Strangers {
        #[arg(long, default_value_t = 4000)]
        proposals: usize,
        /// Proposals in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Commit latency (p50/p99) of two parties' node processes committing at a fixed rate
    /// while stranger libp2p identities and idle HTTP connections besiege the sequencer's
    /// node (target: p99 under 50 ms at 100/s with 1,000 of each); `/health` is asked every
    /// second. Needs `ulimit -n` of about strangers + idle + 1,000.
    Siege {
        /// Stranger identities that connect over libp2p.
        #[arg(long, default_value_t = 1000)]
        strangers: usize,
        /// Idle HTTP connections held open (each reopened when the node closes it).
        #[arg(long, default_value_t = 1000)]
        idle_http: usize,
        /// Entries per second committed.
        #[arg(long, default_value_t = 100)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Orders the entries are spread over.
        #[arg(long, default_value_t = 4)]
        orders: usize,
    },
    /// Webhook delivery latency from commit to receipt (p50/p99) at a fixed entry rate: a
    /// seller's and a buyer's node and a receiver checking signatures, in this process.
    Webhooks {
        /// Entries per second submitted.
        #[arg(long, default_value_t = 500)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Orders the entries are spread over.
        #[arg(long, default_value_t = 64)]
        orders: usize,
    },
    /// EPCIS ingest throughput: capture documents POSTed to a seller's node's
    /// `/ingest/epcis` (one in flight per order), events/s into committed entries co-signed
    /// with a buyer's node, both in this process.
    Ingest {
        #[arg(long, default_value_t = 32)]
        orders: usize,
        /// Documents sent per order.
        #[arg(long, default_value_t = 10)]
        documents: usize,
        /// Events per document.
        #[arg(long, default_value_t = 20)]
        events: usize,
    },
    /// How fast a sequencer's queue drains: facts queued while a buyer's node is away, then
    /// committed once it returns (facts/s), both nodes in this process.
    Drain {
        /// Facts queued.
        #[arg(long, default_value_t = 1000)]
        facts: u64,
    },
}

#[derive(Debug, Args)]
pub struct BenchStartArgs {
    /// Where the store is built (once: later runs start on it again).
    #[arg(long)]
    pub dir: PathBuf,
    /// Closed orders in the store.
    #[arg(long, default_value_t = 100_000)]
    pub closed: u64,
    /// Open orders in the store.
    #[arg(long, default_value_t = 100)]
    pub open: u64,
    /// Entries per order (the genesis, facts and, for a closed order, its close).
    #[arg(long, default_value_t = 10)]
    pub entries_per_order: u64,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Run seeds `--first-seed` .. `--first-seed + --seeds`.
    #[arg(long, default_value_t = 1000)]
    pub seeds: u64,
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    /// Random steps per run before the final heal.
    #[arg(long, default_value_t = 500)]
    pub steps: u64,
    /// The sequencer signs a second body after each commit (it must always be convicted), and
    /// the carrier's node signs garbage, withholds answers, signs other bodies and forges.
    #[arg(long)]
    pub byzantine: bool,
    /// Parties of the simulated order: the seller (sequencer), a buyer, a carrier, then more
    /// buyers and carriers (2 to 7).
    #[arg(long, default_value_t = 3)]
    pub parties: usize,
    /// Print progress to stderr every this many seeds (0: never).
    #[arg(long, default_value_t = 100)]
    pub progress: u64,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Orders running in parallel.
    #[arg(long, default_value_t = 256)]
    pub orders: usize,
    /// Seconds of full load before the measured window.
    #[arg(long, default_value_t = 3)]
    pub warmup_seconds: u64,
    /// Seconds of measured full load.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Entries per second offered in the paced phase (0 skips it).
    #[arg(long, default_value_t = 1000)]
    pub paced_rate: u64,
    /// Seconds of the paced phase.
    #[arg(long, default_value_t = 5)]
    pub paced_seconds: u64,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The configuration file written by `pactum-node init` (default: ./pactum-node.toml,
    /// else ~/.config/pactum/pactum-node.toml). Any key can be overridden by a `PACTUM_…`
    /// environment variable, e.g. PACTUM_HTTP_BIND.
    #[arg(long, env = "PACTUM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log lines as readable text or as one JSON object per line.
    #[arg(long, value_enum, default_value_t)]
    pub log_format: crate::runner::LogFormat,
}

/// How a client command reaches the node.
#[derive(Debug, Args, Clone)]
pub struct NodeArgs {
    /// The node's configuration file (gives the URL and the token); default
    /// ./pactum-node.toml, else ~/.config/pactum/pactum-node.toml.
    #[arg(long, global = false, env = "PACTUM_CONFIG")]
    pub config: Option<PathBuf>,
    /// The node's HTTP API, e.g. http://127.0.0.1:7300.
    #[arg(long)]
    pub url: Option<String>,
    /// Bearer token for writes.
    #[arg(long, env = "PACTUM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM CA certificates to trust when the node speaks HTTPS (default: the system's CAs).
    #[arg(long, env = "PACTUM_CA_FILE")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EventArgs {
    #[command(flatten)]
    pub node: NodeArgs,
    pub order: String,
    /// A signed event: the file holding its canonical CBOR (as written by an attester).
    #[arg(long, conflicts_with_all = ["kind", "at", "field"])]
    pub signed: Option<PathBuf>,
    /// Event kind, e.g. shipment.eta_updated (the node signs it with its party key).
    #[arg(long, requires = "at")]
    pub kind: Option<String>,
    /// Event time, RFC 3339 UTC.
    #[arg(long)]
    pub at: Option<String>,
    /// A field as name=value, values written as in scenario files (repeatable).
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub field: Vec<String>,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "error: {}",
                contract_lang::untrusted::escape_lines(&format!("{error:#}"))
            );
            ExitCode::FAILURE
        }
    }
}

/// Runs one command line given as its words (the program's name first), as `main` does but
/// returning the error: for tests that drive real nodes through the CLI in-process.
pub fn run_args<I, T>(args: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    run(Cli::try_parse_from(args)?)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => init(args),
        Command::Run(args) => {
            let config = args
                .config
                .or_else(config::default_config_path)
                .ok_or_else(|| anyhow::anyhow!("say which configuration: --config FILE"))?;
            crate::runner::run_from_config(&config, args.log_format)
        }
        Command::Demo(args) => demo(args),
        Command::WebhookReceiver(args) => webhook_receiver(args),
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics on a failed write (a closed pipe).
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "pactum-node", &mut script);
            std::io::Write::write_all(&mut std::io::stdout(), &script)?;
            Ok(())
        }
        Command::Man { out } => write_man_pages(&out),
        Command::Bench(args) => {
            let report = crate::bench::run(&crate::bench::BenchOptions {
                orders: args.orders,
                warmup: std::time::Duration::from_secs(args.warmup_seconds),
                duration: std::time::Duration::from_secs(args.seconds.max(1)),
                paced_rate: args.paced_rate,
                paced_duration: std::time::Duration::from_secs(args.paced_seconds.max(1)),
                progress: true,
            })?;
            print!("{}", crate::bench::render(&report));
            Ok(())
        }
        Command::BenchStart(args) => {
            let options = crate::start_bench::StartOptions {
                dir: args.dir,
                closed: args.closed,
                open: args.open,
                entries_per_order: args.entries_per_order.max(2),
            };
            let runtime = tokio::runtime::Runtime::new()?;
            let report = runtime.block_on(crate::start_bench::run(&options))?;
            print!("{}", crate::start_bench::render(&options, &report));
            Ok(())
        }
        Command::Simulate(args) => simulate(args),
        Command::Load(command) => load(command),
        Command::Fsck(args) => fsck(args),
        Command::Restore { backup, config } => restore(&backup, &config),
        other => client_commands::run(other),
    }
}

fn restore(backup: &std::path::Path, config: &std::path::Path) -> anyhow::Result<()> {
    let settings = config::Settings::load(config)?;
    let key = settings.signing_key()?.public_key();
    let store = std::sync::Arc::new(crate::durable::Store::open(backup).map_err(|error| {
        anyhow::anyhow!("cannot open the backup {}: {error}", backup.display())
    })?);
    let report = crate::fsck::check(&store, Some((key, settings.origin(&key))));
    print!("{}", report.render());
    if !report.is_clean() {
        anyhow::bail!(
            "the backup {} is not sound: nothing restored",
            backup.display()
        );
    }
    let pairs = store
        .backup_blocking(settings.data_dir.clone())
        .map_err(|error| anyhow::anyhow!("cannot restore: {error}"))?;
    println!(
        "restored {pairs} key-value pairs into {}",
        settings.data_dir.display()
    );
    Ok(())
}

fn fsck(args: FsckArgs) -> anyhow::Result<()> {
    let (dir, log_key) = match (&args.config, &args.dir) {
        (Some(config), _) => {
            let settings = config::Settings::load(config)?;
            let key = settings.signing_key()?.public_key();
            (
                settings.data_dir.clone(),
                Some((key, settings.origin(&key))),
            )
        }
        (None, Some(dir)) => (dir.clone(), None),
        (None, None) => anyhow::bail!("give --config or --dir"),
    };
    let report = crate::fsck::check_dir(&dir, log_key)
        .map_err(|error| anyhow::anyhow!("cannot open the store in {}: {error}", dir.display()))?;
    print!("{}", report.render());
    if !report.is_clean() {
        anyhow::bail!(
            "the store in {} has {}",
            dir.display(),
            contract_lang::render::english_count(report.problems.len(), ["problem", "problems"])
        );
    }
    Ok(())
}

fn load(command: LoadCommand) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let dir = tempfile::tempdir()?;
    match command {
        LoadCommand::Strangers {
            proposals,
            concurrency,
        } => {
            let options = crate::load::strangers::StrangersOptions {
                proposals,
                concurrency,
            };
            let report = crate::load::strangers::run(&exe, dir.path(), &options)?;
            print!("{}", report.render());
        }
        LoadCommand::Siege {
            strangers,
            idle_http,
            rate,
            seconds,
            orders,
        } => {
            let options = crate::load::siege::SiegeOptions {
                strangers,
                idle_http,
                rate,
                duration: std::time::Duration::from_secs(seconds),
                orders,
            };
            print!(
                "{}",
                crate::load::siege::run(&exe, dir.path(), &options)?.render()
            );
        }
        LoadCommand::Webhooks {
            rate,
            seconds,
            orders,
        } => {
            let options = crate::load::webhooks::WebhookLoadOptions {
                rate,
                duration: std::time::Duration::from_secs(seconds),
                orders,
            };
            print!("{}", crate::load::webhooks::run(&options)?.render());
        }
        LoadCommand::Ingest {
            orders,
            documents,
            events,
        } => {
            let options = crate::load::ingest::IngestLoadOptions {
                orders,
                documents,
                events_per_document: events,
            };
            print!("{}", crate::load::ingest::run(&options)?.render());
        }
        LoadCommand::Drain { facts } => {
            let options = crate::load::drain::DrainLoadOptions { facts };
            print!("{}", crate::load::drain::run(&options)?.render());
        }
    }
    Ok(())
}

/// `pactum-node.1` and `pactum-node-<command>.1` for every command.
fn write_man_pages(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let command = <Cli as clap::CommandFactory>::command();
    clap_mangen::generate_to(command, dir)
        .map_err(|error| anyhow::anyhow!("cannot write man pages to {}: {error}", dir.display()))?;
    println!("man pages written to {}", dir.display());
    Ok(())
}

fn webhook_receiver(args: WebhookReceiverArgs) -> anyhow::Result<()> {
    use crate::events::receiver::{Delivery, Receiver};
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let print = |delivery: &Delivery| {
            let line = serde_json::json!({
                "delivery": delivery.delivery,
                "kind": delivery.kind,
                "signature": if delivery.signature_valid { "valid" } else { "INVALID" },
                "body": delivery.json(),
            });
            println!("{line}");
        };
        let receiver = Receiver::start_with(args.bind, &args.secret, Some(Box::new(print)))
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", args.bind))?;
        eprintln!("receiving webhooks at {} (Ctrl-C to stop)", receiver.url());
        tokio::signal::ctrl_c().await?;
        receiver.stop().await;
        anyhow::Ok(())
    })
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut total = crate::sim::SimReport::default();
    let last = args.first_seed.saturating_add(args.seeds);
    let mut runs = 0u64;
    for seed in args.first_seed..last {
        let report = crate::sim::run(crate::sim::SimConfig {
            seed,
            steps: args.steps,
            byzantine_sequencer: args.byzantine,
            byzantine_cosigner: args.byzantine,
            parties: args.parties,
            ..Default::default()
        })?;
        total.add(&report);
        runs += 1;
        if args.progress > 0 && runs.is_multiple_of(args.progress) {
            eprintln!(
                "{runs}/{} seeds, {} steps, {} faults injected, {:.1} s",
                args.seeds,
                runs.saturating_mul(args.steps),
                total.faults(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "{runs} runs of {} steps, {} parties (seeds {}..{last}){}: every invariant held in {:.1} s\n{total}",
        args.steps,
        args.parties,
        args.first_seed,
        if args.byzantine {
            ", dishonest sequencer and cosigner"
        } else {
            ""
        },
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// A timeline language name.
fn parse_lang(name: &str) -> Result<verifier::timeline::Lang, String> {
    match name {
        "en" => Ok(verifier::timeline::Lang::En),
        "zh" => Ok(verifier::timeline::Lang::Zh),
        "de" => Ok(verifier::timeline::Lang::De),
        other => Err(format!("{other:?}: use en, zh or de")),
    }
}

fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let lang = parse_lang(&args.lang).map_err(|error| anyhow::anyhow!("--lang {error}"))?;
    let webhook = args.webhook.map(|url| crate::demo::DemoWebhook {
        url,
        secret: args.webhook_secret,
    });
    let options = crate::demo::DemoOptions {
        keep: args.keep,
        verbose: true,
        lang,
    };
    let report = crate::demo::run_with_webhook(&options, webhook.as_ref())?;
    println!(
        "\nDemo complete: {} entries verified, every party's node at the same head.",
        report.verified_entries
    );
    Ok(())
}

fn init(args: InitArgs) -> anyhow::Result<()> {
    let options = InitOptions {
        role: args.role,
        listen: args.listen,
        http_bind: args.http,
        checkpoint_batch_size: args.checkpoint_batch,
    };
    let done = config::init(&args.dir, &options)?;
    println!("created {}", done.config_path.display());
    println!("created {} (mode 0600)", done.key_path.display());
    println!(
        "party public key: {}",
        hex::encode(done.public_key.as_bytes())
    );
    println!("libp2p peer id:   {}", done.peer_id);
    println!();
    println!("Give the public key and the node's listen address to the other parties, add theirs");
    println!("under [[peers]] in the configuration, then start the node:");
    println!("  pactum-node run --config {}", done.config_path.display());
    Ok(())
}
