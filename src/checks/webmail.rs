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

/// What a client-IP header's address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpMeaning {
    /// The client behind a webmail or submission session: an origin candidate.
    Client,
    /// The connecting IP a receiving server saw: the relay the Received
    /// header already names, never an origin candidate.
    Receiver,
    /// Written both ways by one provider: the connecting IP when it is the
    /// address its writer's Received header recorded as the peer (and that
    /// hop was no webmail session), else the client.
    Either,
}

/// One client-IP header: who writes it and what it means.
#[derive(Debug)]
pub(crate) struct ClientIpHeader {
    /// Lowercase name.
    pub name: &'static str,
    /// The software that writes it.
    pub written_by: &'static str,
    pub meaning: IpMeaning,
}

/// Client-IP headers by who wrote them (docs/checks.md, "Webmail origin").
pub(crate) const CLIENT_IP_HEADERS: &[ClientIpHeader] = &[
    ClientIpHeader {
        name: "x-originating-ip",
        written_by: "Hotmail/Outlook.com webmail, Exchange OWA, many webmail front ends: the browser's address",
        meaning: IpMeaning::Client,
    },
    ClientIpHeader {
        name: "x-sender-ip",
        written_by: "Exchange Online Protection on inbound mail: the address of the server that connected to it",
        meaning: IpMeaning::Receiver,
    },
    ClientIpHeader {
        name: "x-ms-exchange-organization-originalclientipaddress",
        written_by: "Exchange transport: the client of the first Exchange server (the submitting client in the sender's organisation, the connecting relay on inbound Internet mail)",
        meaning: IpMeaning::Either,
    },
    ClientIpHeader {
        name: "x-mdremoteip",
        written_by: "MDaemon on receipt: the address of the SMTP peer",
        meaning: IpMeaning::Receiver,
    },
    ClientIpHeader {
        name: "x-yahoo-post-ip",
        written_by: "Yahoo Mail web and app submission: the client's address",
        meaning: IpMeaning::Client,
    },
    ClientIpHeader {
        name: "x-aol-ip",
        written_by: "AOL Mail: the webmail client on outbound mail, the connecting relay on inbound mail",
        meaning: IpMeaning::Either,
    },
    ClientIpHeader {
        name: "x-source-ip",
        written_by: "cPanel's Exim (with X-Source, X-Source-Args): the authenticated client or the script's host",
        meaning: IpMeaning::Client,
    },
    ClientIpHeader {
        name: "x-client-ip",
        written_by: "webmail front ends and HTTP proxies: the browser's address",
        meaning: IpMeaning::Client,
    },
    ClientIpHeader {
        name: "x-webmail-client-ip",
        written_by: "webmail front ends: the browser's address",
        meaning: IpMeaning::Client,
    },
    ClientIpHeader {
        name: "x-php-originating-ip",
        written_by: "hosting PHP mail() wrappers: the web visitor's address",
        meaning: IpMeaning::Client,
    },
];

/// Headers that carry an address (lowercase).
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

/// The entry of a header field name.
pub(crate) fn client_ip_header(name: &str) -> Option<&'static ClientIpHeader> {
    CLIENT_IP_HEADERS
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name.trim()))
}

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
        let writer = position::writer_hop(ctx, i);
        let meaning = client_ip_header(f.name).map_or(IpMeaning::Client, |h| h.meaning);
        let receiver_view = match meaning {
            IpMeaning::Client => false,
            IpMeaning::Receiver => true,
            IpMeaning::Either => writer.and_then(|w| ctx.hops.get(w)).is_some_and(|h| {
                h.from.ip == Some(ip)
                    && !h
                        .with
                        .as_deref()
                        .is_some_and(|w| w.to_ascii_lowercase().starts_with("http"))
            }),
        };
        // The connecting IP a receiver saw is the relay its Received header
        // names, not a client behind a session.
        if receiver_view {
            continue;
        }
        out.push(OriginCandidate {
            ip,
            header: crate::util::sanitize::for_terminal(f.name),
            written_by_hop: writer,
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
        let software = client_ip_header(&c.header).map(|h| h.written_by);
        let evidence = json!({"ip": c.ip.to_string(), "header": c.header, "software": software,
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

    #[test]
    fn every_origin_header_is_in_the_table() {
        for h in ORIGIN_HEADERS {
            assert!(client_ip_header(h).is_some(), "{h}");
        }
        assert_eq!(
            client_ip_header("X-Sender-IP").map(|h| h.meaning),
            Some(IpMeaning::Receiver)
        );
    }
}
