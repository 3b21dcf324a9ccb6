//! JSON renderers: one object (`--json`), an array for several messages,
//! or one report per line (`--format ndjson`). serde_json escapes every
//! control character, so message bytes cannot break the output.

use crate::model::Report;
use std::io::{self, Write};

/// Write one report as a single NDJSON line.
pub fn write_ndjson(out: &mut impl Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer(&mut *out, report)?;
    out.write_all(b"\n")
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
                serde_json::to_writer_pretty(&mut *out, &first)?;
                out.write_all(b",\n")?;
                serde_json::to_writer_pretty(&mut *out, &report)?;
            }
            _ => {
                out.write_all(b",\n")?;
                serde_json::to_writer_pretty(&mut *out, &report)?;
            }
        }
        Ok(())
    }

    pub fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        match self.count {
            0 => out.write_all(b"[]\n"),
            1 => {
                let r = self.pending.take().expect("report held");
                serde_json::to_writer_pretty(&mut *out, &r)?;
                out.write_all(b"\n")
            }
            _ => out.write_all(b"\n]\n"),
        }
    }
}
