//! The DNS half of header forensics (docs/forensics.md): does the
//! Message-ID's domain exist, does the envelope sender's domain exist and
//! take mail, SPF of the envelope domain for the first untrusted relay, and
//! DKIM signatures (with `--dkim`). Every answer comes through the run's
//! [`DnsClient`], so it is cached, bounded, recorded as evidence and
//! replayable like the hop lookups.
//!
//! SPF and DKIM are evaluated by mail-auth. mail-auth asks its own hickory
//! resolver; to keep every question on our client we hand it caches
//! ([`Prefill`]) answering from what our client already fetched, and a
//! resolver with no name servers for the rest (it fails at once, opening no
//! socket). Each evaluation notes the names it wanted but we did not have;
//! we ask those through our client and evaluate again, until nothing new is
//! wanted or the per-message budget is spent.

use super::client::DnsClient;
use super::names::host_name;
use crate::chain::Traced;
use crate::model::resolution;
use crate::model::DkimOutcome;
use crate::model::SpfResult;
use crate::model::{
    Alignment, ArcCheck, ArcInstance, ArcOutcome, AuthDns, DkimCheck, DmarcCheck, DmarcOutcome,
    DnsAnswer, DomainExists, EnvelopeDns, MailTarget, MessageDns, SpfCheck,
};
use crate::model::{Answer, Outcome, Question, RType};
use crate::parse::{message, msgid};
use crate::util::domain;
use futures_util::future::join_all;
use futures_util::FutureExt;
use hickory_resolver::config::ResolverConfig;
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::{Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RecordType};
use hickory_resolver::{Hosts, TokioResolver};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::dmarc::{Dmarc, Policy};
use mail_auth::spf::verify::SpfParameters;
use mail_auth::spf::Spf;
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcResult, MessageAuthenticator, Parameters, RecordSet,
    ResolverCache, SpfOutput, Txt, MX,
};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// Questions per message for these checks at most (SPF allows 10
/// DNS-querying mechanisms, each MX up to 10 names: a hostile record must
/// not turn one message into a hundred queries). They also share the
/// message's overall cap (`plan::MAX_QUESTIONS`) with the hop questions.
pub const MAX_AUTH_QUESTIONS: usize = 40;
/// Evaluation passes per SPF/DKIM check at most (each pass asks what the
/// previous one found missing).
const MAX_PASSES: usize = 24;
/// DKIM signatures verified per message at most.
pub const MAX_DKIM_SIGNATURES: usize = 5;
/// With `--dkim`, bodies are kept up to this size; a larger body is not
/// verified ("not checked: body too large"), never called a failure.
pub const DKIM_MAX_BODY: usize = 4 << 20;

/// Asks through the run's client within the message's budget, keeping the
/// order of the questions for the evidence.
struct Asker<'a> {
    client: &'a DnsClient,
    answers: HashMap<Question, Arc<Answer>>,
    order: Vec<Question>,
    budget: usize,
}

impl Asker<'_> {
    async fn ask(&mut self, questions: Vec<Question>) {
        let mut todo = Vec::new();
        for q in questions {
            if self.answers.contains_key(&q) || todo.contains(&q) {
                continue;
            }
            if self.order.len() + todo.len() >= self.budget {
                break;
            }
            todo.push(q);
        }
        let got = join_all(todo.iter().map(|q| self.client.lookup(&q.name, q.rtype))).await;
        for (q, a) in todo.into_iter().zip(got) {
            self.order.push(q.clone());
            self.answers.insert(q, a);
        }
    }

    fn get(&self, name: &str, rtype: RType) -> Option<&Answer> {
        self.answers
            .get(&Question::new(name, rtype))
            .map(|a| a.as_ref())
    }

    fn spent(&self) -> bool {
        self.order.len() >= self.budget
    }
}

