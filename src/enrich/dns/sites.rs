//! The lookups for the advertised sites' contacts (`--site-contacts`,
//! `complain --sites`): each site's A and AAAA through the run's client
//! (cache, evidence, `--dns-replay`), the Abusix TXT of its addresses, and
//! over RDAP the registrar of its domain (and the network of its address
//! with `--rdap`). The rules are `abuse::sites`; every site of a message is
//! asked at once.

use super::client::DnsClient;
use crate::chain::trust::TrustConfig;
use crate::chain::Traced;
use crate::enrich::abuse::rdap::Rdap;
use crate::enrich::abuse::sites::{self, SiteFacts, MAX_ADDRESSES};
use crate::enrich::abuse::DnsAnswer;
use crate::model::{Answer, RType, Site, SiteContacts};
use crate::util::reverse;
use futures_util::future::join_all;
use std::net::IpAddr;

/// What the site lookups need besides DNS.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    pub trust: TrustConfig,
    /// The Abusix-style zone; `None` to not ask.
    pub abusix_zone: Option<String>,
    /// Ask RDAP for the network of each address too (`--rdap`), as for
    /// relays.
    pub rdap_ip: bool,
    /// Ask RDAP for the registrars (off with `--dns-replay` unless
    /// `--rdap`: a replay asks no registry unless told to).
    pub registrar: bool,
}

fn records(a: &Answer) -> Vec<String> {
    match a.to_dns_answer() {
        DnsAnswer::Records(r) => r,
        _ => Vec::new(),
    }
}

/// One site's facts; the DNS answers it used go to `evidence`.
async fn site_facts(
    client: &DnsClient,
    site: &Site,
    opts: &SiteOptions,
    rdap: Option<&Rdap>,
) -> (SiteFacts, Vec<Answer>, Vec<String>) {
    let mut facts = SiteFacts::default();
    let mut evidence = Vec::new();
    let mut warnings = Vec::new();
    let keep = |a: &Answer, ev: &mut Vec<Answer>| {
        if a.is_evidence() {
            ev.push(a.clone());
        }
    };
    match site.host.parse::<IpAddr>() {
        Ok(ip) => facts.addresses.push(ip),
        Err(_) => {
            let (a, aaaa) = futures_util::join!(
                client.lookup(&site.host, RType::A),
                client.lookup(&site.host, RType::AAAA)
            );
            for ans in [&a, &aaaa] {
                keep(ans, &mut evidence);
                for r in records(ans) {
                    if let Ok(ip) = r.trim().parse::<IpAddr>() {
                        if facts.addresses.len() < MAX_ADDRESSES && !facts.addresses.contains(&ip) {
                            facts.addresses.push(ip);
                        }
                    }
                }
            }
        }
    }
    let public: Vec<bool> = facts
        .addresses
        .iter()
        .map(|ip| abuse_contact::is_public(*ip))
        .collect();
    if let Some(zone) = &opts.abusix_zone {
        let names: Vec<Option<String>> = facts
            .addresses
            .iter()
            .zip(&public)
            .map(|(ip, p)| p.then(|| reverse::in_zone(*ip, zone)))
            .collect();
        let got = join_all(names.iter().map(|n| async move {
            match n {
                Some(n) => Some(client.lookup(n, RType::TXT).await),
                None => None,
            }
        }))
        .await;
        for a in got {
            facts.abusix.push(a.map(|a| {
                keep(&a, &mut evidence);
                records(&a)
            }));
        }
    }
    if let Some(r) = rdap {
        if opts.rdap_ip {
            for (ip, p) in facts.addresses.clone().into_iter().zip(&public) {
                let got = if *p {
                    match r.lookup(ip).await {
                        Ok(f) => f,
                        Err(e) => {
                            warnings.push(e.to_string());
                            None
                        }
                    }
                } else {
                    None
                };
                facts.rdap.push(got);
            }
        }
    }
    (facts, evidence, warnings)
}

/// The sites of `t` with their contacts: the DNS answers used (evidence,
/// for the message's `dns.answers`) and warnings for stderr.
pub(crate) async fn lookup(
    client: &DnsClient,
    t: &Traced,
    opts: &SiteOptions,
    rdap: Option<&Rdap>,
) -> (SiteContacts, Vec<Answer>, Vec<String>) {
    let mut out = sites::list(t, &opts.trust);
    out.looked_up = true;
    let any = out.sites.iter().any(|s| s.kind == "site");
    if any && !opts.registrar {
        out.notes
            .push("registrars not asked (a DNS replay asks RDAP only with --rdap)".into());
    } else if any && rdap.is_none() {
        out.notes
            .push("the RDAP bootstrap could not be read: no registrar was asked".into());
    }
    let own = sites::own_domains(t, &opts.trust);
    // The registrar once per domain (several hosts share one).
    let mut domains: Vec<String> = Vec::new();
    for s in out.sites.iter().filter(|s| s.kind == "site") {
        if let Some(d) = &s.domain {
            if !domains.contains(d) {
                domains.push(d.clone());
            }
        }
    }
    let registrars = match rdap.filter(|_| opts.registrar) {
        Some(r) => join_all(domains.iter().map(|d| r.lookup_domain(d))).await,
        None => Vec::new(),
    };
    let mut warnings = Vec::new();
    let mut registrar: Vec<(String, Option<crate::enrich::abuse::rdap::RegistrarFacts>)> =
        Vec::new();
    for (d, got) in domains.iter().zip(registrars) {
        match got {
            Ok(f) => registrar.push((d.clone(), f)),
            Err(e) => warnings.push(e.to_string()),
        }
    }
    let found = join_all(out.sites.iter().map(|s| async move {
        if s.kind == "site" {
            Some(site_facts(client, s, opts, rdap).await)
        } else {
            None
        }
    }))
    .await;
    let mut evidence = Vec::new();
    for (s, f) in out.sites.iter_mut().zip(found) {
        let Some((mut facts, ev, w)) = f else {
            continue;
        };
        facts.registrar = registrar
            .iter()
            .find(|(d, _)| Some(d) == s.domain.as_ref())
            .and_then(|(_, f)| f.clone());
        sites::contacts(s, &facts, &own);
        evidence.extend(ev);
        warnings.extend(w);
    }
    (out, evidence, warnings)
}
