//! Custody and origins on testdata/custody/: provider internals (a Gmail
//! ESMTPSA sender seen by a Microsoft 365 mailbox), webmail over HTTP(S)
//! (Horde, SquirrelMail behind a proxy), a qmail chain with its notes and
//! loopback reinjection, and ratware templates below a hop that recorded
//! only an address. Also `--trusted` spellings and the MSA rule.

use spamtrace::chain::trust::TrustConfig;
use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::{Code, LinkStatus, Report, Severity};
use std::path::PathBuf;
use std::process::Command;

fn path(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn reports(name: &str, trusted: &[&str]) -> Vec<Report> {
    let mut trust = TrustConfig::default();
    for t in trusted {
        trust.add(t).unwrap();
    }
    let opts = TraceOptions {
        trust,
        infer_trust: true,
        now: 1_757_930_400, // 2025-09-15T10:00:00Z
        ..Default::default()
    };
    input::open(&path(name), &InputOptions::default())
        .map(|m| spamtrace::trace(&m.expect("message"), &opts))
        .collect()
}

fn one(name: &str) -> Report {
    let mut all = reports(name, &[]);
    assert_eq!(all.len(), 1, "{name}");
    all.remove(0)
}

fn origin(r: &Report) -> (usize, String) {
    let o = r.probable_origin.as_ref().expect("a probable origin");
    (o.hop, o.ip.map(|i| i.to_string()).unwrap_or_default())
}

fn breaks(r: &Report) -> Vec<(usize, Severity, String)> {
    r.findings
        .iter()
        .filter(|f| f.code == Code::ChainBreak)
        .map(|f| (f.hop.unwrap_or(usize::MAX), f.severity, f.message.clone()))
        .collect()
}

#[test]
fn gmail_submission_through_google_and_microsoft_internals() {
    let r = one("custody/gmail-esmtpsa-sender.eml");
    // Microsoft's internal hops are trusted by inference; Google's outbound
    // relay is the first untrusted one; its local hop and the ESMTPSA hop
    // link down to the client address smtp.gmail.com recorded.
    let relay = r.first_untrusted_relay.as_ref().unwrap();
    assert_eq!(relay.ip.unwrap().to_string(), "209.85.128.51");
    assert_eq!(origin(&r), (5, "188.40.19.243".into()));
    assert!(r.hops[5].authenticated);
    assert!(breaks(&r).is_empty(), "{:?}", breaks(&r));
    let below: Vec<LinkStatus> = r.custody.iter().map(|c| c.status).collect();
    assert_eq!(below, [LinkStatus::Consistent, LinkStatus::Consistent]);
}

#[test]
fn horde_webmail_ends_the_chain_as_the_origin() {
    let r = one("custody/horde-webmail.eml");
    assert_eq!(origin(&r), (3, "92.72.118.41".into()));
    assert_eq!(r.hops[3].with.as_deref(), Some("HTTPS"));
    // The reinjection from the webmail host over loopback links.
    assert_eq!(r.custody[0].status, LinkStatus::Consistent);
    assert!(breaks(&r).is_empty(), "{:?}", breaks(&r));
}

#[test]
fn qmail_notes_and_loopback_reinjection_link() {
    let r = one("custody/qmail-chain.eml");
    assert_eq!(origin(&r), (5, "62.75.180.33".into()));
    assert_eq!(
        r.hops[5].from.helo.as_deref(),
        Some("shop.millbrook-crafts.com")
    );
    let statuses: Vec<LinkStatus> = r.custody.iter().map(|c| c.status).collect();
    assert!(
        statuses.iter().all(|s| *s == LinkStatus::Consistent),
        "{:?}",
        r.custody
    );
    assert!(r.custody[0].reason.contains("note"), "{:?}", r.custody[0]);
    assert!(
        r.custody[1].reason.contains("loopback"),
        "{:?}",
        r.custody[1]
    );
    assert!(breaks(&r).is_empty());
}

#[test]
fn squirrelmail_behind_a_proxy() {
    let r = one("custody/squirrelmail-proxy.eml");
    let web = &r.hops[3];
    assert_eq!(web.from.ip.unwrap().to_string(), "194.237.142.13");
    assert_eq!(web.from.rdns, None, "`proxying` is no rDNS name");
    assert_eq!(web.from.forwarded_for.unwrap().to_string(), "10.20.7.41");
    assert_eq!(origin(&r), (3, "194.237.142.13".into()));
    assert!(breaks(&r).is_empty());
}

#[test]
fn ratware_templates_below_an_address_only_hop_break_custody() {
    let all = reports("custody/forged-templates.mbox", &[]);
    // (why, severity): what no mail server writes is `forged`; the rest a
    // claim that does not connect (`warn`).
    let want = [
        (
            "greeted as 198.51.100.7, not as a host name",
            Severity::Warn,
        ),
        (
            "named only by the address 37.120.1.9, which the upper hop never saw",
            Severity::Warn,
        ),
        ("names no receiving host", Severity::Forged),
        ("224.0.0.251 is a multicast address", Severity::Forged),
        ("dated 2d 23h after the one above", Severity::Warn),
    ];
    assert_eq!(all.len(), want.len());
    for (r, (why, severity)) in all.iter().zip(want) {
        let subject = r.message.subject.clone().unwrap_or_default();
        let b = breaks(r);
        assert!(
            b.iter()
                .any(|(hop, s, m)| *hop == 2 && *s == severity && m.contains(why)),
            "{subject}: want a {severity:?} break at hop 2 saying {why:?}, got {b:?}"
        );
        // The origin stays the relay our server saw.
        assert_eq!(origin(r), (1, "89.248.165.47".into()), "{subject}");
        assert_eq!(r.custody[0].status, LinkStatus::Broken, "{subject}");
    }
}

#[test]
fn authenticated_submission_to_a_trusted_server_is_the_users_own() {
    // Without trust configured the client is the first untrusted relay.
    let r = one("12-auth-submission.eml");
    assert_eq!(
        r.first_untrusted_relay.unwrap().ip.unwrap().to_string(),
        "77.23.145.9"
    );
    // With the server configured as ours, SpamAssassin's MSA rule: the
    // authenticated client is our user; nobody outside to trace.
    let r = reports("12-auth-submission.eml", &["mail.larchmont-coop.org"]).remove(0);
    assert!(r.first_untrusted_relay.is_none());
    assert!(r.probable_origin.is_none());
    assert!(
        r.trust_steps[0]
            .reason
            .contains("authenticated to a trusted server"),
        "{:?}",
        r.trust_steps
    );
}

#[test]
fn trusted_takes_single_labels_and_wildcards() {
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args([
            "trace",
            "--offline",
            "--json",
            "--trusted",
            "localhost",
            "--trusted",
            "jalapeno",
            "--trusted",
            "*.quarrybank.org",
            "--trusted",
            ".harbourtown.net",
            &path("custody/forged-templates.mbox"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // `*.quarrybank.org` trusts mx.quarrybank.org: the boundary is hop 1.
    assert_eq!(reports[0]["trust_boundary"], 1);
    let bad = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--offline", "--trusted", "*.", "-"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_header_block_pasted_with_indentation_is_read() {
    use std::io::Write;
    let pasted = b"    Received: from mail.example.net (mail.example.net [81.169.145.92])\n    \tby mx.example.org (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000\n    Subject: pasted\n    From: a@example.net\n\nbody\n";
    let mut child = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--offline", "--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(pasted).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = if r.is_array() { r[0].clone() } else { r };
    assert_eq!(r["hops"][0]["from"]["ip"], "81.169.145.92");
    assert_eq!(r["hops"][0]["by"], "mx.example.org");
}
