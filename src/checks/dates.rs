//! Times: hops stamped out of order; the Date header missing, invalid, or
//! far from the time our first trusted server received the message.

use super::Context;
use crate::model::Code;
use crate::model::{Finding, Severity};
use crate::util::clock::human_duration;
use regex::Regex;
use serde_json::json;
use std::sync::LazyLock;

/// A hop may be stamped this much earlier than the hop below it before we
/// call it reversed: clocks of honest servers drift by minutes.
pub(crate) const TIME_REVERSED_TOLERANCE: i64 = 15 * 60;
/// Up to this, a reversal is informational: a server clock or zone set
/// wrong is off by whole hours, and 7% of the corpus' ham shows it; past
/// half a day it is a warning (0.6% of ham, 2.3% of spam and phishing).
pub(crate) const TIME_REVERSED_WARN: i64 = 12 * 3600;
/// The Date header may be this far ahead of the trusted receipt time.
pub(crate) const DATE_IN_FUTURE_TOLERANCE: i64 = 2 * 3600;
/// Up to this far ahead, DATE_IN_FUTURE is informational: a sender's clock
/// set to the wrong zone is off by whole hours (SpamAssassin's
/// DATE_IN_FUTURE_03_06 and _06_12 fire on honest mail too).
pub(crate) const DATE_IN_FUTURE_WARN: i64 = 12 * 3600;
/// The Date header may be this far behind the trusted receipt time before
/// DATE_IN_PAST is reported (info): mail queued on a laptop or retried by a
/// slow relay is late by hours, rarely by half a day.
pub(crate) const DATE_IN_PAST_TOLERANCE: i64 = 12 * 3600;
/// Beyond this the lateness is a warning (SpamAssassin's DATE_IN_PAST_96_XX):
/// ratware that reuses an old template, or a replayed message.
pub(crate) const DATE_IN_PAST_WARN: i64 = 96 * 3600;

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
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
                Code::TimeReversed,
                if below && gap > TIME_REVERSED_WARN {
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
                       "tolerance_seconds": TIME_REVERSED_TOLERANCE,
                       "warn_seconds": TIME_REVERSED_WARN}),
            ));
        }
    }
    date_checks(ctx, out);
}

/// Why the Date text is not a usable date, judged on the text itself
/// (mail-parser silently wraps a zone like +0480 and reads 0102 as 102).
pub(crate) fn date_problem(text: &str) -> Option<String> {
    static ZONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\d{1,2}:\d{2}(?::\d{2})?\s*([+-])(\d{2})(\d{2})\b").expect("valid regex")
    });
    let Some(d) = crate::parse::message::date(text.as_bytes()) else {
        return Some("it cannot be parsed as an RFC 5322 date".into());
    };
    if let Some(c) = ZONE.captures(text) {
        let hh: u32 = c[2].parse().unwrap_or(99);
        let mm: u32 = c[3].parse().unwrap_or(99);
        if hh > 14 || mm >= 60 {
            return Some(format!(
                "the zone {}{}{} is not a real UTC offset",
                &c[1], &c[2], &c[3]
            ));
        }
    }
    if !(1970..=2999).contains(&d.year) {
        return Some(format!("the year {} is absurd", d.year));
    }
    if !d.is_valid() {
        return Some("a field (month, day, hour, minute, second) is out of range".into());
    }
    None
}

/// DATE_MISSING, DATE_INVALID, DATE_IN_PAST and DATE_IN_FUTURE.
fn date_checks(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(field) = crate::parse::headers::first(ctx.fields, "date") else {
        out.push(Finding::new(
            Code::DateMissing,
            Severity::Warn,
            None,
            "the message has no Date header; RFC 5322 requires one and every mail client writes it",
            json!({}),
        ));
        return;
    };
    let text = field.text();
    if let Some(why) = date_problem(&text) {
        out.push(Finding::new(
            Code::DateInvalid,
            Severity::Warn,
            None,
            format!("the Date header {text:?} is invalid: {why}"),
            json!({"date": text, "reason": why}),
        ));
        return;
    }
    let Some(date) = crate::parse::message::date(field.value).map(|d| d.to_timestamp()) else {
        return;
    };
    // The reference: the time the boundary hop (our first trusted server
    // to see the message) received it; else the newest hop with a time.
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
    let ahead = date - reference;
    if ahead > DATE_IN_FUTURE_TOLERANCE {
        out.push(Finding::new(
            Code::DateInFuture,
            if ahead > DATE_IN_FUTURE_WARN {
                Severity::Warn
            } else {
                Severity::Info
            },
            None,
            format!("the Date header is {} after {what}", human_duration(ahead)),
            json!({"date": text, "date_utc": ctx.message.date_utc, "reference": reference,
                   "seconds": ahead, "tolerance_seconds": DATE_IN_FUTURE_TOLERANCE,
                   "warn_seconds": DATE_IN_FUTURE_WARN}),
        ));
    }
    // In the past only against a receipt time: against "now" every
    // archived message would be late.
    if trusted_time.is_some() && -ahead > DATE_IN_PAST_TOLERANCE {
        let late = -ahead;
        out.push(Finding::new(
            Code::DateInPast,
            if late > DATE_IN_PAST_WARN {
                Severity::Warn
            } else {
                Severity::Info
            },
            None,
            format!("the Date header is {} before {what}", human_duration(late)),
            json!({"date": text, "date_utc": ctx.message.date_utc, "reference": reference,
                   "seconds": late, "tolerance_seconds": DATE_IN_PAST_TOLERANCE,
                   "warn_seconds": DATE_IN_PAST_WARN}),
        ));
    }
}
