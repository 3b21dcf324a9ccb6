//! Hop checks that need no DNS: unparseable headers, broken custody, HELO
//! claims that contradict what the receiver saw, impossible addresses.

use super::Context;
use crate::chain;
use crate::chain::trust::{classify, IpClass};
use crate::model::Code;
use crate::model::LinkStatus;
use crate::model::{Finding, Hop, HopKind, Severity};
use crate::parse::MAX_HOPS;
use crate::util::domain;
use serde_json::json;
use std::net::IpAddr;

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    if ctx.hops.is_empty() {
        out.push(Finding::new(
            Code::NoReceived,
            Severity::Info,
            None,
            "the message has no Received header: it never crossed a mail server, or they were stripped",
            json!({}),
        ));
        return;
    }
    let boundary = ctx.chain.boundary.unwrap_or(0);
    if ctx.chain.inferred {
        out.push(Finding::new(
            Code::TrustInferred,
            Severity::Info,
            Some(boundary),
            "no --trusted networks given: relays in the receiving server's own domain were trusted by inference; pass --trusted for a firm boundary",
            json!({"steps": ctx.chain.trust_steps}),
        ));
    }
    for hop in ctx.hops {
        // Hops at or above the boundary were recorded by servers we trust;
        // below it, every header is a claim.
        let claimed = hop.index > boundary;
        if hop.kind == HopKind::Unparsed {
            out.push(Finding::new(
                Code::UnparseableReceived,
                Severity::Warn,
                Some(hop.index),
                format!(
                    "Received header {} could not be parsed: {}",
                    hop.index,
                    hop.unparsed_reason.as_deref().unwrap_or("unknown format")
                ),
                json!({"raw": hop.raw}),
            ));
            continue;
        }
        // A sender we trust is one of our own relays: its HELO is no
        // evidence about the message (ham is full of `localhost` handovers).
        let sender_trusted = ctx.chain.trust_steps.iter().any(|t| t.hop == hop.index);
        if !sender_trusted {
            helo_checks(hop, claimed, out);
        }
        if let Some(ip) = hop.from.ip {
            ip_checks(ctx, hop, ip, claimed, out);
        }
        malformed_literals(hop, out);
    }
    for link in &ctx.chain.custody {
        if link.status == LinkStatus::Broken {
            let first = ctx.chain.first_break == Some(link.lower);
            let lied = first && ctx.hops.get(link.upper).is_some_and(lies_about_name);
            // No mail server writes an empty `by` or a multicast sender.
            let template = first
                && ctx
                    .hops
                    .get(link.lower)
                    .and_then(chain::impossible_handover)
                    .is_some();
            let corroborated = lied || template;
            out.push(Finding::new(
                Code::ChainBreak,
                // A break alone is often a renamed or outsourced relay; below
                // a sender that lied about its own name it is the classic
                // spamware pattern: fake history prepended by the origin.
                if corroborated {
                    Severity::Forged
                } else {
                    Severity::Warn
                },
                Some(link.lower),
                format!(
                    "custody breaks between hop {} and hop {}: {}; headers from hop {} down may be forged",
                    link.upper, link.lower, link.reason, link.lower
                ),
                json!({"upper": link.upper, "lower": link.lower, "reason": link.reason,
                       "corroborated_by_helo_rdns_mismatch": lied,
                       "impossible_handover": template,
                       "upper_names": link.upper_names, "lower_by": link.lower_by,
                       "first_break": ctx.chain.first_break == Some(link.lower)}),
            ));
        }
    }
}

/// The big provider a HELO name claims (`mail.yahoo.com`), if any.
fn helo_claims_provider(helo: &str) -> Option<&'static str> {
    // The first provider that runs the name's domain or takes mail for it.
    crate::util::providers::claimed_by_name(helo).map(|p| p.name)
}

