//! Microsoft 365 / Exchange Online Protection and Exchange Server: the
//! anti-spam stamps. Meanings from Microsoft's "Anti-spam message headers
//! in Microsoft 365" (learn.microsoft.com/defender-office-365/message-headers-eop-mdo),
//! "Bulk complaint level (BCL)" and "Spam confidence level (SCL)" pages,
//! "Anti-spam stamps" (Exchange Server) and "Header firewall" (Exchange
//! Server). docs/vendor-headers.md names each field's source.

use super::{Decoded, Kv};
use crate::model::VendorClass;

/// X-Forefront-Antispam-Report fields: key and meaning.
pub(crate) const FOREFRONT_KEYS: &[(&str, &str)] = &[
    ("ARC", "ARC protocol result"),
    ("CAT", "the protection policy applied (category)"),
    ("CIP", "the connecting IP address"),
    ("CTRY", "the source country of the connecting IP"),
    (
        "DIR",
        "the direction (INB inbound, OUT outbound, INT internal)",
    ),
    ("H", "the HELO/EHLO name of the connecting server"),
    ("IPV", "the connecting IP's reputation"),
    ("LANG", "the language of the message"),
    ("PTR", "the reverse-DNS name of the connecting IP"),
    ("SCL", "spam confidence level"),
    ("SFP", "spam filter policy marker (undocumented number)"),
    ("SFS", "spam rules that matched (undocumented ids)"),
    ("SFTY", "safety tip: phishing subtype"),
    ("SFV", "spam filtering verdict"),
    ("SRV", "service: BULK when bulk filtering marked it"),
    ("SRVR", "the server that scanned it"),
    ("FPR", "undocumented"),
    ("SPF", "SPF result (old stamp)"),
    ("MLV", "malware verdict (old stamp)"),
    (
        "X-CustomSpam",
        "an advanced spam filter (ASF) option matched",
    ),
];

/// SFV values.
pub(crate) const SFV: &[(&str, &str, Option<VendorClass>)] = &[
    (
        "BLK",
        "skipped: the sender is on the recipient's Blocked Senders list",
        Some(VendorClass::Spam),
    ),
    (
        "NSPM",
        "spam filtering marked it not spam",
        Some(VendorClass::NotSpam),
    ),
    (
        "SFE",
        "skipped: the sender is on the recipient's Safe Senders list",
        Some(VendorClass::Skipped),
    ),
    (
        "SKA",
        "skipped: the sender is on an allow list of the anti-spam policy",
        Some(VendorClass::Skipped),
    ),
    (
        "SKB",
        "marked spam: the sender is on a block list of the anti-spam policy",
        Some(VendorClass::Spam),
    ),
    (
        "SKI",
        "skipped: intra-organisation mail",
        Some(VendorClass::Skipped),
    ),
    (
        "SKN",
        "skipped: marked not spam before filtering (a mail flow rule, SCL -1)",
        Some(VendorClass::Skipped),
    ),
    ("SKQ", "released from quarantine", None),
    (
        "SKS",
        "marked spam before filtering (a mail flow rule)",
        Some(VendorClass::Spam),
    ),
    (
        "SPM",
        "spam filtering marked it spam",
        Some(VendorClass::Spam),
    ),
];

