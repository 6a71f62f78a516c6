//! The verifier in the browser: `verify_bundle` and the trail page's view, exported to
//! JavaScript with wasm-bindgen. The page (`verifier/page/page.js`) calls [`Verification::new`]
//! with the bundle's bytes and the trust file's text, then [`Verification::view`] for each
//! language it shows; switching language re-renders the one verification, it does not verify
//! again.
//!
//! Nothing here reads a clock or spawns a thread: verification runs on the page's thread
//! (`threads: 1`), and batch verification derives its weights from the signatures.

use verifier::bundle::{
    verify_bundle, Remembered, Report, TrustError, TrustFile, VerifyError, VerifyOptions,
};
use verifier::trail::{self, Lang};
use wasm_bindgen::prelude::*;

/// One verified (or rejected) bundle.
#[wasm_bindgen]
pub struct Verification {
    bytes: Vec<u8>,
    trust: verifier::bundle::Trust,
    /// The trust file's head addresses (`{order}` not yet replaced).
    trust_file: TrustFile,
    memory_unreadable: bool,
    result: Result<Report, VerifyError>,
}

#[wasm_bindgen]
impl Verification {
    /// Verifies `bundle` against the trust file `trust` (JSON or TOML), with what this browser
    /// verified before (`remembered`, [`Remembered::to_json`]'s text; none the first time):
    /// step 8 then tells growth from a rollback, and [`Verification::remember`] is what to keep.
    /// `can_remember` is false when the browser refuses storage: step 8 is skipped, so the page
    /// does not claim to remember anything. A memory that does not parse is set aside (this
    /// verification starts afresh, [`Verification::memory_unreadable`] says so): the verdict
    /// still shows. A trust file the verifier cannot use is thrown to the page as a
    /// [`TrustProblem`], which says what is wrong in the page's language.
    #[wasm_bindgen(constructor)]
    pub fn new(
        bundle: Vec<u8>,
        trust: &str,
        remembered: Option<String>,
        can_remember: bool,
    ) -> Result<Verification, TrustProblem> {
        let trust_file = TrustFile::parse(trust).map_err(TrustProblem::from)?;
        let trust = trust_file.trust().map_err(TrustProblem::from)?;
        let read = remembered.map(|text| Remembered::from_json(&text));
        let memory_unreadable = matches!(read, Some(Err(_)));
        let remembered = can_remember.then(|| read.and_then(Result::ok).unwrap_or_default());
        let options = VerifyOptions {
            threads: 1,
            remembered,
            ..VerifyOptions::default()
        };
        let result = verify_bundle(&bundle, &trust, &options);
        Ok(Verification {
            bytes: bundle,
            trust,
            trust_file,
            memory_unreadable,
            result,
        })
    }

    /// Whether the memory given to [`Verification::new`] was unreadable and set aside.
    pub fn memory_unreadable(&self) -> bool {
        self.memory_unreadable
    }

    /// What to remember after this verification (JSON), none when the bundle was rejected:
    /// the page keeps it for the next one.
    pub fn remember(&self) -> Option<String> {
        let report = self.result.as_ref().ok()?;
        report.remember.as_ref().map(Remembered::to_json)
    }

    /// A party's signed head (the bytes a node's `/head` serves) checked against the verified
    /// bundle, as JSON `{"status": "current" | "stale" | "invalid", "text": ...}` in `lang`.
    pub fn head(&self, lang: &str, bytes: Vec<u8>) -> String {
        let view = match &self.result {
            Ok(report) => trail::head_view(lang_of(lang), report, &bytes),
            Err(_) => trail::HeadView {
                status: "refused",
                text: String::new(),
                evidence: None,
                failure: None,
            },
        };
        trail::head_json(&view).to_string()
    }

    /// The trust file's head addresses for the verified bundle's order (`{order}` replaced by
    /// its id), as a JSON array of `{"address", "party"}` (the party's role): none when the
    /// bundle was rejected.
    pub fn heads(&self) -> String {
        let addresses: Vec<serde_json::Value> = match &self.result {
            Ok(report) => self
                .trust_file
                .head_addresses(&report.order)
                .into_iter()
                .map(|(party, address)| serde_json::json!({ "address": address, "party": party }))
                .collect(),
            Err(_) => Vec::new(),
        };
        serde_json::Value::Array(addresses).to_string()
    }

    /// That `party`'s node (a role of the trust file's `heads`; none for the share link's own
    /// address) did not answer for its head, in `lang`.
    pub fn unreachable(&self, lang: &str, party: Option<String>) -> String {
        trail::unreachable(lang_of(lang), self.result.as_ref().ok(), party.as_deref())
    }

    /// `true` when the bundle verified.
    pub fn valid(&self) -> bool {
        self.result.is_ok()
    }

    /// What the page shows as soon as verification ends (the verdict, its steps and basis), in
    /// `lang`, as JSON: cheap whatever the history's length.
    pub fn verdict(&self, lang: &str) -> String {
        let view = trail::verdict(&self.bytes, &self.trust, &self.result, lang_of(lang));
        trail::view_json(&view).to_string()
    }

    /// The page's view in `lang` (`en`, `zh` or `de`; anything else is English), with the
    /// timeline's first `shown` entries, as JSON.
    pub fn view(&self, lang: &str, shown: usize) -> String {
        let view = trail::view(&self.bytes, &self.trust, &self.result, lang_of(lang), shown);
        trail::view_json(&view).to_string()
    }

    /// `count` timeline entries from position `from`, as a JSON array (empty for a rejected
    /// bundle): the page appends them after showing the verdict.
    pub fn timeline(&self, lang: &str, from: usize, count: usize) -> String {
        let entries = match &self.result {
            Ok(report) => trail::timeline(report, lang_of(lang), from, count),
            Err(_) => Vec::new(),
        };
        trail::entries_json(&entries).to_string()
    }
}

/// A trust file the verifier could not use (thrown by [`Verification::new`]): nothing was
/// verified with it.
#[wasm_bindgen]
pub struct TrustProblem {
    error: TrustError,
}

impl From<TrustError> for TrustProblem {
    fn from(error: TrustError) -> TrustProblem {
        TrustProblem { error }
    }
}

#[wasm_bindgen]
impl TrustProblem {
    /// What is wrong and what to do, in `lang`, as JSON (`trail::TrustProblemView`): about the
    /// page's own trust file, or, with `file` (its name), about a file dropped onto the page.
    pub fn view(&self, lang: &str, file: Option<String>) -> String {
        let view = trail::trust_problem(lang_of(lang), &self.error, file.as_deref());
        trail::trust_problem_json(&view).to_string()
    }
}

/// The page's fixed words in `lang`, as JSON, for what it shows before a verification ends.
#[wasm_bindgen]
pub fn labels(lang: &str) -> String {
    serde_json::to_string(trail::labels(lang_of(lang))).unwrap_or_default()
}

fn lang_of(code: &str) -> Lang {
    Lang::from_code(code).unwrap_or(Lang::En)
}
