//! The checkpoint text (c2sp.org/tlog-checkpoint): a log's tree head as note text.
//!
//! ```text
//! <origin>
//! <tree size, decimal, no leading zeros>
//! <root hash, standard base64>
//! [<extension line>…]
//! ```
//!
//! Parsing is exact: the text [`Checkpoint::to_text`] prints is the only text that parses to a
//! given checkpoint, so a signature over one can be checked against the other.

use base64::Engine as _;

use super::{
    has_control_character, NoteError, MAX_EXTENSION_BYTES, MAX_EXTENSION_LINES, MAX_NAME_BYTES,
};
use crate::merkle::Hash;

/// Longest decimal tree size (`u64::MAX` has 20 digits).
const MAX_SIZE_DIGITS: usize = 20;

/// A log's signed tree head: which log, how many leaves, which root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, NoteError> {
        Self::with_extensions(origin, size, root, Vec::new())
    }

    /// A checkpoint with extension lines (NOT RECOMMENDED by C2SP: monitors cannot audit them).
    pub fn with_extensions(
        origin: &str,
        size: u64,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Self, NoteError> {
        check_origin(origin)?;
        if extensions.len() > MAX_EXTENSION_LINES {
            return Err(NoteError::TooManyExtensions);
        }
        for line in &extensions {
            check_extension(line)?;
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> &Hash {
        &self.root
    }

    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: every line ends with a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            base64::engine::general_purpose::STANDARD.encode(self.root)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a note text (as [`super::SignedNote::text`] returns it) as a checkpoint.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        if has_control_character(text) {
            return Err(NoteError::ControlCharacter);
        }
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::MissingFinalNewline)?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(NoteError::TooFewLines(lines.len()));
        };
        check_origin(origin)?;
        if extensions.len() > MAX_EXTENSION_LINES {
            return Err(NoteError::TooManyExtensions);
        }
        for line in extensions {
            check_extension(line)?;
        }
        Ok(Checkpoint {
            origin: (*origin).to_string(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions: extensions.iter().map(|line| (*line).to_string()).collect(),
        })
    }
}

fn check_origin(origin: &str) -> Result<(), NoteError> {
    if origin.is_empty() || origin.len() > MAX_NAME_BYTES || origin.chars().any(char::is_control) {
        return Err(NoteError::InvalidOrigin);
    }
    Ok(())
}

fn check_extension(line: &str) -> Result<(), NoteError> {
    if line.is_empty() || line.len() > MAX_EXTENSION_BYTES || line.chars().any(char::is_control) {
        return Err(NoteError::InvalidExtension);
    }
    Ok(())
}

/// ASCII digits only (`u64::from_str` would also take a leading '+'), no leading zeros.
fn parse_size(line: &str) -> Result<u64, NoteError> {
    let invalid = || NoteError::InvalidSize(line.chars().take(32).collect());
    let digits_only = !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || line.len() > MAX_SIZE_DIGITS || (line.len() > 1 && line.starts_with('0')) {
        return Err(invalid());
    }
    line.parse().map_err(|_| invalid())
}

/// Standard base64 with padding, canonical (the re-encoding must be the same line).
fn parse_root(line: &str) -> Result<Hash, NoteError> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let bytes = engine
        .decode(line)
        .map_err(|_| NoteError::InvalidRootHash)?;
    let root: Hash = bytes
        .as_slice()
        .try_into()
        .map_err(|_| NoteError::InvalidRootHash)?;
    if engine.encode(root) != line {
        return Err(NoteError::InvalidRootHash);
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn parses_and_prints_the_spec_example() {
        let checkpoint = Checkpoint::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(checkpoint.origin(), "example.com/behind-the-sofa");
        assert_eq!(checkpoint.size(), 20852163);
        assert_eq!(checkpoint.root()[..3], [0x0a, 0xc5, 0x18]);
        assert!(checkpoint.extensions().is_empty());
        assert_eq!(checkpoint.to_text(), SPEC_EXAMPLE);
    }

    #[test]
    fn extensions_round_trip() {
        let checkpoint =
            Checkpoint::with_extensions("log", 0, [0; 32], vec!["ext one".into(), "two".into()])
                .unwrap();
        let text = checkpoint.to_text();
        assert!(text.ends_with("=\next one\ntwo\n"));
        assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint);
    }

    /// Every malformed body, each with the error it must produce.
    #[test]
    fn malformed_bodies_are_rejected() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases: Vec<(String, NoteError)> = vec![
            ("log\n5\n".into(), NoteError::TooFewLines(2)),
            (format!("log\n5\n{root}"), NoteError::MissingFinalNewline),
            (format!("\n5\n{root}\n"), NoteError::InvalidOrigin),
            (
                format!("{}\n5\n{root}\n", "o".repeat(256)),
                NoteError::InvalidOrigin,
            ),
            (
                format!("log\n05\n{root}\n"),
                NoteError::InvalidSize("05".into()),
            ),
            (
                format!("log\n+5\n{root}\n"),
                NoteError::InvalidSize("+5".into()),
            ),
            (
                format!("log\n-1\n{root}\n"),
                NoteError::InvalidSize("-1".into()),
            ),
            (
                format!("log\n 5\n{root}\n"),
                NoteError::InvalidSize(" 5".into()),
            ),
            (
                format!("log\n\n{root}\n"),
                NoteError::InvalidSize("".into()),
            ),
            (
                format!("log\n18446744073709551616\n{root}\n"),
                NoteError::InvalidSize("18446744073709551616".into()),
            ),
            (
                format!("log\n1e3\n{root}\n"),
                NoteError::InvalidSize("1e3".into()),
            ),
            (
                "log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".into(),
                NoteError::InvalidRootHash,
            ),
            (
                "log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".into(),
                NoteError::InvalidRootHash,
            ),
            ("log\n5\nAAAA\n".into(), NoteError::InvalidRootHash),
            (
                "log\n5\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n".into(),
                NoteError::InvalidRootHash,
            ),
            (format!("log\n5\n{root}\n\n"), NoteError::InvalidExtension),
            (
                format!("log\n5\n{root}\n{}\n", "x".repeat(1025)),
                NoteError::InvalidExtension,
            ),
            (
                format!("log\n5\n{root}\n{}", "x\n".repeat(17)),
                NoteError::TooManyExtensions,
            ),
            (format!("log\r\n5\n{root}\n"), NoteError::ControlCharacter),
            (format!("log\n5\n{root}\n\t\n"), NoteError::ControlCharacter),
        ];
        for (text, error) in cases {
            assert_eq!(Checkpoint::parse(&text), Err(error), "{text:?}");
        }
        assert_eq!(
            Checkpoint::parse(&format!("log\n18446744073709551615\n{root}\n"))
                .unwrap()
                .size(),
            u64::MAX
        );
        assert_eq!(
            Checkpoint::parse(&format!("log\n0\n{root}\n"))
                .unwrap()
                .size(),
            0
        );
    }

    #[test]
    fn constructor_validates_like_the_parser() {
        assert_eq!(
            Checkpoint::new("", 1, [0; 32]),
            Err(NoteError::InvalidOrigin)
        );
        assert_eq!(
            Checkpoint::new("a\nb", 1, [0; 32]),
            Err(NoteError::InvalidOrigin)
        );
        assert_eq!(
            Checkpoint::with_extensions("log", 1, [0; 32], vec!["".into()]),
            Err(NoteError::InvalidExtension)
        );
        assert_eq!(
            Checkpoint::with_extensions("log", 1, [0; 32], vec!["a\nb".into()]),
            Err(NoteError::InvalidExtension)
        );
    }
}
