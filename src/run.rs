//! The driver of `spamtrace trace`: inputs -> batches -> parse -> enrich ->
//! finish -> sink, with reports written in input order.
//!
//! Messages move in bounded batches so memory does not grow with the input;
//! the enrichment stage (DNS) sees a whole batch at once, so it can ask its
//! questions concurrently and each only once.

use crate::input::{self, InputError, InputOptions};
use crate::pipeline::{self, TraceOptions, Traced};
use crate::report::Report;

/// Messages per batch.
pub const BATCH: usize = 256;

/// The enrichment stage: given a batch of parsed messages, look up what
/// they need (DNS...) before the checks run. Offline it does nothing.
pub trait Enricher {
    fn enrich(&mut self, batch: &mut [Traced]);
}

/// No enrichment: `--offline`.
pub struct Offline;

impl Enricher for Offline {
    fn enrich(&mut self, _batch: &mut [Traced]) {}
}

/// Where results go, in input order.
pub trait Sink {
    /// A finished report. An error stops the run (a closed pipe, say).
    fn report(&mut self, report: Report) -> std::io::Result<()>;
    /// A message or path that could not be read; the run goes on.
    fn error(&mut self, error: InputError);
}

/// Counts for the exit status and the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunStats {
    pub messages: usize,
    pub errors: usize,
}

/// Run every path through the pipeline.
pub fn run(
    paths: &[String],
    input_opts: &InputOptions,
    opts: &TraceOptions,
    enricher: &mut dyn Enricher,
    sink: &mut dyn Sink,
) -> std::io::Result<RunStats> {
    let mut stats = RunStats::default();
    // Errors keep their place in the order: a batch entry is either.
    let mut batch: Vec<Result<Traced, InputError>> = Vec::with_capacity(BATCH);
    for path in paths {
        for item in input::open(path, input_opts) {
            batch.push(item.map(|m| pipeline::parse(m, opts)));
            if batch.len() == BATCH {
                flush(&mut batch, opts, enricher, sink, &mut stats)?;
            }
        }
    }
    flush(&mut batch, opts, enricher, sink, &mut stats)?;
    Ok(stats)
}

fn flush(
    batch: &mut Vec<Result<Traced, InputError>>,
    opts: &TraceOptions,
    enricher: &mut dyn Enricher,
    sink: &mut dyn Sink,
    stats: &mut RunStats,
) -> std::io::Result<()> {
    let mut parsed: Vec<Traced> = Vec::new();
    let mut order: Vec<Option<InputError>> = Vec::new();
    for item in batch.drain(..) {
        match item {
            Ok(t) => {
                parsed.push(t);
                order.push(None);
            }
            Err(e) => order.push(Some(e)),
        }
    }
    enricher.enrich(&mut parsed);
    let mut parsed = parsed.into_iter();
    for slot in order {
        match slot {
            Some(e) => {
                stats.errors += 1;
                sink.error(e);
            }
            None => {
                let t = parsed.next().expect("one parsed message per slot");
                stats.messages += 1;
                sink.report(pipeline::finish(t, opts))?;
            }
        }
    }
    Ok(())
}
