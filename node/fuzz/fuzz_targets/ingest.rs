//! Documents from feeds (`POST /ingest/epcis`, `POST /ingest/cap`): any bytes, read as an
//! EPCIS JSON document and as a CAP XML alert with the built-in mapping, must give facts or
//! an error, never a panic.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pactum_node::ingest::{map_document, Format, Mapping};

fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(Mapping::standard)
}

fuzz_target!(|data: &[u8]| {
    for format in [Format::Epcis, Format::Cap] {
        let _ = map_document(format, data, mapping(), false);
    }
});
