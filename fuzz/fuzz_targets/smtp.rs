//! The SMTP side of `capture`: the DATA decoder never panics, ends a
//! message only at CRLF.CRLF (the smuggling family: `\n.\n`, `\r.\r\n`...
//! never end it), gives the same text however the bytes are split, returns
//! its memory budget, and smtp-proto survives every command line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamtrace::capture::data::{Budget, DataDecoder, Feed};
use std::sync::Arc;

/// Decode `body` fed `step` bytes at a time: (text, end offset, too big).
fn decode(body: &[u8], step: usize, budget: &Arc<Budget>) -> (Vec<u8>, Option<usize>, bool) {
    let mut d = DataDecoder::new(1 << 16, budget.clone());
    let mut pos = 0;
    let mut end = None;
    while pos < body.len() {
        let n = step.min(body.len() - pos);
        match d.feed(&body[pos..pos + n]) {
            Feed::More => pos += n,
            Feed::Done(k) => {
                assert!(k <= n, "consumed more than fed");
                end = Some(pos + k);
                break;
            }
        }
    }
    (d.take_content(), end, d.too_big())
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let budget = Arc::new(Budget::new(1 << 20));
    let whole = decode(body, usize::MAX, &budget);
    let trickled = decode(body, usize::from(first % 7) + 1, &budget);
    assert_eq!(whole, trickled, "the split changed the message");
    assert_eq!(budget.used(), 0, "memory budget not given back");
    if let Some(end) = whole.1 {
        let seen = &body[..end];
        assert!(
            seen.ends_with(b"\r\n.\r\n") || seen == b".\r\n",
            "DATA ended without CRLF.CRLF"
        );
    }
    for line in body.split(|b| *b == b'\n') {
        let mut line = line.to_vec();
        line.push(b'\n');
        let _ = smtp_proto::Request::parse(&mut line.iter());
    }
});
