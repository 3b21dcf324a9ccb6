//! `spamtrace queue`: the outgoing queue's commands (list, run, flush,
//! retry, drop) over [`spamtrace::queue`].

use super::args::{DeliveryArgs, QueueAction, QueueArgs, SmarthostTls};
use spamtrace::enrich::dns::client::{DnsClient, LiveConfig};
use spamtrace::queue::deliver::{self, Route, RunOptions, Smarthost, TlsMode};
use spamtrace::queue::policy::{parse_duration, RetryPolicy};
use spamtrace::queue::{Spool, State};
use spamtrace::util::sanitize::for_terminal;
use std::io::Write;
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
        QueueAction::Agent { entry, delivery } => agent(spool, &entry, &delivery),
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
        spool.write(State::Queued, &e).map_err(|x| x.to_string())?;
        if state == State::Failed {
            spool.remove(State::Failed, id).map_err(|x| x.to_string())?;
        }
        Ok(())
    });
    match r {
        Ok(()) => {
            eprintln!(
                "spamtrace: {} is due now (spamtrace queue run)",
                for_terminal(id)
            );
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

/// The smarthost's AUTH credentials: from the environment, else from the
/// config file (`smtp_user`, `smtp_password`); never from the command line.
fn smtp_credentials() -> Result<Option<(String, String)>, String> {
    if let (Ok(u), Ok(p)) = (
        std::env::var("SPAMTRACE_SMTP_USER"),
        std::env::var("SPAMTRACE_SMTP_PASSWORD"),
    ) {
        if !u.is_empty() {
            return Ok(Some((u, p)));
        }
    }
    let Some(path) = super::settings::ConfigFile::default_path().filter(|p| p.exists()) else {
        return Ok(None);
    };
    let config = super::settings::ConfigFile::load(&path)?;
    Ok(match (config.smtp_user, config.smtp_password) {
        (Some(u), Some(p)) if !u.is_empty() => Some((u, p)),
        _ => None,
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
            Some(p) => {
                Some(std::fs::read(p).map_err(|e| format!("--smarthost-ca {}: {e}", p.display()))?)
            }
            None => None,
        };
        let credentials = smtp_credentials()?;
        let tls = match d.smarthost_tls {
            SmarthostTls::Required => TlsMode::Required,
            SmarthostTls::Opportunistic => TlsMode::Opportunistic,
            SmarthostTls::None => TlsMode::None,
        };
        if credentials.is_some() && tls == TlsMode::None && !is_loopback(host) {
            return Err(
                "AUTH over plain SMTP to a remote smarthost: use --smarthost-tls required".into(),
            );
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
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The flags of `d` again, for a delivery process.
fn to_args(d: &DeliveryArgs) -> Vec<String> {
    let mut a = Vec::new();
    let mut push = |k: &str, v: String| {
        a.push(k.to_string());
        a.push(v);
    };
    if let Some(s) = &d.smarthost {
        push("--smarthost", s.clone());
    }
    push(
        "--smarthost-tls",
        match d.smarthost_tls {
            SmarthostTls::Required => "required",
            SmarthostTls::Opportunistic => "opportunistic",
            SmarthostTls::None => "none",
        }
        .into(),
    );
    if let Some(p) = &d.smarthost_ca {
        push("--smarthost-ca", p.display().to_string());
    }
    push("--smtp-port", d.smtp_port.to_string());
    for s in &d.dns_server {
        push("--dns-server", s.clone());
    }
    push("--timeout", d.timeout.clone());
    push("--min-backoff", d.min_backoff.clone());
    push("--max-backoff", d.max_backoff.clone());
    push("--lifetime", d.lifetime.clone());
    if let Some(h) = &d.helo {
        push("--helo", h.clone());
    }
    a
}

/// `queue agent --entry ID`: deliver one entry and record the outcome,
/// one line on stdout for the run (`sent|failed|deferred|busy|skipped REPLY`).
///
/// Each delivery is its own process, as Postfix's smtp(8) is beside its
/// qmgr: a `queue run` killed (even with -9) stops starting deliveries,
/// while each one under way finishes its transaction and moves its entry
/// by the reply. Without that, a run killed between the server's commit
/// and its 250 would leave a delivered entry queued, to be sent again.
fn agent(spool: Spool, id: &str, d: &DeliveryArgs) -> ExitCode {
    let say = |s: &str| {
        // The run may be gone: a closed pipe is no error here.
        let mut o = std::io::stdout();
        let _ = writeln!(o, "{s}");
        let _ = o.flush();
    };
    let opts = match options(d) {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e),
    };
    let _claim = match spool.claim(id) {
        Ok(Some(f)) => f,
        Ok(None) => {
            say("busy");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            say(&format!("error {id}: {e}"));
            return ExitCode::from(1);
        }
    };
    // Claimed: still queued, still due? (Another delivery may have moved
    // or rescheduled it in between.)
    let e = match spool.load(State::Queued, id) {
        Ok(e) if e.next_try <= spamtrace::util::clock::unix_now() => e,
        _ => {
            say("skipped");
            return ExitCode::SUCCESS;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(err) => {
            say(&format!("error runtime: {err}"));
            return ExitCode::from(1);
        }
    };
    let outcome = rt.block_on(async {
        match route(d) {
            Ok(r) => Ok(deliver::deliver(&r, &e, &opts).await),
            Err(err) => Err(err),
        }
    });
    let o = match outcome {
        Ok(o) => o,
        Err(err) => {
            say(&format!("error {err}"));
            return ExitCode::from(2);
        }
    };
    match deliver::settle(
        &spool,
        e,
        &o,
        &opts.policy,
        spamtrace::util::clock::unix_now(),
    ) {
        Ok(what) => {
            say(&format!("{what} {}", o.reply()));
            ExitCode::SUCCESS
        }
        Err(err) => {
            say(&format!("error {err}"));
            ExitCode::from(1)
        }
    }
}

/// The destination an entry counts against (smarthost, or its domain).
fn destination(d: &DeliveryArgs, e: &spamtrace::queue::Entry) -> String {
    match &d.smarthost {
        Some(s) => s.clone(),
        None => {
            e.to.first()
                .and_then(|t| t.rsplit_once('@'))
                .map(|(_, x)| x.to_ascii_lowercase())
                .unwrap_or_default()
        }
    }
}

struct Running {
    child: std::process::Child,
    id: String,
    dest: String,
}

fn deliver_all(spool: Spool, d: &DeliveryArgs, flush: bool) -> ExitCode {
    let opts = match options(d) {
        Ok(o) => o,
        Err(e) => return super::usage_error(&e),
    };
    // Check the route once here (a bad flag is one error, not one per entry).
    if let Err(e) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(async { route(d).map(|_| ()) }))
    {
        return super::usage_error(&e);
    }
    let _lock = match spool.lock() {
        Ok(Some(l)) => l,
        Ok(None) => {
            eprintln!(
                "spamtrace: another `spamtrace queue run` is delivering from {}",
                spool.root().display()
            );
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
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("spamtrace: cannot find my own program: {e}");
            return ExitCode::from(1);
        }
    };
    let common = to_args(d);
    let started = std::time::Instant::now();
    let (mut sent, mut failed, mut deferred, mut errors) = (0usize, 0usize, 0usize, 0usize);
    let mut running: Vec<Running> = Vec::new();
    let mut last_start: std::collections::HashMap<String, std::time::Instant> = Default::default();
    // An entry another process holds: not asked again before this time.
    let mut busy: std::collections::HashMap<String, std::time::Instant> = Default::default();
    loop {
        // Reap the deliveries that ended.
        let mut i = 0;
        while i < running.len() {
            match running[i].child.try_wait() {
                Ok(Some(_)) | Err(_) => {
                    let mut r = running.swap_remove(i);
                    let mut out = String::new();
                    if let Some(mut so) = r.child.stdout.take() {
                        let _ = std::io::Read::read_to_string(&mut so, &mut out);
                    }
                    let line = out
                        .lines()
                        .last()
                        .unwrap_or("error: the delivery process died")
                        .to_string();
                    let (what, reply) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                    match what {
                        "sent" => sent += 1,
                        "failed" => failed += 1,
                        "deferred" => deferred += 1,
                        "busy" => {
                            busy.insert(
                                r.id.clone(),
                                std::time::Instant::now()
                                    + opts.timeout.min(std::time::Duration::from_millis(200)),
                            );
                        }
                        "skipped" => {}
                        _ => errors += 1,
                    }
                    if what != "busy" && what != "skipped" {
                        eprintln!("spamtrace: {} {what}: {}", r.id, for_terminal(reply));
                    }
                }
                Ok(None) => i += 1,
            }
        }
        let now = spamtrace::util::clock::unix_now();
        let mut due_left = 0;
        let mut waiting_on_busy = false;
        if errors == 0 || sent + failed + deferred > 0 {
            for id in spool.ids(State::Queued).unwrap_or_default() {
                if running.iter().any(|r| r.id == id) {
                    continue;
                }
                if busy
                    .get(&id)
                    .is_some_and(|t| *t > std::time::Instant::now())
                {
                    waiting_on_busy = true;
                    continue;
                }
                let Ok(e) = spool.load(State::Queued, &id) else {
                    continue;
                };
                if e.next_try > now {
                    continue;
                }
                due_left += 1;
                if running.len() >= opts.concurrency {
                    continue;
                }
                let dest = destination(d, &e);
                if running.iter().filter(|r| r.dest == dest).count() >= opts.per_destination {
                    continue;
                }
                if let Some(t) = last_start.get(&dest) {
                    if t.elapsed() < opts.min_interval {
                        continue;
                    }
                }
                let child = std::process::Command::new(&exe)
                    .arg("queue")
                    .arg("--queue")
                    .arg(spool.root())
                    .arg("agent")
                    .arg("--entry")
                    .arg(&id)
                    .args(&common)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .spawn();
                match child {
                    Ok(child) => {
                        last_start.insert(dest.clone(), std::time::Instant::now());
                        running.push(Running { child, id, dest });
                    }
                    Err(e) => {
                        eprintln!("spamtrace: cannot start a delivery: {e}");
                        errors += 1;
                        break;
                    }
                }
            }
        }
        if running.is_empty() && due_left == 0 && !waiting_on_busy {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let waiting = spool.ids(State::Queued).map_or(0, |v| v.len());
    eprintln!(
        "spamtrace: queue run: {sent} sent, {failed} failed, {deferred} deferred attempts, {waiting} waiting for a retry ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
