//! Any bytes given to `pactum-verify` as a bundle: decoding and every verification step must
//! refuse garbage with an error, never panic or hang. Seed with a real bundle
//! (`pactum-verify example-bundle -o corpus/bundle/example.bundle --trust-out trust.toml`).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use verifier::bundle::{build::example, verify_bundle, Bundle, Trust, VerifyOptions};

fn trust() -> &'static Option<Trust> {
    static TRUST: OnceLock<Option<Trust>> = OnceLock::new();
    TRUST.get_or_init(|| example().ok().map(|example| example.trust))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = Bundle::from_bytes(data) {
        let _ = bundle.decoded_entries();
    }
    if let Some(trust) = trust() {
        let options = VerifyOptions {
            threads: 1,
            ..VerifyOptions::default()
        };
        let _ = verify_bundle(data, trust, &options);
    }
});
