//! The driver of `spamtrace trace`: inputs -> batches -> parse -> enrich ->
//! finish -> sink, with reports written in input order.
//!
//! Threads: one reads and splits the input into batches; workers (one per
//! core) run [`chain::walk`] and [`report::build`], which are pure;
//! the calling thread enriches each batch in input order (the [`Enricher`]
//! sees a whole batch, so DNS can ask its questions concurrently and each
//! only once) and hands the reports to the [`Sink`] in input order.
//! Offline ([`Enricher::is_noop`]) a worker parses and finishes each batch
//! in one go, with no round trip through the calling thread.
//! When the sink asks for it ([`Sink::render`], NDJSON), the workers also
//! render each report to bytes, so serialising runs on every core and the
//! calling thread only writes.
//! Memory is bounded: at most [`IN_FLIGHT`] batches exist at any time.

use crate::input;

use crate::input::{InputError, InputOptions, RawMessage};

use crate::chain::{self, TraceOptions, Traced};
use crate::enrich::Enricher;
use crate::model::Report;
use crate::model::Source;
use crate::report;
use crossbeam_channel::{bounded, never, select, unbounded, Receiver, Sender};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Messages per batch offline: small batches keep peak memory down.
pub const BATCH: usize = 128;
/// Messages per batch when enriching: DNS asks a batch's questions at once,
/// and each batch ends by waiting for its slowest answer, so fewer, larger
/// batches keep the resolver busier (scripts/bench-dns, wall/ideal at
/// concurrency 100: 1.83x with 128, 1.58x with 256).
pub const ENRICH_BATCH: usize = 256;
/// Bytes of headers (and kept bodies) per batch, at most (plus one message):
/// with [`IN_FLIGHT`], what bounds memory when every header is huge.
pub const BATCH_BYTES: usize = 1 << 20;
/// Batches in the pipeline at once (read, parsed, enriched, finished).
/// Four keep two workers busy; more only raised peak memory (42 MB at 4,
/// 48 MB at 6 for a 1 GiB mbox, the same speed).
pub const IN_FLIGHT: usize = 4;

/// Renders one report, appending its bytes to the buffer (run in workers).
pub type Render = fn(&Report, &mut Vec<u8>) -> std::io::Result<()>;

/// Where results go, in input order.
pub trait Sink {
    /// A finished report. An error stops the run (a closed pipe, say).
    fn report(&mut self, report: Report) -> std::io::Result<()>;
    /// A renderer for the workers to run; when given, the sink gets each
    /// report's bytes through [`Sink::rendered`] instead of [`Sink::report`].
    fn render(&self) -> Option<Render> {
        None
    }
    /// One report as rendered by [`Sink::render`].
    fn rendered(&mut self, _bytes: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other(
            "a sink with a renderer must take rendered bytes",
        ))
    }
    /// A message or path that could not be read; the run goes on.
    fn error(&mut self, error: InputError);
    /// A lookup the enrich stage could not make (for stderr); the run goes on.
    fn warning(&mut self, _text: &str) {}
}

/// Told how far the run has got, after each batch is written.
pub trait Progress {
    /// `bytes`: the stored size of the messages done; `messages`: how many.
    fn advance(&mut self, bytes: u64, messages: u64);
}

/// No progress display.
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&mut self, _bytes: u64, _messages: u64) {}
}

/// Counts for the exit status and the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunStats {
    pub messages: usize,
    pub errors: usize,
}

/// A batch between stages: the parsed messages, and for every input item in
/// order either `None` (the next parsed message) or its error.
struct Batch<T> {
    seq: u64,
    done: Vec<T>,
    order: Vec<Option<InputError>>,
    bytes: u64,
    /// The bytes of the header blocks: what the rendered output scales with.
    header_bytes: usize,
}

/// A finished message: its report, or where its rendered bytes end in the
/// batch's buffer (they start where the previous one ended).
enum Finished {
    Report(Box<Report>),
    Rendered(usize),
}

/// A finished batch: one buffer holds every rendered report, so a batch
/// costs one allocation for its output, not one per message.
struct FinishedBatch {
    batch: Batch<Finished>,
    text: Vec<u8>,
}

/// Work for the worker threads.
type RawBatch = (u64, Vec<Result<RawMessage, InputError>>);

