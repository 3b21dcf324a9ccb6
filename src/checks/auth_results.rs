//! Authentication-Results (RFC 8601) and Received-SPF (RFC 7208): parse the
//! spf/dkim/dmarc/arc verdicts, and believe only those written inside the
//! trusted region.
//!
//! An Authentication-Results header is trusted when its authserv-id is one
//! of ours (`--authserv-id`, config; with none configured, the name of a
//! trusted receiver) *and* it stands where a trusted server wrote it (see
//! [`super::position`]): a spammer can write any authserv-id, not above our
//! Received headers. Received-SPF has no authserv-id: position alone.

use super::position;

use super::Context;
use crate::model::Credibility;
use crate::model::{Finding, Severity};
use crate::util::domain;

use crate::model::{AuthVerdict, Code, DkimOutcome};
use crate::parse::authres::{parse_authentication_results, parse_received_spf};
use crate::parse::message::DkimSignature;
use serde_json::json;

/// At most this many authentication headers are parsed per message.
const MAX_HEADERS: usize = 50;
/// The methods we report.
const METHODS: &[&str] = &["spf", "dkim", "dmarc", "arc"];
/// Is `id` one of ours? The configured authserv-ids, a trusted host name,
/// or (with none configured) the name of a receiver inside the trusted
/// region.
fn ours(ctx: &Context, id: &str) -> bool {
    let ids = &ctx.trust.authserv_ids;
    if ids.iter().any(|a| a.eq_ignore_ascii_case(id)) || ctx.trust.trusts_name(id) {
        return true;
    }
    if !ids.is_empty() {
        return false;
    }
    let Some(b) = ctx.chain.boundary else {
        return false;
    };
    ctx.hops
        .iter()
        .take(b + 1)
        .filter_map(|h| h.by.as_deref())
        .any(|by| domain::normalize(by).is_some_and(|n| n == id) || domain::same_party(by, id))
}

/// Every verdict of every authentication header, judged.
pub(crate) fn verdicts(ctx: &Context) -> Vec<AuthVerdict> {
    let mut out = Vec::new();
    let mut seen = 0;
    let mut seen_ours: Vec<String> = Vec::new();
    for (i, f) in ctx.fields.iter().enumerate() {
        let ar = f.is("authentication-results");
        let spf = f.is("received-spf");
        if !ar && !spf {
            continue;
        }
        seen += 1;
        if seen > MAX_HEADERS {
            break;
        }
        let writer = position::writer_hop(ctx, i);
        let placed_trusted = position::field_credibility(ctx, i) == Credibility::Trusted;
        let text = f.text();
        if ar {
            let (id, results) = parse_authentication_results(&text);
            // Without an authserv-id (Exchange Online) only the position
            // speaks for it, as for Received-SPF.
            let is_ours = match id.as_deref() {
                Some(id) => ours(ctx, id),
                None => ctx.trust.authserv_ids.is_empty(),
            };
            // Our server writes one header per message; a second one with
            // the same authserv-id further down came with the message
            // (RFC 8601 section 5 asks receivers to remove those).
            let key = id.clone().unwrap_or_default();
            let duplicate = is_ours && seen_ours.contains(&key);
            let trusted = placed_trusted && is_ours && !duplicate;
            let why_untrusted = if trusted {
                None
            } else if duplicate && id.is_none() {
                Some("a trusted header without authserv-id stands above it: this one came with the message".to_string())
            } else if duplicate {
                Some("a header with the same trusted authserv-id stands above it: this one came with the message".to_string())
            } else if is_ours {
                Some(
                    "it uses a trusted authserv-id but stands below the trust boundary".to_string(),
                )
            } else {
                Some("its authserv-id is not one of the trusted region's".to_string())
            };
            if is_ours && placed_trusted {
                seen_ours.push(key);
            }
            for (method, result, properties) in results {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                out.push(AuthVerdict {
                    header: "authentication-results".into(),
                    authserv_id: id.clone(),
                    method,
                    result,
                    properties,
                    written_by_hop: writer,
                    trusted,
                    why_untrusted: why_untrusted.clone(),
                });
            }
        } else if let Some((result, properties)) = parse_received_spf(&text) {
            let receiver = properties
                .iter()
                .find(|(k, _)| k == "receiver")
                .map(|(_, v)| v.to_ascii_lowercase());
            out.push(AuthVerdict {
                header: "received-spf".into(),
                authserv_id: receiver,
                method: "spf".into(),
                result,
                properties,
                written_by_hop: writer,
                trusted: placed_trusted,
                why_untrusted: (!placed_trusted)
                    .then(|| "it was written below the trust boundary".to_string()),
            });
        }
    }
    out
}

/// The trusted verdicts, for the report.
pub(crate) fn trusted_verdicts(ctx: &Context) -> Vec<AuthVerdict> {
    verdicts(ctx).into_iter().filter(|v| v.trusted).collect()
}