/// CAT values.
pub(crate) const CAT: &[(&str, &str, Option<VendorClass>)] = &[
    ("AMP", "anti-malware", Some(VendorClass::Phishing)),
    ("BIMP", "brand impersonation", Some(VendorClass::Phishing)),
    ("BULK", "bulk", Some(VendorClass::Bulk)),
    ("DIMP", "domain impersonation", Some(VendorClass::Phishing)),
    (
        "FTBP",
        "anti-malware filetype block",
        Some(VendorClass::Phishing),
    ),
    (
        "GIMP",
        "mailbox intelligence impersonation",
        Some(VendorClass::Phishing),
    ),
    (
        "HPHSH",
        "high confidence phishing",
        Some(VendorClass::Phishing),
    ),
    (
        "HPHISH",
        "high confidence phishing",
        Some(VendorClass::Phishing),
    ),
    ("HSPM", "high confidence spam", Some(VendorClass::Spam)),
    (
        "INTOS",
        "intra-organisation phishing",
        Some(VendorClass::Phishing),
    ),
    ("MALW", "malware", Some(VendorClass::Phishing)),
    ("OSPM", "outbound spam", Some(VendorClass::Spam)),
    ("PHSH", "phishing", Some(VendorClass::Phishing)),
    ("SAP", "safe attachments", Some(VendorClass::Phishing)),
    ("SPM", "spam", Some(VendorClass::Spam)),
    ("SPOOF", "spoofing", Some(VendorClass::Phishing)),
    ("UIMP", "user impersonation", Some(VendorClass::Phishing)),
    ("NONE", "no protection policy applied", None),
];

/// IPV values.
const IPV: &[(&str, &str)] = &[
    (
        "CAL",
        "skipped: the connecting IP is on the IP Allow List of the connection filter",
    ),
    ("NLI", "the connecting IP is on no reputation list"),
];

/// SFTY values.
const SFTY: &[(&str, &str)] = &[
    ("9.19", "domain impersonation"),
    ("9.20", "user impersonation"),
    ("9.25", "first contact safety tip"),
];

/// SCL in words (Microsoft's SCL table).
pub(crate) fn scl(v: &str) -> Option<(String, Option<VendorClass>)> {
    let n: i32 = v.trim().parse().ok()?;
    Some(match n {
        -1 => (
            "SCL -1: filtering was skipped (a safe sender, an allow list or a mail flow rule)"
                .into(),
            Some(VendorClass::Skipped),
        ),
        0 | 1 => (format!("SCL {n}: not spam"), Some(VendorClass::NotSpam)),
        2..=4 => (
            format!("SCL {n}: not spam (unused by EOP)"),
            Some(VendorClass::NotSpam),
        ),
        5 | 6 => (format!("SCL {n}: spam"), Some(VendorClass::Spam)),
        7..=9 => (
            format!("SCL {n}: high confidence spam"),
            Some(VendorClass::Spam),
        ),
        _ => return None,
    })
}

/// BCL in words (Microsoft's BCL table).
fn bcl(v: &str) -> Option<String> {
    let n: u8 = v.trim().parse().ok()?;
    Some(match n {
        0 => "BCL 0: not from a bulk sender".into(),
        1..=3 => format!("BCL {n}: from a bulk sender that generates few complaints"),
        4..=7 => format!("BCL {n}: from a bulk sender that generates a mixed number of complaints"),
        8 | 9 => format!("BCL {n}: from a bulk sender that generates a high number of complaints"),
        _ => return None,
    })
}

/// PCL in words (legacy phishing confidence level).
fn pcl(v: &str) -> Option<(String, Option<VendorClass>)> {
    let n: u8 = v.trim().parse().ok()?;
    Some(match n {
        0..=3 => (format!("PCL {n}: the content is likely not phishing"), None),
        4..=8 => (
            format!("PCL {n}: the content is likely phishing"),
            Some(VendorClass::Phishing),
        ),
        _ => return None,
    })
}

fn lookup<'a, T: Copy>(table: &'a [(&'a str, &'a str, T)], v: &str) -> Option<(&'a str, T)> {
    table
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(v))
        .map(|(_, m, c)| (*m, *c))
}

