//! JSON renderers: one object (`--json`), an array for several messages,
//! or one report per line (`--format ndjson`). serde_json escapes the C0
//! controls; [`JsonEscaping`] escapes the rest of the sanitiser's table
//! (DEL, C1, bidi, invisible characters) as `\uXXXX`, so message bytes can
//! neither break the output nor reach a terminal raw.

use crate::model::Report;
use crate::util::sanitize::JsonEscaping;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, PrettyFormatter};
use std::io::{self, Write};

fn compact(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, JsonEscaping(CompactFormatter));
    value.serialize(&mut ser).map_err(io::Error::other)
}

fn pretty(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, JsonEscaping(PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Write one report as a single NDJSON line.
pub fn write_ndjson(out: &mut impl Write, report: &Report) -> io::Result<()> {
    compact(&mut *out, report)?;
    out.write_all(b"\n")
}

/// One report as pretty JSON (what `--json` writes for one message).
pub fn write_pretty(out: &mut impl Write, report: &Report) -> io::Result<()> {
    pretty(&mut *out, report)
}

/// Streams `--json` output: a lone object for one message, an array for
/// several, decided without holding the reports in memory.
pub struct JsonWriter {
    pending: Option<Report>,
    count: usize,
}

impl Default for JsonWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonWriter {
    pub fn new() -> Self {
        JsonWriter {
            pending: None,
            count: 0,
        }
    }

    pub fn push(&mut self, out: &mut impl Write, report: Report) -> io::Result<()> {
        self.count += 1;
        match self.count {
            1 => self.pending = Some(report),
            2 => {
                out.write_all(b"[\n")?;
                let first = self.pending.take().expect("first report held");
                pretty(&mut *out, &first)?;
                out.write_all(b",\n")?;
                pretty(&mut *out, &report)?;
            }
            _ => {
                out.write_all(b",\n")?;
                pretty(&mut *out, &report)?;
            }
        }
        Ok(())
    }

    pub fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        match self.count {
            0 => out.write_all(b"[]\n"),
            1 => {
                let r = self.pending.take().expect("report held");
                pretty(&mut *out, &r)?;
                out.write_all(b"\n")
            }
            _ => out.write_all(b"\n]\n"),
        }
    }
}
