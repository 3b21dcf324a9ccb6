//! `spamtrace trace`: every input through the pipeline, reports to stdout
//! in the chosen format, errors and warnings to stderr.

use super::args::{ColorChoice, Format, TraceArgs};
use super::progress::{Bar, Printer};
use super::settings::Settings;
use spamtrace::enrich::dns::auth::DKIM_MAX_BODY;
use spamtrace::input::{self, InputError, InputOptions};
use spamtrace::model::Report;
use spamtrace::report::render::html::{HtmlDir, HtmlWriter};
use spamtrace::report::render::json::{push_ndjson, write_ndjson, JsonWriter};
use spamtrace::report::render::table::{self, TableStyle};
use spamtrace::run;
use spamtrace::util::clock::unix_now;
use spamtrace::util::sanitize::for_terminal;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
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
    let mut settings = match Settings::resolve(
        &args.analysis,
        Some(&args.dns),
        Some(&args.rdap),
        unix_now(),
    ) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    settings.trace.site_contacts = args.site_contacts;
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
    // DKIM hashes the body: kept only when asked, and bounded.
    // Bodies are read (bounded) unless --headers-only.
    settings.trace.bodies = !args.headers_only;
    let input_opts = InputOptions {
        keep_body: settings.dkim || !args.headers_only,
        max_body_bytes: DKIM_MAX_BODY,
        recursive: args.recursive,
        unwrap: !args.headers_only && args.unwrap == super::args::Unwrap::Auto,
        ..InputOptions::default()
    };
    let census = input::census(&paths, &input_opts);
    let mut bar = if args.quiet || args.no_progress {
        None
    } else {
        Bar::for_stderr(&census, enricher.dns_progress())
    };
    let html = match Html::open(format, args.html.as_deref(), args.html_dir.as_deref()) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("spamtrace: {e}");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut sink = OutputSink {
        stderr: bar.as_ref().map(|b| b.printer()).unwrap_or_default(),
        out: std::io::BufWriter::new(stdout.lock()),
        format,
        style,
        json: JsonWriter::new(census.several),
        html,
    };
    let mut no_progress = run::NoProgress;
    let progress: &mut dyn run::Progress = match bar.as_mut() {
        Some(b) => b,
        None => &mut no_progress,
    };
    if !args.quiet {
        for (folder, notice) in &census.skipped {
            sink.stderr
                .eprintln(&format!("spamtrace: {}: {notice}", for_terminal(folder)));
        }
    }
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
    if let Some(html) = sink.html.take() {
        match html.finish(&mut sink.out) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("spamtrace: cannot write the HTML report: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let _ = sink.out.flush();
    let degraded = enricher.degraded();
    if let Some(text) = &degraded {
        super::dns_degraded_note(text);
    }
    if let Some(dir) = &args.extract {
        match super::extract::extract(&paths, &input_opts, dir) {
            Ok(n) => eprintln!(
                "spamtrace: {} written to {}",
                spamtrace::util::words::count(n, "attachment"),
                for_terminal(&dir.display().to_string())
            ),
            Err(e) => {
                eprintln!("spamtrace: --extract: {e}");
                return ExitCode::from(1);
            }
        }
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
    html: Option<Html>,
}

/// Where the HTML report goes: stdout or a file (one document, an index
/// for several messages; the sections wait in an unlinked temporary file),
/// or a folder of pages.
enum Html {
    Stdout(HtmlWriter<File>),
    File(PathBuf, HtmlWriter<File>),
    Dir(HtmlDir),
}

impl Html {
    fn open(
        format: Format,
        file: Option<&Path>,
        dir: Option<&Path>,
    ) -> Result<Option<Html>, String> {
        if let Some(d) = dir {
            return HtmlDir::create(d)
                .map(|d| Some(Html::Dir(d)))
                .map_err(|e| format!("cannot create {}: {e}", d.display()));
        }
        if file.is_none() && format != Format::Html {
            return Ok(None);
        }
        let spool = spool().map_err(|e| format!("cannot make a temporary file: {e}"))?;
        Ok(Some(match file {
            Some(f) => {
                // Fail now, not after the whole run, when FILE cannot be written.
                File::create(f).map_err(|e| format!("cannot write {}: {e}", f.display()))?;
                Html::File(f.to_path_buf(), HtmlWriter::new(spool))
            }
            None => Html::Stdout(HtmlWriter::new(spool)),
        }))
    }

    fn push(&mut self, r: &Report) -> std::io::Result<()> {
        match self {
            Html::Stdout(w) | Html::File(_, w) => w.push(r),
            Html::Dir(d) => d.push(r),
        }
    }

    fn error(&mut self, text: &str) {
        match self {
            Html::Stdout(w) | Html::File(_, w) => w.error(text),
            Html::Dir(d) => d.error(text),
        }
    }

    fn finish(self, stdout: &mut impl Write) -> std::io::Result<()> {
        match self {
            Html::Stdout(w) => w.finish(stdout),
            Html::File(path, w) => {
                let mut f = std::io::BufWriter::new(File::create(&path)?);
                w.finish(&mut f)?;
                f.flush()
            }
            Html::Dir(d) => d.finish().map(|_| ()),
        }
    }
}

/// A temporary file, unlinked at once: it goes away with the process.
fn spool() -> std::io::Result<File> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path =
        std::env::temp_dir().join(format!("spamtrace-html-{}-{nanos}.tmp", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    Ok(f)
}

impl<W: Write> run::Sink for OutputSink<W> {
    fn report(&mut self, report: Report) -> std::io::Result<()> {
        if let Some(h) = &mut self.html {
            h.push(&report)?;
        }
        match self.format {
            Format::Table => writeln!(self.out, "{}", table::render(&report, self.style)),
            Format::Ndjson => write_ndjson(&mut self.out, &report),
            Format::Json => self.json.push(&mut self.out, report),
            // Written at the end (the index comes first).
            Format::Html => Ok(()),
        }
    }

    /// NDJSON is rendered in the worker threads (unless HTML needs the reports).
    fn render(&self) -> Option<run::Render> {
        (self.format == Format::Ndjson && self.html.is_none())
            .then_some(|r, buf| push_ndjson(buf, r))
    }

    fn rendered(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)
    }

    fn error(&mut self, error: InputError) {
        let text = error.to_string();
        if let Some(h) = &mut self.html {
            h.error(&text);
        }
        self.stderr
            .eprintln(&format!("spamtrace: {}", for_terminal(&text)));
    }

    fn warning(&mut self, text: &str) {
        self.stderr
            .eprintln(&format!("spamtrace: {}", for_terminal(text)));
    }
}
