//! `spamtrace queue`: the outgoing queue's commands (list, run, flush,
//! retry, drop) over [`spamtrace::queue`].

use super::args::{DeliveryArgs, QueueAction, QueueArgs, SmarthostTls};
use spamtrace::enrich::dns::client::{DnsClient, LiveConfig};
use spamtrace::queue::deliver::{self, Route, RunOptions, Smarthost, TlsMode};
use spamtrace::queue::policy::{parse_duration, RetryPolicy};
use spamtrace::queue::{Spool, State};
use spamtrace::util::sanitize::for_terminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `$XDG_STATE_HOME/spamtrace/queue` (`~/.local/state/spamtrace/queue`).
pub(crate) fn default_dir() -> Result<PathBuf, String> {
    dirs::state_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .map(|d| d.join("spamtrace").join("queue"))
        .ok_or_else(|| "no state folder ($XDG_STATE_HOME, $HOME): give --queue DIR".into())
}

pub(crate) fn open(dir: Option<&Path>) -> Result<Spool, String> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => default_dir()?,
    };
    Spool::open(&dir).map_err(|e| format!("queue {}: {e}", dir.display()))
}

pub(crate) fn run(args: QueueArgs) -> ExitCode {
    let spool = match open(args.queue.as_deref()) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e),
    };
    match args.action {
        QueueAction::List => list(&spool),
        QueueAction::Run(d) => deliver_all(spool, &d, false),
        QueueAction::Flush(d) => deliver_all(spool, &d, true),
        QueueAction::Retry { id } => retry(&spool, &id),
        QueueAction::Drop { id } => drop_entry(&spool, &id),
    }
}

fn list(spool: &Spool) -> ExitCode {
    let now = spamtrace::util::clock::unix_now();
    let mut shown = 0;
    for state in [State::Queued, State::Failed] {
        for id in spool.ids(state).unwrap_or_default() {
            match spool.load(state, &id) {
                Ok(e) => {
                    shown += 1;
                    let when = if state == State::Failed {
                        "failed".to_string()
                    } else if e.next_try <= now {
                        "due".to_string()
                    } else {
                        format!("retry in {}s", e.next_try - now)
                    };
                    println!(
                        "{id}  {when}  to {}  attempts {}{}",
                        for_terminal(&e.to.join(", ")),
                        e.attempts.len(),
                        e.last_reply()
                            .map(|r| format!("  last: {}", for_terminal(r)))
                            .unwrap_or_default()
                    );
                }
                Err(err) => eprintln!("spamtrace: {}", for_terminal(&err)),
            }
        }
    }
    let sent = spool.ids(State::Sent).map_or(0, |v| v.len());
    println!(
        "{} queued, {} failed, {sent} sent ({})",
        spool.ids(State::Queued).map_or(0, |v| v.len()),
        spool.ids(State::Failed).map_or(0, |v| v.len()),
        spool.root().display()
    );
    let _ = shown;
    ExitCode::SUCCESS
}

fn retry(spool: &Spool, id: &str) -> ExitCode {
    let Some(state) = spool.find(id) else {
        eprintln!("spamtrace: no queue entry {}", for_terminal(id));
        return ExitCode::from(1);
    };
    if state == State::Sent {
        eprintln!("spamtrace: {} was sent already", for_terminal(id));
        return ExitCode::from(1);
    }
    let r = spool.load(state, id).and_then(|mut e| {
        e.next_try = 0;
        if state == State::Failed {
            // A fresh lifetime: the user asked for it.
            e.created = spamtrace::util::clock::unix_now();
        }
        spool
            .write(State::Queued, &e)
            .map_err(|x| x.to_string())?;
        if state == State::Failed {
            spool.remove(State::Failed, id).map_err(|x| x.to_string())?;
        }
        Ok(())
    });
    match r {
        Ok(()) => {
            eprintln!("spamtrace: {} is due now (spamtrace queue run)", for_terminal(id));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("spamtrace: {}", for_terminal(&e));
            ExitCode::from(1)
        }
    }
}

fn drop_entry(spool: &Spool, id: &str) -> ExitCode {
    match spool.find(id) {
        Some(s @ (State::Queued | State::Failed)) => match spool.remove(s, id) {
            Ok(()) => {
                eprintln!("spamtrace: dropped {}", for_terminal(id));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("spamtrace: {}: {e}", for_terminal(id));
                ExitCode::from(1)
            }
        },
        Some(State::Sent) => {
            eprintln!("spamtrace: {} was sent already", for_terminal(id));
            ExitCode::from(1)
        }
        None => {
            eprintln!("spamtrace: no queue entry {}", for_terminal(id));
            ExitCode::from(1)
        }
    }
}

