//! What the tests read off a report, in one place.
#![allow(dead_code)]

use spamtrace::model::Report;

/// The first untrusted relay's address, as text.
pub fn relay(r: &Report) -> Option<String> {
    r.first_untrusted_relay
        .as_ref()
        .and_then(|x| x.ip)
        .map(|i| i.to_string())
}

/// The URLs the body walk found, in order.
pub fn urls(r: &Report) -> Vec<&str> {
    r.body
        .as_ref()
        .map(|b| b.urls.iter().map(|u| u.url.as_str()).collect())
        .unwrap_or_default()
}

/// Trace options for a test that reads bodies: trust inferred, the clock at `now`.
pub fn bodies_opts(now: i64) -> spamtrace::chain::TraceOptions {
    spamtrace::chain::TraceOptions {
        infer_trust: true,
        now,
        bodies: true,
        ..Default::default()
    }
}
