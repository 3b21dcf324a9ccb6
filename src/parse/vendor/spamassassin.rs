//! Apache SpamAssassin's headers (Mail::SpamAssassin::Conf, `add_header`
//! and the `_YESNO_`, `_SCORE_`, `_REQD_`, `_TESTS_`, `_STARS_`,
//! `_REPORT_`, `_VERSION_`, `_HOSTNAME_` tags; spamassassin.apache.org/full/4.0.x/doc/Mail_SpamAssassin_Conf.html).

use super::Decoded;
use crate::model::VendorClass;

/// SpamAssassin rules derived from the Received headers, beside the
/// finding code that judges the same thing here (rule prefix, our code,
/// what the rule says; rule texts from SpamAssassin's rules files
/// 20_dynrdns.cf, 20_head_tests.cf, 25_dnsbl_tests.cf, 25_spf.cf).
pub const RECEIVED_RULES: &[(&str, &str, &str)] = &[
    (
        "RDNS_NONE",
        "RDNS_NONE",
        "delivered to its network by a host with no rDNS",
    ),
    (
        "RDNS_DYNAMIC",
        "RDNS_DYNAMIC",
        "delivered by a host with a dynamic-looking rDNS",
    ),
    (
        "HELO_DYNAMIC_",
        "HELO_DYNAMIC",
        "the relay HELO'd with a dynamic-looking name",
    ),
    (
        "HELO_NO_DOMAIN",
        "HELO_NOT_FQDN",
        "the relay HELO'd without a domain",
    ),
    (
        "FORGED_RCVD_HELO",
        "HELO_RDNS_MISMATCH",
        "the Received HELO names a different host",
    ),
    (
        "RCVD_HELO_IP_MISMATCH",
        "HELO_IP_LITERAL_MISMATCH",
        "the HELO address literal is not the relay's IP",
    ),
    (
        "RCVD_NUMERIC_HELO",
        "HELO_NOT_FQDN",
        "the relay HELO'd with a number",
    ),
    (
        "RCVD_ILLEGAL_IP",
        "BOGUS_IP",
        "a Received header names an illegal IP",
    ),
    (
        "UNPARSEABLE_RELAY",
        "UNPARSEABLE_RECEIVED",
        "a Received header could not be parsed",
    ),
    (
        "RCVD_IN_",
        "DNSBL_LISTED",
        "a relay is listed in a DNS blocklist",
    ),
    ("SPF_FAIL", "ENVELOPE_SPF", "SPF failed"),
    ("SPF_SOFTFAIL", "ENVELOPE_SPF", "SPF soft-failed"),
    (
        "DATE_IN_FUTURE_",
        "DATE_IN_FUTURE",
        "the Date lies after the Received times",
    ),
    (
        "DATE_IN_PAST_",
        "DATE_IN_PAST",
        "the Date lies before the Received times",
    ),
    ("MISSING_DATE", "DATE_MISSING", "no Date header"),
    ("MISSING_MID", "MSGID_MISSING", "no Message-ID"),
    (
        "INVALID_MSGID",
        "MSGID_INVALID",
        "the Message-ID is invalid",
    ),
    (
        "FORGED_YAHOO_RCVD",
        "FROM_PROVIDER_NOT_IN_PATH",
        "From yahoo.com, not through Yahoo",
    ),
    (
        "FORGED_HOTMAIL_RCVD",
        "FROM_PROVIDER_NOT_IN_PATH",
        "From hotmail.com, not through Hotmail",
    ),
    (
        "FORGED_GMAIL_RCVD",
        "FROM_PROVIDER_NOT_IN_PATH",
        "From gmail.com, not through Gmail",
    ),
    (
        "FORGED_OUTLOOK_",
        "FROM_PROVIDER_NOT_IN_PATH",
        "Outlook headers, not an Outlook path",
    ),
];

/// `Yes, score=6.9 required=5.0 tests=A,B autolearn=no version=3.4.6`
/// (2.x: `hits=`).
pub(crate) fn status(value: &str) -> Decoded {
    let mut d = Decoded::new("spamassassin");
    let v = value.trim();
    let (yes, rest) = match v.split_once(',') {
        Some((w, r)) => (w.trim(), r),
        None => (v.split_whitespace().next().unwrap_or(""), ""),
    };
    match yes.to_ascii_lowercase().as_str() {
        "yes" => d.classify(Some(VendorClass::Spam)),
        "no" => d.classify(Some(VendorClass::NotSpam)),
        _ => d.complete = false,
    }
    d.field("spam", yes);
    // Tokens; `tests=` runs over folded whitespace until the next `key=`.
    let mut tests: Vec<String> = Vec::new();
    let mut in_tests = false;
    for tok in crate::util::text::words(rest) {
        if let Some((k, val)) = tok.split_once('=').filter(|(k, _)| is_key(k)) {
            in_tests = k.eq_ignore_ascii_case("tests");
            match k.to_ascii_lowercase().as_str() {
                "tests" => tests.extend(rule_list(val)),
                "score" | "hits" | "required" => {
                    if val.parse::<f64>().is_err() {
                        d.complete = false;
                    }
                    let key = if k.eq_ignore_ascii_case("hits") {
                        "score"
                    } else {
                        k
                    };
                    d.field(&key.to_ascii_lowercase(), val);
                }
                "autolearn" | "autolearn_force" | "version" | "shortcircuit" | "bayes"
                | "tagged_above" => d.field(&k.to_ascii_lowercase(), val),
                _ => d.unknown(k, val),
            }
        } else if in_tests {
            tests.extend(rule_list(tok));
        } else {
            d.complete = false;
        }
    }
    if let (Some(s), Some(r)) = (d.fields.get("score"), d.fields.get("required")) {
        d.say(format!(
            "SpamAssassin: {} (score {s}, threshold {r})",
            if yes.eq_ignore_ascii_case("yes") {
                "spam"
            } else {
                "not spam"
            }
        ));
    }
    if !tests.is_empty() {
        d.field("tests", &tests.join(","));
    }
    received_rules(&mut d, &tests);
    d
}

