//! Signed notes (c2sp.org/signed-note): parsing and printing.
//!
//! ```text
//! <text, ending in a newline>
//! <blank line>
//! — <key name> <base64(4-byte big-endian key ID || signature)>
//! …
//! ```
//!
//! The text is separated from the signatures by the last blank line. Parsing is strict and
//! bounded (size, number of lines, lengths, canonical base64), never panics, and round-trips:
//! [`SignedNote::to_text`] prints exactly the bytes that were parsed. Checking signatures is
//! the business of [`super::witness`].

use base64::Engine as _;

use super::{
    check_key_name, has_control_character, NoteError, MAX_NOTE_BYTES, MAX_SIGNATURES,
    MAX_SIGNATURE_BASE64,
};

/// Every signature line starts with an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// One signature line: who signed (name and key ID) and the signature bytes, unverified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_id: u32,
    signature: Vec<u8>,
}

impl NoteSignature {
    /// A signature line; `signature` is what follows the key ID (for a cosignature, the
    /// 8-byte timestamp and the Ed25519 signature).
    pub fn new(name: &str, key_id: u32, signature: Vec<u8>) -> Result<Self, NoteError> {
        check_key_name(name)?;
        if signature.is_empty() {
            return Err(NoteError::MalformedSignatureLine(0));
        }
        Ok(NoteSignature {
            name: name.to_string(),
            key_id,
            signature,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The line, without its final newline.
    pub fn to_line(&self) -> String {
        let mut blob = Vec::with_capacity(4 + self.signature.len());
        blob.extend_from_slice(&self.key_id.to_be_bytes());
        blob.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}",
            self.name,
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }

    /// Parses one line (without its newline); `number` (1-based) names it in errors.
    fn parse_line(line: &str, number: usize) -> Result<Self, NoteError> {
        let malformed = NoteError::MalformedSignatureLine(number);
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(malformed.clone())?;
        let (name, encoded) = rest.split_once(' ').ok_or(malformed.clone())?;
        check_key_name(name)?;
        if encoded.is_empty() || encoded.len() > MAX_SIGNATURE_BASE64 || encoded.contains(' ') {
            return Err(malformed);
        }
        let engine = &base64::engine::general_purpose::STANDARD;
        let blob = engine.decode(encoded).map_err(|_| malformed.clone())?;
        if engine.encode(&blob) != encoded {
            return Err(malformed);
        }
        match blob.as_slice() {
            [a, b, c, d, signature @ ..] if !signature.is_empty() => Ok(NoteSignature {
                name: name.to_string(),
                key_id: u32::from_be_bytes([*a, *b, *c, *d]),
                signature: signature.to_vec(),
            }),
            _ => Err(malformed),
        }
    }
}

/// A note text with its signature lines, unverified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// A note from its text and at least one signature.
    pub fn new(text: &str, signatures: Vec<NoteSignature>) -> Result<Self, NoteError> {
        check_text(text)?;
        if signatures.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        if signatures.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures(signatures.len()));
        }
        Ok(SignedNote {
            text: text.to_string(),
            signatures,
        })
    }

    /// Parses a signed note from bytes that must be UTF-8.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge(bytes.len()));
        }
        Self::parse(std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?)
    }

    /// Parses a signed note.
    pub fn parse(input: &str) -> Result<Self, NoteError> {
        if input.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge(input.len()));
        }
        if has_control_character(input) {
            return Err(NoteError::ControlCharacter);
        }
        if !input.ends_with('\n') {
            return Err(NoteError::MissingFinalNewline);
        }
        let split = input.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let (text, block) = (&input[..=split], &input[split + 2..]);
        if block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        // The block ends with a newline (the input does) and holds no blank line (the split
        // was at the last one), so every line is non-empty.
        let lines: Vec<&str> = block
            .strip_suffix('\n')
            .unwrap_or(block)
            .split('\n')
            .collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures(lines.len()));
        }
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(index, line)| NoteSignature::parse_line(line, index + 1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignedNote {
            text: text.to_string(),
            signatures,
        })
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line (e.g. a witness's cosignature).
    pub fn push_signature(&mut self, signature: NoteSignature) -> Result<(), NoteError> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures(self.signatures.len() + 1));
        }
        self.signatures.push(signature);
        Ok(())
    }

    /// The note as text: exactly the bytes [`SignedNote::parse`] read, for a parsed note.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for signature in &self.signatures {
            out.push_str(&signature.to_line());
            out.push('\n');
        }
        out
    }
}

