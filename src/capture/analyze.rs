//! `--analyze`: trace each stored message. Our own Received stamp is hop 0,
//! which the pipeline always trusts, so the first untrusted relay is the
//! client that connected to us (or whatever its own headers make credible).

use super::data::{Budget, Content};
use super::CaptureError;
use crate::input::RawMessage;

use crate::chain::TraceOptions;
use crate::model::Source;
use crate::report::render::json::write_ndjson;
use crate::run::trace;
use crate::util::clock::unix_now;
use crate::util::sanitize::for_terminal;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// The most of a message's header block the analysis copies (the size
/// `trace` reads by default).
pub(crate) const MAX_HEADER: usize = 1 << 20;

/// Where the analysis goes: a summary line on stderr, or NDJSON to a file.
pub struct Analyzer {
    out: Option<Mutex<BufWriter<File>>>,
    /// Trust and the rest, as for `trace`; `now` is taken per message.
    opts: TraceOptions,
}

impl Analyzer {
    pub fn new(out: Option<&Path>, opts: TraceOptions) -> Result<Analyzer, CaptureError> {
        let out = match out {
            None => None,
            Some(p) => Some(Mutex::new(BufWriter::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|source| CaptureError::Open {
                        path: p.to_path_buf(),
                        source,
                    })?,
            ))),
        };
        Ok(Analyzer { out, opts })
    }

    /// Trace one stored message: our `stamp`, then the client's `content`.
    /// Only the header block is copied (at most [`MAX_HEADER`] bytes of
    /// it), and only when the memory budget holds it.
    pub fn analyze(&self, id: &str, path: &Path, stamp: &[u8], content: &Content, budget: &Budget) {
        let Some(_held) = budget.hold((stamp.len() + MAX_HEADER) as u64) else {
            eprintln!("spamtrace capture: {id}: stored, not analysed: the memory budget is full");
            return;
        };
        let mut bytes = stamp.to_vec();
        bytes.extend_from_slice(&content.header_block(MAX_HEADER));
        let mut msg = raw_message(path, &bytes);
        msg.size = (stamp.len() + content.len()) as u64;
        drop(bytes);
        let opts = TraceOptions {
            now: unix_now(),
            ..self.opts.clone()
        };
        let report = trace(&msg, &opts);
        match &self.out {
            Some(out) => {
                let Ok(mut w) = out.lock() else { return };
                if let Err(e) = write_ndjson(&mut *w, &report).and_then(|_| w.flush()) {
                    eprintln!(
                        "spamtrace capture: cannot write analysis: {}",
                        for_terminal(&e.to_string())
                    );
                }
            }
            None => eprintln!("spamtrace capture: {id}: {}", for_terminal(&report.verdict)),
        }
    }
}

/// The header block is everything before the first blank line.
fn raw_message(path: &Path, bytes: &[u8]) -> RawMessage {
    let end = blank_line(bytes);
    RawMessage {
        source: Source::file(path.display().to_string()),
        envelope: None,
        header: bytes.get(..end).unwrap_or(bytes).to_vec(),
        body: None,
        size: bytes.len() as u64,
    }
}

/// Where the header block ends: before `\r\n\r\n` or `\n\n`, else the end.
fn blank_line(bytes: &[u8]) -> usize {
    let crlf = memchr::memmem::find(bytes, b"\r\n\r\n").map(|i| i + 2);
    let lf = memchr::memmem::find(bytes, b"\n\n").map(|i| i + 1);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(bytes.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_block_ends_at_blank_line() {
        assert_eq!(blank_line(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\n"), 12);
        assert_eq!(blank_line(b"A: 1\n\nbody"), 5);
        assert_eq!(blank_line(b"A: 1\r\n"), 6);
    }
}
