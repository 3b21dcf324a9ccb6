//! `spamtrace trace`: every input through the pipeline, reports to stdout
//! in the chosen format, errors and warnings to stderr.

use super::args::{ColorChoice, Format, TraceArgs};
use super::progress::{Bar, Printer};
use super::settings::Settings;
use spamtrace::enrich::dns::auth::DKIM_MAX_BODY;
use spamtrace::input::{self, InputError, InputOptions};
use spamtrace::model::Report;
use spamtrace::report::render::json::{write_ndjson, JsonWriter};
use spamtrace::report::render::table::{self, TableStyle};
use spamtrace::run;
use spamtrace::util::clock::unix_now;
use spamtrace::util::sanitize::for_terminal;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

pub(crate) fn run(args: TraceArgs) -> ExitCode {
    let settings = match Settings::resolve(
        &args.analysis,
        Some(&args.dns),
        Some(&args.rdap),
        unix_now(),
    ) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    let mut enricher = match settings.enricher() {
        Ok(e) => e,
        Err(e) => return super::usage_error(&e),
    };
    let format = if args.json { Format::Json } else { args.format };
    let style = TableStyle {
        color: use_color(args.color),
        width: None,
    };
    let paths = if args.paths.is_empty() {
        vec!["-".to_string()]
    } else {
        args.paths.clone()
    };
    let mut bar = if args.quiet || args.no_progress {
        None
    } else {
        Bar::for_stderr(input::total_size(&paths))
    };
    let stdout = std::io::stdout();
    let mut sink = OutputSink {
        stderr: bar.as_ref().map(|b| b.printer()).unwrap_or_default(),
        out: std::io::BufWriter::new(stdout.lock()),
        format,
        style,
        json: JsonWriter::new(),
    };
    let mut no_progress = run::NoProgress;
    let progress: &mut dyn run::Progress = match bar.as_mut() {
        Some(b) => b,
        None => &mut no_progress,
    };
    // DKIM hashes the body: kept only when asked, and bounded.
    let input_opts = InputOptions {
        keep_body: settings.dkim,
        max_body_bytes: DKIM_MAX_BODY,
        ..InputOptions::default()
    };
    let result = run::run_with_progress(
        &paths,
        &input_opts,
        &settings.trace,
        enricher.as_mut(),
        &mut sink,
        progress,
    );
    if let Some(b) = &bar {
        b.finish();
    }
    let stats = match result {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "spamtrace: cannot write output: {}",
                for_terminal(&e.to_string())
            );
            return ExitCode::from(1);
        }
    };
    if format == Format::Json {
        let _ = sink.json.finish(&mut sink.out);
    }
    let _ = sink.out.flush();
    let degraded = enricher.degraded();
    if let Some(text) = &degraded {
        super::dns_degraded_note(text);
    }
    if stats.errors > 0 {
        ExitCode::from(1)
    } else if degraded.is_some() {
        ExitCode::from(super::EXIT_DEGRADED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes reports to stdout in the chosen format; errors go to stderr.
struct OutputSink<W: Write> {
    out: W,
    stderr: Printer,
    format: Format,
    style: TableStyle,
    json: JsonWriter,
}

impl<W: Write> run::Sink for OutputSink<W> {
    fn report(&mut self, report: Report) -> std::io::Result<()> {
        match self.format {
            Format::Table => writeln!(self.out, "{}", table::render(&report, self.style)),
            Format::Ndjson => write_ndjson(&mut self.out, &report),
            Format::Json => self.json.push(&mut self.out, report),
        }
    }

    /// NDJSON is rendered in the worker threads.
    fn render(&self) -> Option<run::Render> {
        (self.format == Format::Ndjson).then_some(|r, buf| write_ndjson(buf, r))
    }

    fn rendered(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)
    }

    fn error(&mut self, error: InputError) {
        self.stderr
            .eprintln(&format!("spamtrace: {}", for_terminal(&error.to_string())));
    }

    fn warning(&mut self, text: &str) {
        self.stderr
            .eprintln(&format!("spamtrace: {}", for_terminal(text)));
    }
}
