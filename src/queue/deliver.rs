//! Delivery: the SMTP client (lettre on tokio, rustls) for one entry, and
//! [`settle`], which moves the entry by its reply
//! ([`super::policy::Outcome`]). The run loop (which entries, how many at
//! once, each in its own delivery process) is `spamtrace queue run`.
//!
//! Two routes: a smarthost (`HOST:PORT`, STARTTLS required by default,
//! AUTH when credentials are given), or direct: the MX records of each
//! recipient domain through our DNS client, the domain's own A/AAAA
//! records when it has no MX (RFC 5321 5.1), nothing at all for a null MX
//! (RFC 7505). Direct delivery uses STARTTLS when offered, without
//! certificate checks (opportunistic, as MTAs do: RFC 7435).

use super::policy::{Outcome, RetryPolicy};
use super::spool::{Entry, Spool, State};
use crate::enrich::dns::client::DnsClient;
use crate::model::{Outcome as DnsOutcome, RType};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How a smarthost connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS, and the certificate must verify: no plaintext fallback.
    Required,
    /// STARTTLS when offered.
    Opportunistic,
    /// Plain SMTP (loopback test servers).
    None,
}

/// A relay to hand every complaint to.
#[derive(Debug, Clone)]
pub struct Smarthost {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// PEM roots to trust instead of the built-in ones (a test CA, a
    /// company CA).
    pub ca_pem: Option<Vec<u8>>,
    /// User and password (from the environment or the config file).
    pub credentials: Option<(String, String)>,
}

/// Where complaints go.
pub enum Route {
    Smarthost(Smarthost),
    /// The MX of each recipient's domain; `port` is 25 outside tests.
    Direct {
        dns: Arc<DnsClient>,
        port: u16,
    },
}

/// The run's knobs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub policy: RetryPolicy,
    /// Per SMTP command (and for the connection).
    pub timeout: Duration,
    /// Deliveries at once, overall.
    pub concurrency: usize,
    /// Deliveries at once to one destination (smarthost or domain).
    pub per_destination: usize,
    /// At least this long between two deliveries to one destination.
    pub min_interval: Duration,
    /// Our name in EHLO.
    pub helo: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            policy: RetryPolicy::default(),
            timeout: Duration::from_secs(60),
            concurrency: 8,
            per_destination: 2,
            min_interval: Duration::ZERO,
            helo: None,
        }
    }
}

