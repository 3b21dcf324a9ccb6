//! One message through the stages: parse -> chain -> checks -> report.
//! (DNS enrichment slots in between chain and checks.)

use crate::chain;
use crate::checks::{self, Context};
use crate::headers;
use crate::input::RawMessage;
use crate::message;
use crate::model::{Hop, HopKind, Severity};
use crate::received;
use crate::report::{Report, SCHEMA};
use crate::trust::TrustConfig;

/// At most this many Received headers are parsed per message; the rest are
/// counted and reported (a message with 10,000 of them is an attack).
pub const MAX_HOPS: usize = 500;

/// Settings for a run.
#[derive(Debug, Clone, Default)]
pub struct TraceOptions {
    pub trust: TrustConfig,
    /// Infer trust in the receiver's own domain when `trust` is empty.
    pub infer_trust: bool,
    /// The time of the analysis (Unix seconds); fixed by tests.
    pub now: i64,
}

/// The current time in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parse the Received headers of a header block into hops (header order).
pub fn parse_hops(fields: &[headers::Field]) -> (Vec<Hop>, usize) {
    let mut hops = Vec::new();
    let mut skipped = 0;
    for f in fields.iter().filter(|f| f.is("received")) {
        if hops.len() >= MAX_HOPS {
            skipped += 1;
            continue;
        }
        hops.push(received::parse(hops.len(), f.value));
    }
    (hops, skipped)
}

/// A message parsed and its chain walked: everything before enrichment.
/// The DNS stage reads these (the questions to ask) before [`finish`].
#[derive(Debug, Clone)]
pub struct Traced {
    pub msg: RawMessage,
    pub hops: Vec<Hop>,
    pub chain: chain::Chain,
    pub summary: message::MessageSummary,
    /// Received headers past [`MAX_HOPS`], not parsed.
    pub skipped_hops: usize,
    /// DNS facts and evidence, filled by the DNS enricher (`None` offline).
    pub dns: Option<crate::dns::MessageDns>,
    /// Where the header fields of `msg.header` are: split once, in [`parse`].
    fields: Vec<headers::FieldSpan>,
}

/// Stage 1: parse the headers and walk the chain (pure, CPU only).
pub fn parse(msg: RawMessage, opts: &TraceOptions) -> Traced {
    let spans = headers::spans(&msg.header);
    let fields = headers::fields_at(&msg.header, &spans);
    let (mut hops, skipped_hops) = parse_hops(&fields);
    let envelope_from = msg.envelope.as_ref().map(|e| e.sender.as_str());
    let summary = message::summarize(&fields, envelope_from);
    let chain = chain::analyze(&hops, &opts.trust, opts.infer_trust);
    if let Some(b) = chain.boundary {
        for h in hops.iter_mut().take(b + 1) {
            h.trusted = true;
        }
    }
    drop(fields);
    Traced {
        msg,
        hops,
        chain,
        summary,
        skipped_hops,
        dns: None,
        fields: spans,
    }
}

/// Stage 2: run the checks and build the report.
pub fn finish(t: Traced, opts: &TraceOptions) -> Report {
    let fields = headers::fields_at(&t.msg.header, &t.fields);
    let ctx = Context {
        fields: &fields,
        hops: &t.hops,
        chain: &t.chain,
        message: &t.summary,
        trust: &opts.trust,
        now: opts.now,
        dns: t.dns.as_ref(),
    };
    let mut findings = checks::run(&ctx);
    let auth_results = checks::auth_results::trusted_verdicts(&ctx);
    let origin_candidates = checks::webmail::candidates(&ctx);
    if t.skipped_hops > 0 {
        let total = t.skipped_hops + MAX_HOPS;
        findings.push(crate::model::Finding::new(
            "TOO_MANY_RECEIVED",
            Severity::Warn,
            None,
            format!("{total} Received headers: only the first {MAX_HOPS} were parsed"),
            serde_json::json!({"total": total, "parsed": MAX_HOPS}),
        ));
    }
    let verdict = verdict(&t.hops, &t.chain, &findings);
    let mut dns = t.dns;
    let abuse_contacts = dns.as_mut().map(|d| std::mem::take(&mut d.abuse_contacts));
    Report {
        schema: SCHEMA.to_string(),
        source: t.msg.source.clone(),
        message: t.summary,
        hops: t.hops,
        trust_boundary: t.chain.boundary,
        trust_steps: t.chain.trust_steps,
        first_untrusted_relay: t.chain.first_untrusted_relay,
        probable_origin: t.chain.probable_origin,
        custody: t.chain.custody,
        findings,
        abuse_contacts: abuse_contacts.unwrap_or_default(),
        auth_results,
        origin_candidates,
        dns,
        verdict,
        analyzed_at: analyzed_at(opts.now),
    }
}