/// Run every path through the pipeline.
pub fn run(
    paths: &[String],
    input_opts: &InputOptions,
    opts: &TraceOptions,
    enricher: &mut dyn Enricher,
    sink: &mut dyn Sink,
) -> std::io::Result<RunStats> {
    run_with_progress(paths, input_opts, opts, enricher, sink, &mut NoProgress)
}

/// [`run`], telling `progress` after each batch.
pub fn run_with_progress(
    paths: &[String],
    input_opts: &InputOptions,
    opts: &TraceOptions,
    enricher: &mut dyn Enricher,
    sink: &mut dyn Sink,
    progress: &mut dyn Progress,
) -> std::io::Result<RunStats> {
    let render = sink.render();
    let fused = enricher.is_noop();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    // A token per batch in flight: the reader takes one, the sink returns it.
    let (token_tx, token_rx) = bounded::<()>(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        let _ = token_tx.send(());
    }
    let (raw_tx, raw_rx) = bounded::<RawBatch>(IN_FLIGHT);
    let (count_tx, count_rx) = bounded::<u64>(1);
    let (parsed_tx, parsed_rx) = unbounded::<Batch<Traced>>();
    let (enriched_tx, enriched_rx) = unbounded::<Batch<Traced>>();
    let (finished_tx, finished_rx) = unbounded::<FinishedBatch>();

    std::thread::scope(|scope| {
        let batch = if fused { BATCH } else { ENRICH_BATCH };
        scope.spawn(move || read_batches(paths, input_opts, batch, token_rx, raw_tx, count_tx));
        for _ in 0..workers {
            let (raw_rx, enriched_rx) = (raw_rx.clone(), enriched_rx.clone());
            let (parsed_tx, finished_tx) = (parsed_tx.clone(), finished_tx.clone());
            scope.spawn(move || {
                let stages = Stages {
                    opts,
                    render,
                    fused,
                };
                work(stages, raw_rx, enriched_rx, parsed_tx, finished_tx)
            });
        }
        drop((raw_rx, enriched_rx, parsed_tx, finished_tx));
        let result = drive(
            enricher,
            sink,
            progress,
            parsed_rx,
            enriched_tx,
            finished_rx,
            count_rx,
            token_tx,
        );
        // Returning drops the channels: the other threads see them close and stop.
        result
    })
}

/// The reader thread: every path's messages, in batches.
fn read_batches(
    paths: &[String],
    input_opts: &InputOptions,
    batch_len: usize,
    tokens: Receiver<()>,
    out: Sender<RawBatch>,
    count: Sender<u64>,
) {
    let mut seq = 0;
    let mut batch = Vec::with_capacity(batch_len);
    let send = |batch: Vec<_>, seq: &mut u64| -> bool {
        if tokens.recv().is_err() || out.send((*seq, batch)).is_err() {
            return false;
        }
        *seq += 1;
        true
    };
    let mut bytes = 0;
    for path in paths {
        for item in input::open(path, input_opts) {
            if let Ok(m) = &item {
                bytes += m.header.len() + m.body.as_ref().map_or(0, |b| b.len());
            }
            batch.push(item);
            if batch.len() == batch_len || bytes >= BATCH_BYTES {
                bytes = 0;
                if !send(std::mem::take(&mut batch), &mut seq) {
                    return;
                }
            }
        }
    }
    if !batch.is_empty() && !send(batch, &mut seq) {
        return;
    }
    let _ = count.send(seq);
}

/// What a worker runs.
#[derive(Clone, Copy)]
struct Stages<'a> {
    opts: &'a TraceOptions,
    render: Option<Render>,
    /// Parse and finish in one go (no enrichment between).
    fused: bool,
}

/// A worker thread: parse raw batches and finish enriched ones (those
/// first: they are nearer the output).
fn work(
    stages: Stages,
    raw: Receiver<RawBatch>,
    enriched: Receiver<Batch<Traced>>,
    parsed_out: Sender<Batch<Traced>>,
    finished_out: Sender<FinishedBatch>,
) {
    let Stages {
        opts,
        render,
        fused,
    } = stages;
    let (mut raw, mut enriched) = (raw, enriched);
    let (mut raw_open, mut enriched_open) = (true, true);
    while raw_open || enriched_open {
        if let Ok(b) = enriched.try_recv() {
            if finished_out.send(finish_batch(b, opts, render)).is_err() {
                return;
            }
            continue;
        }
        select! {
            recv(enriched) -> b => match b {
                Ok(b) => if finished_out.send(finish_batch(b, opts, render)).is_err() { return },
                Err(_) => (enriched, enriched_open) = (never(), false),
            },
            recv(raw) -> b => match b {
                Ok((seq, items)) => {
                    let sent = if fused {
                        finished_out.send(trace_batch(seq, items, opts, render)).is_ok()
                    } else {
                        parsed_out.send(parse_batch(seq, items, opts)).is_ok()
                    };
                    if !sent {
                        return;
                    }
                }
                Err(_) => (raw, raw_open) = (never(), false),
            },
        }
    }
}

