//! Every flag of the command line (clap), and nothing else: what the flags
//! mean is resolved once, in [`super::settings`].

use clap::{Args, Parser, Subcommand, ValueEnum};
use spamtrace::enrich::abuse::{rdap, ABUSIX_ZONE};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "spamtrace",
    version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("SPAMTRACE_GIT_REV"), ")"),
    about = "Spam tracing and email header forensics",
    long_about = "Spam tracing and email header forensics: spamtrace reads raw messages \
(stdin, .eml files, mbox, Maildir, folders of messages), walks the Received chain hop by \
hop, decides which hops can be believed (the trust boundary), cross-checks the names each \
hop claims against DNS, flags forged hops, and names the party to complain to: the abuse \
contacts of the first untrusted relay. It prints a table for people, JSON or NDJSON for \
programs, and a complaint or an RFC 5965 (ARF) report ready for sendmail -t -i."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Walk the Received chain of each message and find the first untrusted relay.
    Trace(TraceArgs),
    /// Write a complaint for an abuse desk (or, with --arf, an RFC 5965 report).
    Complain(ComplainArgs),
    /// Run a small SMTP endpoint that stores what arrives (Maildir or mbox).
    Capture(CaptureArgs),
    /// The outgoing queue of complaints: list, run (deliver), flush, retry, drop.
    Queue(QueueArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff) on stdout, or write them all with --dir.
    Man {
        /// The page: a subcommand (trace, complain, capture...); default spamtrace(1).
        page: Option<String>,
        /// Write every page (spamtrace.1, spamtrace-trace.1...) into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "page")]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Ndjson,
    /// A self-contained HTML page (docs/html.md); several messages get an index.
    Html,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whom to believe: shared by trace, complain and capture.
#[derive(Args)]
pub(crate) struct AnalysisArgs {
    /// A network (CIDR or IP) or host name whose Received headers are
    /// believed (a name covers its subdomains: `example.org` trusts
    /// `mx1.example.org`; `*.example.org` and `.example.org` mean the same;
    /// single labels such as `localhost` are names too); repeatable.
    #[arg(long, value_name = "CIDR|HOSTNAME")]
    pub(crate) trusted: Vec<String>,
    /// An authserv-id whose Authentication-Results are believed (your own
    /// receiving servers'); repeatable. Default: the names of trusted receivers.
    #[arg(long, value_name = "ID")]
    pub(crate) authserv_id: Vec<String>,
    /// Config file (TOML); default: $XDG_CONFIG_HOME/spamtrace/config.toml.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Do not infer trust in the receiver's own domain when no --trusted is given.
    #[arg(long)]
    pub(crate) no_infer_trust: bool,
    /// Who "we" are in reports: the name of your own mail servers
    /// (`we = "..."` in the config). Default: inferred from the trusted
    /// receivers (your servers, or the provider hosting your mailbox).
    #[arg(long, value_name = "NAME")]
    pub(crate) we: Option<String>,
}

/// DNS cross-checks (docs/dns.md): shared by trace and complain.
#[derive(Args)]
pub(crate) struct DnsArgs {
    /// DNS server to ask, IP[:PORT]; repeatable, tried in order. Default: the system's resolvers.
    #[arg(long, value_name = "IP[:PORT]")]
    pub(crate) dns_server: Vec<String>,
    /// Timeout per DNS query attempt: seconds (2, 0.5) or milliseconds (500ms).
    #[arg(long, value_name = "DURATION", default_value = "3")]
    pub(crate) dns_timeout: String,
    /// DNS queries in flight at most.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub(crate) dns_concurrency: usize,
    /// No DNS lookups at all: no socket is opened.
    #[arg(long, conflicts_with = "dns_replay")]
    pub(crate) offline: bool,
    /// Answer DNS questions from a JSON report written earlier (no network);
    /// a question missing from it is reported as unknown.
    #[arg(long, value_name = "REPORT.json")]
    pub(crate) dns_replay: Option<PathBuf>,
    /// DNSBL zone to check the first untrusted relay and the probable origin against; repeatable.
    #[arg(long, value_name = "ZONE")]
    pub(crate) dnsbl: Vec<String>,
    /// URI blocklist zone (dbl.spamhaus.org, multi.surbl.org,
    /// multi.uribl.com...) to check the domains of the body's URLs
    /// against; repeatable.
    #[arg(long, value_name = "ZONE")]
    pub(crate) uribl: Vec<String>,
    /// Abusix-style zone giving a network's abuse contact as TXT at the
    /// reversed IP; `none` to not ask.
    #[arg(long, value_name = "ZONE", default_value = ABUSIX_ZONE)]
    pub(crate) abusix_zone: String,
    /// Verify DKIM signatures (keeps message bodies, up to 4 MiB each).
    #[arg(long, conflicts_with = "offline")]
    pub(crate) dkim: bool,
    /// Ask who owns each public hop address (AS number, name, country)
    /// over DNS, in Team Cymru's IP-to-ASN zones (or those of --asn-zones).
    #[arg(long, conflicts_with = "offline")]
    pub(crate) asn: bool,
    /// The IP-to-ASN zones: IPv4 origin, IPv6 origin, AS names.
    #[arg(
        long,
        value_name = "ORIGIN,ORIGIN6,NAMES",
        default_value = "origin.asn.cymru.com,origin6.asn.cymru.com,asn.cymru.com"
    )]
    pub(crate) asn_zones: String,
    /// A MaxMind-format ASN database (GeoLite2-ASN): AS number and name
    /// of each public hop address, offline (instead of --asn).
    #[arg(long, value_name = "FILE.mmdb")]
    pub(crate) asn_db: Option<PathBuf>,
    /// A MaxMind-format country or city database (GeoLite2-Country):
    /// the country of each public hop address, offline.
    #[arg(long, value_name = "FILE.mmdb")]
    pub(crate) geoip: Option<PathBuf>,
}

