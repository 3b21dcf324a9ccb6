//! Header forensics (issue 4), one test per finding code, on the messages
//! in testdata/forensics/ and the 1999 sample.

use spamtrace::chain::trust::TrustConfig;
use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::Report;
use spamtrace::model::{Finding, Severity};

/// 2026-01-01: a fixed "now" so no test depends on the clock.
const NOW: i64 = 1_767_225_600;

fn trace_with(path: &str, trusted: &[&str], authserv: &[&str]) -> Report {
    let mut trust = TrustConfig::default();
    for t in trusted {
        trust.add(t).expect("valid --trusted");
    }
    trust.authserv_ids = authserv.iter().map(|s| s.to_string()).collect();
    let opts = TraceOptions {
        trust,
        infer_trust: false,
        now: NOW,
        ..Default::default()
    };
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let msg = input::open(&full, &InputOptions::default())
        .next()
        .expect("one message")
        .expect("readable");
    spamtrace::trace(&msg, &opts)
}

/// Our mail server, mx1.example.org, lives in 93.184.216.0/24.
fn trace(name: &str) -> Report {
    trace_with(
        &format!("testdata/forensics/{name}"),
        &["93.184.216.0/24"],
        &[],
    )
}

fn berkeley() -> Report {
    trace_with("testdata/1999-berkeley.mbox", &["169.229.0.0/16"], &[])
}

fn finding<'a>(r: &'a Report, code: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", r.findings))
}

fn lacks(r: &Report, code: &str) {
    assert!(!r.has(code), "unexpected {code}: {:#?}", r.findings);
}

// --- the acceptance on the 1999 sample ---

#[test]
fn berkeley_from_provider_not_in_path() {
    let r = berkeley();
    let f = finding(&r, "FROM_PROVIDER_NOT_IN_PATH");
    assert_eq!(f.evidence["from_domain"], "hotmail.com");
    assert_eq!(f.evidence["provider"], "hotmail");
}

#[test]
fn berkeley_msgid_forged_hop() {
    let r = berkeley();
    let f = finding(&r, "MSGID_FORGED_HOP");
    assert_eq!(f.evidence["right"], "fritz.hotdogcity.com");
    assert_eq!(f.evidence["first_break"], 3);
    // Forged: the From's provider is contradicted too.
    assert_eq!(f.severity, Severity::Forged);
}

#[test]
fn berkeley_from_envelope_mismatch() {
    let r = berkeley();
    let f = finding(&r, "FROM_ENVELOPE_MISMATCH");
    assert_eq!(f.evidence["envelope"][0]["address"], "dogboyseven@aol.com");
    assert_eq!(f.evidence["envelope"][0]["source"], "mbox_envelope");
}

#[test]
fn berkeley_open_relay() {
    let r = berkeley();
    let f = finding(&r, "OPEN_RELAY");
    assert_eq!(f.hop, Some(2));
    assert_eq!(f.evidence["relay"], "mail.everfaster.com");
    assert_eq!(f.evidence["from"], "pool37.qs4w.longlink.net");
    assert_eq!(f.evidence["to"], "cs2.cs.berkeley.edu");
    assert_eq!(f.severity, Severity::Warn);
}

#[test]
fn berkeley_msgid_stamp_agrees_with_date() {
    // 19990904195323 is the Date's wall clock (19:53:23 -0400): no mismatch.
    lacks(&berkeley(), "MSGID_TIMESTAMP_MISMATCH");
}

#[test]
fn berkeley_without_trust_has_no_open_relay_judgement_of_forged_hops() {
    // Only relays the route supports are judged: server.big-hello.com sits
    // below the broken link and is never named an open relay.
    let r = berkeley();
    assert!(r
        .findings
        .iter()
        .filter(|f| f.code == "OPEN_RELAY")
        .all(|f| f.evidence["relay"] != "server.big-hello.com"));
}

// --- Message-ID ---

#[test]
fn msgid_missing() {
    let r = trace("no-msgid-no-date.eml");
    assert_eq!(finding(&r, "MSGID_MISSING").severity, Severity::Warn);
}

#[test]
fn msgid_invalid() {
    let r = trace("msgid-invalid-bad-zone.eml");
    let f = finding(&r, "MSGID_INVALID");
    assert_eq!(f.evidence["reason"], "not enclosed in angle brackets");
}

#[test]
fn msgid_multiple_and_not_fqdn() {
    let r = trace("msgid-multiple-not-fqdn.eml");
    assert_eq!(finding(&r, "MSGID_MULTIPLE").evidence["count"], 2);
    assert_eq!(finding(&r, "MSGID_NOT_FQDN").evidence["right"], "kryptik");
    // Outlook's hex-dollar shape is not ratware.
    lacks(&r, "MSGID_SPAMWARE");
}

