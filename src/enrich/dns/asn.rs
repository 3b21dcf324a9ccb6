//! Who owns each hop's address, over DNS: Team Cymru's IP-to-ASN service
//! (<https://www.team-cymru.com/ip-asn-mapping>) answers TXT questions
//! under three zones, which the user may change (`--asn-zones`):
//!
//! - `4.3.2.1.origin.asn.cymru.com` (the address's octets reversed):
//!   `"64500 | 1.2.3.0/24 | NL | ripencc | 2001-01-01"` (AS, prefix,
//!   country, registry, allocation date; several origin ASes are listed
//!   space-separated, the first is kept);
//! - the same for IPv6 under `origin6.asn.cymru.com`, by nibbles;
//! - `AS64500.asn.cymru.com`: `"64500 | NL | ripencc | 2001-01-01 |
//!   EXAMPLE-NET Example Net, NL"` (the AS's name last).
//!
//! Every question goes through the run's [`DnsClient`] (cached, bounded,
//! recorded, replayable). Parsing is pure.

use super::client::DnsClient;
use crate::chain::Traced;
use crate::model::{Answer, AsnSource, HopAsn, MessageDns, Outcome, RType};
use crate::util::reverse;
use futures_util::future::join_all;
use std::net::IpAddr;

/// The three zones asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsnZones {
    /// IPv4 origin zone (`origin.asn.cymru.com`).
    pub origin: String,
    /// IPv6 origin zone (`origin6.asn.cymru.com`).
    pub origin6: String,
    /// AS-name zone (`asn.cymru.com`, asked as `AS64500.<zone>`).
    pub names: String,
}

impl Default for AsnZones {
    fn default() -> Self {
        AsnZones {
            origin: "origin.asn.cymru.com".into(),
            origin6: "origin6.asn.cymru.com".into(),
            names: "asn.cymru.com".into(),
        }
    }
}

impl AsnZones {
    /// `ORIGIN,ORIGIN6,NAMES` (the `--asn-zones` value).
    pub fn parse(s: &str) -> Option<AsnZones> {
        let parts: Vec<String> = s
            .split(',')
            .map(|p| p.trim().trim_matches('.').to_ascii_lowercase())
            .collect();
        match parts.as_slice() {
            [a, b, c] if parts.iter().all(|p| super::names::host_name(p).is_some()) => {
                Some(AsnZones {
                    origin: a.clone(),
                    origin6: b.clone(),
                    names: c.clone(),
                })
            }
            _ => None,
        }
    }
}

/// Distinct public addresses looked up per message at most (two
/// questions each): 5,000 Received headers must not mean 10,000 queries.
pub const MAX_ASN_ADDRESSES: usize = 8;

/// The origin question's name for `ip`.
pub fn origin_name(ip: IpAddr, zones: &AsnZones) -> String {
    match ip.to_canonical() {
        v4 @ IpAddr::V4(_) => reverse::in_zone(v4, &zones.origin),
        v6 => reverse::in_zone(v6, &zones.origin6),
    }
}

/// What an origin answer says: (first ASN, prefix, country, registry).
pub type Origin = (u32, Option<String>, Option<String>, Option<String>);

/// Read an origin answer.
pub fn parse_origin(txt: &str) -> Option<Origin> {
    let f: Vec<&str> = txt
        .trim()
        .trim_matches('"')
        .split('|')
        .map(str::trim)
        .collect();
    let asn = f.first()?.split_whitespace().next()?.parse().ok()?;
    let field = |i: usize, max: usize| {
        f.get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && s.len() <= max && s.is_ascii())
            .map(str::to_string)
    };
    Some((
        asn,
        field(1, 64),
        field(2, 2).map(|c| c.to_ascii_uppercase()),
        field(3, 16).map(|r| r.to_ascii_lowercase()),
    ))
}

/// The AS name from an AS-name answer, without its trailing `, CC`.
pub fn parse_as_name(txt: &str) -> Option<String> {
    let name = txt.trim().trim_matches('"').split('|').nth(4)?.trim();
    let name = match name.rsplit_once(',') {
        Some((n, cc))
            if cc.trim().len() == 2 && cc.trim().bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            n.trim()
        }
        _ => name,
    };
    // A hostile zone's text is shown in tables and complaints: plain
    // printable ASCII, bounded.
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(80)
        .collect();
    let clean = clean.trim().to_string();
    (!clean.is_empty()).then_some(clean)
}

fn first_txt(a: &Answer) -> Option<&str> {
    match a.outcome() {
        Outcome::Found(list) => list.first().map(|s| s.as_str()),
        _ => None,
    }
}

