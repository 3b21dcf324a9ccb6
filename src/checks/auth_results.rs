//! Authentication-Results (RFC 8601) and Received-SPF (RFC 7208): parse the
//! spf/dkim/dmarc/arc verdicts, and believe only those written inside the
//! trusted region.
//!
//! An Authentication-Results header is trusted when its authserv-id is one
//! of ours (`--authserv-id`, config; with none configured, the name of a
//! trusted receiver) *and* it stands where a trusted server wrote it (see
//! [`super::position`]): a spammer can write any authserv-id, not above our
//! Received headers. Received-SPF has no authserv-id: position alone.

use super::position::{self, Credibility};
use super::Context;
use crate::domain;
use crate::model::{Finding, Severity};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// At most this many authentication headers are parsed per message.
const MAX_HEADERS: usize = 50;
/// At most this many results are kept per header.
const MAX_RESULTS: usize = 20;

/// The methods we report.
const METHODS: &[&str] = &["spf", "dkim", "dmarc", "arc"];

/// One method's verdict from one header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthVerdict {
    /// `authentication-results` or `received-spf`.
    pub header: String,
    /// The authserv-id (for Received-SPF, the `receiver=` key if given).
    pub authserv_id: Option<String>,
    /// `spf`, `dkim`, `dmarc`, `arc`.
    pub method: String,
    /// `pass`, `fail`, `softfail`, `none`, `neutral`, `temperror`...
    pub result: String,
    /// Properties as written: `smtp.mailfrom`, `header.d`, `header.s`...
    pub properties: Vec<(String, String)>,
    /// Which Received header wrote it (`None`: the origin).
    pub written_by_hop: Option<usize>,
    pub trusted: bool,
    /// Why it is not believed (`None` when trusted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_untrusted: Option<String>,
}

/// Remove RFC 5322 comments (nested parentheses), keep quoted strings.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut quoted, mut escaped) = (0u32, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth = depth.saturating_add(1),
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// One `method=result prop=value...` element: method, result, properties.
pub type ResInfo = (String, String, Vec<(String, String)>);

/// Parse an Authentication-Results value: the authserv-id and each
/// `method=result prop=value...` element.
pub fn parse_authentication_results(value: &str) -> (Option<String>, Vec<ResInfo>) {
    let clean = strip_comments(value);
    let mut parts = clean.split(';').peekable();
    // Exchange Online omits the authserv-id and starts with a result
    // (`spf=pass (sender IP is ...) smtp.mailfrom=...`): no id then.
    let id = match parts.peek() {
        Some(first) if !first.contains('=') => parts
            .next()
            .and_then(|p| p.split_whitespace().next())
            .map(|s| s.trim_end_matches('.').to_ascii_lowercase())
            .filter(|s| !s.is_empty()),
        _ => None,
    };
    let mut results = Vec::new();
    for part in parts.take(MAX_RESULTS) {
        let mut tokens = part.split_whitespace();
        let Some((method, result)) = tokens.next().and_then(|t| t.split_once('=')) else {
            continue;
        };
        let method = method.split('/').next().unwrap_or("").to_ascii_lowercase();
        let result = result.trim_matches('"').to_ascii_lowercase();
        let mut props = Vec::new();
        for t in tokens.take(20) {
            if let Some((k, v)) = t.split_once('=') {
                if k.contains('.') || k == "reason" {
                    props.push((k.to_ascii_lowercase(), v.trim_matches('"').to_string()));
                }
            }
        }
        results.push((method, result, props));
    }
    (id, results)
}

/// Parse a Received-SPF value: the result word and its `key=value` pairs.
pub fn parse_received_spf(value: &str) -> Option<(String, Vec<(String, String)>)> {
    let clean = strip_comments(value);
    let mut words = clean.split_whitespace();
    let result = words.next()?.to_ascii_lowercase();
    let known = [
        "pass",
        "fail",
        "softfail",
        "neutral",
        "none",
        "temperror",
        "permerror",
        "error",
        "unknown",
    ];
    if !known.contains(&result.as_str()) {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let props = rest
        .join(" ")
        .split(';')
        .filter_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ))
        })
        .take(20)
        .collect();
    Some((result, props))
}

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
pub fn verdicts(ctx: &Context) -> Vec<AuthVerdict> {
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
pub fn trusted_verdicts(ctx: &Context) -> Vec<AuthVerdict> {
    verdicts(ctx).into_iter().filter(|v| v.trusted).collect()
}

/// AUTH_RESULTS_UNTRUSTED: one finding per untrusted header (not per
/// result), naming the authserv-id and why it is not believed.
pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
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
            "AUTH_RESULTS_UNTRUSTED",
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

/// A DKIM-Signature's identity, read without DNS: the signing domain, the
/// selector, and whether the domain aligns with the From (relaxed, RFC 7489:
/// same registrable domain). Verification (mail-auth, the DNS phase) adds
/// the result through [`dkim_finding`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimSignature {
    pub d: String,
    pub s: String,
    pub aligned: bool,
}

/// The DKIM-Signature fields of the message (at most [`MAX_HEADERS`]).
pub fn dkim_signatures(ctx: &Context) -> Vec<DkimSignature> {
    let from = ctx
        .message
        .from_address
        .as_deref()
        .and_then(crate::message::address_domain);
    ctx.fields
        .iter()
        .filter(|f| f.is("dkim-signature"))
        .take(MAX_HEADERS)
        .filter_map(|f| {
            let text = f.text();
            let tag = |name: &str| {
                text.split(';').find_map(|t| {
                    let (k, v) = t.split_once('=')?;
                    (k.trim() == name).then(|| {
                        v.split_whitespace()
                            .collect::<String>()
                            .trim_end_matches('.')
                            .to_ascii_lowercase()
                    })
                })
            };
            let d = tag("d")?;
            let s = tag("s").unwrap_or_default();
            let aligned = from.as_deref().is_some_and(|f| domain::same_party(f, &d));
            Some(DkimSignature { d, s, aligned })
        })
        .collect()
}

/// What verifying one signature found (the DNS phase fills this in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DkimOutcome {
    Pass,
    /// The signature does not match the message: altered, or forged.
    Fail,
    /// No key at the selector today: keys are rotated, so this is
    /// "unknown today", never evidence of forgery.
    KeyMissing,
    /// The body hash does not match: the body changed after signing (a
    /// list footer, a gateway, or a forgery).
    BodyAltered,
    /// The signature's x= expiry has passed: no verdict.
    Expired,
    /// DNS or syntax trouble: no verdict.
    Error,
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
            ev.insert("error".into(), json!(crate::sanitize::for_terminal(e)));
        }
        out.push(f);
    }
}

/// DKIM_RESULT for one verified signature.
pub fn dkim_finding(sig: &DkimSignature, outcome: DkimOutcome) -> Finding {
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
        "DKIM_RESULT",
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
