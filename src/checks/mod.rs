//! Findings: every judgement with a stable code (docs/checks.md), a
//! severity, the hop it concerns and its evidence. Each submodule looks at
//! one aspect; none of them does I/O.

pub(crate) mod accounts;
pub(crate) mod attachments;
pub(crate) mod auth_results;
pub(crate) mod dates;
pub(crate) mod dmarc;
pub(crate) mod dns;
pub mod dynamic;
pub(crate) mod hops;
pub mod message_id;
pub(crate) mod nul;
pub(crate) mod position;
pub(crate) mod relay;
pub(crate) mod reported;
pub(crate) mod sender;
pub(crate) mod urls;
pub(crate) mod vendor;
pub(crate) mod webmail;

use crate::chain::trust::TrustConfig;
use crate::chain::Chain;
use crate::model::MessageSummary;
use crate::model::{Finding, Hop, MessageDns, Severity};
use crate::parse::headers::Field;
use serde_json::json;

/// What the checks may look at.
pub struct Context<'a> {
    pub fields: &'a [Field<'a>],
    pub hops: &'a [Hop],
    pub chain: &'a Chain,
    pub message: &'a MessageSummary,
    pub trust: &'a TrustConfig,
    /// The time of the analysis (Unix seconds), for checks against "now".
    pub now: i64,
    /// DNS facts from the enrich stage; `None` when offline.
    pub dns: Option<&'a MessageDns>,
    /// Received headers past `parse::MAX_HOPS`, not parsed.
    pub skipped_hops: usize,
}

impl Context<'_> {
    /// Mail from a mailing list (List-Id, List-Post, Mailing-List): lists
    /// rewrite senders and re-send, so several checks expect it.
    pub(crate) fn is_mailing_list(&self) -> bool {
        // One pass over the fields, not one per name.
        self.fields
            .iter()
            .any(|f| f.is("list-id") || f.is("list-post") || f.is("mailing-list"))
    }

    /// The domain of the From address.
    pub(crate) fn sender_domain(&self) -> Option<String> {
        self.message
            .from_address
            .as_deref()
            .and_then(crate::parse::message::address_domain)
    }
}

/// DNS answers are today's; a domain that existed when an old message was
/// sent may have lapsed since. Past this age a "does not exist" is `info`.
pub const DNS_STALE_AFTER_DAYS: i64 = 90;

/// How old the message was at the analysis (days), from the trusted
/// receipt, else the newest hop with a time, else the Date header.
pub(crate) fn age_days(ctx: &Context) -> Option<i64> {
    let when = ctx
        .chain
        .boundary
        .and_then(|b| ctx.hops.get(b))
        .and_then(|h| h.timestamp.as_ref())
        .or_else(|| ctx.hops.iter().find_map(|h| h.timestamp.as_ref()))
        .map(|t| t.epoch)
        .or_else(|| {
            crate::parse::headers::first(ctx.fields, "date")
                .and_then(|f| crate::parse::message::date(f.value))
                .map(|d| d.to_timestamp())
        })?;
    (ctx.now > 0).then(|| (ctx.now - when) / 86_400)
}

/// A finding from today's DNS about an old message ("does not exist",
/// "SPF fails": domains lapse, records change): `info`, with the age in
/// the message and evidence.
pub(crate) fn aged(ctx: &Context, mut f: Finding) -> Finding {
    if let Some(days) = age_days(ctx).filter(|d| *d > DNS_STALE_AFTER_DAYS) {
        f.severity = Severity::Info;
        f.message.push_str(&format!(
            " today; the message is {days} days old and domains lapse"
        ));
        if let Some(ev) = f.evidence.as_object_mut() {
            ev.insert("message_age_days".into(), json!(days));
        }
    }
    f
}

/// Run every check of the header, in a stable order; the vendor headers,
/// decoded and placed on the way, come back for the report's verdict list.
pub(crate) fn run(ctx: &Context) -> (Vec<Finding>, Vec<vendor::Placed>) {
    let mut out = Vec::new();
    hops::check(ctx, &mut out);
    dates::check(ctx, &mut out);
    message_id::check(ctx, &mut out);
    sender::check(ctx, &mut out);
    webmail::check(ctx, &mut out);
    auth_results::check(ctx, &mut out);
    relay::check(ctx, &mut out);
    dynamic::check(ctx, &mut out);
    // After hops: it clears or strengthens CHAIN_BREAK.
    dns::check(ctx, &mut out);
    dmarc::check(ctx, &mut out);
    hops::too_many(ctx, &mut out);
    nul::check(ctx, &mut out);
    let placed = vendor::place(ctx);
    vendor::check(ctx, &placed, &mut out);
    (out, placed)
}