/// Look up what the forensic checks need for one message and add the facts
/// and their answers to `m` (answers already there are not repeated).
pub async fn add(client: &DnsClient, t: &Traced, dkim: bool, m: &mut MessageDns) {
    let fields = t.fields();
    let msgid = msgid::domain_to_check(&fields)
        .and_then(|d| host_name(&d))
        .and_then(|d| Some((domain::registrable(&d)?.to_string(), d)));
    let env = message::envelope_domain(&t.summary).and_then(|d| host_name(&d));
    let relay = t.chain.first_untrusted_relay.as_ref().and_then(|r| {
        let ip = super::plan::public_ip(t, r.hop)?;
        Some((r.hop, ip))
    });
    let sigs = if dkim {
        message::dkim_signatures(&fields, &t.summary)
    } else {
        Vec::new()
    };
    let from_domain = t
        .summary
        .from_address
        .as_deref()
        .and_then(message::address_domain);
    drop(fields);

    let mut asker = Asker {
        client,
        answers: HashMap::new(),
        order: Vec::new(),
        budget: MAX_AUTH_QUESTIONS
            .min(super::plan::MAX_QUESTIONS.saturating_sub(m.answers.len() + m.skipped_questions)),
    };
    // Round 1: everything known up front.
    let mut first = Vec::new();
    if let Some((reg, _)) = &msgid {
        first.push(Question::new(reg, RType::NS));
    }
    if let Some(d) = &env {
        first.push(Question::new(d, RType::MX));
        if relay.is_some() {
            first.push(Question::new(d, RType::TXT));
        }
    }
    for s in sigs.iter().take(MAX_DKIM_SIGNATURES) {
        if let Some(key) = host_name(&format!("{}._domainkey.{}", s.s, s.d)) {
            first.push(Question::new(&key, RType::TXT));
        }
    }
    asker.ask(first).await;
    // Round 2: no MX means the address records stand in (RFC 5321 5.1).
    if let Some(d) = &env {
        if asker.get(d, RType::MX).map(|a| a.outcome()) == Some(Outcome::NoData) {
            asker
                .ask(vec![
                    Question::new(d, RType::A),
                    Question::new(d, RType::AAAA),
                ])
                .await;
        }
    }

    let mut auth = AuthDns {
        message_id_domain: msgid.map(|(reg, d)| DomainExists {
            resolution: resolution(asker.get(&reg, RType::NS)),
            domain: d,
            asked: reg,
        }),
        envelope: env.as_deref().map(|d| envelope_facts(&asker, d)),
        ..AuthDns::default()
    };
    if let (Some(d), Some((hop, ip))) = (&env, relay) {
        let sender =
            message::envelope_sender(&t.summary).unwrap_or_else(|| format!("postmaster@{d}"));
        let h = t.hops.get(hop);
        let helo = h.and_then(|h| h.from.helo.clone());
        let by = h.and_then(|h| h.by.clone()).unwrap_or_default();
        auth.spf = Some(spf(&mut asker, d, ip, helo, &by, &sender).await);
    }
    if dkim && !sigs.is_empty() {
        auth.dkim = dkim_checks(&mut asker, t, from_domain.as_deref()).await;
    }
    if let Some(from) = from_domain.as_deref().and_then(host_name) {
        let (dmarc, arc) = dmarc_and_arc(&mut asker, t, &from, env.as_deref(), dkim, &auth).await;
        auth.dmarc = dmarc;
        auth.arc = arc;
    }
    for q in &asker.order {
        if let Some(a) = asker.answers.get(q) {
            if a.is_evidence() && !m.answers.iter().any(|x| x.question == *q) {
                m.answers.push(a.as_ref().clone());
            }
        }
    }
    m.auth = auth;
}

/// An MX answer's exchange name (`10 mx.example.org.` -> `mx.example.org`;
/// the null MX `0 .` -> empty).
fn exchange(mx: &str) -> (u16, String) {
    let (pref, name) = mx.split_once(' ').unwrap_or(("0", mx));
    (
        pref.trim().parse().unwrap_or(0),
        name.trim().trim_end_matches('.').to_ascii_lowercase(),
    )
}

fn envelope_facts(asker: &Asker, d: &str) -> EnvelopeDns {
    let answer = |t| {
        asker
            .get(d, t)
            .map_or(DnsAnswer::Failed("not asked".into()), |a| a.to_dns_answer())
    };
    let mx = answer(RType::MX);
    let target = MailTarget::judge(&mx, || answer(RType::A), || answer(RType::AAAA));
    EnvelopeDns {
        domain: d.to_string(),
        exists: match mx {
            DnsAnswer::NxDomain => Some(false),
            DnsAnswer::Failed(_) => None,
            _ => Some(true),
        },
        accepts_mail: (target != MailTarget::Unknown).then(|| target.takes_mail()),
        mx: match mx {
            DnsAnswer::Records(list) => list,
            _ => Vec::new(),
        },
        null_mx: target == MailTarget::NullMx,
    }
}

