//! Who "we" are, and who re-sent the message: the owner of the trusted
//! region (the user's servers, a mailbox provider, or both), mailing lists
//! and forwarders, and the phrases every renderer uses for them, so the
//! table, the verdict, the complaint and the ARF say the same thing.

use crate::model::{Distribution, Hop, HopDns, MessageDns, Owner, OwnerKind, Relay, Report};
use crate::parse::headers::{self, Field};
use crate::util::{domain, providers};
use std::borrow::Cow;
use std::net::IpAddr;

/// The recipient's mailbox domain: the topmost Delivered-To (written at
/// delivery into the mailbox), else the first `for` a trusted hop
/// recorded, else To.
fn recipient_domain(hops: &[Hop], fields: &[Field]) -> Option<String> {
    headers::first(fields, "delivered-to")
        .and_then(|f| crate::parse::message::bare_address(&f.text()))
        .and_then(|a| crate::parse::message::address_domain(&a))
        .or_else(|| {
            hops.iter()
                .filter(|h| h.trusted)
                .find_map(|h| h.for_.as_deref())
                .and_then(crate::parse::message::address_domain)
        })
        .or_else(|| {
            let to = headers::first(fields, "to")?;
            crate::parse::message::addresses(&to)
                .into_iter()
                .find_map(|(_, a)| a)
                .and_then(|a| crate::parse::message::address_domain(&a))
        })
}

/// A name worth counting as one of the user's own servers: qualified
/// under a public suffix, not localhost.
fn own_server_name(by: &str) -> Option<String> {
    let n = domain::normalized(by)?;
    if n == "localhost" || n.ends_with(".localdomain") {
        return None;
    }
    domain::registrable_str(&n).map(Cow::into_owned)
}

/// The owner of the trusted region (hops `0..=boundary`).
pub(crate) fn owner(
    hops: &[Hop],
    boundary: Option<usize>,
    fields: &[Field],
    we: Option<&str>,
) -> Option<Owner> {
    let b = boundary?;
    let trusted = hops.get(..=b.min(hops.len().saturating_sub(1)))?;
    let rcpt = recipient_domain(hops, fields);
    let mut provider: Option<&'static str> = None;
    let mut evidence = Vec::new();
    let mut own: Vec<String> = Vec::new();
    // Bottom up: the receiver nearest the boundary speaks for the mailbox.
    for h in trusted.iter().rev() {
        let Some(by) = h.by.as_deref() else { continue };
        if let Some(m) = providers::mailbox_host(by) {
            if provider.is_none() {
                provider = Some(m.name_for(rcpt.as_deref()));
                evidence.push(crate::util::sanitize::for_terminal(by));
            }
        } else if let Some(reg) = own_server_name(by) {
            if !own.contains(&reg) {
                own.push(reg);
            }
        }
    }
    let we = we.map(str::trim).filter(|w| !w.is_empty());
    // A configured `we` names the user's servers; it does not make a
    // provider's receivers the user's.
    let kind = match (provider.is_some(), !own.is_empty()) {
        (true, false) => OwnerKind::Provider,
        (true, true) => OwnerKind::Mixed,
        (false, _) => OwnerKind::Own,
    };
    for o in &own {
        evidence.push(o.clone());
    }
    let name = match (kind, we) {
        (OwnerKind::Provider, _) => provider.unwrap_or("the mailbox provider").to_string(),
        (_, Some(w)) => crate::util::sanitize::for_terminal(w),
        (_, None) => match own.first() {
            Some(d) => format!("the recipient's mail servers ({d})"),
            None => "the recipient's mail servers".to_string(),
        },
    };
    Some(Owner {
        kind,
        name,
        provider: provider.map(str::to_string),
        configured: we.is_some() && kind != OwnerKind::Provider,
        evidence,
    })
}

/// Who runs the receiving server `by` in the trusted region, as a phrase:
/// "Microsoft 365 (Exchange Online Protection), which hosts the
/// recipient's mailbox" or "our" / "Example Corp's".
pub(crate) enum Runner {
    /// The user's own servers; `None`: speak as "we".
    Own(Option<String>),
    /// A mailbox provider hosts the recipient's mailbox.
    Provider(String),
}

