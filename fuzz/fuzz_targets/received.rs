//! One Received header value -> Hop, then the header block through the
//! pipeline: must never panic, whatever the bytes.
//!
//! Why the first version missed the UTF-8 panic of issue 15 (a byte index
//! inside a character, in a word of a from-clause comment): random bytes
//! seldom spell `from x (` before a word of five bytes or more with a
//! multi-byte character in it, and nothing seeded the run. The value is
//! now also parsed inside the positions where the parser slices words (a
//! from clause, its comment, `helo=`, `ident=`, a by clause), so every
//! input exercises them, and `fuzz/received.dict` plus the testdata seeds
//! give the grammar's words.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamtrace::chain::TraceOptions;
use spamtrace::input::RawMessage;
use spamtrace::model::Source;

const TEMPLATES: &[(&[u8], &[u8])] = &[
    (b"", b""),
    (b"from ", b" by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000"),
    (b"from x (", b" [198.51.100.7]) by y; Mon, 1 Jan 2024 00:00:00 +0000"),
    (b"from x ([198.51.100.7] helo=", b") by y"),
    (b"from x (ident=", b"@198.51.100.7) by y"),
    (b"from x (x [198.51.100.7]) (Authenticated sender: ", b") by y with ESMTPA id 1"),
    (b"from x by ", b" with ESMTP id 1 for <a@b.example>; Mon, 1 Jan 2024 00:00:00 +0000"),
];

fuzz_target!(|data: &[u8]| {
    for (before, after) in TEMPLATES {
        let value = [before, data, after].concat();
        let _ = spamtrace::parse::received::parse(0, &value);
    }
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
    // No catch_unwind here (the CLI's run has one): a panic is a crash.
    let _ = spamtrace::trace(&msg, &TraceOptions::default());
});