#[test]
fn msgid_forged_provider() {
    let r = trace("phish-gmail-msgid.eml");
    let f = finding(&r, "MSGID_FORGED_PROVIDER");
    assert_eq!(f.evidence["provider"], "gmail");
    assert_eq!(f.severity, Severity::Forged);
    // Hotmail's own phx.gbl ID through Hotmail's servers is fine.
    lacks(&trace("hotmail-webmail.eml"), "MSGID_FORGED_PROVIDER");
}

#[test]
fn msgid_from_relay() {
    let r = trace("relay-made-msgid.eml");
    let f = finding(&r, "MSGID_FROM_RELAY");
    assert_eq!(f.hop, Some(1));
    assert_eq!(f.evidence["matched"], "queue_id");
    assert_eq!(f.evidence["queue_id"], "44F2kXqP031877");
    // Its timestamp is the Date's UTC time: no mismatch.
    lacks(&r, "MSGID_TIMESTAMP_MISMATCH");
}

#[test]
fn msgid_timestamp_mismatch() {
    let r = trace("msgid-stale-stamp.eml");
    let f = finding(&r, "MSGID_TIMESTAMP_MISMATCH");
    assert_eq!(f.evidence["stamp"], "20230311083512");
    assert!(f.evidence["seconds"].as_i64().unwrap() > 400 * 86400);
}

#[test]
fn msgid_forged_hop_is_info_without_a_provider_claim() {
    let r = trace("forged-webmail-claim.eml");
    let f = finding(&r, "MSGID_FORGED_HOP");
    assert_eq!(f.evidence["right"], "mx3.bankers-mail.co.uk");
    // A hard break alone is common in ham (docs/checks.md, rates): info.
    assert_eq!(f.severity, Severity::Info);
}

#[test]
fn msgid_spamware() {
    let r = trace("year-0102.eml");
    assert_eq!(finding(&r, "MSGID_SPAMWARE").evidence["shape"], "CAPS");
}

#[test]
fn msgid_dns_slot() {
    use spamtrace::checks::message_id::nxdomain_finding;
    let f = nxdomain_finding("kj-trade.invalid", false).expect("a finding");
    assert_eq!(f.code, "MSGID_DOMAIN_NXDOMAIN");
    assert!(nxdomain_finding("example.org", true).is_none());
}

// --- Date ---

#[test]
fn date_missing() {
    let r = trace("no-msgid-no-date.eml");
    finding(&r, "DATE_MISSING");
    lacks(&r, "DATE_IN_PAST");
}

#[test]
fn date_invalid_zone() {
    let r = trace("msgid-invalid-bad-zone.eml");
    let f = finding(&r, "DATE_INVALID");
    assert!(f.evidence["reason"].as_str().unwrap().contains("+0480"));
}

#[test]
fn date_invalid_year() {
    let r = trace("year-0102.eml");
    let f = finding(&r, "DATE_INVALID");
    assert!(f.evidence["reason"].as_str().unwrap().contains("102"));
}

#[test]
fn date_in_past() {
    let r = trace("old-date.eml");
    let f = finding(&r, "DATE_IN_PAST");
    // 6 days 3 hours before the trusted receipt: past the 96h warning line.
    assert_eq!(f.evidence["seconds"], 6 * 86400 + 3 * 3600 + 2);
    assert_eq!(f.severity, Severity::Warn);
    lacks(&r, "DATE_IN_FUTURE");
}

#[test]
fn date_in_future() {
    let r = trace("future-date.eml");
    let f = finding(&r, "DATE_IN_FUTURE");
    assert!(f.evidence["seconds"].as_i64().unwrap() > 2 * 86400);
    assert_eq!(f.severity, Severity::Warn);
    lacks(&r, "DATE_IN_PAST");
}

// --- sender identity ---

#[test]
fn reply_to_diverges_to_freemail() {
    let r = trace("phish-gmail-msgid.eml");
    let f = finding(&r, "REPLY_TO_DIVERGES");
    assert_eq!(f.evidence["freemail"], "gmail");
    assert_eq!(f.severity, Severity::Warn);
}

#[test]
fn display_name_spoof() {
    let r = trace("phish-gmail-msgid.eml");
    let f = finding(&r, "DISPLAY_NAME_SPOOF");
    assert_eq!(f.evidence["claimed"], "service@paypal.com");
    assert_eq!(f.evidence["from_domain"], "secure-account-review.net");
    // "Dr. James Brown" holds no domain.
    lacks(&trace("forged-webmail-claim.eml"), "DISPLAY_NAME_SPOOF");
}

