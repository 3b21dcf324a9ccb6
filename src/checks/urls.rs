//! The URLs of the body (issue 17): link text showing another site than
//! the link goes to, IDN homographs, and the MIME walk's own trouble.

use crate::model::{Body, Code, Finding, Severity};
use crate::parse::mime::urls::{homograph, shown_domain};
use crate::util::domain;
use serde_json::json;

pub(crate) fn check(body: &Body, from_address: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(why) = &body.parse_failure {
        out.push(Finding::new(
            Code::MimeParseFailed,
            Severity::Info,
            None,
            format!("the body was not read: {why}"),
            json!({"reason": why}),
        ));
    }
    for l in &body.limits {
        out.push(Finding::new(
            Code::MimeLimit,
            Severity::Info,
            None,
            format!(
                "the body walk stopped at its {} cap ({}): the rest was not looked at",
                l.limit, l.max
            ),
            json!({"limit": l.limit, "max": l.max}),
        ));
    }
    for r in &body.uribl {
        match r.status.as_str() {
            "listed" => out.push(Finding::new(
                Code::UriblListed,
                Severity::Warn,
                None,
                format!(
                    "the linked domain {} is listed by {} ({})",
                    r.domain,
                    r.zone,
                    r.meanings.join(", ")
                ),
                json!({"domain": r.domain, "zone": r.zone, "codes": r.codes, "meanings": r.meanings}),
            )),
            "error" => out.push(Finding::new(
                Code::UriblError,
                Severity::Info,
                None,
                format!(
                    "{} did not answer for {}: {}",
                    r.zone,
                    r.domain,
                    r.error.as_deref().unwrap_or("error")
                ),
                json!({"domain": r.domain, "zone": r.zone, "codes": r.codes, "error": r.error}),
            )),
            _ => {}
        }
    }
    let from_domain = from_address
        .and_then(crate::parse::message::address_domain)
        .and_then(|d| domain::registrable(&d));
    let mut seen_mismatch = false;
    let mut seen_homograph = std::collections::BTreeSet::new();
    for u in &body.urls {
        if !seen_mismatch {
            if let (Some(text), Some(actual)) = (&u.text, &u.domain) {
                if let Some(shown) = shown_domain(text).and_then(|d| domain::registrable(&d)) {
                    if &shown != actual && !domain::same_party(&shown, actual) {
                        seen_mismatch = true;
                        out.push(Finding::new(
                            Code::UrlTextMismatch,
                            Severity::Warn,
                            None,
                            format!("a link shows {shown} but goes to {actual}"),
                            json!({"text": text, "shown_domain": shown, "url": u.url,
                                   "domain": actual, "wrapper": u.wrapper.as_ref().map(|w| &w.service),
                                   "from_domain": from_domain}),
                        ));
                    }
                }
            }
        }
        if let Some(uni) = &u.host_unicode {
            if let Some(why) = homograph(uni) {
                if seen_homograph.insert(uni.clone()) {
                    out.push(Finding::new(
                        Code::UrlHomograph,
                        Severity::Warn,
                        None,
                        {
                            let (label, reasons) = why.split_once(": ").unwrap_or(("", &why));
                            format!(
                                "a link's host {} (shown as {uni}) is a homograph: its label {label} {reasons}",
                                u.host.as_deref().unwrap_or("")
                            )
                        },
                        json!({"host": u.host, "host_unicode": uni, "why": why, "url": u.url}),
                    ));
                }
            }
        }
    }
    out
}
