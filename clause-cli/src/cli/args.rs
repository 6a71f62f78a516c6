//! Command-line arguments of `pactum-clause` (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "pactum-clause",
    version,
    about = "Check, format, test, render and compile Pactum clauses",
    long_about = "Check, format, test, render and compile Pactum clauses.\n\n\
        Without FILES a command works on the embedded standard clause library. The standard \
        vocabulary is always loaded; --vocab replaces it.\n\n\
        Exit codes: 0 fine, 1 findings or failed scenarios, 2 usage or I/O error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Output for people (coloured when stdout is a terminal) or JSON for tools.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    pub format: Format,
    /// Vocabulary file replacing the embedded standard vocabulary.
    #[arg(long, value_name = "FILE", global = true)]
    pub vocab: Option<PathBuf>,
    /// Colour: auto (when stdout is a terminal), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    En,
    Zh,
    De,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and type-check clause files against the vocabulary.
    Check(FilesArgs),
    /// Format clause files in place (idempotent); --check only reports.
    Fmt {
        /// Do not write: list the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        files: FilesArgs,
    },
    /// Run scenario files (default: the embedded library's scenarios).
    Test {
        /// Scenario files (TOML).
        scenarios: Vec<PathBuf>,
        /// Run only scenarios whose name contains this text.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Render compiled clauses as natural-language text.
    Render {
        #[arg(long, value_enum, default_value_t = Lang::En)]
        lang: Lang,
        #[command(flatten)]
        files: FilesArgs,
    },
    /// Compile clauses and write their canonical CBOR to OUT.
    Compile {
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        #[command(flatten)]
        files: FilesArgs,
    },
    /// Print each clause's name and id (SHA-256 of its canonical IR).
    Id(FilesArgs),
    /// Run one event against a state and print the evaluation trace.
    Explain(ExplainArgs),
    /// Check, test and render the embedded clause library (no arguments needed).
    Demo,
    /// What changing clauses OLD into NEW changes: the IR (rules, thresholds, params,
    /// actions), which scenarios' outcomes (before → after) and, with `--history`, which past
    /// entries of an order would have come out differently. Exit 1 when any differ.
    Diff {
        /// The clause file as it is.
        old: PathBuf,
        /// The clause file as proposed.
        new: PathBuf,
        /// Directory of scenario files (default: the embedded library's scenarios). A
        /// scenario's clause file that declares a clause of OLD/NEW is read as OLD/NEW.
        #[arg(long, value_name = "DIR")]
        scenarios: Option<PathBuf>,
        /// An order's bundle (running OLD): verified, then its history replayed with NEW in
        /// OLD's place, listing every past entry that would have come out differently.
        #[arg(long, value_name = "BUNDLE", requires = "trust")]
        history: Option<PathBuf>,
        /// The trust file (JSON or TOML) the `--history` bundle is verified against.
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct FilesArgs {
    /// Clause files (default: the embedded clause library).
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct ExplainArgs {
    /// The event: a TOML file, or inline TOML such as
    /// 'kind = "shipment.delivered"  at = "2026-03-02T00:00:00Z"  fields = { received_by = "DC" }'.
    #[arg(long, value_name = "FILE|TOML")]
    pub event: String,
    /// The state: a TOML file (or inline TOML) with `jurisdiction`, `[terms]`, `[params.CLAUSE]`,
    /// `[[facts]]` (earlier events) and optionally `inactive = [clause names]`.
    #[arg(long, value_name = "FILE|TOML")]
    pub state: String,
    /// Clause files (default: the embedded clause library).
    pub files: Vec<PathBuf>,
}
