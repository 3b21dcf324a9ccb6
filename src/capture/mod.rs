//! `spamtrace capture`: a small, hardened SMTP endpoint that stores what
//! arrives (Maildir or mbox) under a Received header we write ourselves.
//!
//! - [`session`]: the SMTP conversation, limits and deadlines
//! - [`data`]: the DATA phase (end of data, dot-stuffing, size limit)
//! - [`stamp`]: our Return-Path and Received headers
//! - [`store`]: durable Maildir / mbox storage
//! - [`analyze`]: the optional trace of each stored message
//!
//! This module owns the listener: connection limits, STARTTLS upgrades and
//! the graceful stop on SIGINT/SIGTERM.

pub(crate) mod analyze;
pub mod data;
pub mod session;
pub(crate) mod stamp;
pub mod store;

use crate::chain::TraceOptions;
use crate::util::sanitize::for_terminal_lines;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// `spamtrace capture` settings (the CLI's flags, resolved).
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// Address to listen on (`[::]:25` for every IPv6 and IPv4 address).
    pub listen: SocketAddr,
    /// Store messages in this Maildir (created when missing).
    pub maildir: Option<PathBuf>,
    /// Append messages to this mbox (mboxrd).
    pub mbox: Option<PathBuf>,
    /// Our name in the greeting and the Received header.
    pub hostname: String,
    /// Largest message accepted, in bytes (advertised as SIZE).
    pub max_size: u64,
    /// Message bytes held in memory by all sessions together; a message
    /// that does not fit gets 452 4.3.1.
    pub max_buffered: u64,
    /// Recipients per message (RFC 5321 asks for at least 100).
    pub max_rcpt: usize,
    /// Connections at once, overall.
    pub max_connections: usize,
    /// Connections at once from one IP address.
    pub max_per_ip: usize,
    /// Bad commands after which the session is closed with 421.
    pub max_bad_commands: u32,
    /// Seconds allowed for each command line to arrive.
    pub command_timeout: f64,
    /// Seconds allowed for the whole DATA transfer.
    pub data_timeout: f64,
    /// Seconds a whole session may last.
    pub session_timeout: f64,
    /// Seconds to let transactions in flight finish after SIGINT/SIGTERM.
    pub shutdown_grace: f64,
    /// PEM certificate chain for STARTTLS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for STARTTLS.
    pub tls_key: Option<PathBuf>,
    /// IPv6 peers count against `max_per_ip` by this prefix length.
    pub ipv6_prefix: u8,
    /// Store CRLF line ends as sent (otherwise LF, bare CR kept).
    pub keep_crlf: bool,
    /// Offer neither 8BITMIME nor SMTPUTF8 and refuse what needs them (a
    /// strict relay, for tests).
    pub seven_bit_only: bool,
    /// Trace each stored message; a one-line summary goes to stderr.
    pub analyze: bool,
    /// With --analyze: write NDJSON reports to this file instead.
    pub analyze_out: Option<PathBuf>,
    /// How `--analyze` traces: the run's trust settings.
    pub analysis: TraceOptions,
}

/// Why the capture server cannot start as asked.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Settings every session reads.
pub struct Config {
    pub hostname: String,
    pub max_size: u64,
    pub max_rcpt: usize,
    pub max_bad_commands: u32,
    pub command_timeout: Duration,
    pub data_timeout: Duration,
    pub session_timeout: Duration,
    pub tls: Option<TlsAcceptor>,
    pub budget: Arc<data::Budget>,
    /// Store CRLF line ends as sent (otherwise LF).
    pub keep_crlf: bool,
    /// Offer neither 8BITMIME nor SMTPUTF8 (a strict relay, for tests).
    pub seven_bit_only: bool,
}