/// X-Forefront-Antispam-Report (and -Untrusted).
pub(crate) fn forefront(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    for (k, v) in Kv::new(value, ';', ':') {
        let key = k.to_ascii_uppercase();
        let known = FOREFRONT_KEYS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&k))
            .map(|(n, _)| *n);
        let Some(key_name) = known else {
            d.unknown(&k, &v);
            continue;
        };
        match key.as_str() {
            "CIP" => match v.parse() {
                Ok(ip) => {
                    d.names_ip = Some(ip);
                    d.say(format!("connecting IP {v}"));
                }
                Err(_) if v.is_empty() => {}
                Err(_) => d.complete = false,
            },
            "SCL" => match scl(&v) {
                Some((m, c)) => {
                    d.say(m);
                    d.classify(c);
                }
                None => d.complete = false,
            },
            "SFV" => match lookup(SFV, &v) {
                Some((m, c)) => {
                    d.say(format!("SFV {v}: {m}"));
                    d.classify(c);
                }
                None => d.complete = false,
            },
            "CAT" => match lookup(CAT, &v) {
                Some((m, c)) => {
                    if c.is_some() {
                        d.say(format!("CAT {v}: {m}"));
                    }
                    d.classify(c);
                }
                None => d.complete = false,
            },
            "IPV" if !v.is_empty() => match IPV.iter().find(|(n, _)| n.eq_ignore_ascii_case(&v)) {
                Some((_, m)) => d.say(format!("IPV {v}: {m}")),
                None => d.complete = false,
            },
            "SFTY" if !v.is_empty() => match SFTY.iter().find(|(n, _)| *n == v) {
                Some((_, m)) => {
                    d.say(format!("SFTY {v}: phishing, {m}"));
                    d.classify(Some(VendorClass::Phishing));
                }
                None => d.say(format!("SFTY {v}: a phishing safety tip")),
            },
            "SRV" if v.eq_ignore_ascii_case("BULK") => {
                d.say("SRV BULK: bulk filtering marked it".into());
                d.classify(Some(VendorClass::Bulk));
            }
            "DIR" => match v.to_ascii_uppercase().as_str() {
                "INB" => d.say("DIR INB: inbound (the receiving tenant's scan)".into()),
                "OUT" => d.say("DIR OUT: outbound (the sending tenant's scan)".into()),
                "INT" => d.say("DIR INT: internal".into()),
                "" => {}
                _ => d.complete = false,
            },
            "CTRY" if !v.is_empty() => d.say(format!("country {v}")),
            "H" if !v.is_empty() => d.say(format!("HELO {v}")),
            "PTR" if !v.is_empty() => d.say(format!("rDNS {v}")),
            _ => {}
        }
        d.field(key_name, &v);
    }
    d
}

/// X-Microsoft-Antispam (and -Untrusted): BCL, PCL.
pub(crate) fn antispam(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    for (k, v) in Kv::new(value, ';', ':') {
        match k.to_ascii_uppercase().as_str() {
            "BCL" => match bcl(&v) {
                Some(m) => {
                    if v.trim().parse::<u8>().is_ok_and(|n| n >= 4) {
                        d.classify(Some(VendorClass::Bulk));
                    }
                    d.say(m)
                }
                None => d.complete = false,
            },
            "PCL" => match pcl(&v) {
                Some((m, c)) => {
                    d.say(m);
                    d.classify(c);
                }
                None => d.complete = false,
            },
            // Documented as opaque: anti-spam rule ids, a URI scan marker.
            "ARA" | "RULEID" | "SRVR" | "URISCAN" => {}
            _ => {
                d.unknown(&k, &v);
                continue;
            }
        }
        d.field(&k.to_ascii_uppercase(), &v);
    }
    d
}

