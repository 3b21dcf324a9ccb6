//! The mbox splitter: never panics, offsets grow, sizes add up, and the
//! split does not depend on how the bytes arrive (one read, or 1..7 bytes
//! at a time, with a small header limit so the overflow path runs too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use std::io::Read;

struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(out.len()).min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn split(r: impl Read, opts: &InputOptions) -> Vec<(u64, Option<(Vec<u8>, u64, Option<Vec<u8>>)>)> {
    MessageReader::new(r, "fuzz", opts.clone())
        .take(100_000)
        .map(|m| match m {
            Ok(m) => (m.source.offset, Some((m.header, m.size, m.body))),
            Err(e) => (e.source.offset, None),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, data)) = data.split_first() else { return };
    let opts = InputOptions {
        keep_body: step & 0x80 != 0,
        max_header_bytes: 64,
        max_body_bytes: 128,
    };
    let whole = split(data, &opts);
    let trickled = split(Trickle(data, (step as usize % 7) + 1), &opts);
    assert_eq!(whole, trickled);
    let mut last = 0;
    for (offset, msg) in &whole {
        assert!(*offset >= last && *offset <= data.len() as u64);
        last = *offset;
        if let Some((header, size, body)) = msg {
            assert!(header.len() <= 64);
            assert!(offset + size <= data.len() as u64);
            assert!(body.as_ref().is_none_or(|b| b.len() <= 128));
        }
    }
});
