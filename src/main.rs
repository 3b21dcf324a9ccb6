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

// glibc malloc took a quarter of `trace`'s CPU, most of it in lock
// contention between threads; mimalloc keeps per-thread heaps.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Write a complaint for an abuse desk (or, with --arf, an RFC 5965 report).
    Complain(ComplainArgs),
    /// Run a small SMTP endpoint that stores what arrives (Maildir or mbox).
    Capture(spamtrace::capture::CaptureArgs),
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
    /// believed (a name covers its subdomains: `example.org` trusts
    /// `mx1.example.org`); repeatable.
    #[arg(long, value_name = "CIDR|HOSTNAME")]
    trusted: Vec<String>,
    /// An authserv-id whose Authentication-Results are believed (your own
    /// receiving servers'); repeatable. Default: the names of trusted receivers.
    #[arg(long, value_name = "ID")]
    authserv_id: Vec<String>,
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
    #[command(flatten)]
    dns: DnsArgs,
}

/// DNS cross-checks (docs/dns.md).
#[derive(Args)]
struct DnsArgs {
    /// DNS server to ask, IP[:PORT]; repeatable, tried in order. Default: the system's resolvers.
    #[arg(long, value_name = "IP[:PORT]")]
    dns_server: Vec<String>,
    /// Timeout per DNS query attempt: seconds (2, 0.5) or milliseconds (500ms).
    #[arg(long, value_name = "DURATION", default_value = "3")]
    dns_timeout: String,
    /// DNS queries in flight at most.
    #[arg(long, value_name = "N", default_value_t = 32)]
    dns_concurrency: usize,
    /// No DNS lookups at all: no socket is opened.
    #[arg(long, conflicts_with = "dns_replay")]
    offline: bool,
    /// Answer DNS questions from a JSON report written earlier (no network);
    /// a question missing from it is reported as unknown.
    #[arg(long, value_name = "REPORT.json")]
    dns_replay: Option<PathBuf>,
    /// DNSBL zone to check the first untrusted relay and the probable origin against; repeatable.
    #[arg(long, value_name = "ZONE")]
    dnsbl: Vec<String>,
    /// Abusix-style zone giving a network's abuse contact as TXT at the
    /// reversed IP; `none` to not ask.
    #[arg(long, value_name = "ZONE", default_value = spamtrace::abuse::ABUSIX_ZONE)]
    abusix_zone: String,
    /// Verify DKIM signatures (keeps message bodies, up to 4 MiB each).
    #[arg(long, conflicts_with = "offline")]
    dkim: bool,
}