/// An rDNS name of a dial-up, DSL, cable or address pool: three numbers in
/// a row (`186-211-54-9.dynamic.x`, `p5.9.54.211.x`) or a pool word.
fn looks_dynamic(rdns: &str) -> bool {
    let n = rdns.to_ascii_lowercase();
    let words = [
        "dsl",
        "dyn",
        "pool",
        "dhcp",
        "cable",
        "dial",
        "ppp",
        "broadband",
        "customer",
        "client",
    ];
    if words.iter().any(|w| n.contains(w)) {
        return true;
    }
    // Three digit runs separated by single `-` or `.`.
    let b = n.as_bytes();
    let mut runs = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            runs += 1;
            if runs >= 3 {
                return true;
            }
            if i < b.len()
                && (b[i] == b'-' || b[i] == b'.')
                && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
                continue;
            }
            runs = 0;
        } else {
            runs = 0;
            i += 1;
        }
    }
    false
}

/// A host name under a known public suffix (not `.local`, `.localdomain`,
/// `.internal`...): a name that can exist in the public DNS.
fn public_name(name: &str) -> bool {
    domain::normalized(name).is_some_and(|n| n.contains('.') && domain::has_known_suffix(&n))
}

/// The sender greeted with a qualified name that its recorded rDNS
/// contradicts (the HELO_RDNS_MISMATCH condition).
fn lies_about_name(hop: &Hop) -> bool {
    match (hop.from.helo.as_deref(), hop.from.rdns.as_deref()) {
        (Some(helo), Some(rdns)) => {
            hop.from
                .ip
                .is_some_and(|ip| classify(ip) == IpClass::Public)
                && helo_literal(helo).is_none()
                && domain::is_fqdn(helo)
                // `evv.corp.local` is a misconfigured internal name, not an
                // impersonation: only names under a real public suffix count.
                && public_name(helo)
                && domain::normalize(rdns).is_some()
                && !chain::same_operator(helo, rdns)
        }
        _ => false,
    }
}

fn helo_checks(hop: &Hop, claimed: bool, out: &mut Vec<Finding>) {
    let Some(helo) = hop.from.helo.as_deref() else {
        return;
    };
    let claim = if claimed {
        " (claimed below the trust boundary)"
    } else {
        ""
    };
    if let Some(literal) = helo_literal(helo) {
        let Some(ip) = hop.from.ip else { return };
        if literal != ip && !same_v4(literal, ip) {
            // A private literal from a public peer is a client behind NAT:
            // ordinary for submission, so only informational.
            let natted = classify(literal) == IpClass::Private && classify(ip) == IpClass::Public;
            out.push(Finding::new(
                Code::HeloIpLiteralMismatch,
                if natted { Severity::Info } else { Severity::Warn },
                Some(hop.index),
                format!(
                    "hop {}: the sender greeted as [{literal}] but connected from {ip}{}{claim}",
                    hop.index,
                    if natted { " (a client behind NAT)" } else { "" }
                ),
                json!({"helo": helo, "helo_ip": literal.to_string(), "ip": ip.to_string(), "natted": natted}),
            ));
        }
        return;
    }
    // `localhost.localdomain`, `mail.corp.local`: dotted, but no name in
    // the public DNS; comparing it with an rDNS name would only be noise.
    let reason = if !domain::is_fqdn(helo) {
        Some("not_dotted")
    } else if !public_name(helo) {
        Some("no_public_suffix")
    } else {
        None
    };
    if let Some(reason) = reason {
        out.push(Finding::new(
            Code::HeloNotFqdn,
            Severity::Info,
            Some(hop.index),
            format!(
                "hop {}: the HELO name {helo:?} is not a fully qualified domain name{claim}",
                hop.index
            ),
            json!({"helo": helo, "reason": reason}),
        ));
        return;
    }
    // A loopback peer's rDNS is always `localhost`: nothing to compare.
    let loopback = hop
        .from
        .ip
        .is_some_and(|ip| classify(ip) == IpClass::Loopback);
    if let Some(rdns) = hop.from.rdns.as_deref().filter(|_| !loopback) {
        if public_name(rdns) && !chain::same_operator(helo, rdns) {
            // A mismatch alone is common in honest mail (17% of the
            // corpus' ham, 14% of spam and phishing). It is a warning when
            // the HELO claims a big provider its rDNS is not (0.1% of ham,
            // 6% of spam), or when the first untrusted relay, seen by our
            // server, has a dial-up or pool rDNS (0.3% of ham, 4% of spam).
            let provider = helo_claims_provider(helo);
            let dynamic = !claimed && looks_dynamic(rdns);
            out.push(Finding::new(
                Code::HeloRdnsMismatch,
                if provider.is_some() || dynamic {
                    Severity::Warn
                } else {
                    Severity::Info
                },
                Some(hop.index),
                format!(
                    "hop {}: the sender called itself {helo} but its address {} has rDNS {rdns}{}{claim}",
                    hop.index,
                    hop.from.ip.map(|i| i.to_string()).unwrap_or_default(),
                    match (provider, dynamic) {
                        (Some(p), _) => format!(", not a {p} server"),
                        (None, true) => ", a dial-up or address-pool name".to_string(),
                        _ => String::new(),
                    }
                ),
                json!({"helo": helo, "rdns": rdns, "ip": hop.from.ip.map(|i| i.to_string()),
                       "helo_domain": domain::registrable(helo), "rdns_domain": domain::registrable(rdns),
                       "helo_claims_provider": provider, "rdns_dynamic": looks_dynamic(rdns)}),
            ));
        }
    }
}