#[test]
fn from_envelope_mismatch_from_return_path() {
    let r = trace("phish-gmail-msgid.eml");
    let f = finding(&r, "FROM_ENVELOPE_MISMATCH");
    assert_eq!(f.evidence["envelope"][0]["source"], "return_path");
    // The same organisation in Return-Path and From: no finding.
    lacks(&trace("auth-results.eml"), "FROM_ENVELOPE_MISMATCH");
}

#[test]
fn from_provider_in_path_is_fine() {
    lacks(&trace("hotmail-webmail.eml"), "FROM_PROVIDER_NOT_IN_PATH");
}

#[test]
fn from_provider_forged_helo_and_forged_lower_header_do_not_count() {
    // The DSL line greets as mail.yahoo.com (only a claim: its rDNS is
    // prod-infinitum.com.mx), and the header below it, which names a Yahoo
    // web server, hangs from a broken custody link: the spammer's own text.
    let r = trace("forged-provider-helo.eml");
    assert_eq!(r.hops[0].from.helo.as_deref(), Some("mail.yahoo.com"));
    assert_eq!(
        r.hops[1].from.rdns.as_deref(),
        Some("web43211.mail.sp1.yahoo.com")
    );
    assert_eq!(r.custody[0].status, spamtrace::model::LinkStatus::Broken);
    let f = finding(&r, "FROM_PROVIDER_NOT_IN_PATH");
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.evidence["provider"], "yahoo");
    assert_eq!(f.evidence["from_domain"], "yahoo.com");
}

#[test]
fn from_provider_in_a_consistent_hop_counts() {
    // The rDNS our server recorded for the relay is Hotmail's, and the
    // Hotmail header below it is reached through a consistent link.
    let r = trace("hotmail-webmail.eml");
    assert_eq!(
        r.custody[0].status,
        spamtrace::model::LinkStatus::Consistent
    );
    lacks(&r, "FROM_PROVIDER_NOT_IN_PATH");
}

// --- webmail origin ---

#[test]
fn webmail_origin_from_a_consistent_hotmail_chain() {
    let r = trace("hotmail-webmail.eml");
    let f = finding(&r, "WEBMAIL_ORIGIN");
    assert_eq!(f.evidence["ip"], "201.141.22.87");
    assert_eq!(r.origin_candidates.len(), 1);
    assert_eq!(r.origin_candidates[0].ip.to_string(), "201.141.22.87");
}

#[test]
fn webmail_origin_claimed_below_a_broken_link() {
    let r = trace("forged-webmail-claim.eml");
    let f = finding(&r, "WEBMAIL_ORIGIN_CLAIMED");
    assert_eq!(f.evidence["ip"], "81.19.70.4");
    assert_eq!(f.evidence["credibility"], "claimed");
    lacks(&r, "WEBMAIL_ORIGIN");
}

// --- Authentication-Results ---

#[test]
fn trusted_auth_results_in_report() {
    let r = trace("auth-results.eml");
    let dkim: Vec<_> = r
        .auth_results
        .iter()
        .filter(|v| v.method == "dkim")
        .collect();
    // Only our server's verdict on shop-example.com, not the imitation
    // claiming bank-example.com further down.
    assert_eq!(dkim.len(), 1);
    assert_eq!(dkim[0].result, "pass");
    assert!(dkim[0]
        .properties
        .contains(&("header.d".to_string(), "shop-example.com".to_string())));
    assert!(r.auth_results.iter().any(|v| v.header == "received-spf"));
    let table = spamtrace::report::render::table::render(
        &r,
        spamtrace::report::render::table::TableStyle {
            color: false,
            width: Some(160),
        },
    );
    assert!(table.contains("dkim=pass (shop-example.com)"), "{table}");
}

#[test]
fn auth_results_untrusted() {
    let r = trace("auth-results.eml");
    let untrusted: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == "AUTH_RESULTS_UNTRUSTED")
        .collect();
    assert_eq!(untrusted.len(), 2, "{untrusted:#?}");
    let imitation = untrusted
        .iter()
        .find(|f| f.evidence["authserv_id"] == "mx1.example.org")
        .expect("the imitation of our authserv-id");
    assert_eq!(imitation.severity, Severity::Warn);
    let foreign = untrusted
        .iter()
        .find(|f| f.evidence["authserv_id"] == "mx.sendgrid.net")
        .expect("sendgrid's own verdict");
    assert_eq!(foreign.severity, Severity::Info);
}