/// SPF (RFC 7208) by mail-auth, fed through our client.
async fn spf(
    asker: &mut Asker<'_>,
    domain: &str,
    ip: IpAddr,
    helo: Option<String>,
    by: &str,
    sender: &str,
) -> SpfCheck {
    let helo_name = helo.clone().unwrap_or_default();
    let mut detail = mail_auth::SpfResult::TempError;
    for _ in 0..MAX_PASSES {
        let cache = Prefill::new(&asker.answers, Some(ip));
        let Some(auth) = cache.authenticator() else {
            break;
        };
        let params = Parameters::new(SpfParameters::verify_mail_from(ip, &helo_name, by, sender))
            .with_txt_cache(&cache)
            .with_mx_cache(&cache)
            .with_ptr_cache(&cache)
            .with_ipv4_cache(&cache)
            .with_ipv6_cache(&cache);
        // A panic in mail-auth on a hostile record must not end the run.
        match AssertUnwindSafe(auth.verify_spf(params))
            .catch_unwind()
            .await
        {
            Ok(out) => detail = out.result(),
            Err(_) => {
                detail = mail_auth::SpfResult::TempError;
                break;
            }
        }
        let wanted = cache.wanted.take();
        if wanted.is_empty() || asker.spent() {
            break;
        }
        asker.ask(wanted).await;
    }
    SpfCheck {
        domain: domain.to_string(),
        ip,
        helo,
        result: match detail {
            mail_auth::SpfResult::Pass => SpfResult::Pass,
            mail_auth::SpfResult::Fail => SpfResult::Fail,
            mail_auth::SpfResult::SoftFail => SpfResult::SoftFail,
            mail_auth::SpfResult::Neutral => SpfResult::Neutral,
            mail_auth::SpfResult::None => SpfResult::None,
            mail_auth::SpfResult::PermError => SpfResult::PermError,
            mail_auth::SpfResult::TempError => SpfResult::Unknown,
        },
        detail: detail.to_string().to_ascii_lowercase(),
    }
}

/// The message as mail-auth reads it: headers, blank line, body.
fn whole_message(t: &Traced) -> Option<Vec<u8>> {
    let body = t.msg.body.as_ref()?;
    let h = &t.msg.header;
    let mut raw = Vec::with_capacity(h.len() + body.len() + 4);
    raw.extend_from_slice(h);
    let crlf = h.ends_with(b"\r\n");
    if !h.ends_with(b"\n") {
        raw.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    }
    raw.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    raw.extend_from_slice(body);
    Some(raw)
}

async fn dkim_checks(asker: &mut Asker<'_>, t: &Traced, from: Option<&str>) -> Vec<DkimCheck> {
    let aligned = |d: &str| from.is_some_and(|f| domain::same_party(f, d));
    let not_checked = |why: &str| {
        message::dkim_signatures(&t.fields(), &t.summary)
            .into_iter()
            .take(MAX_DKIM_SIGNATURES)
            .map(|s| DkimCheck {
                aligned: s.aligned,
                d: s.d,
                s: s.s,
                result: DkimOutcome::Error,
                error: Some(why.to_string()),
            })
            .collect()
    };
    let Some(raw) = whole_message(t) else {
        return not_checked("the body was not kept");
    };
    if t.msg
        .body
        .as_ref()
        .is_some_and(|b| b.len() >= DKIM_MAX_BODY)
    {
        return not_checked("not checked: the body is larger than the DKIM limit");
    }
    let parsed = std::panic::catch_unwind(|| AuthenticatedMessage::parse(&raw));
    let Ok(Some(msg)) = parsed else {
        return not_checked("mail-auth could not parse the message");
    };
    let mut out = Vec::new();
    for _ in 0..MAX_PASSES {
        let cache = Prefill::new(&asker.answers, None);
        let Some(auth) = cache.authenticator() else {
            return not_checked("no resolver for mail-auth");
        };
        let params = Parameters::new(&msg)
            .with_txt_cache(&cache)
            .with_mx_cache(&cache)
            .with_ptr_cache(&cache)
            .with_ipv4_cache(&cache)
            .with_ipv6_cache(&cache);
        let Ok(results) = AssertUnwindSafe(auth.verify_dkim(params))
            .catch_unwind()
            .await
        else {
            return not_checked("mail-auth failed on this message");
        };
        out = results
            .iter()
            .filter_map(|r| {
                let sig = r.signature()?;
                let (result, error) = dkim_outcome(r.result());
                Some(DkimCheck {
                    d: sig.d.to_ascii_lowercase(),
                    s: sig.s.to_ascii_lowercase(),
                    aligned: aligned(&sig.d),
                    result,
                    error,
                })
            })
            .take(MAX_DKIM_SIGNATURES)
            .collect();
        let wanted = cache.wanted.take();
        if wanted.is_empty() || asker.spent() {
            break;
        }
        asker.ask(wanted).await;
    }
    out
}

