//! Any body posted to the HTTP API: the request types of every POST route must refuse what
//! they cannot read with an error (the API answers 400/422), never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pactum_node::api::{AcceptOrder, ProposeOrder, SubmitEvent, SubmitReview};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<ProposeOrder>(data);
    let _ = serde_json::from_slice::<AcceptOrder>(data);
    let _ = serde_json::from_slice::<SubmitEvent>(data);
    let _ = serde_json::from_slice::<SubmitReview>(data);
});
