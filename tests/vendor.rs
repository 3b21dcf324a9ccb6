//! Vendor verdicts on the chain (issue 18, must-haves 1-3 and 6), on the
//! testdata messages written for them: an M365-hosted phish with the
//! sending tenant's -Untrusted copies (17), and a planted `SCL:-1` below
//! the trust boundary of a Postfix + SpamAssassin receiver (18).

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions, RawMessage};
use spamtrace::model::{Report, Severity, VendorClass, VendorVerdict};

const NOW: i64 = 1_767_225_600;

fn opts() -> TraceOptions {
    TraceOptions {
        infer_trust: true,
        now: NOW,
        ..Default::default()
    }
}

fn read(name: &str) -> RawMessage {
    let full = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    input::open(&full, &InputOptions::default())
        .next()
        .expect("one message")
        .expect("readable")
}

fn trace(name: &str) -> Report {
    spamtrace::trace(&read(name), &opts())
}

fn verdict<'a>(r: &'a Report, header: &str) -> &'a VendorVerdict {
    r.vendor_verdicts
        .iter()
        .find(|v| v.header == header)
        .unwrap_or_else(|| panic!("no {header} in {:#?}", r.vendor_verdicts))
}

#[test]
fn m365_phish_trusted_stamps_and_untrusted_copies() {
    let r = trace("17-m365-phish-untrusted.eml");
    assert_eq!(r.trust_boundary, Some(3));
    let ff = verdict(&r, "x-forefront-antispam-report");
    assert!(ff.trusted);
    assert_eq!(ff.hop, Some(3));
    assert_eq!(ff.placed_by, "names_ip");
    assert_eq!(ff.verdict, Some(VendorClass::Phishing));
    assert_eq!(ff.fields["CIP"], "40.107.22.57");
    assert_eq!(ff.fields["cip_is"], "the first untrusted relay");
    assert!(ff.complete);
    assert!(ff
        .meaning
        .iter()
        .any(|m| m == "SFV SPM: spam filtering marked it spam"));
    // The sending tenant's copies: renamed by Microsoft, never believed,
    // and not called forged (its honest outbound "not spam").
    let un = verdict(&r, "x-forefront-antispam-report-untrusted");
    assert!(!un.trusted);
    assert_eq!(un.fields["DIR"], "OUT");
    assert!(un.why_untrusted.as_deref().unwrap().contains("-Untrusted"));
    assert!(!verdict(&r, "x-microsoft-antispam-untrusted").trusted);
    // Written below every Received header, believed by the header firewall.
    let mbd = verdict(&r, "x-microsoft-antispam-mailbox-delivery");
    assert!(mbd.trusted);
    assert_eq!(mbd.placed_by, "header_firewall");
    assert_eq!(mbd.fields["dest"], "J");
    let ca = r
        .vendor_verdicts
        .iter()
        .find(|v| v.header == "authentication-results")
        .expect("compauth decoded");
    assert!(ca.trusted);
    assert_eq!(ca.fields["compauth"], "pass");
    assert_eq!(ca.fields["reason"], "100");
    let spam: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == "VENDOR_VERDICT_SPAM")
        .collect();
    assert_eq!(spam.len(), 1, "{:#?}", r.findings);
    assert_eq!(spam[0].severity, Severity::Warn);
    assert_eq!(spam[0].evidence["verdict"], "phishing");
    assert!(!r.has("VENDOR_CIP_MISMATCH"));
    assert!(r
        .findings
        .iter()
        .filter(|f| f.code == "VENDOR_VERDICT_UNTRUSTED")
        .all(|f| f.severity == Severity::Info));
    // Transit: Date 09:40:57, first trusted receipt 09:41:16, top 09:41:18.
    let t = r.transit.as_ref().expect("transit");
    assert_eq!(t.to_first_trusted_secs, Some(19));
    assert_eq!(t.trusted_secs, Some(2));
    assert_eq!(t.total_secs, Some(21));
    assert_eq!(t.slowest_hop, Some(3));
    let h3 = t.hops.iter().find(|h| h.hop == 3).unwrap();
    assert!(h3.slowest);
    assert_eq!(h3.tls_version.as_deref(), Some("TLS1_3"));
    assert_eq!(h3.tls_cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
    assert_eq!(t.hops.iter().filter(|h| h.slowest).count(), 1);
}