/// The header block alone, as mail-auth reads a message (for DMARC, which
/// reads only From, when the body was not kept).
fn headers_only(t: &Traced) -> Vec<u8> {
    let h = &t.msg.header;
    let mut raw = h.clone();
    if !h.ends_with(b"\n") {
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    raw
}

fn mail_auth_spf(r: SpfResult) -> mail_auth::SpfResult {
    match r {
        SpfResult::Pass => mail_auth::SpfResult::Pass,
        SpfResult::Fail => mail_auth::SpfResult::Fail,
        SpfResult::SoftFail => mail_auth::SpfResult::SoftFail,
        SpfResult::Neutral => mail_auth::SpfResult::Neutral,
        SpfResult::None => mail_auth::SpfResult::None,
        SpfResult::PermError => mail_auth::SpfResult::PermError,
        SpfResult::Unknown => mail_auth::SpfResult::TempError,
    }
}

fn alignment(r: &DmarcResult) -> Alignment {
    match r {
        DmarcResult::Pass => Alignment::Pass,
        DmarcResult::Fail(mail_auth::Error::NotAligned) => Alignment::NotAligned,
        DmarcResult::TempError(_) => Alignment::Unknown,
        _ => Alignment::None,
    }
}

/// DMARC of the From domain (RFC 7489 / 9989) and the ARC chain (RFC
/// 8617), by mail-auth over our answers. SPF is our check of the first
/// untrusted relay; DKIM is verified again here (the answers are cached)
/// when `--dkim` kept the body.
async fn dmarc_and_arc(
    asker: &mut Asker<'_>,
    t: &Traced,
    from: &str,
    env: Option<&str>,
    dkim: bool,
    auth: &AuthDns,
) -> (Option<DmarcCheck>, Option<ArcCheck>) {
    let body_ok = dkim && t.msg.body.as_ref().is_some_and(|b| b.len() < DKIM_MAX_BODY);
    let raw = if body_ok {
        whole_message(t).unwrap_or_else(|| headers_only(t))
    } else {
        headers_only(t)
    };
    let parsed = std::panic::catch_unwind(|| AuthenticatedMessage::parse(&raw));
    let Ok(Some(msg)) = parsed else {
        return (None, None);
    };
    let spf_out = SpfOutput::new(env.unwrap_or_default().to_string()).with_result(
        auth.spf
            .as_ref()
            .map_or(mail_auth::SpfResult::None, |s| mail_auth_spf(s.result)),
    );
    let env_domain = env.unwrap_or_default();
    let has_arc = !msg.as_headers.is_empty() || !msg.ams_headers.is_empty() || msg.has_arc_errors;
    let mut dmarc = None;
    let mut arc = None;
    for _ in 0..MAX_PASSES {
        let cache = Prefill::new(&asker.answers, None);
        let Some(authn) = cache.authenticator() else {
            break;
        };
        let dkim_out = if body_ok && !msg.dkim_headers.is_empty() {
            let params = Parameters::new(&msg)
                .with_txt_cache(&cache)
                .with_mx_cache(&cache)
                .with_ptr_cache(&cache)
                .with_ipv4_cache(&cache)
                .with_ipv6_cache(&cache);
            match AssertUnwindSafe(authn.verify_dkim(params))
                .catch_unwind()
                .await
            {
                Ok(o) => o,
                Err(_) => break,
            }
        } else {
            Vec::new()
        };
        let params = Parameters::new(DmarcParameters::new(&msg, &dkim_out, env_domain, &spf_out))
            .with_txt_cache(&cache)
            .with_mx_cache(&cache)
            .with_ptr_cache(&cache)
            .with_ipv4_cache(&cache)
            .with_ipv6_cache(&cache);
        let Ok(out) = AssertUnwindSafe(authn.verify_dmarc(params))
            .catch_unwind()
            .await
        else {
            break;
        };
        dmarc = Some(dmarc_check(t, from, env, body_ok, auth, &out));
        if has_arc {
            let params = Parameters::new(&msg)
                .with_txt_cache(&cache)
                .with_mx_cache(&cache)
                .with_ptr_cache(&cache)
                .with_ipv4_cache(&cache)
                .with_ipv6_cache(&cache);
            let Ok(out) = AssertUnwindSafe(authn.verify_arc(params))
                .catch_unwind()
                .await
            else {
                break;
            };
            arc = Some(arc_check(&out));
        }
        let wanted = cache.wanted.take();
        if wanted.is_empty() || asker.spent() {
            break;
        }
        asker.ask(wanted).await;
    }
    (dmarc, arc)
}

fn dmarc_check(
    t: &Traced,
    from: &str,
    env: Option<&str>,
    dkim_verified: bool,
    auth: &AuthDns,
    out: &mail_auth::DmarcOutput,
) -> DmarcCheck {
    let spf = alignment(out.spf_result());
    let dkim = alignment(out.dkim_result());
    let policy = out.dmarc_record().map(|_| match out.policy() {
        Policy::Reject => "reject",
        Policy::Quarantine => "quarantine",
        Policy::None | Policy::Unspecified => "none",
    });
    let mut why = None;
    let result = if spf == Alignment::Pass || dkim == Alignment::Pass {
        DmarcOutcome::Pass
    } else if spf == Alignment::Unknown || dkim == Alignment::Unknown {
        why = Some("a DNS answer needed for DMARC could not be had today".to_string());
        DmarcOutcome::UnknownToday
    } else if policy.is_none() {
        DmarcOutcome::None
    } else {
        // A fail only when every aligned identity could be judged today.
        let sigs = message::dkim_signatures(&t.fields(), &t.summary);
        let aligned_sigs: Vec<_> = sigs.iter().filter(|s| s.aligned).collect();
        let unjudged = auth.dkim.iter().filter(|d| d.aligned).find(|d| {
            matches!(
                d.result,
                DkimOutcome::KeyMissing | DkimOutcome::Expired | DkimOutcome::Error
            )
        });
        let env_aligned = env.is_some_and(|e| domain::same_party(e, from));
        if let Some(d) = unjudged {
            why = Some(format!(
                "the aligned DKIM signature d={} s={} cannot be checked today ({})",
                d.d,
                d.s,
                serde_json::to_value(d.result)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ));
            DmarcOutcome::UnknownToday
        } else if !aligned_sigs.is_empty() && !dkim_verified {
            why = Some("aligned DKIM signatures were not verified (no --dkim)".to_string());
            DmarcOutcome::UnknownToday
        } else if auth.spf.is_none() {
            // No first untrusted relay with a public address, or no
            // envelope domain: the receiver's SPF cannot be redone.
            why = Some(if env_aligned {
                "SPF of the aligned envelope domain was not checked".to_string()
            } else {
                "SPF was not checked (no public first untrusted relay or no envelope domain)"
                    .to_string()
            });
            DmarcOutcome::UnknownToday
        } else {
            DmarcOutcome::Fail
        }
    };
    DmarcCheck {
        domain: from.to_string(),
        policy: policy.map(str::to_string),
        spf,
        dkim,
        result,
        why,
    }
}

/// The authserv-id and `method=result` pairs of an ARC-Authentication-Results
/// value (`i=1; mx.example.org; spf=pass smtp.mailfrom=...; dkim=pass ...`).
fn aar_results(value: &[u8]) -> (Option<String>, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(value);
    let mut parts = text.split(';').map(str::trim);
    let mut id = None;
    let mut results = Vec::new();
    for p in parts.by_ref() {
        if p.to_ascii_lowercase().starts_with("i=") {
            continue;
        }
        id = p
            .split_whitespace()
            .next()
            .map(|s| crate::util::sanitize::for_terminal(s).to_ascii_lowercase());
        break;
    }
    for p in parts {
        let Some((m, r)) = p.split_whitespace().next().and_then(|t| t.split_once('=')) else {
            continue;
        };
        let m = m.trim().to_ascii_lowercase();
        let r: String = r
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if ["spf", "dkim", "dmarc", "arc"].contains(&m.as_str())
            && !r.is_empty()
            && results.len() < 8
        {
            results.push((m, r.to_ascii_lowercase()));
        }
    }
    (id, results)
}

fn arc_check(out: &mail_auth::ArcOutput) -> ArcCheck {
    use mail_auth::arc::{ArcError, ChainValidation};
    use mail_auth::{DnsError, Error};
    let (result, error) = match out.result() {
        DkimResult::Pass => (ArcOutcome::Pass, None),
        DkimResult::None => (ArcOutcome::Fail, Some("no ARC set verified".to_string())),
        DkimResult::Neutral(e @ Error::Arc(ArcError::SignatureExpired))
        | DkimResult::TempError(e)
        | DkimResult::PermError(
            e @ (Error::Dns(DnsError::RecordNotFound(_) | DnsError::InvalidRecordType)
            | Error::Dkim(mail_auth::dkim::DkimError::RevokedPublicKey)),
        ) => (ArcOutcome::UnknownToday, Some(e.to_string())),
        DkimResult::Fail(e) | DkimResult::Neutral(e) | DkimResult::PermError(e) => {
            (ArcOutcome::Fail, Some(e.to_string()))
        }
    };
    let instances = out
        .sets()
        .iter()
        .take(50)
        .map(|set| {
            let seal = set.seal.header;
            let (authserv_id, results) = aar_results(set.results.value);
            ArcInstance {
                i: seal.i,
                sealer: crate::util::sanitize::for_terminal(&seal.d).to_ascii_lowercase(),
                selector: crate::util::sanitize::for_terminal(&seal.s).to_ascii_lowercase(),
                cv: match seal.cv {
                    ChainValidation::None => "none",
                    ChainValidation::Pass => "pass",
                    ChainValidation::Fail => "fail",
                }
                .to_string(),
                authserv_id,
                results,
            }
        })
        .collect();
    ArcCheck {
        result,
        instances,
        error,
    }
}

fn dkim_outcome(r: &DkimResult) -> (DkimOutcome, Option<String>) {
    use mail_auth::dkim::DkimError;
    use mail_auth::{DnsError, Error};
    match r {
        DkimResult::Pass => (DkimOutcome::Pass, None),
        DkimResult::Fail(e) => (DkimOutcome::Fail, Some(e.to_string())),
        DkimResult::Neutral(Error::Dkim(DkimError::FailedBodyHashMatch)) => {
            (DkimOutcome::BodyAltered, None)
        }
        DkimResult::Neutral(Error::Dkim(DkimError::SignatureExpired)) => {
            (DkimOutcome::Expired, None)
        }
        DkimResult::PermError(
            e @ (Error::Dns(DnsError::RecordNotFound(_) | DnsError::InvalidRecordType)
            | Error::Dkim(DkimError::RevokedPublicKey)),
        ) => (DkimOutcome::KeyMissing, Some(e.to_string())),
        DkimResult::Neutral(e) | DkimResult::PermError(e) | DkimResult::TempError(e) => {
            (DkimOutcome::Error, Some(e.to_string()))
        }
        DkimResult::None => (DkimOutcome::Error, Some("no signature".into())),
    }
}

/// mail-auth's caches, answering from our client's answers and noting the
/// questions it wanted that we do not have yet.
///
/// mail-auth passes cache keys as a generic `&Q: Hash` (it is a `str`, or
/// the client IP for PTR); we read the name back by hashing it into
/// [`NameOf`], which keeps the bytes (`str` hashes its bytes then 0xff).
struct Prefill<'a> {
    answers: &'a HashMap<Question, Arc<Answer>>,
    /// The client IP: the only address SPF asks a PTR for.
    ip: Option<IpAddr>,
    wanted: RefCell<Vec<Question>>,
}