impl DnsArgs {
    /// The abuse stage's settings from these flags.
    fn abuse_config(&self) -> spamtrace::abuse::facts::AbuseConfig {
        let zone = self.abusix_zone.trim().trim_matches('.');
        spamtrace::abuse::facts::AbuseConfig {
            abusix_zone: (!zone.is_empty() && !zone.eq_ignore_ascii_case("none"))
                .then(|| zone.to_ascii_lowercase()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Trace(args) => run_trace(args),
        Command::Complain(args) => run_complain(args),
        Command::Capture(args) => spamtrace::capture::run(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Into a buffer first: clap_complete panics on a closed pipe.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "spamtrace", &mut script);
            match std::io::stdout().write_all(&script) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("spamtrace: cannot write the completions: {e}");
                    ExitCode::from(1)
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
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
    trust.authserv_ids.extend(
        args.authserv_id
            .iter()
            .map(|a| a.trim().trim_end_matches('.').to_ascii_lowercase()),
    );
    Ok(trust)
}

/// The enrich stage the DNS flags ask for: none (`--offline`), a recording
/// (`--dns-replay`), or live DNS; with DNS it also finds the abuse contacts.
/// `trace` and `complain` share it.
fn dns_enricher(
    d: &DnsArgs,
    config: Option<&PathBuf>,
    trust: &TrustConfig,
) -> Result<Box<dyn run::Enricher>, String> {
    use spamtrace::dns;
    if d.offline {
        return Ok(Box::new(run::Offline));
    }
    let config = match config {
        Some(p) => Some(ConfigFile::load(p)?),
        None => ConfigFile::default_path()
            .filter(|p| p.is_file())
            .map(|p| ConfigFile::load(&p))
            .transpose()?,
    };
    let mut zones = d.dnsbl.clone();
    let mut servers = d.dns_server.clone();
    if let Some(c) = &config {
        zones.extend(c.dnsbl.iter().cloned());
        if servers.is_empty() {
            servers.extend(c.dns_server.iter().cloned());
        }
    }
    let opts = dns::DnsOptions { dnsbl: zones };
    let client = match &d.dns_replay {
        Some(path) => dns::DnsClient::replay(dns::Recording::load(path)?),
        None => dns::DnsClient::live(&dns::LiveConfig {
            servers: servers
                .iter()
                .map(|s| dns::parse_server(s))
                .collect::<Result<_, _>>()?,
            timeout: dns::parse_timeout(&d.dns_timeout)?,
            concurrency: d.dns_concurrency.max(1),
        })?,
    };
    let enricher = dns::DnsEnricher::new(client, opts)
        .map_err(|e| format!("cannot start the DNS stage: {e}"))?
        .with_abuse(dns::abuse::AbuseOptions {
            trust: trust.clone(),
            config: d.abuse_config(),
        });
    Ok(Box::new(enricher))
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
    let mut enricher = match dns_enricher(&args.dns, args.config.as_ref(), &opts.trust) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("spamtrace: {}", spamtrace::sanitize::for_terminal(&e));
            return ExitCode::from(2);
        }
    };
    let mut no_progress = run::NoProgress;
    let progress: &mut dyn run::Progress = match bar.as_mut() {
        Some(b) => b,
        None => &mut no_progress,
    };
    // DKIM hashes the body: kept only when asked, and bounded.
    let input_opts = InputOptions {
        keep_body: args.dns.dkim,
        max_body_bytes: spamtrace::dns::auth::DKIM_MAX_BODY,
        ..InputOptions::default()
    };
    let result = run::run_with_progress(
        &paths,
        &input_opts,
        &opts,
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

    /// NDJSON is rendered in the worker threads.
    fn render(&self) -> Option<run::Render> {
        (self.format == Format::Ndjson).then_some(|r, buf| write_ndjson(buf, r))
    }

    fn rendered(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)
    }

    fn error(&mut self, error: input::InputError) {
        self.stderr.eprintln(&format!(
            "spamtrace: {}",
            spamtrace::sanitize::for_terminal(&error.to_string())
        ));
    }
}

#[derive(Args)]
struct ComplainArgs {
    /// The message: a file or `-` for stdin. Of an mbox or Maildir only the
    /// FIRST message is used (a warning says so).
    #[arg(default_value = "-")]
    path: String,
    /// Write an RFC 5965 (ARF) report message instead of complaint text.
    #[arg(long)]
    arf: bool,
    /// Your address, plain or 'Name <addr>': the From of the report.
    #[arg(long, value_name = "ADDR", env = "SPAMTRACE_REPORTER")]
    reporter: Option<String>,
    /// Include the message body (default: headers only).
    #[arg(long)]
    include_body: bool,
    /// Redact recipient addresses (RFC 6590): local parts become keyed hashes.
    #[arg(long)]
    redact: bool,
    /// The secret for --redact hashes.
    #[arg(
        long,
        value_name = "SECRET",
        env = "SPAMTRACE_REDACT_KEY",
        hide_env_values = true
    )]
    redact_key: Option<String>,
    /// A network (CIDR or IP) or host name whose Received headers are believed; repeatable.
    #[arg(long, value_name = "CIDR|HOSTNAME")]
    trusted: Vec<String>,
    /// Config file (TOML); default: $XDG_CONFIG_HOME/spamtrace/config.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not infer trust in the receiver's own domain when no --trusted is given.
    #[arg(long)]
    no_infer_trust: bool,
    /// Ask the regional registry (RDAP) for the network's abuse contact.
    #[arg(long)]
    rdap: bool,
    /// Folder of the RDAP bootstrap files (ipv4.json, ipv6.json).
    #[arg(long, value_name = "URL", default_value = spamtrace::abuse::rdap::IANA_BOOTSTRAP)]
    rdap_bootstrap: String,
    /// One RDAP base URL for every address, instead of the bootstrap.
    #[arg(long, value_name = "URL")]
    rdap_base: Option<String>,
    /// Let RDAP reach private and loopback addresses (a mirror you run).
    #[arg(long)]
    rdap_allow_private: bool,
    /// Report time as Unix seconds (for reproducible output).
    #[arg(long, hide = true)]
    now: Option<i64>,
    /// DNS (as for trace): abuse contacts from PTR, MX and the Abusix-style zone.
    #[command(flatten)]
    dns: DnsArgs,
}

