//! Findings: every judgement with a stable code (docs/checks.md), a
//! severity, the hop it concerns and its evidence. Each submodule looks at
//! one aspect; none of them does I/O.

pub(crate) mod auth_results;
pub(crate) mod dates;
pub(crate) mod dns;
pub(crate) mod hops;
pub mod message_id;
pub(crate) mod position;
pub(crate) mod relay;
pub(crate) mod sender;
pub(crate) mod webmail;

use crate::chain::trust::TrustConfig;
use crate::chain::Chain;
use crate::model::MessageSummary;
use crate::model::{Finding, Hop, MessageDns};
use crate::parse::headers::Field;

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

/// Run every check, in a stable order.
pub fn run(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    hops::check(ctx, &mut out);
    dates::check(ctx, &mut out);
    message_id::check(ctx, &mut out);
    sender::check(ctx, &mut out);
    webmail::check(ctx, &mut out);
    auth_results::check(ctx, &mut out);
    relay::check(ctx, &mut out);
    // After hops: it clears or strengthens CHAIN_BREAK.
    dns::check(ctx, &mut out);
    hops::too_many(ctx, &mut out);
    out
}
