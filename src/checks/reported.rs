//! A reported message (issue 17): the feedback report's `Source-IP`
//! against the relay our own trace names.

use crate::chain::Chain;
use crate::model::{Code, Finding, Severity, Source};
use serde_json::json;
use std::net::IpAddr;

/// ARF_SOURCE_IP_MISMATCH: the feedback loop names another sender than
/// the first untrusted relay of the inner message's own Received chain.
pub(crate) fn check(source: &Source, chain: &Chain) -> Vec<Finding> {
    let Some(rb) = source.reported_by.as_deref() else {
        return Vec::new();
    };
    let Some(said) = rb.source_ip.as_deref() else {
        return Vec::new();
    };
    let Ok(said_ip) = said.trim().parse::<IpAddr>() else {
        return Vec::new();
    };
    let Some(relay) = &chain.first_untrusted_relay else {
        return Vec::new();
    };
    let Some(ours) = relay.ip else {
        return Vec::new();
    };
    if ours == said_ip {
        return Vec::new();
    }
    vec![Finding::new(
        Code::ArfSourceIpMismatch,
        Severity::Warn,
        Some(relay.hop),
        format!(
            "the feedback report says {said_ip} sent the message; its Received chain names {ours}"
        ),
        json!({"source_ip": said_ip.to_string(), "first_untrusted_relay": ours.to_string(),
               "feedback_type": rb.feedback_type}),
    )]
}