/// X-Microsoft-Antispam-Mailbox-Delivery: where the mailbox put it.
pub(crate) fn mailbox_delivery(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    for (k, v) in Kv::new(value, ';', ':') {
        let key = k.to_ascii_lowercase();
        match key.as_str() {
            "dest" => match v.as_str() {
                "I" => d.say("dest I: delivered to the Inbox".into()),
                "J" => {
                    d.say("dest J: delivered to the Junk Email folder".into());
                    d.classify(Some(VendorClass::Spam));
                }
                "C" => d.say("dest C: delivered to a custom folder (an inbox rule)".into()),
                _ => d.complete = false,
            },
            "ofr" => d.say(match v.as_str() {
                "SpamFilterAuthJ" => "OFR SpamFilterAuthJ: junked by the spam filter".into(),
                "TrustedSenderList" => "OFR TrustedSenderList: the sender is on a safe list".into(),
                "CustomRules" => "OFR CustomRules: a custom (inbox) rule moved it".into(),
                "SpamFilterPass" => "OFR SpamFilterPass: the spam filter let it pass".into(),
                other => format!("OFR {other}: the folder-routing reason"),
            }),
            "rf" => d.say(format!("RF {v}: the folder it was routed to")),
            "ucf" => d.say(format!("ucf {v}: user custom filter {}", on(&v))),
            "jmr" => d.say(format!("jmr {v}: junk mail rule {}", on(&v))),
            "auth" => d.say(format!(
                "auth {v}: sender authentication {}",
                if v == "1" { "passed" } else { "did not pass" }
            )),
            // Safe/blocked list flags and opaque engine data (not documented
            // by Microsoft; named in public analyses).
            "wl" | "pcwl" | "abwl" | "dwl" | "dkl" | "kl" | "iwl" | "rwl" | "ijl" | "psp"
            | "ex" | "eng" => {}
            _ => {
                d.unknown(&k, &v);
                continue;
            }
        }
        d.field(&key, &v);
    }
    d
}

fn on(v: &str) -> &'static str {
    if v == "0" {
        "did not act"
    } else {
        "acted"
    }
}

/// X-MS-Exchange-Organization-SCL.
pub(crate) fn org_scl(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    let v = value.trim();
    match scl(v) {
        Some((m, c)) => {
            d.say(m);
            d.classify(c);
        }
        None => d.complete = false,
    }
    d.field("SCL", v);
    d
}

/// X-MS-Exchange-Organization-PCL.
pub(crate) fn org_pcl(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    let v = value.trim();
    match pcl(v) {
        Some((m, c)) => {
            d.say(m);
            d.classify(c);
        }
        None => d.complete = false,
    }
    d.field("PCL", v);
    d
}

/// X-MS-Exchange-Organization-AuthAs: how the sender authenticated.
pub(crate) fn auth_as(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    let v = value.trim();
    match v.to_ascii_lowercase().as_str() {
        "anonymous" => {
            d.say("AuthAs Anonymous: an unauthenticated sender (mail from the Internet)".into())
        }
        "internal" => d.say("AuthAs Internal: a sender inside the organisation".into()),
        "partner" => d.say("AuthAs Partner: a partner domain (mutual TLS)".into()),
        _ => d.complete = false,
    }
    d.field("AuthAs", v);
    d
}

/// X-MS-Exchange-Organization-AuthSource: the server that authenticated it.
pub(crate) fn auth_source(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    let v = value.trim();
    if v.is_empty() || v.contains(char::is_whitespace) {
        d.complete = false;
    } else {
        d.say(format!("authenticated (or not) by {v}"));
        d.names_host = Some(v.to_ascii_lowercase());
    }
    d.field("AuthSource", v);
    d
}

/// X-MS-Exchange-Organization-MessageDirectionality.
pub(crate) fn directionality(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    let v = value.trim();
    match v.to_ascii_lowercase().as_str() {
        "incoming" => d.say("Incoming: received from outside the organisation".into()),
        "originating" => d.say("Originating: sent from inside the organisation".into()),
        _ => d.complete = false,
    }
    d.field("MessageDirectionality", v);
    d
}

/// X-MS-Exchange-Organization-Network-Message-Id: a GUID.
pub(crate) fn network_message_id(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    let v = value.trim();
    let guid = v.len() == 36
        && v.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if guid {
        d.say("the message's id in the tenant's message trace".into());
    } else {
        d.complete = false;
    }
    d.field("Network-Message-Id", v);
    d
}