fn secs(flag: &str, v: &str) -> Result<std::time::Duration, String> {
    parse_duration(v).map_err(|e| format!("{flag}: {e}"))
}

fn options(d: &DeliveryArgs) -> Result<RunOptions, String> {
    let timeout = secs("--timeout", &d.timeout)?;
    if timeout.is_zero() {
        return Err("--timeout must be more than 0".into());
    }
    Ok(RunOptions {
        policy: RetryPolicy {
            min_backoff: secs("--min-backoff", &d.min_backoff)?.as_secs(),
            max_backoff: secs("--max-backoff", &d.max_backoff)?.as_secs(),
            lifetime: secs("--lifetime", &d.lifetime)?.as_secs(),
        },
        timeout,
        concurrency: d.concurrency.clamp(1, 256),
        per_destination: d.per_destination.clamp(1, 64),
        min_interval: secs("--min-interval", &d.min_interval)?,
        helo: d.helo.clone(),
    })
}

fn route(d: &DeliveryArgs) -> Result<Route, String> {
    if let Some(s) = &d.smarthost {
        let (host, port) = s
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
            .filter(|(h, _)| !h.is_empty())
            .ok_or_else(|| format!("--smarthost {s:?}: expected HOST:PORT"))?;
        let ca_pem = match &d.smarthost_ca {
            Some(p) => Some(std::fs::read(p).map_err(|e| format!("--smarthost-ca {}: {e}", p.display()))?),
            None => None,
        };
        let credentials = match (
            std::env::var("SPAMTRACE_SMTP_USER"),
            std::env::var("SPAMTRACE_SMTP_PASSWORD"),
        ) {
            (Ok(u), Ok(p)) if !u.is_empty() => Some((u, p)),
            _ => None,
        };
        let tls = match d.smarthost_tls {
            SmarthostTls::Required => TlsMode::Required,
            SmarthostTls::Opportunistic => TlsMode::Opportunistic,
            SmarthostTls::None => TlsMode::None,
        };
        if credentials.is_some() && tls == TlsMode::None && !is_loopback(host) {
            return Err("AUTH over plain SMTP to a remote smarthost: use --smarthost-tls required".into());
        }
        return Ok(Route::Smarthost(Smarthost {
            host: host.to_string(),
            port,
            tls,
            ca_pem,
            credentials,
        }));
    }
    let servers = d
        .dns_server
        .iter()
        .map(|s| spamtrace::enrich::dns::parse_server(s).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let dns = DnsClient::live(&LiveConfig {
        servers,
        timeout: std::time::Duration::from_secs(3),
        concurrency: 16,
    })
    .map_err(|e| e.to_string())?;
    Ok(Route::Direct {
        dns: Arc::new(dns),
        port: d.smtp_port,
    })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn deliver_all(spool: Spool, d: &DeliveryArgs, flush: bool) -> ExitCode {
    let opts = match options(d) {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e),
    };
    let _lock = match spool.lock() {
        Ok(Some(l)) => l,
        Ok(None) => {
            eprintln!("spamtrace: another `spamtrace queue run` is delivering from {}", spool.root().display());
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("spamtrace: lock {}: {e}", spool.root().display());
            return ExitCode::from(1);
        }
    };
    if let Err(e) = spool.recover() {
        eprintln!("spamtrace: {}: {e}", spool.root().display());
        return ExitCode::from(1);
    }
    if flush {
        for id in spool.ids(State::Queued).unwrap_or_default() {
            if let Ok(mut e) = spool.load(State::Queued, &id) {
                if e.next_try != 0 {
                    e.next_try = 0;
                    if let Err(x) = spool.write(State::Queued, &e) {
                        eprintln!("spamtrace: {id}: {x}");
                    }
                }
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("spamtrace: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let route = match rt.block_on(async { route(d) }) {
        Ok(r) => r,
        Err(e) => return super::usage_error(&e),
    };
    let started = std::time::Instant::now();
    let sum = rt.block_on(deliver::run(Arc::new(spool), Arc::new(route), opts));
    for l in &sum.log {
        eprintln!("spamtrace: {}", for_terminal(l));
    }
    for e in &sum.errors {
        eprintln!("spamtrace: {}", for_terminal(e));
    }
    eprintln!(
        "spamtrace: queue run: {} sent, {} failed, {} deferred attempts, {} waiting for a retry ({:.1}s)",
        sum.sent,
        sum.failed,
        sum.deferred,
        sum.waiting,
        started.elapsed().as_secs_f64()
    );
    if sum.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
