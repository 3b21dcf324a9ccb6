//! Webmail origin: X-Originating-IP and its kin name the client behind a
//! webmail or submission session. Written by a trusted hop or a hop the
//! route supports, such a header is an origin candidate; written in the
//! unsupported part of the chain, it is only a claim, flagged so.

use super::position;

use super::Context;
use crate::chain::trust::{classify, IpClass};
use crate::model::Credibility;
use crate::model::{Finding, Severity};

use crate::model::{Code, OriginCandidate};
use serde_json::json;
use std::net::IpAddr;

/// Headers that carry the client's address (lowercase).
pub(crate) const ORIGIN_HEADERS: &[&str] = &[
    "x-originating-ip",
    "x-sender-ip",
    "x-source-ip",
    "x-aol-ip",
    "x-yahoo-post-ip",
    "x-client-ip",
    "x-webmail-client-ip",
    "x-php-originating-ip",
    "x-mdremoteip",
    "x-ms-exchange-organization-originalclientipaddress",
];

/// At most this many candidates per message.
const MAX_CANDIDATES: usize = 10;

/// The first IP address in a header value: `[1.2.3.4]`, `1.2.3.4`,
/// `2001:db8::1`, `1.2.3.4, 10.0.0.1` (X-Forwarded-For style lists).
pub(crate) fn first_ip(value: &str) -> Option<IpAddr> {
    value
        .split(|c: char| c.is_whitespace() || ",;[]()<>\"".contains(c))
        .filter(|t| !t.is_empty())
        .take(20)
        .find_map(|t| {
            let t = t.strip_prefix("IPv6:").unwrap_or(t);
            t.parse::<IpAddr>().ok()
        })
}

fn class_name(ip: IpAddr) -> &'static str {
    match classify(ip) {
        IpClass::Public => "public",
        IpClass::Private => "private",
        IpClass::Loopback => "loopback",
        IpClass::Bogus => "bogus",
    }
}

/// Every origin candidate of the message, header order.
pub(crate) fn candidates(ctx: &Context) -> Vec<OriginCandidate> {
    let mut out: Vec<OriginCandidate> = Vec::new();
    for (i, f) in ctx.fields.iter().enumerate() {
        if !ORIGIN_HEADERS.iter().any(|h| f.is(h)) {
            continue;
        }
        let Some(ip) = first_ip(&f.text()) else {
            continue;
        };
        if out.iter().any(|c| c.ip == ip) {
            continue;
        }
        out.push(OriginCandidate {
            ip,
            header: crate::util::sanitize::for_terminal(f.name),
            written_by_hop: position::writer_hop(ctx, i),
            credibility: position::field_credibility(ctx, i),
            ip_class: class_name(ip).into(),
        });
        if out.len() == MAX_CANDIDATES {
            break;
        }
    }
    out
}

/// WEBMAIL_ORIGIN (a credible client address) and WEBMAIL_ORIGIN_CLAIMED
/// (one that only the unsupported part of the chain vouches for).
pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for c in candidates(ctx) {
        let writer = match c.written_by_hop {
            Some(h) => format!("hop {h}'s server"),
            None => "the origin".to_string(),
        };
        let evidence = json!({"ip": c.ip.to_string(), "header": c.header,
                              "written_by_hop": c.written_by_hop,
                              "credibility": c.credibility, "ip_class": c.ip_class});
        match c.credibility {
            Credibility::Trusted | Credibility::Consistent => out.push(Finding::new(
                Code::WebmailOrigin,
                Severity::Info,
                c.written_by_hop,
                format!(
                    "{} names the client {} ({}) behind the sending session; written by {writer}, a {} part of the route",
                    c.header,
                    c.ip,
                    c.ip_class,
                    c.credibility.as_str()
                ),
                evidence,
            )),
            Credibility::Claimed => out.push(Finding::new(
                Code::WebmailOriginClaimed,
                if c.ip_class == "bogus" {
                    Severity::Warn
                } else {
                    Severity::Info
                },
                c.written_by_hop,
                format!(
                    "{} names the client {} ({}), but it was written below the trust boundary where custody is not established: a claim",
                    c.header, c.ip, c.ip_class
                ),
                evidence,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        assert_eq!(first_ip("[203.0.113.9]"), "203.0.113.9".parse().ok());
        assert_eq!(first_ip(" 2001:db8::1 "), "2001:db8::1".parse().ok());
        assert_eq!(
            first_ip("198.51.100.7, 10.0.0.1"),
            "198.51.100.7".parse().ok()
        );
        assert_eq!(first_ip("unknown"), None);
    }
}