/// The regional registries (RDAP): shared by trace and complain.
#[derive(Args)]
pub(crate) struct RdapArgs {
    /// Ask the regional registry (RDAP) for the network's abuse contact.
    #[arg(long)]
    pub(crate) rdap: bool,
    /// Folder of the RDAP bootstrap files (ipv4.json, ipv6.json).
    #[arg(long, value_name = "URL", default_value = rdap::IANA_BOOTSTRAP)]
    pub(crate) rdap_bootstrap: String,
    /// The RDAP bootstrap for domain names (RFC 9224 `dns.json`), a URL
    /// or a file, for the registrars of advertised sites (default:
    /// `dns.json` in the --rdap-bootstrap folder).
    #[arg(long, value_name = "URL|FILE")]
    pub(crate) rdap_dns_bootstrap: Option<String>,
    /// One RDAP base URL for every address and domain, instead of the bootstrap.
    #[arg(long, value_name = "URL")]
    pub(crate) rdap_base: Option<String>,
    /// Let RDAP reach private and loopback addresses (a mirror you run).
    #[arg(long)]
    pub(crate) rdap_allow_private: bool,
}

#[derive(Args)]
pub(crate) struct TraceArgs {
    /// Messages to read: a file (one message or an mbox), a Maildir, a
    /// folder of message files, or `-` for stdin (the default).
    pub(crate) paths: Vec<String>,
    /// Read the subfolders of a folder too.
    #[arg(long, short)]
    pub(crate) recursive: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Format,
    /// Short for --format json.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,
    /// Also write the HTML report (one file, an index for several messages) to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "html_dir")]
    pub(crate) html: Option<PathBuf>,
    /// Also write one HTML file per message and an index.html into DIR.
    #[arg(long, value_name = "DIR")]
    pub(crate) html_dir: Option<PathBuf>,
    /// Colour in the table.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) color: ColorChoice,
    /// No progress bar on stderr (errors are still shown).
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// No progress bar (shown on a terminal for a long run: many bytes or
    /// files, or DNS questions; with the DNS questions in flight, answered, failed).
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// Read the header blocks only: no MIME walk, no URLs, no attachments,
    /// no unwrapping (the fastest path).
    #[arg(long)]
    pub(crate) headers_only: bool,
    /// Trace the messages a forward-as-attachment or a feedback report
    /// carries as messages of their own, after the wrapper.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) unwrap: Unwrap,
    /// Write every attachment into DIR (created if missing) as
    /// `<message>-<part>-<name>`, the name sanitised; never executed, never
    /// overwriting a file.
    #[arg(long, value_name = "DIR", conflicts_with = "headers_only")]
    pub(crate) extract: Option<PathBuf>,
    /// Look up whom to report the advertised sites to: for each link host
    /// (at most 10 per message; shorteners, link wrappers, big platforms,
    /// brands' own and our domains never), the network hosting its address
    /// (Abusix zone; RDAP with --rdap) and its domain's registrar (RDAP).
    /// In JSON as `site_contacts`, apart from the relay contacts; with
    /// --offline the sites are listed, nothing is looked up.
    #[arg(long, conflicts_with = "headers_only")]
    pub(crate) site_contacts: bool,
    #[command(flatten)]
    pub(crate) analysis: AnalysisArgs,
    #[command(flatten)]
    pub(crate) dns: DnsArgs,
    #[command(flatten)]
    pub(crate) rdap: RdapArgs,
}