/// Whose server `by` is.
pub(crate) fn runner(r: &Report, by: Option<&str>) -> Runner {
    let Some(o) = &r.owner else {
        return Runner::Own(None);
    };
    let own = || Runner::Own(o.configured.then(|| o.name.clone()));
    match o.kind {
        OwnerKind::Own => own(),
        OwnerKind::Provider => Runner::Provider(o.name.clone()),
        OwnerKind::Mixed => match by.and_then(providers::mailbox_host) {
            Some(_) => Runner::Provider(o.provider.clone().unwrap_or_else(|| o.name.clone())),
            None => own(),
        },
    }
}

impl Runner {
    /// "our mail server", "Example Corp's mail server", "a server of Gmail,
    /// which hosts the recipient's mailbox".
    pub(crate) fn server(&self) -> String {
        match self {
            Runner::Own(None) => "our mail server".into(),
            Runner::Own(Some(w)) => format!("{w}'s mail server"),
            Runner::Provider(p) => {
                format!("a server of {p}, which hosts the recipient's mailbox")
            }
        }
    }

    /// A short tag after a host name: "our server", "Gmail, the mailbox provider".
    pub(crate) fn tag(&self) -> String {
        match self {
            Runner::Own(None) => "our server".into(),
            Runner::Own(Some(w)) => format!("{w}'s server"),
            Runner::Provider(p) => format!("{p}, the recipient's mailbox provider"),
        }
    }
}

/// The first ARC-Seal `d=` of each instance, lowercased.
fn arc_sealers(fields: &[Field]) -> Vec<String> {
    let mut out = Vec::new();
    for f in fields.iter().filter(|f| f.is("arc-seal")).take(10) {
        let t = f.text();
        for tag in t.split(';') {
            if let Some(d) = tag.trim().strip_prefix("d=") {
                let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
                if !d.is_empty() && !out.contains(&d) {
                    out.push(d);
                }
            }
        }
    }
    out
}

