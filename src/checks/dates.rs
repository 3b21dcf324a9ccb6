//! Times: hops stamped out of order, a Date header from the future.

use super::Context;
use crate::model::{Finding, Severity};
use serde_json::json;

/// A hop may be stamped this much earlier than the hop below it before we
/// call it reversed: clocks of honest servers drift by minutes.
pub const TIME_REVERSED_TOLERANCE: i64 = 15 * 60;
/// The Date header may be this far ahead of the trusted receipt time.
pub const DATE_IN_FUTURE_TOLERANCE: i64 = 2 * 3600;

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    // TIME_REVERSED: hop i (newer) stamped before hop i+1 (older).
    for pair in ctx.hops.windows(2) {
        let (upper, lower) = (&pair[0], &pair[1]);
        let (Some(tu), Some(tl)) = (&upper.timestamp, &lower.timestamp) else {
            continue;
        };
        let gap = tl.epoch - tu.epoch;
        if gap > TIME_REVERSED_TOLERANCE {
            let below = ctx.chain.boundary.is_some_and(|b| lower.index > b);
            out.push(Finding::new(
                "TIME_REVERSED",
                if below {
                    Severity::Warn
                } else {
                    Severity::Info
                },
                Some(lower.index),
                format!(
                    "hop {} is stamped {} after hop {}, which received the message from it",
                    lower.index,
                    human_duration(gap),
                    upper.index
                ),
                json!({"upper": upper.index, "upper_time": tu.utc, "lower": lower.index,
                       "lower_time": tl.utc, "seconds": gap,
                       "tolerance_seconds": TIME_REVERSED_TOLERANCE}),
            ));
        }
    }
    // DATE_IN_FUTURE: the Date header against the first trusted receipt, or
    // against now when no hop has a time.
    let Some(date_utc) = ctx.message.date_utc.as_deref() else {
        return;
    };
    let Some(date) = mail_parser::DateTime::parse_rfc3339(date_utc) else {
        return;
    };
    let date = date.to_timestamp();
    let trusted_time = ctx
        .chain
        .boundary
        .and_then(|b| ctx.hops.get(b))
        .and_then(|h| h.timestamp.as_ref())
        .or_else(|| ctx.hops.iter().find_map(|h| h.timestamp.as_ref()));
    let (reference, what) = match trusted_time {
        Some(t) => (t.epoch, format!("the trusted receipt at {}", t.utc)),
        None => (ctx.now, "the time of analysis".to_string()),
    };
    if date - reference > DATE_IN_FUTURE_TOLERANCE {
        out.push(Finding::new(
            "DATE_IN_FUTURE",
            Severity::Warn,
            None,
            format!(
                "the Date header is {} after {what}",
                human_duration(date - reference)
            ),
            json!({"date": ctx.message.date, "date_utc": date_utc, "reference": reference,
                   "seconds": date - reference, "tolerance_seconds": DATE_IN_FUTURE_TOLERANCE}),
        ));
    }
}

/// `3h 20m`, `2d 4h`, `45s`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.abs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m {}s", s / 60, s % 60)
    } else if s < 86400 {
        format!("{}h {}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d {}h", s / 86400, (s % 86400) / 3600)
    }
}