/// When to unwrap reported messages.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Unwrap {
    /// When the message is a forward (`message/rfc822` parts) or an ARF report.
    Auto,
    /// Never: trace the wrapper only.
    Never,
}

#[derive(Args)]
pub(crate) struct ComplainArgs {
    /// The messages: files, mboxes, Maildirs, folders, or `-` for stdin.
    /// One complaint per message and recipient contact (or, with
    /// --digest, one per contact); the same message twice is reported once.
    #[arg(default_value = "-")]
    pub(crate) paths: Vec<String>,
    /// One complaint per contact covering all its messages (each message's
    /// IP, time and evidence; the originals attached). Not with --arf.
    #[arg(long, conflicts_with = "arf")]
    pub(crate) digest: bool,
    /// Write each complaint into DIR as its own file (default: stdout, as
    /// an mbox stream).
    #[arg(long, value_name = "DIR", conflicts_with = "send")]
    pub(crate) out: Option<PathBuf>,
    /// Read folders recursively (every message file below them).
    #[arg(short = 'r', long)]
    pub(crate) recursive: bool,
    /// Address contacts marked `guess` too.
    #[arg(long)]
    pub(crate) include_guesses: bool,
    /// Put the complaints into the outgoing queue (`spamtrace queue run`
    /// delivers them); needs --reporter.
    #[arg(long)]
    pub(crate) send: bool,
    /// The queue folder (default: $XDG_STATE_HOME/spamtrace/queue).
    #[arg(long, value_name = "DIR", env = "SPAMTRACE_QUEUE")]
    pub(crate) queue: Option<PathBuf>,
    /// Do not ask before queueing, and allow more than --max-send.
    #[arg(long)]
    pub(crate) yes: bool,
    /// Show what would be queued for whom; queue nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Queue at most N complaints in a run without --yes.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) max_send: usize,
    /// Write an RFC 5965 (ARF) report message instead of complaint text.
    #[arg(long)]
    pub(crate) arf: bool,
    /// Your address, plain or 'Name <addr>': the From of the report.
    #[arg(long, value_name = "ADDR", env = "SPAMTRACE_REPORTER")]
    pub(crate) reporter: Option<String>,
    /// Address the report to ADDR (repeatable): the report then goes to
    /// exactly --to and --cc, and the contacts found are listed in its text.
    /// Without it, To and Cc are the confirmed contacts found. (The
    /// --sites complaints still go to the sites' desks, with the --cc copies.)
    #[arg(long, value_name = "ADDR")]
    pub(crate) to: Vec<String>,
    /// Send a copy to ADDR (repeatable), beside the contacts found or --to.
    #[arg(long, value_name = "ADDR")]
    pub(crate) cc: Vec<String>,
    /// Include the message body (default: headers only).
    #[arg(long)]
    pub(crate) include_body: bool,
    /// Read the body, add an "Advertised sites" section (the sites the
    /// message's links lead to, defanged; shorteners named as such) and
    /// write one complaint per hosting and per registrar desk of those
    /// sites (as trace --site-contacts finds them): the URLs, when the
    /// message arrived, the evidence, the original attached. A phish is
    /// reported as one (ARF Feedback-Type fraud, the brand it claims).
    #[arg(long)]
    pub(crate) sites: bool,
    /// Address the complaint to a mailing list's server too (by default a
    /// list post gets no recipients: the list relayed it, the poster sent it).
    #[arg(long)]
    pub(crate) force: bool,
    /// Redact recipient addresses (RFC 6590): local parts become keyed hashes.
    #[arg(long)]
    pub(crate) redact: bool,
    /// The secret for --redact hashes.
    #[arg(
        long,
        value_name = "SECRET",
        env = "SPAMTRACE_REDACT_KEY",
        hide_env_values = true
    )]
    pub(crate) redact_key: Option<String>,
    /// Report time as Unix seconds (for reproducible output).
    #[arg(long, hide = true)]
    pub(crate) now: Option<i64>,
    #[command(flatten)]
    pub(crate) analysis: AnalysisArgs,
    /// DNS (as for trace): abuse contacts from PTR, MX and the Abusix-style zone.
    #[command(flatten)]
    pub(crate) dns: DnsArgs,
    #[command(flatten)]
    pub(crate) rdap: RdapArgs,
}

