//! Who wrote a header field, judged by where it stands among the Received
//! headers, and how far that writer can be believed.
//!
//! Servers prepend: a field between Received `k-1` and Received `k` was
//! added by the server that wrote Received `k-1` (its trace block), and a
//! field below every Received header by the message's origin. A field is as
//! credible as its writer's own Received header.

use super::Context;
use crate::model::LinkStatus;

use crate::model::Credibility;

/// How many Received headers stand above field number `index`.
pub(crate) fn received_above(ctx: &Context, index: usize) -> usize {
    ctx.fields
        .iter()
        .take(index)
        .filter(|f| f.is("received"))
        .count()
}

/// The deepest hop whose Received header is believable: the boundary,
/// extended down through consistent custody links.
pub(crate) fn consistent_depth(ctx: &Context) -> Option<usize> {
    let mut depth = ctx.chain.boundary?;
    for link in &ctx.chain.custody {
        if link.upper == depth && link.status == LinkStatus::Consistent {
            depth = link.lower;
        } else if link.upper >= depth {
            break;
        }
    }
    Some(depth)
}

/// How far the Received header of hop `hop` can be believed.
pub(crate) fn hop_credibility(ctx: &Context, hop: usize) -> Credibility {
    match ctx.chain.boundary {
        Some(b) if hop <= b => Credibility::Trusted,
        Some(_) if consistent_depth(ctx).is_some_and(|d| hop <= d) => Credibility::Consistent,
        _ => Credibility::Claimed,
    }
}

/// The hop whose server wrote field number `index`: `Some(hop)`, or `None`
/// for the origin (below every Received header).
pub(crate) fn writer_hop(ctx: &Context, index: usize) -> Option<usize> {
    writer_hop_below(ctx, received_above(ctx, index))
}

/// [`writer_hop`] of a field with `above` Received headers above it (for
/// callers that walk the fields and count as they go).
pub(crate) fn writer_hop_below(ctx: &Context, above: usize) -> Option<usize> {
    if above >= ctx.hops.len() {
        None
    } else {
        Some(above.saturating_sub(1))
    }
}

/// How far field number `index` can be believed.
pub(crate) fn field_credibility(ctx: &Context, index: usize) -> Credibility {
    field_credibility_below(ctx, received_above(ctx, index))
}

/// [`field_credibility`] of a field with `above` Received headers above it.
pub(crate) fn field_credibility_below(ctx: &Context, above: usize) -> Credibility {
    let n = ctx.hops.len();
    if n == 0 {
        return Credibility::Claimed;
    }
    match writer_hop_below(ctx, above) {
        Some(hop) => hop_credibility(ctx, hop),
        // The origin: trusted only for internal mail (every sender trusted),
        // consistent when custody holds down to the bottom hop.
        None if ctx.chain.first_untrusted_relay.is_none() && ctx.chain.boundary == Some(n - 1) => {
            Credibility::Trusted
        }
        None if consistent_depth(ctx).is_some_and(|d| d + 1 >= n) => Credibility::Consistent,
        None => Credibility::Claimed,
    }
}