#[test]
fn planted_scl_below_the_boundary_is_forged() {
    let r = trace("18-planted-scl.eml");
    assert_eq!(r.trust_boundary, Some(1));
    let status: Vec<&VendorVerdict> = r
        .vendor_verdicts
        .iter()
        .filter(|v| v.header == "x-spam-status")
        .collect();
    assert_eq!(status.len(), 2);
    assert!(status[0].trusted && status[0].verdict == Some(VendorClass::Spam));
    assert!(!status[1].trusted && status[1].verdict == Some(VendorClass::NotSpam));
    let ff = verdict(&r, "x-forefront-antispam-report");
    assert!(!ff.trusted);
    assert_eq!(ff.verdict, Some(VendorClass::Skipped));
    assert_eq!(
        ff.hop,
        Some(2),
        "tied to the hop that received from its CIP"
    );
    let forged: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == "VENDOR_VERDICT_UNTRUSTED" && f.severity == Severity::Forged)
        .collect();
    assert_eq!(forged.len(), 2, "{:#?}", r.findings);
    assert!(forged
        .iter()
        .any(|f| f.evidence["header"] == "x-forefront-antispam-report"));
    assert!(forged
        .iter()
        .any(|f| f.evidence["header"] == "x-spam-status"));
    // SpamAssassin's Received-derived rules, beside ours.
    assert!(status[0]
        .meaning
        .iter()
        .any(|m| m.starts_with("RDNS_NONE:") && m.contains("(ours: RDNS_NONE, ")));
    assert_eq!(
        status[0].fields["received_rules"],
        "RDNS_NONE,HELO_DYNAMIC_IPADDR,RCVD_IN_SBL"
    );
    assert_eq!(
        verdict(&r, "x-spam-checker-version").placed_by,
        "names_host"
    );
    let t = r.transit.as_ref().unwrap();
    assert_eq!(t.slowest_hop, Some(1), "99 s from shop-example.com to mx1");
    assert_eq!(
        t.hops
            .iter()
            .find(|h| h.hop == 0)
            .unwrap()
            .tls_version
            .as_deref(),
        Some("TLSv1.3")
    );
}

#[test]
fn an_m365_stamp_between_untrusted_received_headers_imitates_the_receiver() {
    let raw = read("17-m365-phish-untrusted.eml");
    let text = String::from_utf8(raw.header.clone()).unwrap();
    // A hop more below the sending tenant, with a planted stamp above it.
    let at = text.find("X-MS-Exchange-Authentication-Results").unwrap();
    let planted = format!(
        "{}X-MS-Exchange-Organization-SCL: -1\r\nReceived: from [192.168.1.20] by AS8PR04MB8801.eurprd04.prod.outlook.com\r\n with HTTP; Wed, 12 Mar 2025 09:40:57 +0000\r\n{}",
        &text[..at],
        &text[at..]
    );
    let mut msg = raw.clone();
    msg.header = planted.into_bytes();
    let r = spamtrace::trace(&msg, &opts());
    let scl: Vec<&VendorVerdict> = r
        .vendor_verdicts
        .iter()
        .filter(|v| v.header == "x-ms-exchange-organization-scl")
        .collect();
    assert_eq!(scl.len(), 2);
    assert!(!scl[0].trusted && scl[0].verdict == Some(VendorClass::Skipped));
    assert!(scl[1].trusted && scl[1].verdict == Some(VendorClass::Spam));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "VENDOR_VERDICT_UNTRUSTED" && f.severity == Severity::Forged)
        .expect("forged");
    assert_eq!(f.evidence["imitates_trusted_receiver"], true);
}

#[test]
fn json_and_table_carry_the_verdicts() {
    let r = trace("17-m365-phish-untrusted.eml");
    let v = serde_json::to_value(&r).unwrap();
    let first = &v["vendor_verdicts"][0];
    for k in [
        "vendor", "header", "hop", "trusted", "fields", "verdict", "meaning",
    ] {
        assert!(first.get(k).is_some(), "{k} missing in {first}");
    }
    assert!(v["transit"]["hops"].is_array());
    let table = spamtrace::report::render::table::render(
        &r,
        spamtrace::report::render::table::TableStyle {
            color: false,
            width: Some(200),
        },
    );
    let lines = table
        .lines()
        .filter(|l| l.starts_with("Filter verdict"))
        .count();
    let trusted = r
        .vendor_verdicts
        .iter()
        .filter(|v| v.trusted && v.verdict.is_some())
        .count();
    assert_eq!(lines, trusted, "{table}");
    assert!(trusted >= 3);
    let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("CIP 40.107.22.57 is the first untrusted relay"),
        "{table}"
    );
    assert!(
        flat.contains("Transit 19s from Date to the first trusted receipt"),
        "{table}"
    );
    assert!(flat.contains("slowest hop 3 (18s)"), "{table}");
}

