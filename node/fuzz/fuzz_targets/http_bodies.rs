//! Any body posted to the HTTP API, and any query string: the request types of every write
//! route and every query must refuse what they cannot read with an error (the API answers
//! 400/422), never panic; an error body read back by the client likewise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pactum_node::api::{
    AcceptOrder, AcknowledgeFault, BackupRequest, BundleQuery, ConsistencyQuery, ErrorBody,
    HistoryQuery, IngestQuery, OrderQuery, ProposalQuery, ProposeOrder, PutPeer,
    SubmitAgreement, SubmitClose, SubmitEvent, SubmitReview,
};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<ProposeOrder>(data);
    let _ = serde_json::from_slice::<AcceptOrder>(data);
    let _ = serde_json::from_slice::<SubmitEvent>(data);
    let _ = serde_json::from_slice::<SubmitReview>(data);
    let _ = serde_json::from_slice::<SubmitClose>(data);
    let _ = serde_json::from_slice::<SubmitAgreement>(data);
    let _ = serde_json::from_slice::<PutPeer>(data);
    let _ = serde_json::from_slice::<BackupRequest>(data);
    let _ = serde_json::from_slice::<AcknowledgeFault>(data);
    let _ = serde_json::from_slice::<ErrorBody>(data);
    if let Ok(query) = std::str::from_utf8(data) {
        let _ = serde_urlencoded::from_str::<OrderQuery>(query);
        let _ = serde_urlencoded::from_str::<HistoryQuery>(query);
        let _ = serde_urlencoded::from_str::<BundleQuery>(query);
        let _ = serde_urlencoded::from_str::<ConsistencyQuery>(query);
        let _ = serde_urlencoded::from_str::<ProposalQuery>(query);
        let _ = serde_urlencoded::from_str::<IngestQuery>(query);
    }
});
