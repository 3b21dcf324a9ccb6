//! One Received header value -> Hop, then the whole header block through
//! the pipeline: must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamtrace::input::RawMessage;
use spamtrace::model::Source;
use spamtrace::chain::TraceOptions;

fuzz_target!(|data: &[u8]| {
    let _ = spamtrace::parse::received::parse(0, data);
    let mut header = b"Received:".to_vec();
    header.extend_from_slice(data);
    let msg = RawMessage {
        source: Source {
            path: "fuzz".into(),
            index: 0,
            offset: 0,
        },
        envelope: None,
        header,
        body: None,
        size: data.len() as u64,
    };
    let _ = spamtrace::trace(&msg, &TraceOptions::default());
});