fn complain_trust(args: &ComplainArgs) -> Result<TrustConfig, String> {
    let mut trust = TrustConfig::default();
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => ConfigFile::default_path().filter(|p| p.is_file()),
    };
    if let Some(p) = path {
        let c = ConfigFile::load(&p)?;
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

fn run_complain(args: ComplainArgs) -> ExitCode {
    use spamtrace::abuse;
    use spamtrace::report::{arf, complaint};
    let trust = match complain_trust(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("spamtrace: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(r) = &args.reporter {
        // Header injection is the threat: one mailbox, no control character.
        if let Err(e) = abuse::address::Mailbox::parse(r) {
            eprintln!(
                "spamtrace: --reporter {}: {e}; expected me@example.org or 'Jane Doe <me@example.org>'",
                spamtrace::sanitize::for_terminal(&format!("{r:?}"))
            );
            return ExitCode::from(2);
        }
    }
    let mut enricher = match dns_enricher(&args.dns, args.config.as_ref(), &trust) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("spamtrace: {}", spamtrace::sanitize::for_terminal(&e));
            return ExitCode::from(2);
        }
    };
    let input_opts = InputOptions {
        keep_body: args.include_body,
        ..InputOptions::default()
    };
    let mut messages = input::open(&args.path, &input_opts);
    let msg = match messages.next() {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            eprintln!(
                "spamtrace: {}",
                spamtrace::sanitize::for_terminal(&e.to_string())
            );
            return ExitCode::from(1);
        }
        None => {
            eprintln!(
                "spamtrace: no message in {}",
                spamtrace::sanitize::for_terminal(&args.path)
            );
            return ExitCode::from(1);
        }
    };
    if messages.next().is_some() {
        eprintln!("spamtrace: complaining about the first message only");
    }
    let now = args.now.unwrap_or_else(pipeline::unix_now);
    let opts = TraceOptions {
        trust: trust.clone(),
        infer_trust: !args.no_infer_trust,
        now,
    };
    // The same stages as trace: the DNS enricher finds the contacts.
    let mut batch = [pipeline::parse(msg.clone(), &opts)];
    enricher.enrich(&mut batch);
    let [traced] = batch;
    let mut report = pipeline::finish(traced, &opts);
    let rdap = args.rdap.then(|| abuse::rdap::RdapConfig {
        bootstrap_url: args.rdap_bootstrap.clone(),
        base_url: args.rdap_base.clone(),
        allow_private: args.rdap_allow_private,
    });
    // With RDAP, the contacts are found again from the DNS answers the
    // report recorded (no new DNS question) plus the registry's answer.
    let mut warnings = Vec::new();
    if let Some(rc) = &rdap {
        let recorded = spamtrace::dns::abuse::Recorded::of(report.dns.as_ref());
        warnings = abuse::attach(
            &mut report,
            &msg.header,
            &trust,
            &recorded,
            &args.dns.abuse_config(),
            Some(rc),
        );
    }
    for w in warnings {
        eprintln!("spamtrace: {}", spamtrace::sanitize::for_terminal(&w));
    }
    let copts = complaint::ComplaintOptions {
        include_body: args.include_body,
        redact: args
            .redact
            .then(|| args.redact_key.clone().unwrap_or_else(random_redact_key)),
        reporter: args.reporter.clone(),
        now,
        message_id: None,
        boundary: None,
        authserv_ids: trust.authserv_ids.clone(),
    };
    if complaint::recipients(&report.abuse_contacts).is_empty() {
        eprintln!("spamtrace: no confirmed abuse contact found; fill in the recipients yourself");
        if args.dns.offline {
            eprintln!(
                "spamtrace: --offline: no DNS-based contacts (PTR, MX, Abusix TXT) were looked up"
            );
        }
    }
    let out = if args.arf {
        if args.reporter.is_none() {
            eprintln!("spamtrace: no --reporter given: the report is From spamtrace@localhost");
        }
        arf::render(&report, &msg, &copts)
    } else {
        complaint::render(&report, &msg, &copts).into_bytes()
    };
    // The report carries the message's own bytes (headers as evidence):
    // fine for `sendmail -t`, not for a terminal, where they could be
    // escape sequences.
    let out = if std::io::stdout().is_terminal() {
        spamtrace::sanitize::for_terminal_lines(&String::from_utf8_lossy(&out)).into_bytes()
    } else {
        out
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|_| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spamtrace: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

/// A secret for `--redact` when none is given: random per run, so the
/// tokens cannot be reversed by guessing local parts (RFC 6590 wants them
/// unlinkable without the key). Said on stderr, since tokens then differ
/// between runs.
fn random_redact_key() -> String {
    let mut key = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key));
    if read.is_err() {
        // No /dev/urandom: fall back to the clock and the process id.
        let t = pipeline::unix_now() as u128 ^ ((std::process::id() as u128) << 64);
        key = t.to_le_bytes();
    }
    eprintln!("spamtrace: no --redact-key given: using a random key for this run (set SPAMTRACE_REDACT_KEY for tokens that stay the same)");
    key.iter().map(|b| format!("{b:02x}")).collect()
}