/// Mailing lists and forwarders that re-sent the message.
pub(crate) fn distribution(
    fields: &[Field],
    hops: &[Hop],
    relay: Option<&Relay>,
    return_path: Option<&str>,
    from_domain: Option<&str>,
    owner: Option<&Owner>,
) -> Vec<Distribution> {
    // The registrable domains the first untrusted relay is known by.
    let relay_domains: Vec<Cow<str>> = relay
        .into_iter()
        .flat_map(|r| [r.rdns.as_deref(), r.helo.as_deref()])
        .flatten()
        .filter_map(domain::registrable_str)
        .collect();
    let return_domain = return_path
        .and_then(crate::parse::message::bare_address)
        .or_else(|| return_path.map(|r| r.trim().trim_matches(['<', '>']).to_string()))
        .and_then(|a| crate::parse::message::address_domain(&a))
        .and_then(|d| domain::registrable(&d));
    let mut list_domains: Vec<String> = Vec::new();
    let mut software_signs = 0usize;
    let clean = |s: &str| {
        let s = crate::util::sanitize::for_terminal(s.trim());
        s.chars().take(120).collect::<String>()
    };
    let mut out = Vec::new();
    let mut signs = Vec::new();
    let mut name: Option<String> = None;
    for (h, label) in [
        ("list-id", "List-Id"),
        ("list-post", "List-Post"),
        ("mailing-list", "Mailing-List"),
        ("x-mailing-list", "X-Mailing-List"),
        ("x-beenthere", "X-BeenThere"),
    ] {
        if let Some(f) = headers::first(fields, h) {
            let v = clean(&f.text());
            if name.is_none() && !v.is_empty() {
                name = Some(v.replace("<mailto:", "<"));
            }
            // `Name <id.lists.example.org>`, `<mailto:list@example.org>`.
            let inner = v
                .rsplit_once('<')
                .map_or(v.as_str(), |(_, r)| r.trim_end_matches('>'));
            let host = inner
                .trim_start_matches("mailto:")
                .rsplit('@')
                .next()
                .unwrap_or("")
                .split(['?', ' ', '>'])
                .next()
                .unwrap_or("");
            if let Some(reg) = domain::registrable_str(host) {
                if !list_domains.iter().any(|d| *d == *reg) {
                    list_domains.push(reg.into_owned());
                }
            }
            signs.push(format!("{label}: {v}"));
        }
    }
    if let Some(p) = headers::first(fields, "precedence") {
        let v = p.text().trim().to_ascii_lowercase();
        if v == "list" {
            signs.push("Precedence: list".into());
        }
    }
    for (h, soft) in [
        ("x-mailman-version", "Mailman"),
        ("x-listprocessor-version", "ListProc"),
        ("x-ecartis-version", "Ecartis"),
        ("x-list-administrivia", "Ecartis"),
        ("x-loop", "a list loop guard"),
    ] {
        if headers::first(fields, h).is_some() {
            signs.push(format!("{soft} ({h})"));
            software_signs += usize::from(h != "x-loop");
        }
    }
    // List software that stamps its own hop: ezmlm (`mailing list`
    // comments in qmail's Received), Mailman, Sympa, LISTSERV.
    // One buffer for every hop's lowercase copy, not one allocation a hop.
    let mut raw = String::new();
    for h in hops.iter().take(crate::parse::MAX_HOPS) {
        raw.clear();
        raw.push_str(&h.raw);
        raw.make_ascii_lowercase();
        for (needle, soft) in LIST_SOFTWARE.iter() {
            if needle.find(raw.as_bytes()).is_some() {
                let s = format!("{soft} hop {}", h.index);
                if !signs.contains(&s) {
                    signs.push(s);
                    software_signs += 1;
                }
            }
        }
    }
    // List headers cost a spammer nothing (7% of the corpus' phishing
    // carries a List-Id): a list is believed when list software stamped it,
    // or when the list's domain is the relay's or the envelope's (a list
    // server sends its posts, bounces come back to it).
    let software = software_signs > 0;
    let domain_matches = list_domains
        .iter()
        .any(|d| relay_domains.iter().any(|r| r == d) || return_domain.as_ref() == Some(d));
    if !list_domains.is_empty() && (software || domain_matches) {
        out.push(Distribution {
            kind: "mailing_list".into(),
            name: name.unwrap_or_else(|| "a mailing list".into()),
            signs,
        });
    }
    // Forwarders: an SRS envelope (RFC-less but universal: `SRS0=hash=tt=domain=local@fwd`).
    let mut fwd_signs = Vec::new();
    let mut fwd_name = None;
    if let Some(rp) = return_path {
        let rp = rp.trim().trim_matches(['<', '>']);
        let local = rp.rsplit_once('@').map(|(l, _)| l).unwrap_or(rp);
        if local.len() > 5 && local[..5].eq_ignore_ascii_case("srs0=")
            || local.len() > 5 && local[..5].eq_ignore_ascii_case("srs1=")
        {
            let d = rp.rsplit_once('@').map(|(_, d)| clean(d));
            fwd_signs.push(format!("SRS envelope sender {}", clean(rp)));
            fwd_name = d;
        }
    }
    // An ARC seal by someone who is neither the recipient's provider nor
    // the sender's domain: a forwarder vouching for what it received.
    let owner_runs = |d: &str| {
        owner
            .and_then(|o| o.provider.as_deref())
            .is_some_and(|_| providers::mailbox_host(d).is_some())
    };
    for d in arc_sealers(fields) {
        let reg = domain::registrable_str(&d).unwrap_or(Cow::Borrowed(&d));
        let senders = from_domain
            .and_then(domain::registrable_str)
            .is_some_and(|f| f == reg);
        // Mail providers seal their own outbound and inbound mail
        // (Microsoft as microsoft.com); a forwarder is the relay that
        // handed the message over, so its seal names the relay's domain.
        let provider = providers::mailbox_host(&d).is_some() || providers::by_host(&d).is_some();
        if senders || owner_runs(&d) || provider || !relay_domains.contains(&reg) {
            continue;
        }
        fwd_signs.push(format!("ARC seal by {}", clean(&d)));
        if fwd_name.is_none() {
            fwd_name = Some(clean(&d));
        }
    }
    if !fwd_signs.is_empty() && out.is_empty() {
        out.push(Distribution {
            kind: "forwarder".into(),
            name: fwd_name.unwrap_or_else(|| "a forwarder".into()),
            signs: fwd_signs,
        });
    }
    out
}