/// X-MS-Exchange-Transport-EndToEndLatency: `d.hh:mm:ss.fffffff` or `hh:mm:ss.fffffff`.
pub(crate) fn end_to_end_latency(value: &str) -> Decoded {
    let mut d = Decoded::new("microsoft");
    let v = value.trim();
    match latency_secs(v) {
        Some(s) => {
            d.say(format!(
                "{s:.1} s from the first Exchange server to the mailbox"
            ));
            d.field("seconds", &format!("{s:.3}"));
        }
        None => d.complete = false,
    }
    d.field("EndToEndLatency", v);
    d
}

/// A .NET TimeSpan (`[d.]hh:mm:ss[.fffffff]`) in seconds.
pub(crate) fn latency_secs(v: &str) -> Option<f64> {
    let (days, rest) = match v.split_once('.') {
        Some((a, b)) if !a.contains(':') => (a.parse::<f64>().ok()?, b),
        _ => (0.0, v),
    };
    let mut parts = rest.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(0.0..60.0).contains(&m) || !(0.0..61.0).contains(&s) {
        return None;
    }
    Some(days * 86_400.0 + h * 3600.0 + m * 60.0 + s)
}

/// compauth codes (Microsoft: "Authentication-results message header").
pub(crate) fn compauth_reason(code: &str) -> Option<&'static str> {
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match code {
        "000" => "explicit failure: DMARC failed with p=quarantine or p=reject",
        "001" => "implicit failure: the domain publishes no (or weak) authentication records",
        "002" => "the organisation prohibits this sender/domain pair from sending spoofed mail",
        "010" => "DMARC failed with p=quarantine/reject and the domain is one of the organisation's accepted domains",
        _ => match &code[..1] {
            "1" | "7" => "passed composite authentication",
            "2" => "soft-passed implicit authentication",
            "3" => "not checked for composite authentication",
            "4" | "9" => "composite authentication bypassed",
            "6" => "failed implicit authentication; the domain is one of the organisation's accepted domains",
            "8" => "failed DMARC; an allow or block policy applied",
            _ => return None,
        },
    })
}