/// `now` as RFC 3339, formatted once per thread and run, not per message
/// (it showed in profiles at archive scale).
fn analyzed_at(now: i64) -> String {
    thread_local! {
        static CACHE: std::cell::RefCell<Option<(i64, String)>> = const { std::cell::RefCell::new(None) };
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        match &*c {
            Some((t, s)) if *t == now => s.clone(),
            _ => {
                let s = crate::message::utc_rfc3339(&mail_parser::DateTime::from_timestamp(now));
                *c = Some((now, s.clone()));
                s
            }
        }
    })
}

/// Trace one message, offline: [`parse`] then [`finish`].
pub fn trace(msg: &RawMessage, opts: &TraceOptions) -> Report {
    finish(parse(msg.clone(), opts), opts)
}

/// One sentence for people: where the message came from and how sure we are.
fn verdict(hops: &[Hop], chain: &chain::Chain, findings: &[crate::model::Finding]) -> String {
    let name = |ip: Option<std::net::IpAddr>, rdns: &Option<String>, helo: &Option<String>| {
        let ip = ip
            .map(|i| i.to_string())
            .unwrap_or_else(|| "an unknown address".into());
        // Name a relay by the rDNS its receiver recorded; a HELO alone is
        // the sender's claim (spam says `HELO yahoo.com`), so say so.
        match (rdns.as_deref(), helo.as_deref()) {
            (Some(n), _) => format!("{ip} ({n})"),
            (None, Some(h)) => format!("{ip} (HELO {h}, unverified)"),
            (None, None) => ip,
        }
    };
    if hops.is_empty() {
        return "no Received headers: nothing to trace".into();
    }
    let Some(r) = &chain.first_untrusted_relay else {
        if hops.iter().all(|h| h.kind == HopKind::Unparsed) {
            return "no Received header could be parsed".into();
        }
        // Trust stopped at a hop that names no relay (unparsed, no IP).
        if let Some(b) = chain.boundary.filter(|b| b + 1 < hops.len()) {
            return format!(
                "trust ends at hop {b}, which records no connecting relay: nobody to name; see the findings"
            );
        }
        return "every hop is trusted: internal mail, or the trusted region is too wide".into();
    };
    let mut s = format!(
        "first untrusted relay {}, seen by {} at {}",
        name(r.ip, &r.rdns, &r.helo),
        r.received_by.as_deref().unwrap_or("the trusted server"),
        r.received_at.as_deref().unwrap_or("an unknown time")
    );
    if let Some(b) = chain.first_break {
        // Only a corroborated break (severity forged) is called forgery: a
        // bare break is often a renamed or outsourced relay.
        let forged_break = findings
            .iter()
            .any(|f| f.code == "CHAIN_BREAK" && f.hop == Some(b) && f.severity == Severity::Forged);
        if forged_break {
            s.push_str(&format!("; headers from hop {b} down are likely forged"));
        } else {
            s.push_str(&format!(
                "; custody breaks at hop {b}: the headers from hop {b} down are unconfirmed claims"
            ));
        }
    }
    if let Some(o) = &chain.probable_origin {
        if o.hop != r.hop {
            s.push_str(&format!(
                "; probable origin {} ({} confidence)",
                name(o.ip, &o.rdns, &o.helo),
                o.confidence.as_str()
            ));
        }
    }
    let forged = findings
        .iter()
        .filter(|f| f.severity == Severity::Forged)
        .count();
    if forged > 0 {
        s.push_str(&format!("; {forged} finding(s) of forgery"));
    }
    s
}