/// A note text: non-empty, newline-terminated, no control characters, and not so long that
/// the signed note would exceed the size limit.
pub(crate) fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty()
        || !text.ends_with('\n')
        || has_control_character(text)
        || text.len() > MAX_NOTE_BYTES / 2
    {
        return Err(NoteError::InvalidText);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_NOTE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

    #[test]
    fn parses_the_spec_example_and_prints_it_back() {
        let note = SignedNote::parse(SPEC_NOTE).unwrap();
        assert_eq!(
            note.text(),
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
        assert_eq!(note.signatures().len(), 1);
        let signature = &note.signatures()[0];
        assert_eq!(signature.name(), "example.com/behind-the-sofa");
        assert_eq!(signature.key_id(), 0x033de0ae);
        assert_eq!(signature.signature().len(), 64);
        assert_eq!(note.to_text(), SPEC_NOTE);
        assert_eq!(SignedNote::parse_bytes(SPEC_NOTE.as_bytes()), Ok(note));
    }

    #[test]
    fn text_may_hold_blank_lines_and_the_last_one_splits() {
        let input = "a\n\nb\n\n\u{2014} k AAAAAAE=\n";
        let note = SignedNote::parse(input).unwrap();
        assert_eq!(note.text(), "a\n\nb\n");
        assert_eq!(note.to_text(), input);
    }

    /// Each malformed note with the error it must produce.
    #[test]
    fn malformed_notes_are_rejected() {
        let sig = "\u{2014} k AAAAAAE=";
        let cases: Vec<(String, NoteError)> = vec![
            (format!("t\n\n{sig}"), NoteError::MissingFinalNewline),
            (format!("t\n{sig}\n"), NoteError::NoSignatureBlock),
            ("t\n\n".to_string(), NoteError::NoSignatures),
            (format!("t\r\n\n{sig}\n"), NoteError::ControlCharacter),
            (format!("t\0\n\n{sig}\n"), NoteError::ControlCharacter),
            (format!("t\n\n{sig}\t\n"), NoteError::ControlCharacter),
            (
                "t\n\n- k AAAAAAE=\n".to_string(),
                NoteError::MalformedSignatureLine(1),
            ),
            (
                format!("t\n\n{sig}\n\u{2014}k AAAAAAE=\n"),
                NoteError::MalformedSignatureLine(2),
            ),
            (
                format!("t\n\n{sig}\n\u{2014} k\n"),
                NoteError::MalformedSignatureLine(2),
            ),
            (
                "t\n\n\u{2014} k AAAAAAE= \n".to_string(),
                NoteError::MalformedSignatureLine(1),
            ),
            (
                "t\n\n\u{2014} k  AAAAAAE=\n".to_string(),
                NoteError::MalformedSignatureLine(1),
            ),
            (
                "t\n\n\u{2014} k AAAAAAE\n".to_string(),
                NoteError::MalformedSignatureLine(1),
            ),
            (
                "t\n\n\u{2014} k AAAAAAF=\n".to_string(), // non-zero trailing bits
                NoteError::MalformedSignatureLine(1),
            ),
            (
                "t\n\n\u{2014} k AAAAAA==\n".to_string(), // key ID without signature
                NoteError::MalformedSignatureLine(1),
            ),
            (
                "t\n\n\u{2014} k+1 AAAAAAE=\n".to_string(),
                NoteError::InvalidKeyName("k+1".into()),
            ),
            (
                "t\n\n\u{2014} \u{a0}k AAAAAAE=\n".to_string(),
                NoteError::InvalidKeyName("\u{a0}k".into()),
            ),
            (
                format!("t\n\n{}", format!("{sig}\n").repeat(101)),
                NoteError::TooManySignatures(101),
            ),
            (
                format!("{}\n\n{sig}\n", "x".repeat(MAX_NOTE_BYTES)),
                NoteError::TooLarge(MAX_NOTE_BYTES + 3 + sig.len()),
            ),
        ];
        for (input, error) in cases {
            assert_eq!(
                SignedNote::parse(&input),
                Err(error),
                "{:?}",
                input.chars().take(80).collect::<String>()
            );
        }
        assert_eq!(
            SignedNote::parse_bytes(b"t\xff\n\n\xe2\x80\x94 k AAAAAAE=\n"),
            Err(NoteError::NotUtf8)
        );
        // A hundred lines are fine.
        let hundred = format!("t\n\n{}", format!("{sig}\n").repeat(100));
        assert_eq!(SignedNote::parse(&hundred).unwrap().signatures().len(), 100);
    }

    #[test]
    fn push_is_bounded() {
        let line = NoteSignature::new("k", 1, vec![1]).unwrap();
        let mut note = SignedNote::new("t\n", vec![line.clone()]).unwrap();
        for _ in 1..MAX_SIGNATURES {
            note.push_signature(line.clone()).unwrap();
        }
        assert_eq!(
            note.push_signature(line),
            Err(NoteError::TooManySignatures(101))
        );
        assert_eq!(SignedNote::new("t", vec![]), Err(NoteError::InvalidText));
        assert_eq!(SignedNote::new("t\n", vec![]), Err(NoteError::NoSignatures));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = SignedNote::parse_bytes(&bytes);
        }

        #[test]
        fn note_shaped_input_never_panics_and_round_trips(
            text in "[a-z0-9 \n]{0,40}",
            lines in proptest::collection::vec("(\u{2014} )?[a-zA-Z+/= \u{2014}]{0,20}", 0..4),
        ) {
            let input = format!("{text}\n\n{}\n", lines.join("\n"));
            if let Ok(note) = SignedNote::parse(&input) {
                proptest::prop_assert_eq!(note.to_text(), input);
            }
        }
    }
}