/// `compauth=` and `reason=` of an Exchange Online Authentication-Results
/// value (`None` when it has no compauth).
pub(crate) fn compauth(value: &str) -> Option<Decoded> {
    let (_, results) = crate::parse::authres::parse_authentication_results(value);
    let (_, result, props) = results.into_iter().find(|(m, _, _)| m == "compauth")?;
    let mut d = Decoded::new("microsoft");
    let reason = props
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.clone());
    match result.as_str() {
        "pass" | "fail" | "softpass" | "none" => d.say(format!("compauth {result}")),
        _ => d.complete = false,
    }
    if result == "fail" {
        d.classify(Some(VendorClass::Phishing));
    }
    d.field("compauth", &result);
    if let Some(r) = reason {
        match compauth_reason(&r) {
            Some(m) => d.say(format!("reason {r}: {m}")),
            None => d.complete = false,
        }
        d.field("reason", &r);
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Microsoft's documentation's examples (message-headers-eop-mdo; the
    // Exchange Server anti-spam stamps page) and values of the same shape.
    #[test]
    fn forefront_decodes_every_documented_field() {
        let d = forefront("CIP:198.51.100.7;CTRY:NL;LANG:en;SCL:5;SRV:;IPV:NLI;SFV:SPM;H:mail.example.net;PTR:mail.example.net;CAT:HPHSH;SFTY:9.19;SFP:1501;DIR:INB;SFS:(13230031)(376002);");
        assert!(d.complete, "{d:?}");
        assert_eq!(d.names_ip, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(d.verdict, Some(VendorClass::Phishing));
        assert_eq!(d.fields["SFV"], "SPM");
        assert_eq!(d.fields["SFS"], "(13230031)(376002)");
        assert!(d
            .meaning
            .iter()
            .any(|m| m == "SFV SPM: spam filtering marked it spam"));
        assert!(d
            .meaning
            .iter()
            .any(|m| m.starts_with("CAT HPHSH: high confidence phishing")));
        assert!(d.meaning.iter().any(|m| m.contains("domain impersonation")));
        let d = forefront("CIP:255.255.255.255;CTRY:;LANG:en;SCL:-1;SRV:;IPV:NLI;SFV:SKN;H:x;PTR:;CAT:NONE;SFP:1102;DIR:INB;");
        assert!(d.complete);
        assert_eq!(d.verdict, Some(VendorClass::Skipped));
        let d = forefront("CIP:2a01:111:f400:fe1e::10;SFV:NSPM;SCL:1;SRV:BULK;WHAT:1");
        assert_eq!(d.names_ip, Some("2a01:111:f400:fe1e::10".parse().unwrap()));
        assert_eq!(d.verdict, Some(VendorClass::Bulk));
        assert!(!d.complete, "an unknown key is not a full decode");
        assert_eq!(d.fields["WHAT"], "1");
    }

    #[test]
    fn antispam_and_mailbox_delivery() {
        let d = antispam("BCL:7;");
        assert!(d.complete);
        assert_eq!(d.verdict, Some(VendorClass::Bulk));
        assert!(d.meaning[0].contains("mixed number of complaints"));
        let d = antispam("BCL:0;ARA:13230031|2030799005;");
        assert!(d.complete && d.verdict.is_none());
        let d = antispam("PCL:8;BCL:0");
        assert_eq!(d.verdict, Some(VendorClass::Phishing));
        let d = mailbox_delivery(
            "ucf:0;jmr:0;auth:0;dest:J;OFR:SpamFilterAuthJ;ENG:(910001)(944506478);RF:JunkEmail;",
        );
        assert!(d.complete, "{d:?}");
        assert_eq!(d.verdict, Some(VendorClass::Spam));
        assert_eq!(d.fields["dest"], "J");
        let d =
            mailbox_delivery("ucf:0;jmr:0;auth:1;dest:I;ENG:(5062000305);OFR:TrustedSenderList;");
        assert!(d.complete && d.verdict.is_none());
    }

    #[test]
    fn organization_headers() {
        assert_eq!(org_scl("-1").verdict, Some(VendorClass::Skipped));
        assert_eq!(org_scl("9").verdict, Some(VendorClass::Spam));
        assert!(!org_scl("ten").complete);
        assert!(auth_as("Anonymous").complete);
        assert!(!auth_as("Whoever").complete);
        assert_eq!(
            auth_source("DM6NAM10FT076.eop-nam10.prod.protection.outlook.com")
                .names_host
                .as_deref(),
            Some("dm6nam10ft076.eop-nam10.prod.protection.outlook.com")
        );
        assert!(directionality("Incoming").complete);
        assert!(network_message_id("b9ad2d0e-0ae6-4de4-aa59-08dbc5bee641").complete);
        assert!(!network_message_id("b9ad2d0e").complete);
        assert_eq!(latency_secs("00:00:03.5230000"), Some(3.523));
        assert_eq!(latency_secs("1.02:00:00.0"), Some(93_600.0));
        assert_eq!(latency_secs("12"), None);
        assert!(end_to_end_latency("00:00:02.1470213").complete);
    }

    #[test]
    fn compauth_codes() {
        let d = compauth("spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=contoso.com; dkim=none (message not signed) header.d=none;dmarc=fail action=none header.from=contoso.com;compauth=fail reason=001").unwrap();
        assert!(d.complete);
        assert_eq!(d.fields["reason"], "001");
        assert_eq!(d.verdict, Some(VendorClass::Phishing));
        assert!(d.meaning.iter().any(|m| m.contains("implicit failure")));
        let d = compauth("spf=pass smtp.mailfrom=x.example;compauth=pass reason=100").unwrap();
        assert!(d.complete && d.verdict.is_none());
        assert!(compauth("mx.example.org; spf=pass smtp.mailfrom=x.example").is_none());
        assert!(!compauth("compauth=pass reason=abc").unwrap().complete);
    }
}