fn is_key(k: &str) -> bool {
    // SpamAssassin's and amavisd-new's keys are lower case; rules are not.
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn rule_list(s: &str) -> impl Iterator<Item = String> + '_ {
    // amavisd-new writes `tests=[RULE=score, RULE=score]`.
    s.split(',')
        .map(|t| t.trim().trim_matches(['[', ']']))
        .map(|t| t.split('=').next().unwrap_or(""))
        .filter(|t| !t.is_empty() && t != &"none")
        .map(str::to_string)
}

/// SpamAssassin's Received-derived rules in `tests`, in words beside ours.
fn received_rules(d: &mut Decoded, tests: &[String]) {
    let mut seen = Vec::new();
    for t in tests {
        if let Some((_, ours, what)) = RECEIVED_RULES.iter().find(|(p, _, _)| {
            if p.ends_with('_') {
                t.starts_with(p)
            } else {
                t == p
            }
        }) {
            if !seen.contains(t) {
                seen.push(t.clone());
                d.say(format!("{t}: {what} (ours: {ours})"));
            }
        }
    }
    if !seen.is_empty() {
        d.field("received_rules", &seen.join(","));
    }
}

/// X-Spam-Flag: YES / NO.
pub(crate) fn flag(value: &str) -> Decoded {
    let mut d = Decoded::new("spamassassin");
    let v = value.trim();
    match v.to_ascii_uppercase().as_str() {
        "YES" => {
            d.classify(Some(VendorClass::Spam));
            d.say("flagged as spam".into());
        }
        "NO" => d.classify(Some(VendorClass::NotSpam)),
        _ => d.complete = false,
    }
    d.field("flag", v);
    d
}

/// X-Spam-Level: one star (or another character) per point.
pub(crate) fn level(value: &str) -> Decoded {
    let mut d = Decoded::new("spamassassin");
    let v = value.trim();
    let c = v.chars().next();
    if v.chars().all(|x| Some(x) == c) {
        d.field("points", &v.chars().count().to_string());
    } else {
        d.complete = false;
    }
    d
}

/// X-Spam-Report: `* 0.0 RULE text` lines (3.x) or `RULE (0.5 points)`
/// (2.x): the rules and their scores.
pub(crate) fn report(value: &str) -> Decoded {
    if value.contains("Symbol: ") {
        return rspamd_report(value);
    }
    let mut d = Decoded::new("spamassassin");
    let toks: Vec<&str> = crate::util::text::words(value).take(4096).collect();
    let mut rules: Vec<String> = Vec::new();
    for w in toks.windows(2) {
        let (a, b) = (w[0], w[1]);
        let rule = |s: &str| {
            s.len() > 2
                && s.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
                && s.bytes().any(|c| c.is_ascii_uppercase())
        };
        // The byte tests first: most words of a report are its prose.
        if rule(b) && a.parse::<f64>().is_ok() {
            rules.push(format!("{b}={a}"));
        } else if b.starts_with('(') && rule(a) && b[1..].parse::<f64>().is_ok() {
            rules.push(format!("{a}={}", &b[1..]));
        }
    }
    // Barracuda's report with an empty breakdown has no rules to list.
    let empty_breakdown = value.contains("Rule breakdown below");
    if rules.is_empty() && !value.trim().is_empty() && !empty_breakdown {
        d.complete = false;
    }
    let names: Vec<String> = rules
        .iter()
        .filter_map(|r| r.split('=').next().map(str::to_string))
        .collect();
    d.field("rules", &rules.join(","));
    received_rules(&mut d, &names);
    d
}

