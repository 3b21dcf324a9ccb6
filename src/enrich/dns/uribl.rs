//! URI blocklists (`--uribl ZONE`, issue 17): the registrable domains of a
//! message's URLs asked as `<domain>.<zone>` A through the run's client
//! (cache, concurrency bound, evidence for `--dns-replay`), at most
//! [`MAX_DOMAINS`] per message. The answer codes are data, per zone
//! ([`meaning`]); an answer that is a refusal (Spamhaus 127.255.255.x,
//! SURBL and URIBL 127.0.0.1) is an error, never a listing.
//!
//! Codes as the lists document them: Spamhaus DBL
//! (spamhaus.org/faqs/domain-blocklist: 127.0.1.2 spam, .4 phish, .5
//! malware, .6 botnet C&C, .102-.106 abused legitimate), SURBL
//! (surbl.org/lists: a bitmask in the last octet, 8 PH, 16 MW, 64 ABUSE,
//! 128 CR; 127.0.0.1 access blocked), URIBL (uribl.com/about: bitmask 2
//! black, 4 grey, 8 red; 127.0.0.1 query refused).

use super::client::DnsClient;
use super::dnsbl::{interpret, Listing};
use crate::chain::Traced;
use crate::model::{Answer, RType, UriblResult};
use futures_util::future::join_all;
use std::net::Ipv4Addr;

/// Domains asked per message, at most (per zone).
pub const MAX_DOMAINS: usize = 20;

/// Which list a zone is, by its name.
fn family(zone: &str) -> &'static str {
    let z = zone.trim_end_matches('.').to_ascii_lowercase();
    if z.contains("dbl.spamhaus") || z.ends_with(".dq.spamhaus.net") {
        "spamhaus_dbl"
    } else if z.contains("surbl.org") {
        "surbl"
    } else if z.contains("uribl.com") {
        "uribl"
    } else {
        "other"
    }
}

/// What one answer code means for `zone`: `Ok(meanings)` or `Err(why)`
/// when the code is a refusal.
pub fn meaning(zone: &str, code: Ipv4Addr) -> Result<Vec<String>, String> {
    let o = code.octets();
    let bits = |table: &[(u8, &str)]| -> Vec<String> {
        table
            .iter()
            .filter(|(b, _)| o[3] & b != 0)
            .map(|(_, m)| m.to_string())
            .collect()
    };
    match family(zone) {
        "spamhaus_dbl" => Ok(vec![match (o[2], o[3]) {
            (1, 2) => "spam domain",
            (1, 4) => "phish domain",
            (1, 5) => "malware domain",
            (1, 6) => "botnet C&C domain",
            (1, 102) => "abused legit spam",
            (1, 103) => "abused spammed redirector",
            (1, 104) => "abused legit phish",
            (1, 105) => "abused legit malware",
            (1, 106) => "abused legit botnet C&C",
            _ => return Err(format!("{code} is not a DBL listing code")),
        }
        .to_string()]),
        "surbl" if o[3] == 1 => Err("SURBL blocked the query (127.0.0.1)".into()),
        "surbl" => Ok(bits(&[
            (8, "PH (phishing)"),
            (16, "MW (malware)"),
            (64, "ABUSE"),
            (128, "CR (cracked)"),
        ])),
        "uribl" if o[3] == 1 => Err("URIBL refused the query (127.0.0.1)".into()),
        "uribl" => Ok(bits(&[(2, "black"), (4, "grey"), (8, "red")])),
        _ => Ok(vec![format!("listed ({code})")]),
    }
}

/// The domains of `t`'s URLs to ask, in first-seen order, bounded.
fn domains(t: &Traced) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(b) = &t.body else { return out };
    for u in &b.urls {
        let Some(d) = &u.domain else { continue };
        if d.parse::<std::net::IpAddr>().is_ok() || out.contains(d) {
            continue;
        }
        if out.len() == MAX_DOMAINS {
            break;
        }
        out.push(d.clone());
    }
    out
}

/// Ask every zone about every domain of `t`: the results and the answers
/// (evidence).
pub(crate) async fn lookup(
    client: &DnsClient,
    t: &Traced,
    zones: &[String],
) -> (Vec<UriblResult>, Vec<Answer>) {
    let ds = domains(t);
    let mut qs = Vec::new();
    for z in zones {
        for d in &ds {
            qs.push((d.clone(), z.trim_end_matches('.').to_string()));
        }
    }
    let answers = join_all(
        qs.iter()
            .map(|(d, z)| client.lookup_owned(format!("{d}.{z}"))),
    )
    .await;
    let mut results = Vec::new();
    let mut evidence = Vec::new();
    for ((domain, zone), a) in qs.into_iter().zip(answers) {
        let mut r = UriblResult {
            domain,
            zone: zone.clone(),
            status: "not_listed".into(),
            codes: Vec::new(),
            meanings: Vec::new(),
            error: None,
        };
        match interpret(&a) {
            Listing::NotListed => {}
            Listing::Unknown => r.status = "unknown".into(),
            Listing::Error(e) => {
                r.status = "error".into();
                r.error = Some(e);
            }
            Listing::Listed(codes) => {
                r.status = "listed".into();
                for c in &codes {
                    match c
                        .parse::<Ipv4Addr>()
                        .map_err(|e| e.to_string())
                        .and_then(|ip| meaning(&zone, ip))
                    {
                        Ok(m) => r.meanings.extend(m),
                        Err(e) => {
                            r.status = "error".into();
                            r.error = Some(e);
                        }
                    }
                }
                r.codes = codes;
                if r.status == "error" {
                    r.meanings.clear();
                }
            }
        }
        if a.is_evidence() {
            evidence.push(a.as_ref().clone());
        }
        results.push(r);
    }
    (results, evidence)
}

impl DnsClient {
    async fn lookup_owned(&self, name: String) -> std::sync::Arc<Answer> {
        self.lookup(&name, RType::A).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_per_zone() {
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(
            meaning("dbl.spamhaus.org", ip("127.0.1.4")).unwrap(),
            ["phish domain"]
        );
        assert!(meaning("dbl.spamhaus.org", ip("127.0.0.2")).is_err());
        assert_eq!(
            meaning("multi.surbl.org", ip("127.0.0.24")).unwrap(),
            ["PH (phishing)", "MW (malware)"]
        );
        assert!(meaning("multi.surbl.org", ip("127.0.0.1")).is_err());
        assert!(meaning("multi.uribl.com", ip("127.0.0.1")).is_err());
        assert_eq!(
            meaning("multi.uribl.com", ip("127.0.0.2")).unwrap(),
            ["black"]
        );
    }
}