/// AUTH_RESULTS_UNTRUSTED: one finding per untrusted header (not per
/// result), naming the authserv-id and why it is not believed.
pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    dkim_findings(ctx, out);
    let all = verdicts(ctx);
    let mut reported: Vec<(Option<usize>, Option<String>, String)> = Vec::new();
    for v in all.iter().filter(|v| !v.trusted) {
        let key = (v.written_by_hop, v.authserv_id.clone(), v.header.clone());
        if reported.contains(&key) {
            continue;
        }
        reported.push(key);
        let claims_ours = v.authserv_id.as_deref().is_some_and(|id| ours(ctx, id));
        let results: Vec<String> = all
            .iter()
            .filter(|o| {
                !o.trusted
                    && o.written_by_hop == v.written_by_hop
                    && o.authserv_id == v.authserv_id
                    && o.header == v.header
            })
            .map(|o| format!("{}={}", o.method, o.result))
            .collect();
        // Our own authserv-id written outside the trusted region is an
        // imitation of our server: a warning. Anyone else's verdict is
        // just not ours to believe.
        let severity = if claims_ours && v.header == "authentication-results" {
            Severity::Warn
        } else {
            Severity::Info
        };
        let why = v.why_untrusted.as_deref().unwrap_or("unknown");
        out.push(Finding::new(
            Code::AuthResultsUntrusted,
            severity,
            v.written_by_hop,
            format!(
                "{} from {} ({}) is not believed: {why}",
                if v.header == "received-spf" {
                    "Received-SPF"
                } else {
                    "Authentication-Results"
                },
                v.authserv_id.as_deref().unwrap_or("an unnamed server"),
                results.join(" ")
            ),
            json!({"header": v.header, "authserv_id": v.authserv_id, "results": results,
                   "written_by_hop": v.written_by_hop, "claims_trusted_id": claims_ours}),
        ));
    }
}

/// DKIM_RESULT per signature verified by the DNS stage (`--dkim`).
fn dkim_findings(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(dns) = ctx.dns else { return };
    for c in &dns.auth.dkim {
        let sig = DkimSignature {
            d: c.d.clone(),
            s: c.s.clone(),
            aligned: c.aligned,
        };
        let mut f = dkim_finding(&sig, c.result);
        if let (Some(e), Some(ev)) = (&c.error, f.evidence.as_object_mut()) {
            ev.insert(
                "error".into(),
                json!(crate::util::sanitize::for_terminal(e)),
            );
        }
        out.push(f);
    }
}

/// DKIM_RESULT for one verified signature.
pub(crate) fn dkim_finding(sig: &DkimSignature, outcome: DkimOutcome) -> Finding {
    let (severity, what) = match outcome {
        DkimOutcome::Pass => (Severity::Info, "verifies"),
        DkimOutcome::Fail => (Severity::Warn, "does not verify"),
        DkimOutcome::KeyMissing => (
            Severity::Info,
            "cannot be checked today (no key at the selector)",
        ),
        DkimOutcome::BodyAltered => (
            Severity::Info,
            "does not match the body (changed after signing: a list footer, a gateway, or tampering)",
        ),
        DkimOutcome::Expired => (Severity::Info, "has expired (x=): not checked"),
        DkimOutcome::Error => (Severity::Info, "could not be checked"),
    };
    Finding::new(
        Code::DkimResult,
        severity,
        None,
        format!(
            "the DKIM signature of {} (selector {}) {what}; the domain {} the From",
            sig.d,
            sig.s,
            if sig.aligned {
                "aligns with"
            } else {
                "does not align with"
            }
        ),
        json!({"d": sig.d, "s": sig.s, "aligned": sig.aligned, "result": outcome}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc8601() {
        let (id, r) = parse_authentication_results(
            "mx.google.com;\r\n dkim=pass header.i=@example.com header.s=s1 header.b=abc;\r\n spf=pass (google.com: domain of a@example.com designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@example.com;\r\n dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com",
        );
        assert_eq!(id.as_deref(), Some("mx.google.com"));
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].0, "dkim");
        assert_eq!(
            r[1],
            (
                "spf".into(),
                "pass".into(),
                vec![("smtp.mailfrom".into(), "a@example.com".into())]
            )
        );
        assert_eq!(r[2].1, "pass");
        let (id, r) = parse_authentication_results("example.org 1; none");
        assert_eq!(id.as_deref(), Some("example.org"));
        assert!(r.is_empty());
        let (id, r) = parse_authentication_results(
            "spf=softfail (sender IP is 80.96.157.89) smtp.mailfrom=x.example; dkim=none (message not signed) header.d=none;dmarc=fail action=none header.from=x.example;compauth=fail reason=001",
        );
        assert_eq!(id, None);
        assert_eq!(r.len(), 4);
        assert_eq!((r[0].0.as_str(), r[0].1.as_str()), ("spf", "softfail"));
    }

    #[test]
    fn dkim_outcomes() {
        let sig = DkimSignature {
            d: "example.com".into(),
            s: "s1".into(),
            aligned: true,
        };
        assert_eq!(
            dkim_finding(&sig, DkimOutcome::KeyMissing).severity,
            Severity::Info
        );
        assert_eq!(
            dkim_finding(&sig, DkimOutcome::Fail).severity,
            Severity::Warn
        );
    }

    #[test]
    fn parses_received_spf() {
        let (res, props) = parse_received_spf(
            "softfail (mx.example.org: transitioning domain of x.example does not designate 1.2.3.4) client-ip=1.2.3.4; envelope-from=a@x.example; receiver=mx.example.org;",
        )
        .unwrap();
        assert_eq!(res, "softfail");
        assert!(props.contains(&("client-ip".into(), "1.2.3.4".into())));
        assert!(parse_received_spf("garbage here").is_none());
    }
}
