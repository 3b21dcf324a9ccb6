//! The resolver facade: `lookup(name, type) -> Answer`, through one cache
//! for the whole run, with identical in-flight questions shared and the
//! number of queries in flight bounded. Answers come from hickory-resolver
//! (live) or from a recorded report (replay); callers cannot tell apart.

use super::replay::Recording;
use crate::model::{Answer, Question, RType, Rcode};
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RecordType};
use hickory_resolver::{lookup::Lookup, TokioResolver};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

/// At most this many records of one answer are kept (a hostile zone can
/// return hundreds).
const MAX_RECORDS: usize = 32;
/// A longer record text (TXT) is cut here.
const MAX_RECORD_TEXT: usize = 1024;
/// Answered questions kept at most; past this the answered ones are
/// dropped (in-flight ones stay), so a huge archive of distinct senders
/// cannot grow memory without bound.
pub const MAX_CACHE_ENTRIES: usize = 200_000;
/// A server that failed this many questions in a row (no answer in time, a
/// network error) is not asked again this run: a dead server must not cost
/// a timeout per question. Its questions are answered "not asked" (unknown).
pub const BREAKER_AFTER: usize = 5;

/// One server's health for the run.
#[derive(Default)]
struct Health {
    /// Failures since the last answer (any response, SERVFAIL included).
    in_a_row: AtomicUsize,
    /// Questions it failed (timeouts, network errors).
    failed: AtomicUsize,
    /// Questions not put to it once the breaker tripped.
    not_asked: AtomicUsize,
    tripped: std::sync::atomic::AtomicBool,
}

/// How to reach DNS.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The servers, in order of preference. Empty: the system's resolvers.
    pub servers: Vec<SocketAddr>,
    /// Per attempt; a query is tried twice per server.
    pub timeout: Duration,
    /// Queries in flight at most.
    pub concurrency: usize,
}

/// Counters for the run (the benchmark prints them).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DnsStats {
    /// Calls to `lookup`.
    pub lookups: usize,
    /// Distinct questions: cache entries made.
    pub unique: usize,
    /// Queries handed to a server (a failover to the next server counts again).
    pub sent: usize,
    /// Questions that got no answer from any server (timeouts, network
    /// errors, servers the breaker stopped asking).
    pub failed: usize,
}

/// The questions of the run as they go, for a progress display: read
/// from another thread while the batch resolves.
#[derive(Debug, Default)]
pub struct DnsProgress {
    /// Asked and not answered yet (waiting for a query slot included).
    pub in_flight: AtomicUsize,
    /// Answered (an answer, or the name does not exist).
    pub answered: AtomicUsize,
    /// Failed (timeout, SERVFAIL, refused...).
    pub failed: AtomicUsize,
}