/// The public addresses of a message's hops, top down, once each.
pub fn targets(t: &Traced) -> Vec<(usize, IpAddr)> {
    let mut out: Vec<(usize, IpAddr)> = Vec::new();
    for h in &t.hops {
        if let Some(ip) = super::plan::public_ip(t, h.index) {
            if !out.iter().any(|(_, i)| *i == ip) && out.len() < MAX_ASN_ADDRESSES {
                out.push((h.index, ip));
            }
        }
    }
    out
}

/// Ask who owns each public hop address; the answers are added to `m`'s
/// evidence, the facts returned (one per hop with that address).
pub async fn lookup(
    client: &DnsClient,
    t: &Traced,
    zones: &AsnZones,
    m: &mut MessageDns,
) -> Vec<HopAsn> {
    let targets = targets(t);
    let origin_names: Vec<String> = targets
        .iter()
        .map(|(_, ip)| origin_name(*ip, zones))
        .collect();
    let origins = join_all(origin_names.iter().map(|n| client.lookup(n, RType::TXT))).await;
    let parsed: Vec<_> = origins
        .iter()
        .map(|a| first_txt(a).and_then(parse_origin))
        .collect();
    let mut asns: Vec<u32> = parsed.iter().flatten().map(|p| p.0).collect();
    asns.sort_unstable();
    asns.dedup();
    let name_questions: Vec<String> = asns
        .iter()
        .map(|n| format!("as{n}.{}", zones.names))
        .collect();
    let names = join_all(name_questions.iter().map(|n| client.lookup(n, RType::TXT))).await;
    let mut keep = |a: &std::sync::Arc<Answer>| {
        if a.is_evidence() && !m.answers.iter().any(|x| x.question == a.question) {
            m.answers.push(a.as_ref().clone());
        }
    };
    origins.iter().for_each(&mut keep);
    names.iter().for_each(&mut keep);
    let name_of = |asn: u32| {
        asns.iter()
            .position(|n| *n == asn)
            .and_then(|i| first_txt(&names[i]))
            .and_then(parse_as_name)
    };
    let mut out = Vec::new();
    for ((_, ip), p) in targets.iter().zip(&parsed) {
        let Some((asn, prefix, country, registry)) = p.clone() else {
            continue;
        };
        let as_name = name_of(asn);
        for h in t.hops.iter().filter(|h| h.from.ip == Some(*ip)) {
            out.push(HopAsn {
                hop: h.index,
                ip: *ip,
                asn: Some(asn),
                as_name: as_name.clone(),
                country: country.clone(),
                prefix: prefix.clone(),
                registry: registry.clone(),
                source: AsnSource::Dns,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_questions() {
        let z = AsnZones::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            origin_name(ip("192.0.2.10"), &z),
            "10.2.0.192.origin.asn.cymru.com"
        );
        assert_eq!(
            origin_name(ip("::ffff:192.0.2.10"), &z),
            "10.2.0.192.origin.asn.cymru.com"
        );
        assert!(
            origin_name(ip("2001:db8::1"), &z).ends_with(".8.b.d.0.1.0.0.2.origin6.asn.cymru.com")
        );
        assert_eq!(
            AsnZones::parse("o.zones.net, o6.zones.net ,n.zones.net.")
                .unwrap()
                .names,
            "n.zones.net"
        );
        assert!(AsnZones::parse("o.zones.net,o6.zones.net").is_none());
    }

    #[test]
    fn answers_as_documented() {
        // The shapes on Team Cymru's IP-to-ASN page.
        let (asn, prefix, cc, rir) =
            parse_origin("\"23028 | 216.90.108.0/24 | US | arin | 1998-09-25\"").unwrap();
        assert_eq!(asn, 23028);
        assert_eq!(prefix.as_deref(), Some("216.90.108.0/24"));
        assert_eq!(cc.as_deref(), Some("US"));
        assert_eq!(rir.as_deref(), Some("arin"));
        assert_eq!(
            parse_origin("64500 64501 | 192.0.2.0/24 | nl | ripencc |")
                .unwrap()
                .0,
            64500
        );
        assert!(parse_origin("not an answer").is_none());
        assert_eq!(
            parse_as_name("23028 | US | arin | 2002-01-04 | TEAM-CYMRU - Team Cymru Inc., US")
                .as_deref(),
            Some("TEAM-CYMRU - Team Cymru Inc.")
        );
        assert_eq!(
            parse_as_name("64500 | NL | ripencc | | Evil\u{1b}[31m Net").as_deref(),
            Some("Evil[31m Net")
        );
    }
}
