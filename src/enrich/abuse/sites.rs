//! Contacts for what a message advertises (issue 17): for each link host,
//! the network that hosts its address (scope `hosting`: the Abusix zone,
//! RDAP for the IP with `--rdap`, as for relays) and the registrar of its
//! registrable domain (scope `registrar`: RDAP for domains, RFC 9224/9083).
//!
//! This module holds the rules, pure: which hosts are sites at all
//! ([`list`]: never a shortener's, a link wrapper's, a big platform's, a
//! brand's real domain or our own or the recipient's), and which facts make
//! which contact ([`contacts`]). The lookups are `dns::sites`.

use super::rdap::RegistrarFacts;
use super::{address, Exclusions, RdapFacts};
use crate::chain::trust::{classify as ip_class, IpClass, TrustConfig};
use crate::chain::Traced;
use crate::model::{AbuseContact, Site, SiteContacts};
use crate::parse::{headers, message};
use crate::util::{brands, links};
use std::net::IpAddr;

/// Sites whose contacts are looked up, per message, at most; as many
/// other link hosts (shorteners, platforms...) are listed besides.
pub const MAX_SITE_HOSTS: usize = 10;
/// URLs kept per host, at most.
pub const MAX_URLS_PER_SITE: usize = 5;
/// Addresses per host asked about, at most.
pub const MAX_ADDRESSES: usize = 2;

/// The role of every site contact.
pub const ROLE: &str = "advertised_site";

/// What the lookups found for one site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteFacts {
    /// The host's addresses (A, then AAAA), at most [`MAX_ADDRESSES`].
    pub addresses: Vec<IpAddr>,
    /// Per address, the Abusix TXT answer (`None`: not asked or failed).
    pub abusix: Vec<Option<Vec<String>>>,
    /// Per address, the RDAP answer (`None`: not asked, none, or failed).
    pub rdap: Vec<Option<RdapFacts>>,
    /// The registrar, over RDAP for the domain.
    pub registrar: Option<RegistrarFacts>,
}

/// Our own domains and the recipient's: never a site to report.
pub fn own_domains(t: &Traced, trust: &TrustConfig) -> Exclusions {
    let mut ex = Exclusions::default();
    for h in t.hops.iter().filter(|h| h.trusted) {
        if let Some(by) = &h.by {
            ex.add(by);
        }
        if let Some(f) = h.for_.as_deref().and_then(message::address_domain) {
            ex.add(&f);
        }
    }
    for host in &trust.hosts {
        ex.add(host.trim_start_matches('.'));
    }
    for f in headers::fields(&t.msg.header) {
        if ["to", "cc", "delivered-to", "x-original-to"]
            .iter()
            .any(|n| f.is(n))
        {
            for (_, a) in message::addresses(&f) {
                if let Some(d) = a.as_deref().and_then(message::address_domain) {
                    ex.add(&d);
                }
            }
        }
    }
    ex
}

/// What kind of host this is, and for a host that is no site, why.
fn kind(host: &str, domain: Option<&str>, own: &Exclusions) -> (&'static str, Option<String>) {
    if host.parse::<IpAddr>().is_ok() {
        return ("site", None);
    }
    match links::classify(host) {
        Some(links::LinkHost::Shortener) => {
            return (
                "shortener",
                Some("a URL shortener: its operator is not the site, and the target is never fetched; no site contact".into()),
            )
        }
        Some(links::LinkHost::Wrapper) => {
            return (
                "wrapper",
                Some("a link-protection wrapper that could not be unwrapped: not the site; no site contact".into()),
            )
        }
        Some(links::LinkHost::Platform) => {
            return (
                "platform",
                Some("a big provider's own site: no hosting or registrar contact for a page there".into()),
            )
        }
        None => {}
    }
    if let Some(b) = brands::owner_of(host) {
        return (
            "brand",
            Some(format!("the real domain of {}: not the advertiser", b.name)),
        );
    }
    if domain.is_some_and(|d| own.excludes(d)) || own.excludes(host) {
        return (
            "own",
            Some("our own or the recipient's domain: never reported".into()),
        );
    }
    ("site", None)
}

