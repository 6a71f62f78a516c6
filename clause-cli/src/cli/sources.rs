//! Where the CLI's inputs come from: files named on the command line, or the embedded clause
//! library when none are named. The vocabulary is always the first source.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use contract_lang::compile::SourceInput;

/// One source text with the name diagnostics show for it.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
    /// The file it was read from; `None` for embedded library files.
    pub path: Option<PathBuf>,
}

impl Source {
    pub fn read(path: &Path) -> Result<Source> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Source {
            name: path.display().to_string(),
            text,
            path: Some(path.to_path_buf()),
        })
    }

    pub fn embedded(name: &str, text: &str) -> Source {
        Source {
            name: format!("<library>/{name}"),
            text: text.to_string(),
            path: None,
        }
    }

    /// The name and text as the compiler takes them.
    pub fn input(&self) -> SourceInput {
        SourceInput {
            name: self.name.clone(),
            text: self.text.clone(),
        }
    }
}

/// A file of the embedded clause library by its library path: how scenarios run on the
/// library load the clauses they name.
pub fn library_file(path: &str) -> Result<String, String> {
    pactum_clause_library::file(path)
        .map(str::to_string)
        .ok_or_else(|| "not a file of the embedded clause library".to_string())
}

/// The vocabulary: `--vocab FILE`, or the embedded standard vocabulary.
pub fn vocabulary(vocab: Option<&Path>) -> Result<Source> {
    match vocab {
        Some(path) => Source::read(path),
        None => Ok(Source::embedded(
            pactum_clause_library::VOCABULARY_FILE,
            pactum_clause_library::VOCABULARY,
        )),
    }
}

/// The clause files named, or every clause of the embedded library.
pub fn clauses(files: &[PathBuf]) -> Result<Vec<Source>> {
    if files.is_empty() {
        return Ok(pactum_clause_library::CLAUSES
            .iter()
            .map(|(name, text)| Source::embedded(name, text))
            .collect());
    }
    files.iter().map(|path| Source::read(path)).collect()
}

/// The vocabulary followed by the clauses: what `check`, `compile`, `id` and `render` compile.
pub fn program(vocab: Option<&Path>, files: &[PathBuf]) -> Result<Vec<Source>> {
    let mut sources = vec![vocabulary(vocab)?];
    sources.extend(clauses(files)?);
    Ok(sources)
}