#[derive(Default)]
struct NameOf(Vec<u8>);

impl Hasher for NameOf {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fn name_of<Q: Hash + ?Sized>(q: &Q) -> String {
    let mut h = NameOf::default();
    q.hash(&mut h);
    if h.0.last() == Some(&0xff) {
        h.0.pop();
    }
    String::from_utf8_lossy(&h.0)
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl<'a> Prefill<'a> {
    fn new(answers: &'a HashMap<Question, Arc<Answer>>, ip: Option<IpAddr>) -> Self {
        Prefill {
            answers,
            ip,
            wanted: RefCell::new(Vec::new()),
        }
    }

    /// The answer we have, or `None` after noting the question.
    fn answer(&self, name: &str, rtype: RType) -> Option<&'a Answer> {
        let q = Question::new(name, rtype);
        match self.answers.get(&q) {
            Some(a) => Some(a.as_ref()),
            None => {
                let mut w = self.wanted.borrow_mut();
                if host_name(name).is_some() && !w.contains(&q) {
                    w.push(q);
                }
                None
            }
        }
    }

    /// A resolver with no name servers: a lookup mail-auth makes past our
    /// caches fails at once (an unknown answer), except for address names
    /// whose answer was "none": those come from its hosts table as empty,
    /// so `exists:` and `a:` see "no address", not an error.
    fn authenticator(&self) -> Option<MessageAuthenticator> {
        let mut resolver = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(Vec::new()),
            TokioRuntimeProvider::default(),
        )
        .build()
        .ok()?;
        let mut hosts = Hosts::default();
        for (q, a) in self.answers.iter() {
            let rt = match q.rtype {
                RType::A => RecordType::A,
                RType::AAAA => RecordType::AAAA,
                _ => continue,
            };
            if !matches!(a.outcome(), Outcome::NoData | Outcome::NxDomain) {
                continue;
            }
            if let Ok(name) = Name::from_ascii(format!("{}.", q.name)) {
                let lookup = Lookup::new_with_max_ttl(Query::query(name.clone(), rt), []);
                hosts.insert(name, rt, lookup);
            }
        }
        resolver.set_hosts(Arc::new(hosts));
        Some(MessageAuthenticator(resolver))
    }
}