fn ip_checks(ctx: &Context, hop: &Hop, ip: IpAddr, claimed: bool, out: &mut Vec<Finding>) {
    match classify(ip) {
        IpClass::Bogus => out.push(Finding::new(
            Code::BogusIp,
            if claimed { Severity::Forged } else { Severity::Warn },
            Some(hop.index),
            format!(
                "hop {}: {ip} is a reserved, documentation or multicast address that cannot connect over the Internet",
                hop.index
            ),
            json!({"ip": ip.to_string(), "reason": "reserved"}),
        )),
        IpClass::Private if claimed => {
            // Private below a public, untrusted hop: someone's internal
            // network, or an invented hop.
            let public_above = ctx.hops[..hop.index]
                .iter()
                .rev()
                .find_map(|h| h.from.ip)
                .is_some_and(|a| classify(a) == IpClass::Public);
            if public_above {
                out.push(Finding::new(
                    Code::PrivateIpUntrusted,
                    Severity::Info,
                    Some(hop.index),
                    format!(
                        "hop {}: a private address {ip} below the first untrusted relay: the sender's internal network, or an invented hop",
                        hop.index
                    ),
                    json!({"ip": ip.to_string()}),
                ));
            }
        }
        _ => {}
    }
}

/// `[1.2.3.4]`, `[IPv6:2001:db8::1]` or a bare address used as a HELO name.
fn helo_literal(helo: &str) -> Option<IpAddr> {
    let inner = helo.trim().trim_start_matches('[').trim_end_matches(']');
    let inner = inner
        .strip_prefix("IPv6:")
        .or_else(|| inner.strip_prefix("ipv6:"))
        .unwrap_or(inner);
    inner.parse().ok()
}

/// IPv4 and its IPv4-mapped IPv6 form are the same peer.
fn same_v4(a: IpAddr, b: IpAddr) -> bool {
    let v4 = |x: IpAddr| match x {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(v) => v.to_ipv4_mapped(),
    };
    v4(a).is_some() && v4(a) == v4(b)
}

