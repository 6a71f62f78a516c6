//! `pactum-verify`: verify an order's bundle on your own machine.
//!
//! ```text
//! pactum-verify BUNDLE --trust FILE [--state-dir DIR] [--head FILE]... [--lang en|zh|de] [--format text|json]
//! pactum-verify example-bundle -o FILE --trust-out FILE
//! pactum-verify equivocation A B [--contract FILE] [--out FILE] [--format text|json]
//! pactum-verify page BUNDLE --trust FILE [--lang en|zh|de] -o trail.html
//! ```
//!
//! Exit status: 0 valid, 1 invalid (the first failing step and entry are named), 2 usage or I/O,
//! 3 stale (valid, but a presented head names entries the bundle lacks).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use clap::{Parser, Subcommand, ValueEnum};
use contract_lang::untrusted::{escape, escape_json, escape_lines};
use verifier::bundle::build::{example, long_example};
use verifier::bundle::equivocation::find_in_bundles;
use verifier::bundle::{
    verify_bundle, Bundle, EquivocationProof, SignedHead, Source, TrustFile, VerifyOptions,
};
use verifier::model::{SignedContract, SignedEntry};
use verifier::timeline::{self, Lang};

#[derive(Parser)]
#[command(
    name = "pactum-verify",
    version,
    about = "Verify a Pactum order bundle: signatures, hash chain, replay of every amendment, circuit breaker, log inclusion and witness cosignatures",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The bundle to verify.
    #[arg(required = true)]
    bundle: Option<PathBuf>,
    #[command(flatten)]
    verify: VerifyArgs,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// Trust file (JSON or TOML): the log key, witness keys and quorum, pinned party keys.
    #[arg(long, value_name = "FILE")]
    trust: Option<PathBuf>,
    /// Remember the last checkpoint per log and the last entry per order here, and check
    /// that a later bundle only grew from them (step 8).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// A head of the order signed by one of its parties (`GET /orders/{id}/head` on any
    /// party's node); repeatable. A newer head makes the report STALE (step 9).
    #[arg(long = "head", value_name = "FILE")]
    heads: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "en")]
    lang: LangArg,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Worker threads for decoding and signatures (0: every core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Write the evolution-trail page: one HTML file that verifies BUNDLE in the browser
    /// (offline, from file://) with this verifier compiled to WebAssembly, and shows the verdict,
    /// the order, the timeline and a picture of the terms over time. The exit status is this
    /// command's own verdict on the bundle.
    Page {
        bundle: PathBuf,
        /// Trust file (JSON or TOML), embedded in the page.
        #[arg(long, value_name = "FILE")]
        trust: PathBuf,
        /// The language the page opens in (it can switch inside the page).
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Write the air-freight example bundle and a trust file that accepts it.
    ExampleBundle {
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        #[arg(long, value_name = "FILE")]
        trust_out: PathBuf,
        /// Instead, a long history of this many entries (for measuring verification).
        #[arg(long, value_name = "N")]
        entries: Option<usize>,
    },
    /// Impact of a clause change on an order's history: OLD (the clause file the order runs)
    /// and NEW compared as compiled IR, as `pactum-clause diff` does, then the history of the
    /// bundle (verified first) replayed with NEW in OLD's place: every past entry that would
    /// have come out differently, before → after. Exit 1 when any would have.
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// The order's bundle.
        #[arg(long, value_name = "BUNDLE")]
        history: PathBuf,
        /// Trust file (JSON or TOML) the bundle is verified against first.
        #[arg(long, value_name = "FILE")]
        trust: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Check two bundles (or two signed entries) for an equivocation by the sequencer.
    Equivocation {
        first: PathBuf,
        second: PathBuf,
        /// With signed entry files: a bundle or signed contract naming the sequencer's key.
        #[arg(long, value_name = "FILE")]
        contract: Option<PathBuf>,
        /// Write the proof (canonical CBOR) here when one is found.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Zh,
    De,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
            LangArg::De => Lang::De,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// A run's result: a verdict (valid or not) or a usage / I/O failure.
enum Verdict {
    Valid,
    Invalid,
    Stale,
    /// `diff`: some past entry would have come out differently.
    Differs,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Some(Command::ExampleBundle {
            output,
            trust_out,
            entries,
        }) => write_example(&output, &trust_out, entries),
        Some(Command::Page {
            bundle,
            trust,
            lang,
            output,
        }) => write_page(&bundle, &trust, lang.into(), &output),
        Some(Command::Diff {
            old,
            new,
            history,
            trust,
            format,
        }) => diff(&old, &new, &history, &trust, format),
        Some(Command::Equivocation {
            first,
            second,
            contract,
            out,
            format,
        }) => equivocation(&first, &second, contract.as_deref(), out.as_deref(), format),
        None => match cli.bundle {
            Some(bundle) => verify(&bundle, &cli.verify),
            None => Err(anyhow!("no bundle given")),
        },
    };
    match result {
        Ok(Verdict::Valid) => ExitCode::SUCCESS,
        Ok(Verdict::Invalid | Verdict::Differs) => ExitCode::from(1),
        Ok(Verdict::Stale) => ExitCode::from(3),
        Err(error) => {
            eprintln!("pactum-verify: {}", escape_lines(&format!("{error:#}")));
            ExitCode::from(2)
        }
    }
}

/// Prints a text report. Its lines were built with every value escaped; this last pass makes
/// sure no control or bidirectional character reaches the terminal raw whatever the path.
fn print_text(text: &str) {
    print!("{}", escape_lines(text));
}

/// Prints a JSON document, with control and bidirectional characters as JSON escapes.
fn print_json(value: &serde_json::Value) {
    println!("{}", escape_json(&value.to_string()));
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The trust policy in a trust file.
fn load_trust(path: &Path) -> anyhow::Result<verifier::bundle::Trust> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    TrustFile::parse(&text)
        .and_then(|file| file.trust())
        .with_context(|| format!("{}", path.display()))
}

/// `diff OLD NEW --history BUNDLE`: the clause change, then the verified history replayed
/// under NEW (`verifier::impact::diff_history`, which `pactum-clause diff --history` runs too).
fn diff(
    old: &Path,
    new: &Path,
    bundle: &Path,
    trust: &Path,
    format: Format,
) -> anyhow::Result<Verdict> {
    let trust = load_trust(trust)?;
    let bytes = read(bundle)?;
    let file = |path: &Path| -> anyhow::Result<Source> {
        Ok(Source {
            name: path.display().to_string(),
            text: std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        })
    };
    let analysis = verifier::impact::diff_history(&file(old)?, &file(new)?, &bytes, &trust)
        .with_context(|| format!("{}", bundle.display()))?;
    match format {
        Format::Text => print_text(&analysis.render()),
        Format::Json => print_json(&analysis.json()),
    }
    Ok(if analysis.differs() {
        Verdict::Differs
    } else {
        Verdict::Valid
    })
}

fn verify(bundle: &Path, args: &VerifyArgs) -> anyhow::Result<Verdict> {
    let trust_path = args
        .trust
        .as_ref()
        .ok_or_else(|| anyhow!("--trust FILE is required to verify a bundle"))?;
    let trust = load_trust(trust_path)?;
    let bytes = read(bundle)?;
    let mut heads = Vec::with_capacity(args.heads.len());
    for path in &args.heads {
        heads.push(
            SignedHead::from_bytes(&read(path)?)
                .map_err(|error| anyhow!("{}: not a signed head: {error}", path.display()))?,
        );
    }
    let remembered = match &args.state_dir {
        Some(dir) => Some(
            state_files::load(dir).with_context(|| format!("state directory {}", dir.display()))?,
        ),
        None => None,
    };
    let options = VerifyOptions {
        remembered: remembered.clone(),
        heads,
        threads: args.threads,
    };
    let lang = Lang::from(args.lang);
    match verify_bundle(&bytes, &trust, &options) {
        Ok(report) => {
            if let (Some(dir), Some(before), Some(after)) =
                (&args.state_dir, &remembered, &report.remember)
            {
                state_files::save(dir, before, after)
                    .with_context(|| format!("state directory {}", dir.display()))?;
            }
            match args.format {
                Format::Text => print_text(&timeline::render_report(&report, lang)),
                Format::Json => print_json(&timeline::report_json(&report, lang)),
            }
            Ok(if report.freshness.is_stale() {
                Verdict::Stale
            } else {
                Verdict::Valid
            })
        }
        Err(error) => {
            match args.format {
                Format::Text => print_text(&timeline::render_error(&error, lang)),
                Format::Json => print_json(&timeline::error_json(&error, lang)),
            }
            Ok(Verdict::Invalid)
        }
    }
}

fn write_page(bundle: &Path, trust: &Path, lang: Lang, output: &Path) -> anyhow::Result<Verdict> {
    let trust_text = std::fs::read_to_string(trust)
        .with_context(|| format!("cannot read {}", trust.display()))?;
    let trust_policy = TrustFile::parse(&trust_text)
        .and_then(|file| file.trust())
        .with_context(|| format!("{}", trust.display()))?;
    let bytes = read(bundle)?;
    let html = verifier::page::html(&bytes, &trust_text, lang);
    std::fs::write(output, &html).with_context(|| format!("cannot write {}", output.display()))?;
    // The page verifies in the browser; this is the command's own verdict, for its exit status.
    let options = VerifyOptions::default();
    let verdict = match verify_bundle(&bytes, &trust_policy, &options) {
        Ok(report) => {
            eprintln!(
                "wrote {} ({} bytes): VALID, {} entries",
                output.display(),
                html.len(),
                report.entries.len()
            );
            Verdict::Valid
        }
        Err(error) => {
            eprintln!(
                "wrote {} ({} bytes): INVALID, step {}",
                output.display(),
                html.len(),
                error.step()
            );
            Verdict::Invalid
        }
    };
    Ok(verdict)
}

fn write_example(
    output: &Path,
    trust_out: &Path,
    entries: Option<usize>,
) -> anyhow::Result<Verdict> {
    let example = match entries {
        None => example(),
        Some(count) => {
            let threads = std::thread::available_parallelism().map_or(1, usize::from);
            long_example(count, threads)
        }
    }
    .map_err(|error| anyhow!("building the example: {error}"))?;
    std::fs::write(output, &example.bytes)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let trust = TrustFile::from_trust(&example.trust);
    let text = if trust_out.extension().is_some_and(|ext| ext == "json") {
        trust.to_json()
    } else {
        trust.to_toml()
    }
    .map_err(|error| anyhow!("{error}"))?;
    std::fs::write(trust_out, text)
        .with_context(|| format!("cannot write {}", trust_out.display()))?;
    eprintln!(
        "wrote {} ({} entries, {} bytes) and {}",
        output.display(),
        example.bundle.entry_lengths.len(),
        example.bytes.len(),
        trust_out.display()
    );
    Ok(Verdict::Valid)
}

fn equivocation(
    first: &Path,
    second: &Path,
    contract: Option<&Path>,
    out: Option<&Path>,
    format: Format,
) -> anyhow::Result<Verdict> {
    let (a, b) = (read(first)?, read(second)?);
    let found = match (Bundle::from_bytes(&a), Bundle::from_bytes(&b)) {
        (Ok(a), Ok(b)) => find_in_bundles(&a, &b).map_err(|error| anyhow!("{error}"))?,
        _ => {
            let entry = |bytes: &[u8], path: &Path| {
                SignedEntry::from_bytes(bytes).map_err(|error| {
                    anyhow!(
                        "{} is neither a bundle nor a signed entry: {error}",
                        path.display()
                    )
                })
            };
            let contract_path =
                contract.ok_or_else(|| anyhow!("--contract FILE is needed with signed entries"))?;
            let contract_bytes = read(contract_path)?;
            let contract = match Bundle::from_bytes(&contract_bytes) {
                Ok(bundle) => bundle.contract,
                Err(_) => SignedContract::from_bytes(&contract_bytes)
                    .map_err(|error| anyhow!("{}: {error}", contract_path.display()))?,
            };
            let proof = EquivocationProof {
                contract,
                first: entry(&a, first)?,
                second: entry(&b, second)?,
            };
            proof.check().is_ok().then_some(proof)
        }
    };
    let Some(proof) = found else {
        match format {
            Format::Text => println!("no equivocation: the two histories do not conflict"),
            Format::Json => print_json(&serde_json::json!({ "equivocation": false })),
        }
        return Ok(Verdict::Valid);
    };
    let facts = proof.check().map_err(|error| anyhow!("{error}"))?;
    if let Some(out) = out {
        let bytes = proof.to_bytes().map_err(|error| anyhow!("{error}"))?;
        std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    }
    match format {
        Format::Text => print_text(&format!(
            "EQUIVOCATION: the sequencer `{}` signed two different entries at position {} of order {}\n  first:  {}\n  second: {}\n",
            escape(&facts.sequencer), facts.seq, facts.order, facts.first, facts.second
        )),
        Format::Json => print_json(
            &serde_json::json!({
                "equivocation": true,
                "order": facts.order.to_string(),
                "seq": facts.seq,
                "sequencer": facts.sequencer,
                "first": facts.first.to_string(),
                "second": facts.second.to_string(),
            })
        ),
    }
    Ok(Verdict::Invalid)
}

/// `--state-dir DIR`: the files behind [`Remembered`] (the library only computes). One
/// `<digest of the origin>.checkpoint` per log origin holding its signed note, one
/// `<order id>.head` per order holding `SEQ ENTRY-HASH`. Each is replaced atomically (a
/// temporary file renamed over it), so an interrupted run leaves the previous state.
mod state_files {
    use std::fs;
    use std::path::{Path, PathBuf};

    use anyhow::{anyhow, Context as _};
    use verifier::bundle::{Remembered, RememberedHead};
    use verifier::checkpoint::{Checkpoint, SignedNote};
    use verifier::model::Digest;

    fn checkpoint_path(dir: &Path, origin: &str) -> PathBuf {
        let digest = Digest::of(origin.as_bytes()).to_string();
        dir.join(format!("{}.checkpoint", &digest[..32]))
    }

    fn head_path(dir: &Path, order: &Digest) -> PathBuf {
        dir.join(format!("{order}.head"))
    }

    pub fn load(dir: &Path) -> anyhow::Result<Remembered> {
        let mut remembered = Remembered::default();
        let listing = match fs::read_dir(dir) {
            Ok(listing) => listing,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(remembered),
            Err(error) => return Err(error).with_context(|| format!("{}", dir.display())),
        };
        for item in listing {
            let path = item.with_context(|| format!("{}", dir.display()))?.path();
            let unreadable = || format!("{} is unreadable", path.display());
            match path.extension().and_then(|ext| ext.to_str()) {
                Some("checkpoint") => {
                    let note = fs::read_to_string(&path).with_context(unreadable)?;
                    let checkpoint = SignedNote::parse(&note)
                        .and_then(|parsed| Checkpoint::parse(parsed.text()))
                        .map_err(|error| anyhow!("{}: {error}", path.display()))?;
                    remembered
                        .checkpoints
                        .insert(checkpoint.origin().to_string(), note);
                }
                Some("head") => {
                    let order = path
                        .file_stem()
                        .and_then(|stem| stem.to_str())
                        .and_then(Digest::from_hex)
                        .ok_or_else(|| anyhow!("{}: not named by an order id", path.display()))?;
                    let text = fs::read_to_string(&path).with_context(unreadable)?;
                    let mut words = text.split_whitespace();
                    let seq = words.next().and_then(|word| word.parse().ok());
                    let entry = words.next().and_then(Digest::from_hex);
                    let (Some(seq), Some(entry)) = (seq, entry) else {
                        return Err(anyhow!("{}: expected `SEQ ENTRY-HASH`", path.display()));
                    };
                    remembered
                        .heads
                        .insert(order, RememberedHead { seq, entry });
                }
                _ => {}
            }
        }
        Ok(remembered)
    }

    pub fn save(dir: &Path, before: &Remembered, after: &Remembered) -> anyhow::Result<()> {
        fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
        for (origin, note) in &after.checkpoints {
            if before.checkpoints.get(origin) != Some(note) {
                replace(&checkpoint_path(dir, origin), note)?;
            }
        }
        for (order, head) in &after.heads {
            if before.heads.get(order) != Some(head) {
                replace(
                    &head_path(dir, order),
                    &format!("{} {}\n", head.seq, head.entry),
                )?;
            }
        }
        Ok(())
    }

    fn replace(path: &Path, text: &str) -> anyhow::Result<()> {
        let temporary = path.with_extension("tmp");
        fs::write(&temporary, text).with_context(|| format!("{}", temporary.display()))?;
        fs::rename(&temporary, path).with_context(|| format!("{}", path.display()))
    }
}