fn found(a: Option<&Answer>) -> &[String] {
    match a.map(|a| a.outcome()) {
        Some(Outcome::Found(x)) => x,
        _ => &[],
    }
}

fn none_found() -> mail_auth::Error {
    mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(ResponseCode::NXDomain))
}

/// A TXT answer as mail-auth's cache entry: the first record that parses
/// as a `T`, as mail-auth's own `txt_lookup` does.
fn txt_entry<T: TxtRecordParser + Into<Txt>>(a: &Answer) -> Txt {
    match a.outcome() {
        Outcome::Found(records) => {
            let mut result: mail_auth::Result<T> = Err(mail_auth::Error::Dns(
                mail_auth::DnsError::InvalidRecordType,
            ));
            for r in records {
                result = T::parse(r.as_bytes());
                if result.is_ok() {
                    break;
                }
            }
            result.into()
        }
        Outcome::NoData | Outcome::NxDomain => Txt::Error(none_found()),
        Outcome::Unknown => Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::Resolver(
            a.summary(),
        ))),
    }
}

fn record_set<T>(items: Vec<T>) -> RecordSet<T> {
    RecordSet {
        rrset: items.into(),
        dnssec_status: mail_auth::DnssecStatus::Indeterminate,
    }
}

impl ResolverCache<Box<str>, Txt> for Prefill<'_> {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let name = name_of(name);
        // DKIM failure reports are not our business: never asked.
        if name.starts_with("_report._domainkey.") {
            return Some(Txt::Error(none_found()));
        }
        let Some(a) = self.answer(&name, RType::TXT) else {
            return Some(Txt::Error(mail_auth::Error::Dns(
                mail_auth::DnsError::Resolver("not asked yet".into()),
            )));
        };
        Some(if name.contains("._domainkey.") {
            txt_entry::<DomainKey>(a)
        } else if name.starts_with("_dmarc.") {
            txt_entry::<Dmarc>(a)
        } else {
            txt_entry::<Spf>(a)
        })
    }
    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

