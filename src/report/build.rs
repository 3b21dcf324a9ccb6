//! Build the report of one traced message: run the checks, add the verdict.

use super::owner;
use super::verdict::{verdict, Said};
use crate::chain::{TraceOptions, Traced};
use crate::checks::{self, Context};
use crate::model::{Report, SCHEMA};
use crate::parse::message::utc_rfc3339;

/// Run the checks and build the report.
pub fn build(mut t: Traced, opts: &TraceOptions) -> Report {
    let site_contacts = match t.site_contacts.take() {
        Some(s) => Some(s),
        None if opts.site_contacts && t.body.is_some() => {
            Some(crate::enrich::abuse::sites::not_looked_up(&t, &opts.trust))
        }
        None => None,
    };
    let body = t.body.take();
    let fields = t.fields();
    let ctx = Context {
        fields: &fields,
        hops: &t.hops,
        chain: &t.chain,
        message: &t.summary,
        trust: &opts.trust,
        now: opts.now,
        dns: t.dns.as_ref(),
        skipped_hops: t.skipped_hops,
    };
    let (mut findings, vendor_placed) = checks::run(&ctx);
    if let Some(b) = &body {
        findings.extend(checks::urls::check(b, t.summary.from_address.as_deref()));
        findings.extend(checks::attachments::check(b));
    }
    findings.extend(checks::reported::check(&t.msg.source, &t.chain));
    let auth_results = checks::auth_results::trusted_verdicts(&ctx);
    let origin_candidates = checks::webmail::candidates(&ctx);
    let vendor_verdicts = checks::vendor::verdicts(vendor_placed, &findings);
    let transit = checks::vendor::transit(&ctx);
    let accounts = checks::accounts::accounts(&ctx, &auth_results);
    let owner = owner::owner(&t.hops, t.chain.boundary, &fields, opts.trust.we.as_deref());
    let from_domain = t
        .summary
        .from_address
        .as_deref()
        .and_then(crate::parse::message::address_domain);
    let distribution = owner::distribution(
        &fields,
        &t.hops,
        t.chain.first_untrusted_relay.as_ref(),
        t.summary.return_path.as_deref(),
        from_domain.as_deref(),
        owner.as_ref(),
    );
    let verdict = verdict(&Said {
        hops: &t.hops,
        chain: &t.chain,
        findings: &findings,
        owner: owner.as_ref(),
        distribution: &distribution,
        accounts: &accounts,
        dns: t.dns.as_ref(),
    });
    drop(fields);
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
        owner,
        distribution,
        accounts,
        findings,
        abuse_contacts: t.abuse_contacts,
        site_contacts,
        auth_results,
        origin_candidates,
        vendor_verdicts,
        transit,
        dns: t.dns,
        asn: t.asn,
        header_block: t.msg.header,
        body,
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
                let s = utc_rfc3339(&mail_parser::DateTime::from_timestamp(now));
                *c = Some((now, s.clone()));
                s
            }
        }
    })
}