impl DnsProgress {
    /// `(in flight, answered, failed)`.
    pub fn get(&self) -> (usize, usize, usize) {
        (
            self.in_flight.load(Ordering::Relaxed),
            self.answered.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

enum Backend {
    /// One hickory resolver per server, so each answer names its server.
    Live(Vec<(String, TokioResolver)>),
    Replay(Recording),
}

/// The run-wide DNS client.
pub struct DnsClient {
    backend: Backend,
    cache: Mutex<HashMap<Question, Arc<OnceCell<Arc<Answer>>>>>,
    permits: Semaphore,
    lookups: AtomicUsize,
    unique: AtomicUsize,
    sent: AtomicUsize,
    progress: Arc<DnsProgress>,
    failed: AtomicUsize,
    /// Per live server, in the order of `Backend::Live`.
    health: Vec<Health>,
    /// Notices for stderr (a server given up on), said once each.
    notices: Mutex<Vec<String>>,
}

impl DnsClient {
    /// A live client. No socket is opened until the first lookup.
    pub fn live(config: &LiveConfig) -> Result<DnsClient, super::DnsSetupError> {
        let servers = if config.servers.is_empty() {
            system_servers().map_err(super::DnsSetupError::Resolver)?
        } else {
            config.servers.clone()
        };
        let resolvers = servers
            .iter()
            .map(|s| Ok((s.to_string(), resolver_for(*s, config.timeout)?)))
            .collect::<Result<Vec<_>, String>>()
            .map_err(super::DnsSetupError::Resolver)?;
        Ok(DnsClient::with_backend(
            Backend::Live(resolvers),
            config.concurrency,
        ))
    }

    /// A client that answers from a recording and never touches the network.
    pub fn replay(recording: Recording) -> DnsClient {
        DnsClient::with_backend(Backend::Replay(recording), 1)
    }

    fn with_backend(backend: Backend, concurrency: usize) -> DnsClient {
        let servers = match &backend {
            Backend::Live(r) => r.len(),
            Backend::Replay(_) => 0,
        };
        DnsClient {
            failed: AtomicUsize::new(0),
            health: (0..servers).map(|_| Health::default()).collect(),
            notices: Mutex::new(Vec::new()),
            backend,
            cache: Mutex::new(HashMap::new()),
            permits: Semaphore::new(concurrency.clamp(1, 4096)),
            lookups: AtomicUsize::new(0),
            unique: AtomicUsize::new(0),
            sent: AtomicUsize::new(0),
            progress: Arc::default(),
        }
    }

    /// Ask one question, once per run: a repeated or concurrent identical
    /// question waits for the first one's answer.
    pub async fn lookup(&self, name: &str, rtype: RType) -> Arc<Answer> {
        let question = Question::new(name, rtype);
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let cell = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= MAX_CACHE_ENTRIES && !cache.contains_key(&question) {
                cache.retain(|_, cell| !cell.initialized());
            }
            cache
                .entry(question.clone())
                .or_insert_with(|| {
                    self.unique.fetch_add(1, Ordering::Relaxed);
                    Arc::new(OnceCell::new())
                })
                .clone()
        };
        cell.get_or_init(|| async { Arc::new(self.resolve_counted(question).await) })
            .await
            .clone()
    }

    pub fn stats(&self) -> DnsStats {
        DnsStats {
            lookups: self.lookups.load(Ordering::Relaxed),
            unique: self.unique.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// Notices since the last call: a server the breaker stopped asking.
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// When some questions got no answer: one line for stderr saying which
    /// server failed and how many questions (the run is degraded: DNS
    /// findings are missing, not clean). `None` when DNS answered.
    pub fn degraded(&self) -> Option<String> {
        let failed = self.failed.load(Ordering::Relaxed);
        if failed == 0 {
            return None;
        }
        let Backend::Live(resolvers) = &self.backend else {
            return None;
        };
        let per_server: Vec<String> = resolvers
            .iter()
            .zip(&self.health)
            .filter(|(_, h)| {
                h.failed.load(Ordering::Relaxed) + h.not_asked.load(Ordering::Relaxed) > 0
            })
            .map(|((server, _), h)| {
                let not_asked = h.not_asked.load(Ordering::Relaxed);
                let mut s = format!("{server}: {} failed", h.failed.load(Ordering::Relaxed));
                if not_asked > 0 {
                    s.push_str(&format!(
                        ", {not_asked} not asked after {BREAKER_AFTER} in a row"
                    ));
                }
                s
            })
            .collect();
        let unique = self.unique.load(Ordering::Relaxed);
        Some(format!(
            "DNS degraded: {failed} of {unique} question(s) got no answer ({}); their DNS facts are unknown, not clean",
            per_server.join("; ")
        ))
    }

    /// Record how server `i` did on one question.
    fn record(&self, i: usize, server: &str, answer: &Answer) {
        let Some(h) = self.health.get(i) else { return };
        if matches!(answer.rcode, Rcode::Timeout | Rcode::Error) {
            h.failed.fetch_add(1, Ordering::Relaxed);
            let n = h.in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= BREAKER_AFTER && !h.tripped.swap(true, Ordering::Relaxed) {
                self.notices
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(format!(
                        "DNS server {server} failed {n} questions in a row ({}): not asking it again this run; its questions are marked unknown",
                        answer.error.as_deref().unwrap_or("no answer")
                    ));
            }
        } else {
            h.in_a_row.store(0, Ordering::Relaxed);
        }
    }

    /// The run's questions as they go (for a progress display).
    pub fn progress(&self) -> Arc<DnsProgress> {
        self.progress.clone()
    }

    /// [`DnsClient::resolve`], counted in [`DnsProgress`].
    async fn resolve_counted(&self, question: Question) -> Answer {
        let p = &self.progress;
        p.in_flight.fetch_add(1, Ordering::Relaxed);
        let answer = self.resolve(question).await;
        p.in_flight.fetch_sub(1, Ordering::Relaxed);
        let done = if matches!(answer.rcode, Rcode::NoError | Rcode::NxDomain) {
            &p.answered
        } else {
            &p.failed
        };
        done.fetch_add(1, Ordering::Relaxed);
        answer
    }

    async fn resolve(&self, question: Question) -> Answer {
        let resolvers = match &self.backend {
            Backend::Replay(rec) => return rec.answer(&question),
            Backend::Live(r) => r,
        };
        let Ok(name) = Name::from_ascii(format!("{}.", question.name)) else {
            return failed(question, Rcode::Error, "-", "not a valid DNS name");
        };
        let _permit = self.permits.acquire().await;
        let mut last = None;
        for (i, (server, resolver)) in resolvers.iter().enumerate() {
            if self.health[i].tripped.load(Ordering::Relaxed) {
                self.health[i].not_asked.fetch_add(1, Ordering::Relaxed);
                last.get_or_insert_with(|| {
                    failed(
                        question.clone(),
                        Rcode::Timeout,
                        server,
                        &format!("not asked: the server failed {BREAKER_AFTER} questions in a row"),
                    )
                });
                continue;
            }
            self.sent.fetch_add(1, Ordering::Relaxed);
            let result = resolver
                .lookup(name.clone(), record_type(question.rtype))
                .await;
            let answer = convert(&question, result, server);
            self.record(i, server, &answer);
            // A failure here may be this server's alone: try the next one.
            if matches!(answer.rcode, Rcode::NoError | Rcode::NxDomain) {
                return answer;
            }
            last = Some(answer);
        }
        let answer =
            last.unwrap_or_else(|| failed(question, Rcode::Error, "-", "no DNS server configured"));
        if matches!(answer.rcode, Rcode::Timeout | Rcode::Error) {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        answer
    }
}

/// The system's resolvers (`/etc/resolv.conf`): only for the CLI default.
fn system_servers() -> Result<Vec<SocketAddr>, String> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
        format!("cannot read the system DNS configuration ({e}); use --dns-server or --offline")
    })?;
    let mut out: Vec<SocketAddr> = Vec::new();
    for ns in config.name_servers() {
        let port = ns.connections.first().map(|c| c.port).unwrap_or(53);
        let addr = SocketAddr::new(ns.ip, port);
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    if out.is_empty() {
        return Err(
            "the system has no DNS server configured; use --dns-server or --offline".into(),
        );
    }
    Ok(out)
}

fn resolver_for(server: SocketAddr, timeout: Duration) -> Result<TokioResolver, String> {
    let mut ns = NameServerConfig::udp_and_tcp(server.ip());
    for c in &mut ns.connections {
        c.port = server.port();
    }
    let mut builder = TokioResolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    );
    let o = builder.options_mut();
    o.timeout = timeout;
    o.attempts = 2;
    // Our own cache is the run's cache; /etc/hosts is not DNS evidence.
    o.cache_size = 0;
    o.use_hosts_file = ResolveHosts::Never;
    o.num_concurrent_reqs = 1;
    builder
        .build()
        .map_err(|e| format!("DNS resolver for {server}: {e}"))
}

fn record_type(t: RType) -> RecordType {
    match t {
        RType::A => RecordType::A,
        RType::AAAA => RecordType::AAAA,
        RType::PTR => RecordType::PTR,
        RType::TXT => RecordType::TXT,
        RType::MX => RecordType::MX,
        RType::CNAME => RecordType::CNAME,
        RType::NS => RecordType::NS,
        RType::SOA => RecordType::SOA,
    }
}

fn now() -> String {
    mail_parser::DateTime::from_timestamp(crate::util::clock::unix_now()).to_rfc3339()
}

fn failed(question: Question, rcode: Rcode, server: &str, error: &str) -> Answer {
    Answer {
        question,
        rcode,
        answers: Vec::new(),
        ttl: None,
        when: now(),
        server: server.to_string(),
        error: Some(error.to_string()),
    }
}

/// hickory's result -> our evidence record.
fn convert(question: &Question, result: Result<Lookup, NetError>, server: &str) -> Answer {
    let lookup = match result {
        Ok(l) => l,
        Err(NetError::Dns(DnsError::NoRecordsFound(nr))) => {
            let rcode = if nr.response_code == ResponseCode::NXDomain {
                Rcode::NxDomain
            } else {
                Rcode::NoError
            };
            let mut a = failed(question.clone(), rcode, server, "");
            a.error = None;
            a.ttl = nr.negative_ttl;
            return a;
        }
        Err(NetError::Dns(DnsError::ResponseCode(code))) => {
            let rcode = match code {
                ResponseCode::ServFail => Rcode::ServFail,
                ResponseCode::Refused => Rcode::Refused,
                _ => Rcode::Error,
            };
            return failed(question.clone(), rcode, server, &code.to_string());
        }
        Err(NetError::Timeout) => {
            return failed(
                question.clone(),
                Rcode::Timeout,
                server,
                "no answer in time",
            )
        }
        Err(e) => {
            let text = e.to_string();
            let rcode = if text.contains("timed out") {
                Rcode::Timeout
            } else {
                Rcode::Error
            };
            return failed(question.clone(), rcode, server, &text);
        }
    };
    let wanted = record_type(question.rtype);
    let mut answers = Vec::new();
    let mut ttl: Option<u32> = None;
    for r in lookup
        .answers()
        .iter()
        .filter(|r| r.record_type() == wanted)
    {
        if answers.len() == MAX_RECORDS {
            break;
        }
        let mut text = r.data.to_string();
        if matches!(wanted, RecordType::PTR | RecordType::CNAME | RecordType::NS) {
            text = text.trim_end_matches('.').to_ascii_lowercase();
        }
        if text.len() > MAX_RECORD_TEXT {
            let mut cut = MAX_RECORD_TEXT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        ttl = Some(ttl.map_or(r.ttl, |t| t.min(r.ttl)));
        answers.push(text);
    }
    Answer {
        question: question.clone(),
        rcode: Rcode::NoError,
        answers,
        ttl,
        when: now(),
        server: server.to_string(),
        error: None,
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    #[test]
    fn questions_are_counted_once_answered_or_failed() {
        let found = Answer {
            question: Question::new("mx.example.org", RType::A),
            rcode: Rcode::NoError,
            answers: vec!["192.0.2.1".into()],
            ttl: Some(60),
            when: "2024-01-01T00:00:00Z".into(),
            server: "127.0.0.1:53".into(),
            error: None,
        };
        let report = serde_json::json!({ "dns": { "answers": [found] } });
        let client = DnsClient::replay(Recording::parse(&report.to_string()).unwrap());
        let progress = client.progress();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            client.lookup("mx.example.org", RType::A).await;
            // Asked again: the cache answers, nothing new is counted.
            client.lookup("MX.example.org.", RType::A).await;
            // Not in the recording: failed.
            client.lookup("other.example.org", RType::A).await;
        });
        assert_eq!(progress.get(), (0, 1, 1));
    }
}