/// What list software writes in its own hop (lowercase), and its name.
/// The searchers are built once: building one per hop and needle cost
/// more than the searches.
static LIST_SOFTWARE: std::sync::LazyLock<[(memchr::memmem::Finder<'static>, &str); 4]> =
    std::sync::LazyLock::new(|| {
        [
            ("mailing list ", "ezmlm"),
            ("(mailman", "Mailman"),
            ("listserv", "LISTSERV"),
            ("sympa", "Sympa"),
        ]
        .map(|(needle, soft)| (memchr::memmem::Finder::new(needle), soft))
    });

/// The report's mailing list, when one re-sent the message.
pub(crate) fn mailing_list(r: &Report) -> Option<&Distribution> {
    r.distribution.iter().find(|d| d.kind == "mailing_list")
}

/// The DNS facts of hop `hop`, when DNS was asked.
pub(crate) fn hop_dns(dns: Option<&MessageDns>, hop: usize) -> Option<&HopDns> {
    dns?.hops.iter().find(|h| h.hop == hop)
}

/// A relay for people: the address, then the forward-confirmed name when
/// DNS gave one, else the rDNS its receiver recorded, else the HELO (a
/// claim), each said for what it is.
pub(crate) fn relay_name(
    ip: Option<IpAddr>,
    rdns: Option<&str>,
    helo: Option<&str>,
    dns: Option<&HopDns>,
) -> String {
    let ip_s = ip
        .map(|i| i.to_string())
        .unwrap_or_else(|| "an unknown address".into());
    if let Some(n) = dns.and_then(|d| d.fcrdns_name.as_deref()) {
        return format!("{ip_s} ({n}, confirmed by DNS)");
    }
    match (rdns, helo) {
        (Some(n), _) => format!("{ip_s} ({n})"),
        (None, Some(h)) => format!("{ip_s} (HELO {h}, unverified)"),
        (None, None) => ip_s,
    }
}

/// The names of a sender for the table's summary: the rDNS its receiver
/// recorded and what DNS says of it today, the HELO (always a claim), so
/// a reader sees which names DNS confirmed and which are claims.
pub(crate) fn names_summary(
    rdns: Option<&str>,
    helo: Option<&str>,
    dns: Option<&HopDns>,
) -> String {
    let confirmed = dns.and_then(|d| d.fcrdns_name.as_deref());
    let rdns_part = match (rdns, confirmed) {
        (Some(r), Some(c)) if domain::normalize(r) == domain::normalize(c) => {
            format!("rDNS {r} (confirmed by DNS)")
        }
        (Some(r), Some(c)) => format!("rDNS {r} (as recorded; DNS confirms {c})"),
        (None, Some(c)) => format!("rDNS {c} (from DNS, confirmed)"),
        (Some(r), None) if dns.is_some() => format!("rDNS {r} (as recorded; not confirmed by DNS)"),
        (Some(r), None) => format!("rDNS {r}"),
        (None, None) => "rDNS not recorded".to_string(),
    };
    let helo_part = match helo {
        Some(h) if dns.is_some() => format!("HELO {h} (a claim)"),
        Some(h) => format!("HELO {h}"),
        None => "HELO not recorded".into(),
    };
    format!("{rdns_part}, {helo_part}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_names_say_what_dns_confirmed() {
        let ip: Option<IpAddr> = "192.0.2.1".parse().ok();
        assert_eq!(
            relay_name(ip, None, Some("mx.example.org"), None),
            "192.0.2.1 (HELO mx.example.org, unverified)"
        );
        let d: HopDns = serde_json::from_value(serde_json::json!({
            "hop": 0, "ip": "192.0.2.1", "verdict": "confirmed", "ptr": "found",
            "ptr_names": ["a.example.net"], "fcrdns_name": "a.example.net",
            "fcrdns_failed": [], "helo": null, "recorded_rdns": null,
            "rdns_matches_ptr": null, "unknown": []
        }))
        .unwrap();
        assert_eq!(
            relay_name(ip, None, Some("mx.example.org"), Some(&d)),
            "192.0.2.1 (a.example.net, confirmed by DNS)"
        );
        assert_eq!(
            names_summary(Some("b.example.net"), Some("x"), Some(&d)),
            "rDNS b.example.net (as recorded; DNS confirms a.example.net), HELO x (a claim)"
        );
    }
}