/// A panic in the analysis is a bug, but it must cost one message, not the run.
fn internal_error(source: Source) -> InputError {
    InputError {
        source,
        message: "internal error while analysing this message (a bug: please report it)".into(),
        whole_path: false,
    }
}

fn parse_batch(
    seq: u64,
    items: Vec<Result<RawMessage, InputError>>,
    opts: &TraceOptions,
) -> Batch<Traced> {
    let header_bytes = header_bytes(&items);
    each_message(seq, items, header_bytes, |msg| parse_one(msg, opts))
}

/// A batch of `items` (whose headers add up to `header_bytes`) in input
/// order: each message through `stage`, each input error kept in its place.
fn each_message<T>(
    seq: u64,
    items: Vec<Result<RawMessage, InputError>>,
    header_bytes: usize,
    mut stage: impl FnMut(RawMessage) -> Result<T, InputError>,
) -> Batch<T> {
    let mut batch = Batch {
        seq,
        done: Vec::with_capacity(items.len()),
        order: Vec::with_capacity(items.len()),
        bytes: 0,
        header_bytes,
    };
    for item in items {
        match item {
            Ok(msg) => {
                batch.bytes += msg.size;
                batch.push(stage(msg));
            }
            Err(e) => batch.order.push(Some(e)),
        }
    }
    batch
}

fn header_bytes(items: &[Result<RawMessage, InputError>]) -> usize {
    items
        .iter()
        .map(|m| m.as_ref().map_or(0, |m| m.header.len()))
        .sum()
}

impl<T> Batch<T> {
    /// The next message's outcome, in input order.
    fn push(&mut self, outcome: Result<T, InputError>) {
        match outcome {
            Ok(done) => {
                self.done.push(done);
                self.order.push(None);
            }
            Err(e) => self.order.push(Some(e)),
        }
    }
}

/// The parse stage of one message, a panic in it contained.
fn parse_one(msg: RawMessage, opts: &TraceOptions) -> Result<Traced, InputError> {
    let source = msg.source.clone();
    catch_unwind(AssertUnwindSafe(|| chain::walk(msg, opts))).map_err(|_| internal_error(source))
}

/// The buffer a batch's rendered reports go into: NDJSON runs to two to
/// four times the header bytes, so that is reserved once rather than grown
/// (and the batch's text copied) on the way; pages never written cost no
/// memory.
fn text_buffer(header_bytes: usize, render: Option<Render>) -> Vec<u8> {
    Vec::with_capacity(if render.is_some() {
        header_bytes * 4
    } else {
        0
    })
}

fn finish_batch(
    batch: Batch<Traced>,
    opts: &TraceOptions,
    render: Option<Render>,
) -> FinishedBatch {
    let mut out = Batch {
        seq: batch.seq,
        done: Vec::with_capacity(batch.done.len()),
        order: Vec::with_capacity(batch.order.len()),
        bytes: batch.bytes,
        header_bytes: batch.header_bytes,
    };
    let mut text = text_buffer(batch.header_bytes, render);
    let mut traced = batch.done.into_iter();
    for slot in batch.order {
        if slot.is_some() {
            out.order.push(slot);
            continue;
        }
        let Some(t) = traced.next() else { break };
        out.push(finish_one(t, opts, render, &mut text));
    }
    FinishedBatch { batch: out, text }
}

/// Parse, check and render a batch message by message, with no enrichment
/// between: a message's data is still in the cache when its report is
/// built, and its memory goes to the next message rather than waiting for
/// the whole batch (parsing all 128 first, then finishing them, kept a few
/// megabytes live per worker, more than the cache holds).
fn trace_batch(
    seq: u64,
    items: Vec<Result<RawMessage, InputError>>,
    opts: &TraceOptions,
    render: Option<Render>,
) -> FinishedBatch {
    let header_bytes = header_bytes(&items);
    let mut text = text_buffer(header_bytes, render);
    let batch = each_message(seq, items, header_bytes, |msg| {
        parse_one(msg, opts).and_then(|t| finish_one(t, opts, render, &mut text))
    });
    FinishedBatch { batch, text }
}