/// rspamd's X-Spam-Report (milter_headers `x-spam-report`):
/// `Action: no action Symbol: NAME(score) ... Message-ID: ...`.
fn rspamd_report(value: &str) -> Decoded {
    let mut d = Decoded::new("rspamd");
    let mut symbols = Vec::new();
    // Unfolded, the lines run together: split before each label again.
    let value = value
        .replace("Symbol:", "\nSymbol:")
        .replace("Action:", "\nAction:")
        .replace("Message-ID:", "\nMessage-ID:");
    for line in value
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(512)
    {
        if let Some(a) = line.strip_prefix("Action:") {
            let a = a.trim();
            match a {
                "no action" => d.classify(Some(VendorClass::NotSpam)),
                "add header" | "rewrite subject" | "reject" => d.classify(Some(VendorClass::Spam)),
                "greylist" | "soft reject" => {}
                _ => d.complete = false,
            }
            d.say(format!("rspamd action: {a}"));
            d.field("action", a);
        } else if let Some(sym) = line.strip_prefix("Symbol:") {
            let sym = sym.trim();
            match sym.split_once('(') {
                Some((n, sc)) if sc.trim_end_matches(')').parse::<f64>().is_ok() => {
                    symbols.push(format!("{}={}", n.trim(), sc.trim_end_matches(')')))
                }
                _ => d.complete = false,
            }
        } else if let Some((k, v)) = line.split_once(':') {
            d.field(&k.trim().to_ascii_lowercase(), v.trim());
        }
    }
    d.field("symbols", &symbols.join(","));
    d
}

/// X-Spam-Checker-Version: `SpamAssassin 3.4.6 (2021-04-09) on host`.
pub(crate) fn checker_version(value: &str) -> Decoded {
    let mut d = Decoded::new("spamassassin");
    let v = value.trim();
    let mut words = v.split_whitespace();
    match (words.next(), words.next()) {
        (Some(p), Some(ver)) if p.eq_ignore_ascii_case("spamassassin") => d.field("version", ver),
        _ => d.complete = false,
    }
    if let Some((_, host)) = v.rsplit_once(" on ") {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        if !host.is_empty() && !host.contains(char::is_whitespace) {
            d.say(format!("scanned on {host}"));
            d.field("host", &host);
            d.names_host = Some(host);
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    // The header shapes of SpamAssassin's documentation (Conf.pm's
    // add_header defaults) with typical values.
    #[test]
    fn status_3x_and_2x() {
        let d = status("Yes, score=6.9 required=5.0 tests=BAYES_99,HTML_MESSAGE,\r\n\tRDNS_NONE,RCVD_IN_SBL autolearn=no autolearn_force=no version=3.4.6");
        assert!(d.complete, "{d:?}");
        assert_eq!(d.verdict, Some(VendorClass::Spam));
        assert_eq!(d.fields["score"], "6.9");
        assert_eq!(
            d.fields["tests"],
            "BAYES_99,HTML_MESSAGE,RDNS_NONE,RCVD_IN_SBL"
        );
        assert_eq!(d.fields["received_rules"], "RDNS_NONE,RCVD_IN_SBL");
        assert!(d.meaning.iter().any(|m| m.contains("(ours: RDNS_NONE)")));
        let d = status("No, hits=-2.6 required=7.0 tests=AWL,KNOWN_MAILING_LIST version=2.50-cvs");
        assert!(d.complete);
        assert_eq!(d.verdict, Some(VendorClass::NotSpam));
        assert_eq!(d.fields["score"], "-2.6");
        assert!(!status("Maybe").complete);
        // amavisd-new's form.
        let d = status("No, score=-0.309 tagged_above=-9999 required=7 tests=[ALL_TRUSTED=-1,\r\n\tBAYES_00=-1.9, FREEMAIL_FORGED_REPLYTO=2.095, MISSING_MID=0.497] autolearn=no autolearn_force=no");
        assert!(d.complete, "{d:?}");
        assert_eq!(
            d.fields["tests"],
            "ALL_TRUSTED,BAYES_00,FREEMAIL_FORGED_REPLYTO,MISSING_MID"
        );
        assert_eq!(d.fields["tagged_above"], "-9999");
    }

    #[test]
    fn flag_level_report_version() {
        assert_eq!(flag("YES").verdict, Some(VendorClass::Spam));
        assert_eq!(level("******").fields["points"], "6");
        let d = report(" * 0.0 RDNS_NONE Delivered to internal network by a host with no rDNS\r\n *  3.5 BAYES_99 BODY: Bayes spam probability is 99 to 100%");
        assert!(d.complete);
        assert_eq!(d.fields["rules"], "RDNS_NONE=0.0,BAYES_99=3.5");
        assert_eq!(d.fields["received_rules"], "RDNS_NONE");
        let d = report(
            "Rule breakdown below\r\n pts rule name description\r\n ---- ----------------------",
        );
        assert!(d.complete);
        let d = report(" Action: no action Symbol: R_DKIM_ALLOW(0.00)\r\n Symbol: R_UNDISC_RCPT(3.00)\r\n Message-ID: <a@b>");
        assert!(d.complete, "{d:?}");
        assert_eq!(d.vendor, "rspamd");
        assert_eq!(d.verdict, Some(VendorClass::NotSpam));
        assert_eq!(d.fields["symbols"], "R_DKIM_ALLOW=0.00,R_UNDISC_RCPT=3.00");
        let d = checker_version("SpamAssassin 3.4.6 (2021-04-09) on mail.example.org");
        assert!(d.complete);
        assert_eq!(d.names_host.as_deref(), Some("mail.example.org"));
    }
}