/// A bracketed dotted quad in the `from` part that is not an address
/// (`[300.1.2.3]`): the header was made up by hand.
fn malformed_literals(hop: &Hop, out: &mut Vec<Finding>) {
    let raw = hop.raw.as_bytes();
    let end = memchr::memmem::find(raw, b" by ").unwrap_or(raw.len());
    let from_part = &hop.raw[..end];
    for part in from_part.split('[').skip(1) {
        let Some((inner, _)) = part.split_once(']') else {
            continue;
        };
        let dotted = inner.split('.').count() == 4
            && inner
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if dotted && inner.parse::<std::net::Ipv4Addr>().is_err() {
            out.push(Finding::new(
                Code::BogusIp,
                Severity::Forged,
                Some(hop.index),
                format!("hop {}: [{inner}] is not a valid IPv4 address", hop.index),
                json!({"ip": inner, "reason": "malformed"}),
            ));
        }
    }
}

/// TOO_MANY_RECEIVED: more Received headers than are parsed.
pub(crate) fn too_many(ctx: &Context, out: &mut Vec<Finding>) {
    if ctx.skipped_hops == 0 {
        return;
    }
    let (total, parsed) = (ctx.skipped_hops + MAX_HOPS, MAX_HOPS);
    out.push(Finding::new(
        Code::TooManyReceived,
        Severity::Warn,
        None,
        format!("{total} Received headers: only the first {parsed} were parsed"),
        json!({"total": total, "parsed": parsed}),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain;
    use crate::chain::trust::TrustConfig;
    use crate::model::FromPart;
    use crate::model::MessageSummary;

    fn hop(i: usize, helo: &str, rdns: &str, ip: &str, by: &str) -> Hop {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let mut h = Hop::new(i, HopKind::Relay, format!("from {helo} ([{ip}]) by {by}"));
        h.from = FromPart {
            helo: some(helo),
            rdns: some(rdns),
            ip: ip.parse().ok(),
            ident: None,
            forwarded_for: None,
        };
        h.by = some(by);
        h
    }

    /// The findings for `hops`, with nothing trusted beyond hop 0.
    fn findings(hops: &[Hop]) -> Vec<Finding> {
        let trust = TrustConfig::default();
        let chain = chain::analyze(hops, &trust, false);
        let message = MessageSummary::default();
        let ctx = Context {
            fields: &[],
            hops,
            chain: &chain,
            message: &message,
            trust: &trust,
            now: 0,
            dns: None,
            skipped_hops: 0,
        };
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }

    fn find(f: &[Finding], code: Code) -> Option<&Finding> {
        f.iter().find(|x| x.code == code)
    }

    #[test]
    fn helo_findings() {
        let f = findings(&[hop(
            0,
            "gate.hypermoon.com",
            "pool37.longlink.net",
            "217.6.1.7",
            "mx.x.org",
        )]);
        assert_eq!(
            find(&f, Code::HeloRdnsMismatch).unwrap().severity,
            Severity::Warn
        );
        // Same registrable domain, or a loopback peer: no mismatch.
        let f = findings(&[hop(
            0,
            "mx2.example.org",
            "out.example.org",
            "85.1.2.3",
            "mx.x.org",
        )]);
        assert!(find(&f, Code::HeloRdnsMismatch).is_none());
        let f = findings(&[hop(
            0,
            "heron.example.org",
            "localhost.localdomain",
            "127.0.0.1",
            "x",
        )]);
        assert!(find(&f, Code::HeloRdnsMismatch).is_none());
        let f = findings(&[hop(0, "KRYPTIK", "", "85.1.2.3", "mx.x.org")]);
        assert_eq!(
            find(&f, Code::HeloNotFqdn).unwrap().severity,
            Severity::Info
        );
        let f = findings(&[hop(
            0,
            "localhost.localdomain",
            "dsl-1.isp.net",
            "85.1.2.3",
            "mx",
        )]);
        assert_eq!(
            find(&f, Code::HeloNotFqdn).unwrap().evidence["reason"],
            "no_public_suffix"
        );
        assert!(find(&f, Code::HeloRdnsMismatch).is_none());
        // An rDNS name from a private resolver is no evidence either.
        let f = findings(&[hop(
            0,
            "www.fastmail.fm",
            "server1.internal",
            "85.1.2.3",
            "mx",
        )]);
        assert!(find(&f, Code::HeloRdnsMismatch).is_none());
        // Address literals: NAT is info, another public address is warn.
        let f = findings(&[hop(0, "[192.168.1.5]", "", "85.1.2.3", "mx.x.org")]);
        assert_eq!(
            find(&f, Code::HeloIpLiteralMismatch).unwrap().severity,
            Severity::Info
        );
        let f = findings(&[hop(0, "[58.62.71.3]", "", "61.177.92.140", "mx.x.org")]);
        assert_eq!(
            find(&f, Code::HeloIpLiteralMismatch).unwrap().severity,
            Severity::Warn
        );
        let f = findings(&[hop(0, "[61.177.92.140]", "", "61.177.92.140", "mx.x.org")]);
        assert!(find(&f, Code::HeloIpLiteralMismatch).is_none());
    }

    #[test]
    fn address_findings() {
        let relay = hop(0, "relay.isp.example.net", "", "84.23.191.7", "mx.x.org");
        let f = findings(&[
            relay.clone(),
            hop(
                1,
                "a.example.com",
                "",
                "192.0.2.77",
                "relay.isp.example.net",
            ),
        ]);
        let bogus = find(&f, Code::BogusIp).unwrap();
        assert_eq!((bogus.severity, bogus.hop), (Severity::Forged, Some(1)));
        let f = findings(&[
            relay,
            hop(
                1,
                "a.example.com",
                "",
                "91.203.66.14",
                "relay.isp.example.net",
            ),
            hop(2, "b.example.com", "", "10.1.2.3", "a.example.com"),
        ]);
        let private = find(&f, Code::PrivateIpUntrusted).unwrap();
        assert_eq!((private.severity, private.hop), (Severity::Info, Some(2)));
        // Hop 0's sender, seen by our own server: reserved is only a warning.
        let f = findings(&[hop(0, "a.example.com", "", "240.1.2.3", "mx.x.org")]);
        assert_eq!(find(&f, Code::BogusIp).unwrap().severity, Severity::Warn);
        // A dotted quad that is no address at all.
        let mut h = hop(0, "a.example.com", "", "", "mx.x.org");
        h.raw = "from a.example.com ([300.45.12.9]) by mx.x.org".into();
        let f = findings(&[h]);
        assert_eq!(
            find(&f, Code::BogusIp).unwrap().evidence["reason"],
            "malformed"
        );
    }

    #[test]
    fn chain_break_severity() {
        let liar = [
            hop(
                0,
                "relay.isp.example.net",
                "relay.isp.example.net",
                "84.23.191.7",
                "mx.x.org",
            ),
            hop(
                1,
                "gate.hypermoon.com",
                "pool37.longlink.net",
                "217.6.1.7",
                "relay.isp.example.net",
            ),
            hop(
                2,
                "fritz.hotdogcity.com",
                "",
                "221.88.9.16",
                "server.big-hello.com",
            ),
        ];
        let f = findings(&liar);
        assert_eq!(
            find(&f, Code::ChainBreak).unwrap().severity,
            Severity::Forged
        );
        // The same break under an honest sender is only a warning...
        let mut honest = liar.clone();
        honest[1].from.rdns = Some("gate.hypermoon.com".into());
        let f = findings(&honest);
        assert_eq!(find(&f, Code::ChainBreak).unwrap().severity, Severity::Warn);
        // ...and so under a misconfigured internal HELO name.
        let mut internal = liar.clone();
        internal[1].from.helo = Some("evv.hypermoon.local".into());
        let f = findings(&internal);
        assert_eq!(find(&f, Code::ChainBreak).unwrap().severity, Severity::Warn);
    }
}