fn envelope(e: &Entry) -> Result<Envelope, String> {
    let from: Address = e
        .from
        .parse()
        .map_err(|err| format!("sender {:?}: {err}", e.from))?;
    let to =
        e.to.iter()
            .map(|t| {
                t.parse::<Address>()
                    .map_err(|err| format!("recipient {t:?}: {err}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(from), to).map_err(|err| err.to_string())
}

fn classify(
    r: Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error>,
) -> Outcome {
    match r {
        Ok(resp) => Outcome::from_code(
            u16::from(resp.code()),
            &resp.message().collect::<Vec<_>>().join(" "),
        ),
        Err(e) => {
            // lettre says "permanent error (550): 5.7.1 text": keep the
            // server's reply as it was, "550 5.7.1 text".
            let text = e.to_string();
            let reply = match e.status() {
                Some(code) => format!(
                    "{code} {}",
                    text.split_once("): ").map_or(text.as_str(), |(_, t)| t)
                ),
                None if e.is_timeout() => format!("timeout: {text}"),
                None => text,
            };
            let reply = super::policy::clean_reply(&reply);
            if e.is_permanent() {
                Outcome::Failed(reply)
            } else {
                Outcome::Retry(reply)
            }
        }
    }
}

/// One SMTP transaction with `host:port` (`tls_name` for SNI and checks).
async fn send_to(
    host: &str,
    port: u16,
    tls: Tls,
    credentials: Option<&(String, String)>,
    opts: &RunOptions,
    env: &Envelope,
    message: &[u8],
) -> Outcome {
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(opts.timeout));
    if let Some((u, p)) = credentials {
        b = b.credentials(Credentials::new(u.clone(), p.clone()));
    }
    if let Some(h) = &opts.helo {
        b = b.hello_name(lettre::transport::smtp::extension::ClientId::Domain(
            h.clone(),
        ));
    }
    let t = b.build();
    // lettre's timeout covers each command; the whole transaction is bounded too.
    let whole = opts.timeout.saturating_mul(8);
    match tokio::time::timeout(whole, t.send_raw(env, message)).await {
        Ok(r) => classify(r),
        Err(_) => Outcome::Retry("timeout: the transaction took too long".into()),
    }
}

fn smarthost_tls(s: &Smarthost) -> Result<Tls, String> {
    if s.tls == TlsMode::None {
        return Ok(Tls::None);
    }
    let mut b = TlsParameters::builder(s.host.clone());
    if let Some(pem) = &s.ca_pem {
        let cert = Certificate::from_pem(pem).map_err(|e| format!("CA certificate: {e}"))?;
        b = b
            .certificate_store(CertificateStore::None)
            .add_root_certificate(cert);
    }
    let p = b.build_rustls().map_err(|e| e.to_string())?;
    Ok(match s.tls {
        TlsMode::Required => Tls::Required(p),
        _ => Tls::Opportunistic(p),
    })
}

/// The MX hosts of `domain`, best first, or why there are none:
/// `Err(Outcome)` to record (retry on a DNS failure, fail for a null MX or
/// a domain that does not exist).
pub async fn mail_hosts(dns: &DnsClient, domain: &str) -> Result<Vec<String>, Outcome> {
    let a = dns.lookup(domain, RType::MX).await;
    match a.outcome() {
        DnsOutcome::Found(rrs) => {
            let mut mx: Vec<(u16, String)> = rrs
                .iter()
                .filter_map(|r| {
                    let (pref, host) = r.trim().split_once(' ')?;
                    Some((
                        pref.parse().ok()?,
                        host.trim().trim_end_matches('.').to_ascii_lowercase(),
                    ))
                })
                .collect();
            if mx.iter().any(|(_, h)| h.is_empty()) {
                // RFC 7505: `0 .` says the domain accepts no mail.
                return Err(Outcome::Failed(format!(
                    "556 5.1.10 {domain} has a null MX: it accepts no mail (RFC 7505)"
                )));
            }
            mx.sort();
            Ok(mx.into_iter().map(|(_, h)| h).collect())
        }
        // RFC 5321 5.1: no MX, the domain itself is the host.
        DnsOutcome::NoData => Ok(vec![domain.to_string()]),
        DnsOutcome::NxDomain => Err(Outcome::Failed(format!(
            "550 5.1.2 {domain} does not exist (NXDOMAIN)"
        ))),
        DnsOutcome::Unknown => Err(Outcome::Retry(format!("MX lookup for {domain} failed"))),
    }
}

async fn addresses(dns: &DnsClient, host: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for t in [RType::A, RType::AAAA] {
        if let DnsOutcome::Found(rrs) = dns.lookup(host, t).await.outcome() {
            out.extend(rrs.iter().filter_map(|r| r.trim().parse::<IpAddr>().ok()));
        }
    }
    out
}

async fn deliver_direct(dns: &DnsClient, port: u16, e: &Entry, opts: &RunOptions) -> Outcome {
    let env = match envelope(e) {
        Ok(v) => v,
        Err(err) => return Outcome::Failed(format!("554 5.1.3 bad envelope: {err}")),
    };
    let Some(domain) =
        e.to.first()
            .and_then(|t| t.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase())
    else {
        return Outcome::Failed("554 5.1.3 no recipient domain".into());
    };
    let hosts = match mail_hosts(dns, &domain).await {
        Ok(h) => h,
        Err(o) => return o,
    };
    let mut last = Outcome::Retry(format!("no address for the mail hosts of {domain}"));
    for h in hosts {
        for ip in addresses(dns, &h).await {
            let params = TlsParameters::builder(h.clone())
                .dangerous_accept_invalid_certs(true)
                .dangerous_accept_invalid_hostnames(true)
                .build_rustls();
            let tls = params.map_or(Tls::None, Tls::Opportunistic);
            let o = send_to(&ip.to_string(), port, tls, None, opts, &env, &e.message).await;
            match o {
                Outcome::Retry(_) => last = o,
                _ => return o,
            }
        }
    }
    last
}

/// One delivery attempt of `e` over `route`.
pub async fn deliver(route: &Route, e: &Entry, opts: &RunOptions) -> Outcome {
    match route {
        Route::Smarthost(s) => {
            let env = match envelope(e) {
                Ok(v) => v,
                Err(err) => return Outcome::Failed(format!("554 5.1.3 bad envelope: {err}")),
            };
            let tls = match smarthost_tls(s) {
                Ok(t) => t,
                Err(err) => return Outcome::Retry(err),
            };
            send_to(
                &s.host,
                s.port,
                tls,
                s.credentials.as_ref(),
                opts,
                &env,
                &e.message,
            )
            .await
        }
        Route::Direct { dns, port } => deliver_direct(dns, *port, e, opts).await,
    }
}

/// Record an attempt's outcome in the spool. `Sent` is a single rename,
/// done first and at once: the window in which a crash makes a duplicate.
pub fn settle(
    spool: &Spool,
    mut e: Entry,
    o: &Outcome,
    policy: &RetryPolicy,
    now: i64,
) -> Result<&'static str, String> {
    let err = |x: std::io::Error| format!("{}: {x}", e.id);
    match o {
        Outcome::Sent(_) => {
            spool.mark_sent(&e.id).map_err(err)?;
            Ok("sent")
        }
        Outcome::Failed(r) => {
            e.attempts.push((now, r.clone()));
            spool
                .mark_failed(&e)
                .map_err(|x| format!("{}: {x}", e.id))?;
            Ok("failed")
        }
        Outcome::Retry(r) => {
            e.attempts.push((now, r.clone()));
            match policy.next_try(e.created, now, e.attempts.len() as u32) {
                Some(t) => {
                    e.next_try = t;
                    spool
                        .write(State::Queued, &e)
                        .map_err(|x| format!("{}: {x}", e.id))?;
                    Ok("deferred")
                }
                None => {
                    e.attempts
                        .push((now, "queue lifetime over: given up".into()));
                    spool
                        .mark_failed(&e)
                        .map_err(|x| format!("{}: {x}", e.id))?;
                    Ok("failed")
                }
            }
        }
    }
}

/// The destination an entry counts against for the per-destination limits.
pub fn destination(route: &Route, e: &Entry) -> String {
    match route {
        Route::Smarthost(s) => format!("{}:{}", s.host, s.port),
        Route::Direct { .. } => {
            e.to.first()
                .and_then(|t| t.rsplit_once('@'))
                .map(|(_, d)| d.to_ascii_lowercase())
                .unwrap_or_default()
        }
    }
}