/// What sessions share: settings, the store, the analyzer, the stop signal.
pub struct Shared {
    pub cfg: Config,
    pub store: store::Store,
    pub analyzer: Option<analyze::Analyzer>,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Shared {
    /// Store a message durably, then trace it when asked (blocking).
    /// The message is not copied: the store writes from it, and the
    /// analysis copies only its header block (at most
    /// [`analyze::MAX_HEADER`], counted in the memory budget).
    fn store_and_analyze(&self, msg: store::Message) -> std::io::Result<()> {
        let msg = Arc::new(msg);
        let path = self.store.store(&msg)?;
        if let Some(a) = &self.analyzer {
            a.analyze(&msg.id, &path, &msg.stamp, &msg.content, &self.cfg.budget);
        }
        Ok(())
    }
}

/// A unique message id: time, process id and a counter.
pub fn next_id(time: i64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("M{time:X}P{}Q{n}", std::process::id())
}

/// The longest timeout accepted: a week. Longer ones (`1e19`) would
/// overflow the deadline arithmetic of every session.
pub const MAX_TIMEOUT_SECS: f64 = 7.0 * 86_400.0;

fn secs(s: f64, name: &str) -> Result<Duration, String> {
    if !(s.is_finite() && s > 0.0 && s <= MAX_TIMEOUT_SECS) {
        return Err(format!(
            "--{name}: {s}: expected seconds, more than 0 and at most {MAX_TIMEOUT_SECS}"
        ));
    }
    Duration::try_from_secs_f64(s).map_err(|_| format!("--{name}: not a duration: {s}"))
}

fn load_tls(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let certs = rustls_pemfile::certs(&mut &cert_pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", cert.display()));
    }
    let key = rustls_pemfile::private_key(&mut &key_pem[..])
        .map_err(|e| format!("{}: {e}", key.display()))?
        .ok_or_else(|| format!("{}: no private key found", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate/key: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn build(
    args: &CaptureOptions,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<Shared, String> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(load_tls(c, k)?),
        _ => None,
    };
    let store = match (&args.maildir, &args.mbox) {
        (Some(d), _) => store::Store::Maildir(Arc::new(
            store::Maildir::open(d, &args.hostname).map_err(|e| format!("{}: {e}", d.display()))?,
        )),
        (None, Some(m)) => store::Store::Mbox(
            store::MboxWriter::open(m).map_err(|e| format!("{}: {e}", m.display()))?,
        ),
        (None, None) => return Err("give --maildir DIR or --mbox FILE".into()),
    };
    let analyzer = if args.analyze || args.analyze_out.is_some() {
        Some(
            analyze::Analyzer::new(args.analyze_out.as_deref(), args.analysis.clone())
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    if args.max_rcpt == 0 || args.max_connections == 0 || args.max_per_ip == 0 {
        return Err("--max-rcpt, --max-connections and --max-per-ip must be at least 1".into());
    }
    Ok(Shared {
        cfg: Config {
            hostname: stamp::sanitize_helo(&args.hostname),
            max_size: args.max_size,
            max_rcpt: args.max_rcpt,
            max_bad_commands: args.max_bad_commands,
            command_timeout: secs(args.command_timeout, "command-timeout")?,
            data_timeout: secs(args.data_timeout, "data-timeout")?,
            session_timeout: secs(args.session_timeout, "session-timeout")?,
            tls,
            budget: Arc::new(data::Budget::new(args.max_buffered)),
            keep_crlf: args.keep_crlf,
            seven_bit_only: args.seven_bit_only,
        },
        store,
        analyzer,
        shutdown,
    })
}

/// Run the capture server until SIGINT or SIGTERM.
pub fn run(args: CaptureOptions) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("spamtrace capture: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(serve(args))
}

/// Open connections, overall and per IP; a slot is freed when dropped.
#[derive(Default)]
struct Slots {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

struct Slot {
    slots: Arc<Mutex<Slots>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut s) = self.slots.lock() {
            s.total -= 1;
            if let Some(n) = s.per_ip.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    s.per_ip.remove(&self.ip);
                }
            }
        }
    }
}

fn take_slot(slots: &Arc<Mutex<Slots>>, ip: IpAddr, args: &CaptureOptions) -> Option<Slot> {
    let mut s = slots.lock().ok()?;
    let here = s.per_ip.get(&ip).copied().unwrap_or(0);
    if s.total >= args.max_connections || here >= args.max_per_ip {
        return None;
    }
    s.total += 1;
    s.per_ip.insert(ip, here + 1);
    Some(Slot {
        slots: Arc::clone(slots),
        ip,
    })
}

async fn serve(args: CaptureOptions) -> ExitCode {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shared = match build(&args, stop_rx) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("spamtrace capture: {}", for_terminal_lines(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let stop = match stop_signal() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("spamtrace capture: cannot install signal handlers: {e}");
            return ExitCode::from(1);
        }
    };
    let listener = match TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("spamtrace capture: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    match listener.local_addr() {
        Ok(a) => eprintln!("spamtrace capture: listening on {a}"),
        Err(_) => eprintln!("spamtrace capture: listening on {}", args.listen),
    }
    let slots = Arc::new(Mutex::new(Slots::default()));
    let mut sessions = tokio::task::JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: pause, don't spin.
                        eprintln!("spamtrace capture: accept: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let slot = take_slot(&slots, client_key(peer.ip(), args.ipv6_prefix), &args);
                let shared = Arc::clone(&shared);
                sessions.spawn(connection(shared, stream, peer.ip(), slot));
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    drop(listener);
    eprintln!(
        "spamtrace capture: stopping; {} session(s) in flight",
        sessions.len()
    );
    let _ = stop_tx.send(true);
    let grace = Duration::try_from_secs_f64(args.shutdown_grace.min(MAX_TIMEOUT_SECS))
        .unwrap_or(Duration::ZERO);
    let all_done = async { while sessions.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        eprintln!("spamtrace capture: grace period over; unfinished transactions dropped");
    }
    ExitCode::SUCCESS
}

/// SIGINT or SIGTERM. The handlers are installed here, before we listen,
/// so a signal can never hit the default action (death) instead.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// One client connection: limits, then the session, then STARTTLS if asked.
async fn connection(shared: Arc<Shared>, stream: TcpStream, peer: IpAddr, slot: Option<Slot>) {
    use tokio::io::AsyncWriteExt;
    let _ = stream.set_nodelay(true);
    let mut stream = stream;
    let Some(_slot) = slot else {
        let refuse = stream.write_all(b"421 4.7.0 Too many connections, try again later\r\n");
        let _ = tokio::time::timeout(Duration::from_secs(5), refuse).await;
        return;
    };
    let mut conn = session::Conn {
        peer: canonical(peer),
        tls: false,
        session_deadline: tokio::time::Instant::now() + shared.cfg.session_timeout,
        bad_commands: 0,
    };
    let mut io: Box<dyn session::Io> = Box::new(stream);
    let mut greet = true;
    loop {
        match session::run(&shared, &mut conn, io, greet).await {
            session::End::Closed => return,
            session::End::StartTls(plain) => {
                let Some(acceptor) = shared.cfg.tls.clone() else {
                    return;
                };
                let until = tokio::time::Instant::now() + shared.cfg.command_timeout;
                match tokio::time::timeout_at(until, acceptor.accept(plain)).await {
                    Ok(Ok(tls)) => io = Box::new(tls),
                    _ => return,
                }
                conn.tls = true;
                greet = false;
            }
        }
    }
}

/// An IPv4 client on an IPv6 socket is recorded as IPv4.
/// What `--max-per-ip` counts: an IPv4 address (also when IPv4-mapped), or
/// an IPv6 address cut to its first `prefix` bits: one client with a /64
/// has 2^64 addresses and must not take every slot.
pub fn client_key(ip: IpAddr, prefix: u8) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let bits = u32::from(prefix.clamp(1, 128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
        v4 => v4,
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}