#[test]
fn authserv_id_flag_restricts_trust() {
    // With --authserv-id naming another server, our MX's header is not
    // believed (and nothing is shown as trusted).
    let r = trace_with(
        "testdata/forensics/auth-results.eml",
        &["93.184.216.0/24"],
        &["inbound.example.net"],
    );
    assert!(r.auth_results.iter().all(|v| v.header == "received-spf"));
}

// --- hostile input ---

#[test]
fn hostile_headers_do_not_panic() {
    let mut header = Vec::new();
    header.extend_from_slice(
        b"Received: from a (a [1.2.3.4]) by b; Tue, 14 May 2024 09:12:44 +0000\r\n",
    );
    for _ in 0..2000 {
        header.extend_from_slice(b"Message-ID: <\x1b[31m@@\xff>\r\nAuthentication-Results: ;;;=;\r\nX-Originating-IP: [::::]\r\n");
    }
    header.extend_from_slice(
        b"Date: Tue, 99 Foo 0000 99:99:99 +9999\r\nFrom: \"a@\" <@>\r\nReply-To: ,,,\r\n",
    );
    let msg = input::RawMessage {
        source: spamtrace::model::Source {
            path: "hostile".into(),
            index: 0,
            offset: 0,
            part: None,
            reported_by: None,
            format: None,
        },
        envelope: None,
        header,
        body: None,
        size: 0,
    };
    let r = spamtrace::trace(&msg, &TraceOptions::default());
    let f = finding(&r, "MSGID_MULTIPLE");
    assert_eq!(f.evidence["count"], 2000);
    // Evidence lists are bounded.
    assert!(f.evidence["message_ids"].as_array().unwrap().len() <= 10);
    finding(&r, "DATE_INVALID");
}

#[test]
fn exchange_results_without_authserv_id_trusted_by_position() {
    let r = trace("exchange-auth.eml");
    // The header our MX's hop carries is believed; the copy lower down,
    // claiming another domain, is not.
    let dkim: Vec<_> = r
        .auth_results
        .iter()
        .filter(|v| v.method == "dkim")
        .collect();
    assert_eq!(dkim.len(), 1, "{:#?}", r.auth_results);
    assert!(dkim[0]
        .properties
        .contains(&("header.d".to_string(), "partner-example.com".to_string())));
    assert_eq!(dkim[0].authserv_id, None);
    let f = finding(&r, "AUTH_RESULTS_UNTRUSTED");
    assert_eq!(f.evidence["authserv_id"], serde_json::Value::Null);
    // Exchange's client-address header under a consistent chain.
    assert_eq!(finding(&r, "WEBMAIL_ORIGIN").evidence["ip"], "31.13.144.21");
}

#[test]
fn json_report_carries_auth_results_and_origin_candidates() {
    let r = trace("hotmail-webmail.eml");
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["origin_candidates"][0]["ip"], "201.141.22.87");
    assert_eq!(v["origin_candidates"][0]["credibility"], "consistent");
    assert!(v["auth_results"].as_array().unwrap().is_empty());
}

#[test]
fn dkim_signatures_are_read_without_dns() {
    use spamtrace::parse::message::dkim_signatures;
    let full = format!(
        "{}/testdata/forensics/dkim-signed.eml",
        env!("CARGO_MANIFEST_DIR")
    );
    let msg = input::open(&full, &InputOptions::default())
        .next()
        .unwrap()
        .unwrap();
    let fields = spamtrace::parse::headers::fields(&msg.header);
    let summary = spamtrace::parse::message::summarize(&fields, None);
    let sigs = dkim_signatures(&fields, &summary);
    assert_eq!(sigs.len(), 2);
    assert_eq!(
        (sigs[0].d.as_str(), sigs[0].s.as_str()),
        ("news.shop-example.com", "s1")
    );
    assert!(sigs[0].aligned);
    assert_eq!(sigs[1].d, "esp-mailer.net");
    assert!(!sigs[1].aligned);
}

#[test]
fn open_relay_for_a_roaming_customer_is_only_info() {
    // A customer of another ISP relayed by IP: same shape as an open relay,
    // no HELO lie, no forged headers below: informational.
    let r = trace("roaming-customer.eml");
    let f = finding(&r, "OPEN_RELAY");
    assert_eq!(f.evidence["relay"], "smtp.bluewin-mail.ch");
    assert_eq!(f.severity, Severity::Info);
    // A submission by the relay's own, authenticated (ESMTPA) user is not.
    lacks(&trace("relay-made-msgid.eml"), "OPEN_RELAY");
}