#[test]
fn a_boundary_other_than_microsofts_is_a_cip_mismatch() {
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("2603:10b6:8:3c::/64").unwrap();
    let o = TraceOptions {
        trust,
        infer_trust: false,
        now: NOW,
        ..Default::default()
    };
    let r = spamtrace::trace(&read("17-m365-phish-untrusted.eml"), &o);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "VENDOR_CIP_MISMATCH")
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.evidence["cip"], "40.107.22.57");
    assert_eq!(f.evidence["cip_hop"], 3);
    assert_ne!(f.evidence["first_untrusted_relay"], "40.107.22.57");
}

#[test]
fn thousands_of_vendor_headers_stay_bounded() {
    let mut raw = read("18-planted-scl.eml");
    let mut header = Vec::new();
    for i in 0..5000 {
        header.extend_from_slice(
            format!("X-Spam-Status: No, score=-{i}.0 required=5.0 tests=\u{202e}X{i}\r\n")
                .as_bytes(),
        );
        header.extend_from_slice(b"Authentication-Results: x; spf=pass\r\n");
    }
    header.extend_from_slice(&raw.header);
    raw.header = header;
    let r = spamtrace::trace(&raw, &opts());
    assert!(
        r.vendor_verdicts.len() <= 120,
        "{}",
        r.vendor_verdicts.len()
    );
    let untrusted = r
        .findings
        .iter()
        .filter(|f| f.code == "VENDOR_VERDICT_UNTRUSTED")
        .count();
    assert!(untrusted <= 10);
    let json = serde_json::to_string(&r.vendor_verdicts).unwrap();
    assert!(
        !json.contains('\u{202e}'),
        "a bidi control reached the report"
    );
}

/// A content filter (SpamAssassin behind Postfix, re-injected on loopback)
/// appends its fields below every Received header: the last copy is its,
/// an earlier one came with the message.
#[test]
fn a_content_filter_vouches_for_the_last_appended_copy() {
    let header = "Received: from mail.example.org (localhost [127.0.0.1])\r\n\tby mail.example.org (Postfix) with ESMTP id 5ECE16CCE50\r\n\tfor <carol@example.org>; Fri, 26 Aug 2005 16:40:01 -0400 (EDT)\r\n\
Received: from smtp.shop-example.com (smtp.shop-example.com [185.99.133.7])\r\n\tby mail.example.org (Postfix) with ESMTP id 1B2C3D4E5F\r\n\tfor <carol@example.org>; Fri, 26 Aug 2005 16:39:58 -0400 (EDT)\r\n\
From: <billing@shop-example.com>\r\nTo: carol@example.org\r\nSubject: invoice\r\nDate: Fri, 26 Aug 2005 20:39:50 +0000\r\nMessage-ID: <1@smtp.shop-example.com>\r\n\
X-Spam-Status: No, score=-9.0 required=5.0 tests=ALL_TRUSTED\r\n\
X-Spam-Status: Yes, score=8.3 required=5.0 tests=BAYES_99,RDNS_NONE\r\n";
    let mut msg = read("18-planted-scl.eml");
    msg.header = header.as_bytes().to_vec();
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("mail.example.org").unwrap();
    let o = TraceOptions {
        trust,
        infer_trust: false,
        now: NOW,
        ..Default::default()
    };
    let r = spamtrace::trace(&msg, &o);
    assert_eq!(r.trust_boundary, Some(1), "{:#?}", r.hops);
    let s: Vec<&VendorVerdict> = r
        .vendor_verdicts
        .iter()
        .filter(|v| v.header == "x-spam-status")
        .collect();
    assert_eq!(s.len(), 2);
    assert!(!s[0].trusted, "the planted copy above the filter's");
    assert!(s[1].trusted);
    assert_eq!(s[1].placed_by, "content_filter");
    assert_eq!(s[1].hop, Some(0));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "VENDOR_VERDICT_UNTRUSTED")
        .expect("the planted copy");
    assert_eq!(f.severity, Severity::Forged, "same product, contradicted");
}
