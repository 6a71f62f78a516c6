//! Any bytes a peer sends on `/pactum/1`: the length-prefixed frame reader and the strict
//! canonical decoding of the node's requests and responses must refuse garbage with a
//! `FrameFault`, never panic, and never allocate what the prefix claims before it arrives.
#![no_main]

use futures::{executor::block_on, io::Cursor};
use libfuzzer_sys::fuzz_target;
use pactum_node::{
    engine::protocol::{Request, Response},
    net::codec::{read_message, DEFAULT_MAX_FRAME_BYTES},
};

fuzz_target!(|data: &[u8]| {
    let _ = block_on(read_message::<Request, _>(
        &mut Cursor::new(data),
        DEFAULT_MAX_FRAME_BYTES,
    ));
    let _ = block_on(read_message::<Response, _>(
        &mut Cursor::new(data),
        DEFAULT_MAX_FRAME_BYTES,
    ));
});
