//! Accounts as origins: when the message was submitted (authenticated
//! SMTP) or written in a webmail session at a freemail provider, the thing
//! an abuse desk can act on is the account. The account is the
//! authenticated sender the submission hop recorded, else the From address
//! when the provider's DKIM signature passed at a trusted hop; for
//! phishing the Reply-To account at a freemail provider matters too.

use super::Context;
use crate::enrich::abuse::accounts;
use crate::model::{Account, AccountContact, AuthVerdict, Hop};
use crate::util::providers::{self, Provider};

/// The address after `marker` in a Received header's text, if it has an `@`.
fn address_after(raw: &str, marker: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    let at = lower.find(marker)? + marker.len();
    let rest = raw.get(at..)?;
    let tok = rest
        .trim_start_matches([' ', ':', '='])
        .split(|c: char| c.is_whitespace() || "()<>;,\"".contains(c))
        .find(|t| !t.is_empty())?;
    (tok.contains('@') && tok.len() <= 254)
        .then(|| crate::util::sanitize::for_terminal(tok).to_ascii_lowercase())
}

/// The authenticated sender a submission hop recorded (Postfix, Exim,
/// Sendmail and GMX spellings).
fn authenticated_sender(h: &Hop) -> Option<String> {
    [
        "authenticated sender:",
        "authenticated user",
        "auth=",
        "authenticated as",
    ]
    .iter()
    .find_map(|m| address_after(&h.raw, m))
}

/// Is the hop a submission or a webmail session?
fn is_submission(h: &Hop) -> bool {
    let with = h.with.as_deref().unwrap_or("").to_ascii_lowercase();
    h.authenticated || with.starts_with("http") || h.raw.to_ascii_lowercase().contains("via http")
}

/// The provider's submission hop on the part of the route we can stand
/// on: trusted, reached through consistent links, or inside the servers
/// of the provider whose relay handed the message to the trusted region
/// (Google's, Microsoft's, Yahoo's internal hops down to the submission).
fn submission_hop<'a>(ctx: &'a Context) -> Option<(&'a Hop, &'static Provider)> {
    let b = ctx.chain.boundary?;
    let origin = ctx.chain.probable_origin.as_ref().map_or(b, |o| o.hop);
    let runs = |name: Option<&str>| name.and_then(providers::by_host);
    // The first untrusted relay's provider, by the rDNS a trusted server recorded.
    let relay_provider = ctx.hops.get(b).and_then(|h| runs(h.from.rdns.as_deref()));
    let mut inside = relay_provider.is_some();
    for (i, h) in ctx.hops.iter().enumerate() {
        let p = runs(h.by.as_deref());
        if i > b {
            inside &= p.is_some_and(|p| relay_provider.is_some_and(|r| std::ptr::eq(r, p)));
        }
        let standing = i <= origin || (i > b && inside);
        if !standing && i > b {
            break;
        }
        // At the boundary or below: above it are the recipient's servers
        // (M365 delivers to the mailbox `with HTTPS`).
        if let Some(p) = p.filter(|_| i >= b) {
            if is_submission(h) {
                return Some((h, p));
            }
        }
    }
    None
}

fn contact(p: &Provider) -> Option<AccountContact> {
    let d = accounts::desk(p.name)?;
    d.contact.map(|c| AccountContact {
        address: c.to_string(),
        kind: if c.starts_with("https://") {
            "web_form".into()
        } else {
            "email".into()
        },
        source: d.source.to_string(),
    })
}

fn display(p: &Provider) -> String {
    accounts::desk(p.name)
        .map(|d| d.display.to_string())
        .unwrap_or_else(|| p.name.to_string())
}

/// The accounts of the message.
pub(crate) fn accounts(ctx: &Context, auth: &[AuthVerdict]) -> Vec<Account> {
    let mut out = Vec::new();
    let from = ctx
        .message
        .from_address
        .as_deref()
        .map(str::to_ascii_lowercase);
    if let Some((h, p)) = submission_hop(ctx) {
        let recorded = authenticated_sender(h).filter(|a| {
            a.rsplit_once('@')
                .is_some_and(|(_, d)| p.owns_mail_domain(d))
        });
        let dkim_from = || {
            let f = from.as_deref()?;
            let (_, d) = f.rsplit_once('@')?;
            if !p.owns_mail_domain(d) {
                return None;
            }
            auth.iter()
                .any(|v| {
                    v.trusted
                        && v.method == "dkim"
                        && v.result == "pass"
                        && v.properties.iter().any(|(k, val)| {
                            (k == "header.d" || k == "header.i")
                                && p.owns_mail_domain(val.trim_start_matches('@'))
                        })
                })
                .then(|| f.to_string())
        };
        let account = recorded
            .map(|a| (a, "authenticated_sender"))
            .or_else(|| dkim_from().map(|a| (a, "dkim_pass")));
        if let Some((address, evidence)) = account {
            out.push(Account {
                role: "sender".into(),
                address,
                provider: display(p),
                evidence: evidence.into(),
                contact: contact(p),
            });
        }
    }
    // The Reply-To account at a freemail provider other than the From's.
    if let Some(rt) = crate::parse::headers::first(ctx.fields, "reply-to") {
        for (_, a) in crate::parse::message::addresses(&rt).into_iter().take(3) {
            let Some(a) = a.map(|a| a.to_ascii_lowercase()) else {
                continue;
            };
            if from.as_deref() == Some(a.as_str()) || out.iter().any(|x| x.address == a) {
                continue;
            }
            let Some(p) = a
                .rsplit_once('@')
                .and_then(|(_, d)| providers::by_mail_domain(d))
            else {
                continue;
            };
            out.push(Account {
                role: "reply_to".into(),
                address: crate::util::sanitize::for_terminal(&a),
                provider: display(p),
                evidence: "reply_to".into(),
                contact: contact(p),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_senders() {
        let mut h = Hop::new(0, crate::model::HopKind::Relay, String::new());
        h.raw = "from [192.168.1.2] (p5.dip.t-dialin.net [1.2.3.4]) (Authenticated sender: Bob@GMX.net) by mail.gmx.net".into();
        assert_eq!(authenticated_sender(&h).as_deref(), Some("bob@gmx.net"));
        h.raw = "from x by y with ESMTPSA id 1".into();
        assert_eq!(authenticated_sender(&h), None);
    }
}