/// The link hosts of `t`'s body, first seen first, each host once: at most
/// [`MAX_SITE_HOSTS`] sites and as many other hosts (the cap is reported).
/// No lookup: [`SiteContacts::looked_up`] is false.
pub fn list(t: &Traced, trust: &TrustConfig) -> SiteContacts {
    let mut out = SiteContacts::default();
    let Some(b) = &t.body else { return out };
    let own = own_domains(t, trust);
    let (mut sites, mut others) = (0usize, 0usize);
    for u in &b.urls {
        let Some(host) = u.host.as_deref().filter(|h| !h.is_empty()) else {
            continue;
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(s) = out.sites.iter_mut().find(|s| s.host == host) {
            if s.urls.len() < MAX_URLS_PER_SITE && !s.urls.contains(&u.url) {
                s.urls.push(u.url.clone());
            }
            continue;
        }
        let (k, note) = kind(&host, u.domain.as_deref(), &own);
        let counter = if k == "site" { &mut sites } else { &mut others };
        if *counter == MAX_SITE_HOSTS {
            out.limit = Some(MAX_SITE_HOSTS);
            continue;
        }
        *counter += 1;
        out.sites.push(Site {
            domain: u.domain.clone().filter(|_| host.parse::<IpAddr>().is_err()),
            host,
            kind: k.into(),
            urls: vec![u.url.clone()],
            note,
            ..Site::default()
        });
    }
    out
}

/// [`list`] for a run that looks nothing up (`--offline`), saying so.
pub fn not_looked_up(t: &Traced, trust: &TrustConfig) -> SiteContacts {
    let mut s = list(t, trust);
    s.notes
        .push("offline: the sites' hosting and registrar contacts were not looked up".into());
    s
}

/// The contacts of one site from its facts. `own`: domains no contact may
/// be at.
pub fn contacts(site: &mut Site, facts: &SiteFacts, own: &Exclusions) {
    site.addresses = facts.addresses.iter().map(|a| a.to_string()).collect();
    let mut out: Vec<AbuseContact> = Vec::new();
    let mut push = |addr: &str, for_ip: Option<String>, source: &str, scope: &str, note: String| {
        let Some(addr) = address::clean(addr) else {
            return;
        };
        if own.excludes(&addr) {
            return;
        }
        if out
            .iter()
            .any(|c| c.scope == scope && c.address.eq_ignore_ascii_case(&addr))
        {
            return;
        }
        out.push(AbuseContact {
            address: addr,
            for_ip,
            source: source.into(),
            scope: scope.into(),
            confidence: "confirmed".into(),
            role: ROLE.into(),
            hop: None,
            note,
        });
    };
    let mut private = false;
    for (i, ip) in facts.addresses.iter().enumerate() {
        if ip_class(*ip) != IpClass::Public {
            private = true;
            continue;
        }
        let how = if site.host.parse::<IpAddr>().is_ok() {
            "the link's address".to_string()
        } else {
            format!("an address of {}", site.host)
        };
        if let Some(Some(r)) = facts.rdap.get(i) {
            if let Some(e) = r.emails.iter().find(|e| address::is_safe(e.trim())) {
                push(
                    e,
                    Some(ip.to_string()),
                    "rdap",
                    "hosting",
                    format!("{how}; RDAP {}", r.server),
                );
            }
        }
        if let Some(Some(txt)) = facts.abusix.get(i) {
            for e in txt.iter().flat_map(|t| t.split(',')) {
                push(
                    e,
                    Some(ip.to_string()),
                    "abusix",
                    "hosting",
                    format!("{how}; abuse-contacts TXT"),
                );
            }
        }
    }
    if let (Some(r), Some(d)) = (&facts.registrar, &site.domain) {
        if let Some(e) = r.emails.iter().find(|e| address::is_safe(e.trim())) {
            let who = r
                .name
                .as_deref()
                .map(|n| format!("registrar {}", crate::util::sanitize::for_terminal(n)))
                .unwrap_or_else(|| "the registrar".into());
            push(
                e,
                None,
                "rdap",
                "registrar",
                format!("{who} of {d}; RDAP {}", r.server),
            );
        }
    }
    if out.is_empty() {
        site.note = Some(
            if facts.addresses.is_empty() && facts.registrar.is_none() {
                "no address and no registrar record found"
            } else if private {
                "resolves to a private or reserved address; no contact published"
            } else {
                "no hosting or registrar abuse contact published"
            }
            .into(),
        );
    }
    site.contacts = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(host: &str) -> Site {
        Site {
            host: host.into(),
            domain: crate::util::domain::registrable(host),
            kind: "site".into(),
            ..Site::default()
        }
    }

    #[test]
    fn hosting_and_registrar_contacts_apart() {
        let mut s = site("www.cheap-pills.example");
        let facts = SiteFacts {
            addresses: vec![
                "185.234.72.20".parse().unwrap(),
                "10.0.0.1".parse().unwrap(),
            ],
            abusix: vec![Some(vec!["abuse@hoster.example".into()]), None],
            rdap: vec![None, None],
            registrar: Some(RegistrarFacts {
                server: "rdap.registry.example".into(),
                name: Some("Example Registrar".into()),
                emails: vec!["DATA REDACTED".into(), "abuse@registrar.example".into()],
            }),
        };
        let mut own = Exclusions::default();
        own.add("example-corp.com");
        contacts(&mut s, &facts, &own);
        let got: Vec<(&str, &str)> = s
            .contacts
            .iter()
            .map(|c| (c.scope.as_str(), c.address.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("hosting", "abuse@hoster.example"),
                ("registrar", "abuse@registrar.example")
            ]
        );
        assert!(s.contacts.iter().all(|c| c.role == ROLE && c.hop.is_none()));
        // Never a contact at our own domain.
        let mut s2 = site("promo.other.example");
        let f2 = SiteFacts {
            addresses: vec!["185.234.72.21".parse().unwrap()],
            abusix: vec![Some(vec!["abuse@example-corp.com".into()])],
            ..SiteFacts::default()
        };
        contacts(&mut s2, &f2, &own);
        assert!(s2.contacts.is_empty());
        assert!(s2.note.is_some());
    }

    #[test]
    fn kinds() {
        let own = {
            let mut e = Exclusions::default();
            e.add("example-corp.com");
            e
        };
        assert_eq!(kind("bit.ly", Some("bit.ly"), &own).0, "shortener");
        assert_eq!(kind("www.paypal.com", Some("paypal.com"), &own).0, "brand");
        assert_eq!(
            kind("intranet.example-corp.com", Some("example-corp.com"), &own).0,
            "own"
        );
        assert_eq!(kind("198.51.100.4", None, &own).0, "site");
        assert_eq!(
            kind("xn--pypal-4ve.com", Some("xn--pypal-4ve.com"), &own),
            ("site", None)
        );
    }
}
