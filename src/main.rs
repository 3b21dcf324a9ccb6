//! The `spamtrace` command line: argument parsing and dispatch only.

use clap::{Args, Parser, Subcommand, ValueEnum};
use spamtrace::input::{self, InputOptions};
use spamtrace::pipeline::{self, TraceOptions};
use spamtrace::report::json::{write_ndjson, JsonWriter};
use spamtrace::report::table::{self, TableStyle};
use spamtrace::run;
use spamtrace::trust::{ConfigFile, TrustConfig};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "spamtrace",
    version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("SPAMTRACE_GIT_REV"), ")"),
    about = "Spam tracing and email header forensics"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Walk the Received chain of each message and find the first untrusted relay.
    Trace(TraceArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    Man,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Ndjson,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
struct TraceArgs {
    /// Messages to read: a file (one message or an mbox), a Maildir folder,
    /// or `-` for stdin (the default).
    paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Short for --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// A network (CIDR or IP) or host name whose Received headers are
    /// believed; repeatable.
    #[arg(long, value_name = "CIDR|HOSTNAME")]
    trusted: Vec<String>,
    /// Config file (TOML); default: $XDG_CONFIG_HOME/spamtrace/config.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not infer trust in the receiver's own domain when no --trusted is given.
    #[arg(long)]
    no_infer_trust: bool,
    /// Colour in the table.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// No progress bar on stderr (errors are still shown).
    #[arg(long, short)]
    quiet: bool,
    /// No progress bar (shown by default when stderr is a terminal and the input is large).
    #[arg(long)]
    no_progress: bool,
    /// No DNS lookups at all (for now every run is offline).
    #[arg(long)]
    offline: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Trace(args) => run_trace(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "spamtrace", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("spamtrace: cannot write the man page: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// Build the trust configuration from the config file and the flags.
fn trust_config(args: &TraceArgs) -> Result<TrustConfig, String> {
    let mut trust = TrustConfig::default();
    let config = match &args.config {
        Some(p) => Some(ConfigFile::load(p)?),
        None => match ConfigFile::default_path() {
            Some(p) if p.is_file() => Some(ConfigFile::load(&p)?),
            _ => None,
        },
    };
    if let Some(c) = &config {
        for t in &c.trusted {
            trust.add(t)?;
        }
        trust.authserv_ids.extend(c.authserv_id.iter().cloned());
    }
    for t in &args.trusted {
        trust.add(t)?;
    }
    Ok(trust)
}

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

fn run_trace(args: TraceArgs) -> ExitCode {
    let trust = match trust_config(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("spamtrace: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = TraceOptions {
        trust,
        infer_trust: !args.no_infer_trust,
        now: pipeline::unix_now(),
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
        spamtrace::progress::Bar::for_stderr(input::total_size(&paths))
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
    let result = run::run_with_progress(
        &paths,
        &InputOptions::default(),
        &opts,
        &mut run::Offline,
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
            eprintln!("spamtrace: cannot write output: {e}");
            return ExitCode::from(1);
        }
    };
    if format == Format::Json {
        let _ = sink.json.finish(&mut sink.out);
    }
    let _ = sink.out.flush();
    if stats.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes reports to stdout in the chosen format; errors go to stderr.
struct OutputSink<W: Write> {
    out: W,
    stderr: spamtrace::progress::Printer,
    format: Format,
    style: TableStyle,
    json: JsonWriter,
}

impl<W: Write> run::Sink for OutputSink<W> {
    fn report(&mut self, report: spamtrace::report::Report) -> std::io::Result<()> {
        match self.format {
            Format::Table => writeln!(self.out, "{}", table::render(&report, self.style)),
            Format::Ndjson => write_ndjson(&mut self.out, &report),
            Format::Json => self.json.push(&mut self.out, report),
        }
    }

    fn error(&mut self, error: input::InputError) {
        self.stderr.eprintln(&format!(
            "spamtrace: {}",
            spamtrace::sanitize::for_terminal(&error.to_string())
        ));
    }
}