impl ResolverCache<Box<str>, RecordSet<MX>> for Prefill<'_> {
    fn get<Q>(&self, name: &Q) -> Option<RecordSet<MX>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let a = self.answer(&name_of(name), RType::MX)?;
        // Unknown: no entry, so mail-auth's own (server-less) lookup fails
        // and SPF says temperror, as it should.
        if a.outcome() == Outcome::Unknown {
            return None;
        }
        let mut by_pref: Vec<(u16, Vec<Box<str>>)> = Vec::new();
        for (pref, ex) in found(Some(a)).iter().map(|m| exchange(m)) {
            let ex: Box<str> = ex.into();
            match by_pref.iter_mut().find(|(p, _)| *p == pref) {
                Some((_, list)) => list.push(ex),
                None => by_pref.push((pref, vec![ex])),
            }
        }
        by_pref.sort_by_key(|(p, _)| *p);
        Some(record_set(
            by_pref
                .into_iter()
                .map(|(preference, ex)| MX {
                    preference,
                    exchanges: ex.into_boxed_slice(),
                })
                .collect(),
        ))
    }
    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<MX>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: RecordSet<MX>, _: std::time::Instant) {}
}

/// Addresses: only records found are cache entries. "No address" must not
/// be one, since mail-auth's `exists:` counts any entry as existing; those
/// come from the resolver's hosts table (see [`Prefill::authenticator`]).
fn addresses<T: std::str::FromStr>(p: &Prefill, name: &str, rtype: RType) -> Option<RecordSet<T>> {
    let a = p.answer(name, rtype)?;
    let list: Vec<T> = found(Some(a))
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    (!list.is_empty()).then(|| record_set(list))
}

