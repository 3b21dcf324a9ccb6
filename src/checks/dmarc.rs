//! DMARC of the From domain and the ARC chain, as the DNS stage evaluated
//! them today (mail-auth over our answers; docs/checks.md). An old
//! message's keys and policies that are gone are "unknown today" in the
//! facts, and give no finding here.

use super::Context;
use crate::model::{ArcCheck, ArcOutcome, Code, DmarcOutcome, Finding, Severity};
use crate::util::{domain, providers};
use serde_json::json;

/// The newest ARC instance, when the chain holds and the relay that handed
/// the message to us sealed it (its rDNS or HELO is the sealer's domain),
/// and what the oldest instance's receiver saw passing.
fn forwarder<'a>(ctx: &Context, arc: &'a ArcCheck) -> Option<(&'a str, Vec<String>)> {
    if arc.result != ArcOutcome::Pass {
        return None;
    }
    let newest = arc.instances.iter().max_by_key(|i| i.i)?;
    let relay = ctx.chain.first_untrusted_relay.as_ref()?;
    let names = [relay.rdns.as_deref(), relay.helo.as_deref()];
    if !names
        .iter()
        .flatten()
        .any(|n| domain::same_party(n, &newest.sealer))
    {
        return None;
    }
    let oldest = arc.instances.iter().min_by_key(|i| i.i)?;
    let passed: Vec<String> = oldest
        .results
        .iter()
        .filter(|(_, r)| r == "pass")
        .map(|(m, r)| format!("{m}={r}"))
        .collect();
    Some((newest.sealer.as_str(), passed))
}

pub(crate) fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(dns) = ctx.dns else { return };
    let arc_forwarder = dns.auth.arc.as_ref().and_then(|a| forwarder(ctx, a));
    if let Some(arc) = &dns.auth.arc {
        match arc.result {
            ArcOutcome::Fail => out.push(Finding::new(
                Code::ArcBroken,
                Severity::Info,
                None,
                format!(
                    "the ARC chain does not verify ({})",
                    arc.error.as_deref().unwrap_or("broken")
                ),
                json!({"instances": arc.instances.len(), "error": arc.error,
                       "sealers": arc.instances.iter().map(|i| &i.sealer).collect::<Vec<_>>()}),
            )),
            ArcOutcome::Pass => {
                if let Some((sealer, passed)) = &arc_forwarder {
                    // The forward explains the author's SPF failing for
                    // the forwarder's address (checks::sender ran before).
                    if !passed.is_empty() {
                        for f in out.iter_mut().filter(|f| f.code == Code::EnvelopeSpf) {
                            f.severity = Severity::Info;
                            f.message.push_str(&format!(
                                "; explained: forwarded by {sealer}, whose ARC chain holds and records {}",
                                passed.join(", ")
                            ));
                            if let Some(ev) = f.evidence.as_object_mut() {
                                ev.insert("arc_forwarder".into(), json!(sealer));
                            }
                        }
                    }
                    out.push(Finding::new(
                        Code::ArcForwarded,
                        Severity::Info,
                        None,
                        format!(
                            "forwarded by {sealer}, which sealed an ARC chain that holds{}",
                            if passed.is_empty() {
                                String::new()
                            } else {
                                format!("; the first receiver saw {}", passed.join(", "))
                            }
                        ),
                        json!({"sealer": sealer, "first_results": passed,
                               "instances": arc.instances.len()}),
                    ));
                }
            }
            ArcOutcome::UnknownToday => {}
        }
    }
    let Some(d) = &dns.auth.dmarc else { return };
    let provider = providers::by_mail_domain(&d.domain).is_some();
    let policy = d.policy.as_deref().unwrap_or("none");
    let evidence = json!({"domain": d.domain, "policy": d.policy, "spf": d.spf, "dkim": d.dkim,
                          "result": d.result.as_str()});
    match d.result {
        DmarcOutcome::Fail if policy == "none" && provider => out.push(Finding::new(
            Code::DmarcNone,
            Severity::Info,
            None,
            format!(
                "DMARC fails for the provider domain {}, whose policy is p=none: receivers are asked to deliver it anyway",
                d.domain
            ),
            evidence,
        )),
        DmarcOutcome::Fail => {
            let explained = arc_forwarder
                .as_ref()
                .filter(|(_, passed)| !passed.is_empty());
            let severity = if policy == "none" || explained.is_some() {
                Severity::Info
            } else {
                Severity::Warn
            };
            let mut msg = format!(
                "DMARC fails for {} (p={policy}): neither SPF nor DKIM passes aligned with the From domain",
                d.domain
            );
            if let Some((sealer, passed)) = explained {
                msg.push_str(&format!(
                    "; forwarded by {sealer}, whose ARC chain holds and records {}",
                    passed.join(", ")
                ));
            }
            out.push(super::aged(
                ctx,
                Finding::new(Code::DmarcFail, severity, None, msg, evidence),
            ));
        }
        DmarcOutcome::None if provider => out.push(Finding::new(
            Code::DmarcNone,
            Severity::Info,
            None,
            format!(
                "the provider domain {} publishes no DMARC policy today: anyone can use it in From",
                d.domain
            ),
            evidence,
        )),
        _ => {}
    }
}