/// The report stage of one message: built, and rendered into `text` when
/// the sink takes rendered bytes (in parallel, here, and the report freed).
/// A panic, or a failed render (only a bug: a serialiser error), costs
/// this message alone.
fn finish_one(
    t: Traced,
    opts: &TraceOptions,
    render: Option<Render>,
    text: &mut Vec<u8>,
) -> Result<Finished, InputError> {
    let source = t.msg.source.clone();
    let start = text.len();
    let done = catch_unwind(AssertUnwindSafe(|| {
        let report = report::build(t, opts);
        match render {
            Some(render) => render(&report, text).map(|()| Finished::Rendered(text.len())),
            None => Ok(Finished::Report(Box::new(report))),
        }
    }));
    match done {
        Ok(Ok(f)) => Ok(f),
        Ok(Err(_)) | Err(_) => {
            text.truncate(start);
            Err(internal_error(source))
        }
    }
}

/// The calling thread: enrich parsed batches in input order, send them to be
/// finished, and write finished batches in input order.
#[allow(clippy::too_many_arguments)]
fn drive(
    enricher: &mut dyn Enricher,
    sink: &mut dyn Sink,
    progress: &mut dyn Progress,
    parsed: Receiver<Batch<Traced>>,
    enriched: Sender<Batch<Traced>>,
    finished: Receiver<FinishedBatch>,
    count: Receiver<u64>,
    tokens: Sender<()>,
) -> std::io::Result<RunStats> {
    let mut stats = RunStats::default();
    let mut total: Option<u64> = None;
    let mut count = count;
    let (mut next_enrich, mut next_write) = (0u64, 0u64);
    let mut parsed_wait: BTreeMap<u64, Batch<Traced>> = BTreeMap::new();
    let mut finished_wait: BTreeMap<u64, FinishedBatch> = BTreeMap::new();
    while total != Some(next_write) {
        select! {
            recv(parsed) -> b => {
                let Ok(b) = b else { break };
                parsed_wait.insert(b.seq, b);
                while let Some(mut b) = parsed_wait.remove(&next_enrich) {
                    enricher.enrich(&mut b.done);
                    for w in enricher.take_warnings() {
                        sink.warning(&w);
                    }
                    next_enrich += 1;
                    if enriched.send(b).is_err() {
                        break;
                    }
                }
            },
            recv(finished) -> b => {
                let Ok(b) = b else { break };
                finished_wait.insert(b.batch.seq, b);
                while let Some(b) = finished_wait.remove(&next_write) {
                    write_batch(b, sink, &mut stats, progress)?;
                    next_write += 1;
                    let _ = tokens.send(());
                }
            },
            recv(count) -> n => match n {
                Ok(n) => total = Some(n),
                Err(_) => count = never(),
            },
        }
    }
    Ok(stats)
}

fn write_batch(
    finished: FinishedBatch,
    sink: &mut dyn Sink,
    stats: &mut RunStats,
    progress: &mut dyn Progress,
) -> std::io::Result<()> {
    let FinishedBatch { batch, text } = finished;
    let messages = batch.order.len() as u64;
    let mut reports = batch.done.into_iter();
    let mut start = 0;
    for slot in batch.order {
        match slot {
            Some(e) => {
                stats.errors += 1;
                sink.error(e);
            }
            None => {
                let Some(done) = reports.next() else { continue };
                stats.messages += 1;
                match done {
                    Finished::Report(r) => sink.report(*r)?,
                    Finished::Rendered(end) => {
                        sink.rendered(text.get(start..end).unwrap_or_default())?;
                        start = end;
                    }
                }
            }
        }
    }
    progress.advance(batch.bytes, messages);
    Ok(())
}

/// Trace one message offline: [`chain::walk`] then [`report::build`].
pub fn trace(msg: &RawMessage, opts: &TraceOptions) -> Report {
    report::build(chain::walk(msg.clone(), opts), opts)
}

/// Trace one message through every stage, enrichment included: what
/// `complain` runs (the driver above does the same for many, in batches).
pub fn trace_one(msg: RawMessage, opts: &TraceOptions, enricher: &mut dyn Enricher) -> Report {
    let mut batch = [chain::walk(msg, opts)];
    enricher.enrich(&mut batch);
    let [traced] = batch;
    report::build(traced, opts)
}