impl ResolverCache<Box<str>, RecordSet<Ipv4Addr>> for Prefill<'_> {
    fn get<Q>(&self, name: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        addresses(self, &name_of(name), RType::A)
    }
    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: RecordSet<Ipv4Addr>, _: std::time::Instant) {}
}

impl ResolverCache<Box<str>, RecordSet<Ipv6Addr>> for Prefill<'_> {
    fn get<Q>(&self, name: &Q) -> Option<RecordSet<Ipv6Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        addresses(self, &name_of(name), RType::AAAA)
    }
    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<Ipv6Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: RecordSet<Ipv6Addr>, _: std::time::Instant) {}
}

impl ResolverCache<IpAddr, RecordSet<Box<str>>> for Prefill<'_> {
    fn get<Q>(&self, _: &Q) -> Option<RecordSet<Box<str>>>
    where
        IpAddr: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // SPF asks the PTR of the client IP only. Always an entry (empty
        // when unknown): a PTR error makes `ptr` not match (RFC 7208 5.5),
        // and no lookup may reach mail-auth's resolver, whose hosts table
        // would invent PTR names from our address answers.
        let ip = self.ip?;
        let names = self
            .answer(&super::names::reverse_name(ip), RType::PTR)
            .map(|a| found(Some(a)).iter().map(|n| n.as_str().into()).collect())
            .unwrap_or_default();
        Some(record_set(names))
    }
    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<Box<str>>>
    where
        IpAddr: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: IpAddr, _: RecordSet<Box<str>>, _: std::time::Instant) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_back_from_hash() {
        assert_eq!(name_of("Example.ORG."), "example.org");
        let boxed: Box<str> = "_spf.example.org.".into();
        assert_eq!(name_of(&boxed), "_spf.example.org");
    }

    #[test]
    fn dkim_results_map_to_outcomes() {
        use mail_auth::dkim::DkimError;
        use mail_auth::{DnsError, Error};
        let nx = Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain));
        assert_eq!(
            dkim_outcome(&DkimResult::PermError(nx)).0,
            DkimOutcome::KeyMissing
        );
        let revoked = Error::Dkim(DkimError::RevokedPublicKey);
        assert_eq!(
            dkim_outcome(&DkimResult::PermError(revoked)).0,
            DkimOutcome::KeyMissing
        );
        let temp = Error::Dns(DnsError::Resolver("timeout".into()));
        assert_eq!(
            dkim_outcome(&DkimResult::TempError(temp)).0,
            DkimOutcome::Error
        );
        let bh = Error::Dkim(DkimError::FailedBodyHashMatch);
        assert_eq!(
            dkim_outcome(&DkimResult::Neutral(bh)).0,
            DkimOutcome::BodyAltered
        );
        assert_eq!(dkim_outcome(&DkimResult::Pass).0, DkimOutcome::Pass);
    }

    #[test]
    fn txt_entries_follow_the_answer() {
        let a = |rcode, answers: &[&str]| Answer {
            question: Question::new("x.example.net", RType::TXT),
            rcode,
            answers: answers.iter().map(|s| s.to_string()).collect(),
            ttl: None,
            when: String::new(),
            server: String::new(),
            error: None,
        };
        use crate::model::Rcode;
        let spf = txt_entry::<Spf>(&a(
            Rcode::NoError,
            &["google-site-verification=x", "v=spf1 -all"],
        ));
        assert!(matches!(spf, Txt::Spf(_)));
        assert!(matches!(
            txt_entry::<Spf>(&a(Rcode::NxDomain, &[])),
            Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(
                _
            )))
        ));
        assert!(matches!(
            txt_entry::<Spf>(&a(Rcode::Timeout, &[])),
            Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::Resolver(_)))
        ));
    }

    #[test]
    fn mx_exchanges() {
        assert_eq!(
            exchange("10 MX.Example.org."),
            (10, "mx.example.org".into())
        );
        assert_eq!(exchange("0 ."), (0, String::new()));
    }
}
