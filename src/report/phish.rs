//! Is a message a phish, and which brand does it claim? For the complaints
//! about advertised sites (`complain --sites`): a phish is reported as one
//! (ARF `Feedback-Type: fraud`, RFC 5965 7.3), spam as `abuse`.
//!
//! A phish when a filter inside the trusted region judged it phishing, when
//! a link's host is a homograph (URL_HOMOGRAPH) or a link shows another
//! domain than it goes to (URL_TEXT_MISMATCH), when a URI blocklist lists a
//! linked domain as phishing, or when the message claims a brand (From
//! display name, From domain, link text: `util::brands`) while its links
//! go elsewhere than the brand's own domains.

use crate::model::{Code, Report, VendorClass};
use crate::util::brands::{self, Brand};
use crate::util::{domain, links};

/// What the complaint says of the message.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    /// Report it as fraud (a phish), not as abuse (spam).
    pub phish: bool,
    /// The brand it claims while its links go elsewhere.
    pub brand: Option<&'static Brand>,
    /// Where the claim is (`the From display name "PayPal Service"`...).
    pub claimed_by: Option<String>,
    /// Why it is a phish, one phrase each.
    pub reasons: Vec<String>,
}

/// The display name of a decoded From (`Name <addr>`), unquoted.
fn display_name(from: &str) -> Option<String> {
    let (name, _) = from.rsplit_once('<')?;
    let n = name.trim().trim_matches('"').trim();
    (!n.is_empty()).then(|| n.to_string())
}

/// Is this link's host the brand's own, or a platform's (not "elsewhere")?
fn brands_own_or_platform(u: &crate::model::BodyUrl, brand: &Brand) -> bool {
    let own = u
        .domain
        .as_deref()
        .and_then(brands::owner_of)
        .is_some_and(|o| o.name == brand.name);
    let platform = u
        .host
        .as_deref()
        .is_some_and(|h| links::classify(h) == Some(links::LinkHost::Platform));
    own || platform
        || u.domain
            .as_deref()
            .and_then(domain::registrable_str)
            .is_none()
}

/// The brand the message claims while its links go elsewhere, and where
/// the claim is: the From display name or the From domain (not the brand's
/// own, or forged as its own) with a link elsewhere than the brand's domains, or a link whose
/// text claims the brand while the link itself goes elsewhere.
fn impersonation(r: &Report) -> Option<(&'static Brand, String)> {
    let body = r.body.as_ref()?;
    let from_domain = r
        .message
        .from_address
        .as_deref()
        .and_then(crate::parse::message::address_domain);
    let elsewhere = |b: &Brand| body.urls.iter().any(|u| !brands_own_or_platform(u, b));
    if let Some(n) = r.message.from.as_deref().and_then(display_name) {
        if let Some(b) = brands::claimed_in_text(&n) {
            // The From domain may be the brand's own: forged, as often.
            if elsewhere(b) {
                return Some((b, format!("the From display name \"{n}\"")));
            }
        }
    }
    if let Some(d) = &from_domain {
        if let Some(b) = brands::claimed_by_domain(d) {
            if elsewhere(b) {
                return Some((b, format!("the From domain {d}")));
            }
        }
    }
    body.urls.iter().find_map(|u| {
        let text = u.text.as_deref()?;
        let b = brands::claimed_in_text(text)?;
        (!brands_own_or_platform(u, b)).then(|| (b, format!("the link text \"{text}\"")))
    })
}

/// The assessment of a finished report.
pub fn assess(r: &Report) -> Assessment {
    let mut a = Assessment::default();
    if r.vendor_verdicts
        .iter()
        .any(|v| v.trusted && v.verdict == Some(VendorClass::Phishing))
    {
        a.reasons
            .push("a filter inside the receiving network judged it phishing".into());
    }
    if r.has(Code::UrlHomograph) {
        a.reasons
            .push("a link's host imitates another by its letters (URL_HOMOGRAPH)".into());
    }
    if r.has(Code::UrlTextMismatch) {
        a.reasons
            .push("a link shows one domain and goes to another (URL_TEXT_MISMATCH)".into());
    }
    if let Some(b) = &r.body {
        if b.uribl.iter().any(|u| {
            u.status == "listed"
                && u.meanings
                    .iter()
                    .any(|m| m.to_lowercase().contains("phish"))
        }) {
            a.reasons
                .push("a URI blocklist lists a linked domain as phishing".into());
        }
    }
    if let Some((brand, by)) = impersonation(r) {
        a.reasons.push(format!(
            "{by} claims {} while its links lead elsewhere",
            brand.name
        ));
        a.brand = Some(brand);
        a.claimed_by = Some(by);
    }
    a.phish = !a.reasons.is_empty();
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names() {
        assert_eq!(
            display_name("\"PayPal Service\" <a@b.example>").as_deref(),
            Some("PayPal Service")
        );
        assert_eq!(display_name("a@b.example"), None);
        assert_eq!(display_name("<a@b.example>"), None);
    }
}
