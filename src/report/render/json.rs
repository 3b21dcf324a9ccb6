//! JSON renderers: one object (`--json`), an array for several messages,
//! or one report per line (`--format ndjson`). serde_json escapes the C0
//! controls; [`JsonEscaping`] escapes the rest of the sanitiser's table
//! (DEL, C1, bidi, invisible characters) as `\uXXXX`, so message bytes can
//! neither break the output nor reach a terminal raw. NDJSON, the bulk
//! output, is written by [`compact`] (the same bytes, several times
//! cheaper); pretty JSON by serde_json.

pub mod compact;

use crate::model::Report;
use crate::util::sanitize::JsonEscaping;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, PrettyFormatter};
use std::io::{self, Write};

/// Compact JSON through serde_json: what [`compact`] must equal, and what
/// writes a value of a shape [`compact`] leaves to it.
pub fn compact_serde_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, JsonEscaping(CompactFormatter));
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Appends `value` as compact JSON: [`compact::push`], or serde_json for a
/// shape it leaves to serde_json (the same bytes either way).
pub fn push_compact(buf: &mut Vec<u8>, value: &impl Serialize) -> io::Result<()> {
    let start = buf.len();
    match compact::push(buf, value) {
        Ok(()) => Ok(()),
        Err(compact::Error::Unsupported) => {
            buf.truncate(start);
            compact_serde_json(buf, value)
        }
        Err(e) => {
            buf.truncate(start);
            Err(io::Error::other(e))
        }
    }
}

fn pretty(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, JsonEscaping(PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Write one report as a single NDJSON line.
pub fn write_ndjson(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let mut buf = Vec::with_capacity(16 * 1024);
    push_ndjson(&mut buf, report)?;
    out.write_all(&buf)
}

/// Append one report as a single NDJSON line to `buf` (the worker
/// threads' renderer: no copy, no `io::Write` per piece).
pub fn push_ndjson(buf: &mut Vec<u8>, report: &Report) -> io::Result<()> {
    push_compact(buf, report)?;
    buf.push(b'\n');
    Ok(())
}

/// One report as pretty JSON (what `--json` writes for one message).
pub fn write_pretty(out: &mut impl Write, report: &Report) -> io::Result<()> {
    pretty(&mut *out, report)
}

/// Streams `--json` output. The shape follows the input, never what
/// succeeded: an array whenever more than one message could come out
/// (several inputs, a folder, an mbox), even with one report or none; a
/// lone object only for one single-message input (and nothing when that
/// message could not be read: the error is on stderr).
pub struct JsonWriter {
    /// `Some(true)`: an array; `Some(false)`: an object; `None`: decided
    /// by the first report (stdin: an array when it was an mbox).
    several: Option<bool>,
    count: usize,
}

impl JsonWriter {
    /// `several`: whether the input can hold more than one message (None
    /// when not known before reading, as for stdin).
    pub fn new(several: Option<bool>) -> Self {
        JsonWriter { several, count: 0 }
    }

    pub fn push(&mut self, out: &mut impl Write, report: Report) -> io::Result<()> {
        let several = *self
            .several
            .get_or_insert(report.message.envelope_from.is_some());
        self.count += 1;
        if several {
            out.write_all(if self.count == 1 { b"[\n" } else { b",\n" })?;
            pretty(&mut *out, &report)
        } else {
            // One single-message input gives one report.
            if self.count > 1 {
                out.write_all(b"\n")?;
            }
            pretty(&mut *out, &report)
        }
    }

    pub fn finish(self, out: &mut impl Write) -> io::Result<()> {
        match (self.several, self.count) {
            (Some(true), 0) => out.write_all(b"[]\n"),
            (Some(true), _) => out.write_all(b"\n]\n"),
            (_, 0) => Ok(()),
            _ => out.write_all(b"\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(mbox: bool) -> Report {
        let raw = b"Subject: x\r\n\r\n".to_vec();
        let msg = crate::input::RawMessage {
            source: crate::model::Source::file("t"),
            envelope: mbox.then(|| crate::input::Envelope {
                sender: "a@example.org".into(),
                date: "Mon Jan  1 00:00:00 2000".into(),
            }),
            size: raw.len() as u64,
            header: raw,
            body: None,
        };
        let opts = crate::chain::TraceOptions::default();
        crate::report::build(crate::chain::walk(msg, &opts), &opts)
    }

    fn shape(several: Option<bool>, reports: &[bool]) -> serde_json::Value {
        let mut out = Vec::new();
        let mut w = JsonWriter::new(several);
        for &mbox in reports {
            w.push(&mut out, report(mbox)).unwrap();
        }
        w.finish(&mut out).unwrap();
        if out.is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn the_shape_follows_the_input_not_the_count() {
        assert!(shape(Some(true), &[false]).is_array());
        assert_eq!(shape(Some(true), &[]), serde_json::json!([]));
        assert_eq!(
            shape(Some(true), &[false, false]).as_array().unwrap().len(),
            2
        );
        assert!(shape(Some(false), &[false]).is_object());
        assert!(shape(Some(false), &[]).is_null());
        // Stdin: an mbox gives an array, one message an object.
        assert!(shape(None, &[true]).is_array());
        assert!(shape(None, &[false]).is_object());
    }
}