/// `spamtrace capture` flags.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("store").required(true).args(["maildir", "mbox"])))]
pub(crate) struct CaptureArgs {
    /// Address to listen on (`[::]:25` for every IPv6 and IPv4 address).
    #[arg(long, default_value = "127.0.0.1:2525", value_name = "ADDR")]
    pub(crate) listen: SocketAddr,
    /// Store messages in this Maildir (created when missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) maildir: Option<PathBuf>,
    /// Append messages to this mbox (mboxrd).
    #[arg(long, value_name = "FILE")]
    pub(crate) mbox: Option<PathBuf>,
    /// Our name in the greeting and the Received header.
    #[arg(long, default_value = "localhost")]
    pub(crate) hostname: String,
    /// Largest message accepted, in bytes (advertised as SIZE).
    #[arg(long, default_value_t = 10 << 20, value_name = "BYTES")]
    pub(crate) max_size: u64,
    /// Message bytes held in memory by all sessions together; a message
    /// that does not fit gets 452 4.3.1.
    #[arg(long, default_value_t = 512 << 20, value_name = "BYTES")]
    pub(crate) max_buffered: u64,
    /// Recipients per message (RFC 5321 asks for at least 100).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub(crate) max_rcpt: usize,
    /// Connections at once, overall.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub(crate) max_connections: usize,
    /// Connections at once from one IP address.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub(crate) max_per_ip: usize,
    /// Bad commands after which the session is closed with 421.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) max_bad_commands: u32,
    /// Seconds allowed for each command line to arrive.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub(crate) command_timeout: f64,
    /// Seconds allowed for the whole DATA transfer.
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    pub(crate) data_timeout: f64,
    /// Seconds a whole session may last.
    #[arg(long, default_value_t = 900.0, value_name = "SECS")]
    pub(crate) session_timeout: f64,
    /// Seconds to let transactions in flight finish after SIGINT/SIGTERM.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub(crate) shutdown_grace: f64,
    /// PEM certificate chain for STARTTLS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// PEM private key for STARTTLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// IPv6 clients count against --max-per-ip by this prefix (one /64 is
    /// usually one client), IPv4 by the address.
    #[arg(long, default_value_t = 64, value_name = "BITS", value_parser = clap::value_parser!(u8).range(1..=128))]
    pub(crate) ipv6_prefix: u8,
    /// Store the CRLF line ends as sent (a byte-exact wire copy); by
    /// default the stored message has LF line ends, like local mail tools
    /// expect, bare CR bytes kept.
    #[arg(long)]
    pub(crate) keep_crlf: bool,
    /// For tests: offer neither 8BITMIME nor SMTPUTF8, and refuse what
    /// needs them (8-bit bytes, lines over 998 octets), like a strict relay.
    #[arg(long, hide = true)]
    pub(crate) seven_bit_only: bool,
    /// Trace each stored message; a one-line summary goes to stderr.
    #[arg(long)]
    pub(crate) analyze: bool,
    /// With --analyze: write NDJSON reports to this file instead.
    #[arg(long, value_name = "FILE")]
    pub(crate) analyze_out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) analysis: AnalysisArgs,
}

