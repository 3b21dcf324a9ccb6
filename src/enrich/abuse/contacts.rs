//! The contact rules, as a pure function from plain facts to contacts.
//!
//! - Never a contact for a trusted, private or reserved hop.
//! - Never at an excluded domain (the forged sender's From / Reply-To /
//!   Message-ID domains, our own), except a network contact for the first
//!   untrusted relay: that comes from the IP our server saw, not a claim.
//! - RFC 2142 `abuse@` at a name's registrable domain only where that
//!   domain takes mail (MX, or an address; a null MX means no).
//! - RFC 5321 `postmaster@` at the same domain, under the same conditions
//!   and with the same confidence, for the first untrusted relay only (a
//!   contact of its own, scope `relay_postmaster`; never a main recipient:
//!   see `report::render::complaint::cc`).
//! - A name that is not confirmed (HELO, rDNS that does not
//!   forward-confirm, a name only a header below the boundary claims)
//!   gives a `guess`. HELO counts only for the first untrusted relay: below
//!   the boundary it is whatever the spammer wrote.

use super::{address, Exclusions, HopFacts, NameOrigin, Role};
use crate::chain::trust::{classify, IpClass};
use crate::model::AbuseContact;

/// Contacts for the hops, in the order of `hops`, each address once per hop.
pub fn contacts(hops: &[HopFacts], excl: &Exclusions) -> Vec<AbuseContact> {
    let mut out: Vec<AbuseContact> = Vec::new();
    for h in hops {
        let Some(ip) = h.ip else { continue };
        if h.trusted || classify(ip) != IpClass::Public {
            continue;
        }
        let first = h.role == Role::FirstUntrustedRelay;
        let mut push = |addr: &str, source: &str, scope: &str, confirmed: bool, note: String| {
            let Some(addr) = address::clean(addr) else {
                return;
            };
            if (scope != "network" || !first) && excl.excludes(&addr) {
                return;
            }
            let confidence = if confirmed { "confirmed" } else { "guess" };
            if let Some(c) = out
                .iter_mut()
                .find(|c| c.hop == Some(h.hop) && c.address.eq_ignore_ascii_case(&addr))
            {
                // The same address from a better source: keep the stronger claim.
                if confirmed && c.confidence == "guess" {
                    c.confidence = confidence.into();
                }
                return;
            }
            out.push(AbuseContact {
                address: addr,
                for_ip: Some(ip.to_string()),
                source: source.into(),
                scope: scope.into(),
                confidence: confidence.into(),
                role: h.role.as_str().into(),
                hop: Some(h.hop),
                note,
            });
        };
        // The network: RDAP first (the registry keeps it current), then the
        // TXT zone. For a claimed hop the IP itself is a claim: a guess.
        // One RDAP address: the abuse entity's preferred mailbox (others on
        // the same entity are help desks and the like).
        if let Some(r) = &h.rdap {
            if let Some(e) = r.emails.iter().find(|e| address::is_safe(e.trim())) {
                push(e, "rdap", "network", first, format!("RDAP {}", r.server));
            }
        }
        if let Some(txt) = &h.abusix {
            for e in txt.iter().flat_map(|t| t.split(',')) {
                push(e, "abusix", "network", first, "abuse-contacts TXT".into());
            }
        }
        // The relay operator: abuse@ at the registrable domain of each name.
        for n in &h.names {
            if n.origin == NameOrigin::Helo && !first {
                continue;
            }
            let Some(domain) = &n.domain else { continue };
            if !n.mail.takes_mail() {
                continue;
            }
            let vouched = matches!(n.origin, NameOrigin::Ptr | NameOrigin::RecordedByTrusted);
            let confirmed = vouched && n.forward_confirmed;
            let how = match n.origin {
                NameOrigin::Ptr => "PTR",
                NameOrigin::RecordedByTrusted => "rDNS recorded by our server",
                NameOrigin::Claimed => "rDNS claimed in a header",
                NameOrigin::Helo => "HELO",
            };
            let fc = if n.forward_confirmed {
                "forward-confirmed"
            } else {
                "not forward-confirmed"
            };
            let note = format!("{how} {} ({fc})", n.name);
            push(
                &format!("abuse@{domain}"),
                "rfc2142",
                "relay_operator",
                confirmed,
                note.clone(),
            );
            // RFC 5321 4.5.1: every mail domain must take postmaster@. Only
            // for the relay our server saw, under the same conditions as
            // its abuse@ (and as confirmed or as guessed as that one).
            if first {
                push(
                    &format!("postmaster@{domain}"),
                    "rfc5321",
                    "relay_postmaster",
                    confirmed,
                    note,
                );
            }
        }
    }
    out
}