#[derive(Args)]
pub(crate) struct QueueArgs {
    /// The queue folder (default: $XDG_STATE_HOME/spamtrace/queue).
    #[arg(long, value_name = "DIR", env = "SPAMTRACE_QUEUE", global = true)]
    pub(crate) queue: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) action: QueueAction,
}

#[derive(Subcommand)]
pub(crate) enum QueueAction {
    /// List the entries: queued, failed (with the reply) and the sent count.
    List,
    /// Deliver until the queue is empty or every entry waits for its retry time.
    Run(DeliveryArgs),
    /// Make every queued entry due now, then run.
    Flush(DeliveryArgs),
    /// Make entry ID due now (a failed one goes back into the queue).
    Retry { id: String },
    /// Remove entry ID (queued or failed) without sending it.
    Drop { id: String },
    /// One delivery of one entry (run's delivery process; not for people).
    #[command(hide = true)]
    Agent {
        #[arg(long)]
        entry: String,
        #[command(flatten)]
        delivery: DeliveryArgs,
    },
}

#[derive(Args, Clone)]
pub(crate) struct DeliveryArgs {
    /// Hand every complaint to this relay (HOST:PORT). Without it, each
    /// goes to the MX of its recipient's domain. Credentials come from
    /// SPAMTRACE_SMTP_USER / SPAMTRACE_SMTP_PASSWORD, else the config file's
    /// smtp_user / smtp_password; never the command line.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) smarthost: Option<String>,
    /// The smarthost's TLS: required STARTTLS, opportunistic, or none.
    #[arg(long, value_enum, default_value_t = SmarthostTls::Required)]
    pub(crate) smarthost_tls: SmarthostTls,
    /// Trust only the CA certificates in FILE (PEM) for the smarthost.
    #[arg(long, value_name = "FILE")]
    pub(crate) smarthost_ca: Option<PathBuf>,
    /// Port of the MX hosts for direct delivery (25; another for tests).
    #[arg(long, value_name = "PORT", default_value_t = 25)]
    pub(crate) smtp_port: u16,
    /// DNS server for the MX lookups, IP[:PORT]; repeatable. Default: the system's resolvers.
    #[arg(long, value_name = "IP[:PORT]")]
    pub(crate) dns_server: Vec<String>,
    /// Timeout per SMTP command (and the connection): 60, 5s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "60")]
    pub(crate) timeout: String,
    /// Wait before the first retry; doubled each time up to --max-backoff.
    #[arg(long, value_name = "DURATION", default_value = "300")]
    pub(crate) min_backoff: String,
    /// The longest wait between two attempts.
    #[arg(long, value_name = "DURATION", default_value = "4000")]
    pub(crate) max_backoff: String,
    /// How long an entry may stay queued before it fails (Postfix: 5 days).
    #[arg(long, value_name = "DURATION", default_value = "5d")]
    pub(crate) lifetime: String,
    /// Deliveries at once, overall.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) concurrency: usize,
    /// Deliveries at once to one destination (smarthost or domain).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub(crate) per_destination: usize,
    /// At least this long between two deliveries to one destination.
    #[arg(long, value_name = "DURATION", default_value = "0")]
    pub(crate) min_interval: String,
    /// Our name in EHLO (default: this host's name).
    #[arg(long, value_name = "NAME")]
    pub(crate) helo: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SmarthostTls {
    Required,
    Opportunistic,
    None,
}
