//! Right verdicts on today's mail (issue 14): who "we" are (the user's
//! servers or the mailbox provider), accounts at freemail providers,
//! mailing lists, client-IP headers by who wrote them, and what DNS
//! confirmed. On testdata/verdicts/, offline.

use spamtrace::chain::trust::TrustConfig;
use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions, RawMessage};
use spamtrace::model::{OwnerKind, Report};
use spamtrace::report::render::{arf, complaint, table};

const NOW: i64 = 1_715_700_000;

fn load(name: &str) -> RawMessage {
    let path = format!("{}/testdata/verdicts/{name}", env!("CARGO_MANIFEST_DIR"));
    input::open(&path, &InputOptions::default())
        .next()
        .expect("one message")
        .expect("readable")
}

fn trace_with(name: &str, trust: TrustConfig) -> (RawMessage, Report) {
    let msg = load(name);
    let opts = TraceOptions {
        trust,
        infer_trust: true,
        now: NOW,
        ..Default::default()
    };
    let r = spamtrace::trace(&msg, &opts);
    (msg, r)
}

fn trace(name: &str) -> (RawMessage, Report) {
    trace_with(name, TrustConfig::default())
}

fn opts() -> complaint::ComplaintOptions {
    complaint::ComplaintOptions {
        reporter: Some("me@example.org".into()),
        now: NOW,
        ..Default::default()
    }
}

/// No sentence may claim the provider's servers are the reporter's.
fn assert_no_our_server(text: &str) {
    for bad in [
        "Our mail server",
        "our mail server",
        "a server we run",
        "(our server)",
        "our receiving server",
        "We trust",
    ] {
        assert!(!text.contains(bad), "{bad:?} in:\n{text}");
    }
}

#[test]
fn m365_hosted_recipient_speaks_of_microsoft_365() {
    let (msg, r) = trace("m365-recipient.eml");
    let o = r.owner.as_ref().expect("an owner");
    assert_eq!(o.kind, OwnerKind::Provider);
    assert_eq!(o.name, "Microsoft 365");
    let text = complaint::render(&r, &msg, &opts());
    assert_no_our_server(&text);
    assert!(
        text.contains("Microsoft 365, which hosts the recipient's mailbox,\nrecorded that its server bn2pepf000044a5.mail.protection.outlook.com accepted it"),
        "{text}"
    );
    assert!(text.contains("(Microsoft 365, the recipient's mailbox provider)"));
    assert!(
        r.verdict
            .contains("(Microsoft 365, which hosts the recipient's mailbox)"),
        "{}",
        r.verdict
    );
    // X-Sender-IP is what Microsoft's receiver saw: the relay, not a client.
    assert!(r.origin_candidates.is_empty(), "{:?}", r.origin_candidates);
    assert!(!r.has("WEBMAIL_ORIGIN"));
    // The ARF: same sentences, and no Reporting-MTA of Microsoft's.
    let arf = String::from_utf8(arf::render(&r, &msg, &opts())).unwrap();
    assert_no_our_server(&arf);
    assert!(!arf.contains("Reporting-MTA"), "{arf}");
    // The table names the owner.
    let t = table::render(
        &r,
        table::TableStyle {
            color: false,
            width: Some(100),
        },
    );
    assert!(
        t.contains("Microsoft 365, which hosts the recipient's mailbox"),
        "{t}"
    );
}

#[test]
fn gmail_hosted_recipient_speaks_of_gmail() {
    let (msg, r) = trace("gmail-recipient.eml");
    let o = r.owner.as_ref().expect("an owner");
    assert_eq!((o.kind, o.name.as_str()), (OwnerKind::Provider, "Gmail"));
    let text = complaint::render(&r, &msg, &opts());
    assert_no_our_server(&text);
    assert!(
        text.contains("Gmail, which hosts the recipient's mailbox,\nrecorded that its server mx.google.com accepted it"),
        "{text}"
    );
    assert!(text.contains("a server of Gmail, which hosts the recipient's mailbox"));
}

#[test]
fn own_servers_speak_as_we_or_by_the_configured_name() {
    let (msg, r) = trace("gmail-esmtpsa-reply-to.eml");
    assert_eq!(r.owner.as_ref().unwrap().kind, OwnerKind::Own);
    let text = complaint::render(&r, &msg, &opts());
    assert!(text.contains("Our mail server mx1.northfield-college.edu accepted it"));
    let trust = TrustConfig {
        we: Some("Northfield College".into()),
        ..Default::default()
    };
    let (msg, r) = trace_with("gmail-esmtpsa-reply-to.eml", trust);
    let o = r.owner.as_ref().unwrap();
    assert!(o.configured);
    let text = complaint::render(&r, &msg, &opts());
    assert!(
        text.contains("Northfield College's mail server mx1.northfield-college.edu accepted it"),
        "{text}"
    );
    assert!(!text.contains("Our mail server"));
}

#[test]
fn gmail_esmtpsa_sender_and_reply_to_accounts() {
    let (msg, r) = trace("gmail-esmtpsa-reply-to.eml");
    let sender = r
        .accounts
        .iter()
        .find(|a| a.role == "sender")
        .expect("the sending account");
    assert_eq!(sender.address, "dr.helen.mabry1961@gmail.com");
    assert_eq!(sender.provider, "Gmail");
    assert_eq!(sender.evidence, "dkim_pass");
    let c = sender.contact.as_ref().expect("Gmail's account desk");
    assert_eq!(c.kind, "web_form");
    assert!(c.source.contains("Google"));
    let reply = r
        .accounts
        .iter()
        .find(|a| a.role == "reply_to")
        .expect("the Reply-To account");
    assert_eq!(reply.address, "grants.office.claims@outlook.com");
    assert_eq!(
        reply.contact.as_ref().map(|c| c.address.as_str()),
        Some("abuse@outlook.com")
    );
    let text = complaint::render(&r, &msg, &opts());
    assert!(
        text.contains("sent from the Gmail account dr.helen.mabry1961@gmail.com"),
        "{text}"
    );
    assert!(text.contains("replies to the Outlook.com account grants.office.claims@outlook.com"));
    assert!(r
        .verdict
        .contains("sent from the Gmail account dr.helen.mabry1961@gmail.com"));
}

#[test]
fn no_account_without_a_trusted_dkim_pass_or_a_recorded_sender() {
    // The same message with the Authentication-Results removed: a From at
    // gmail.com alone names no account.
    let msg = load("gmail-esmtpsa-reply-to.eml");
    let text = String::from_utf8_lossy(&msg.header).into_owned();
    let start = text.find("Authentication-Results:").unwrap();
    let end = start + text[start..].find("\nReceived:").unwrap() + 1;
    let stripped = format!("{}{}", &text[..start], &text[end..]);
    let msg = RawMessage {
        header: stripped.into_bytes(),
        ..msg
    };
    let r = spamtrace::trace(
        &msg,
        &TraceOptions {
            infer_trust: true,
            now: NOW,
            ..Default::default()
        },
    );
    assert!(
        !r.accounts.iter().any(|a| a.role == "sender"),
        "{:?}",
        r.accounts
    );
}

#[test]
fn debian_list_post_is_no_complaint_against_the_list() {
    let (msg, r) = trace("debian-list.eml");
    assert_eq!(r.distribution.len(), 1, "{:?}", r.distribution);
    assert_eq!(r.distribution[0].kind, "mailing_list");
    assert!(
        r.verdict
            .contains("a mailing list (<debian-user.lists.debian.org>) re-sent it"),
        "{}",
        r.verdict
    );
    let text = complaint::render(&r, &msg, &opts());
    assert!(!text.contains("Spam from"), "{text}");
    assert!(text.starts_with(
        "Subject: Mailing-list post (<debian-user.lists.debian.org>) relayed by 70.103.162.31"
    ));
    assert!(text.contains("This is not a complaint against the list."));
    assert!(!text.contains("an address you are responsible for"));
    assert!(complaint::addressed(&r, &opts()).is_empty());
    // --force writes the complaint, and still says what the list did.
    let forced = complaint::ComplaintOptions {
        force: true,
        ..opts()
    };
    let text = complaint::render(&r, &msg, &forced);
    assert!(text.contains("an address you are responsible for"));
    assert!(text.contains("is the list's server"));
}

#[test]
fn dns_confirmed_names_are_shown_and_claims_said() {
    use spamtrace::model::{HopDns, HopVerdict, MessageDns};
    let (_, mut r) = trace("m365-recipient.eml");
    let hop = r.first_untrusted_relay.as_ref().unwrap().hop;
    let ip = r.first_untrusted_relay.as_ref().unwrap().ip.unwrap();
    let hd: HopDns = serde_json::from_value(serde_json::json!({
        "hop": hop, "ip": ip.to_string(), "verdict": "confirmed", "ptr": "found",
        "ptr_names": ["mta7.billing-notice-center.com"],
        "fcrdns_name": "mta7.billing-notice-center.com", "fcrdns_failed": [],
        "helo": null, "recorded_rdns": null, "rdns_matches_ptr": null, "unknown": []
    }))
    .expect("a HopDns");
    assert_eq!(hd.verdict, HopVerdict::Confirmed);
    r.dns = Some(MessageDns {
        hops: vec![hd],
        ..serde_json::from_value(serde_json::json!({"hops": [], "links": [], "answers": []}))
            .expect("an empty MessageDns")
    });
    let t = table::render(
        &r,
        table::TableStyle {
            color: false,
            width: Some(200),
        },
    );
    assert!(
        t.contains("rDNS mta7.billing-notice-center.com (from DNS, confirmed), HELO mail.billing-notice-center.com (a claim)"),
        "{t}"
    );
}

fn inline(text: &str, trust: TrustConfig) -> (RawMessage, Report) {
    let header = text.split("\r\n\r\n").next().unwrap_or(text);
    let msg = RawMessage {
        header: header.as_bytes().to_vec(),
        ..load("debian-list.eml")
    };
    let r = spamtrace::trace(
        &msg,
        &TraceOptions {
            trust,
            infer_trust: true,
            now: NOW,
            ..Default::default()
        },
    );
    (msg, r)
}

#[test]
fn own_server_forwarding_into_a_hosted_mailbox_is_mixed() {
    let text = "Delivered-To: kim@gmail.com\r\n\
Received: from mx.example.org (mx.example.org [93.184.216.34])\r\n        by mx.google.com with ESMTPS id x1si1; Tue, 14 May 2024 02:10:12 -0700 (PDT)\r\n\
Return-Path: <SRS0=AbCd=MT=promo-blast-offers.com=news@example.org>\r\n\
Received: from mail.promo-blast-offers.com (mail.promo-blast-offers.com [91.92.245.17])\r\n        by mx.example.org (Postfix) with ESMTP id 4F1E2D; Tue, 14 May 2024 09:10:10 +0000 (UTC)\r\n\
From: news@promo-blast-offers.com\r\nTo: kim@example.org\r\nSubject: deals\r\nMessage-ID: <a1@promo-blast-offers.com>\r\nDate: Tue, 14 May 2024 09:10:05 +0000\r\n\r\nbody\r\n";
    let mut trust = TrustConfig::default();
    trust.add("example.org").unwrap();
    trust.add("93.184.216.34").unwrap();
    let (msg, r) = inline(text, trust);
    let o = r.owner.as_ref().expect("an owner");
    assert_eq!(o.kind, OwnerKind::Mixed, "{o:?}");
    assert_eq!(o.provider.as_deref(), Some("Gmail"));
    // The relay was seen by the user's own server: "we" is right there.
    let text = complaint::render(&r, &msg, &opts());
    assert!(
        text.contains("Our mail server mx.example.org accepted it"),
        "{text}"
    );
    // The user's own SRS rewrite is a forwarder's sign.
    assert!(
        r.distribution.iter().any(|d| d.kind == "forwarder"),
        "{:?}",
        r.distribution
    );
}

/// Over the labelled corpus: no complaint whose receiving server is a
/// mailbox provider's speaks of it as ours; how many owners of each kind,
/// accounts and list posts were found (printed).
#[test]
fn corpus_no_complaint_claims_a_providers_server() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        eprintln!("skipping: ../shared/corpus/MANIFEST.tsv not found");
        return;
    };
    // Receiver names of mailbox providers, written out here so the test
    // does not lean on the table it checks.
    const PROVIDER_SUFFIXES: &[&str] = &[
        ".outlook.com",
        ".office365.com",
        ".google.com",
        ".yahoo.com",
        ".icloud.com",
        ".messagingengine.com",
        ".protonmail.ch",
    ];
    let opts = TraceOptions {
        infer_trust: true,
        now: NOW,
        ..Default::default()
    };
    let mut kinds = std::collections::BTreeMap::new();
    let (mut provider_relays, mut accounts, mut reply_to, mut lists) = (0, 0, 0, 0);
    for line in manifest.lines().skip(1) {
        let Some(path) = line.split('\t').next() else {
            continue;
        };
        let full = root.join(path);
        for msg in input::open(&full.to_string_lossy(), &InputOptions::default()).flatten() {
            let r = spamtrace::trace(&msg, &opts);
            if let Some(o) = &r.owner {
                *kinds.entry(o.kind.as_str()).or_insert(0usize) += 1;
            }
            accounts += r.accounts.iter().filter(|a| a.role == "sender").count();
            reply_to += r.accounts.iter().filter(|a| a.role == "reply_to").count();
            lists += usize::from(complaint::is_list_post(&r));
            let Some(by) = r
                .first_untrusted_relay
                .as_ref()
                .and_then(|x| x.received_by.clone())
            else {
                continue;
            };
            if !PROVIDER_SUFFIXES.iter().any(|s| by.ends_with(s)) {
                continue;
            }
            provider_relays += 1;
            let text = complaint::summary(&r);
            assert_no_our_server(&text);
        }
    }
    println!(
        "owners by kind: {kinds:?}; complaints whose relay was seen by a provider's server: {provider_relays} (none says \"our\"); sender accounts: {accounts}; Reply-To accounts: {reply_to}; list posts: {lists}"
    );
    assert!(provider_relays > 0);
}

#[test]
fn list_headers_alone_from_an_unrelated_relay_make_no_list() {
    // Phishing dressed as a newsletter: a List-Id, but no list software and
    // no list domain on the relay or the envelope. The complaint stays one.
    let text = "Received: from vps-51-77.hostbox-cloud.net (vps-51-77.hostbox-cloud.net [45.95.51.77])\r\n\tby mx1.northfield-college.edu (Postfix) with ESMTP id 4VdQ; Tue, 14 May 2024 11:20:03 +0200 (CEST)\r\n\
Return-Path: <bounce@hostbox-cloud.net>\r\n\
List-Id: Security Notices <notices.paypal.com>\r\n\
List-Unsubscribe: <mailto:unsub@hostbox-cloud.net>\r\n\
From: \"PayPal\" <service@secure-account-review.net>\r\nTo: staff@northfield-college.edu\r\nSubject: Your account\r\nMessage-ID: <x1@secure-account-review.net>\r\nDate: Tue, 14 May 2024 09:20:01 +0000\r\n\r\n";
    let (msg, r) = inline(text, TrustConfig::default());
    assert!(r.distribution.is_empty(), "{:?}", r.distribution);
    let text = complaint::render(&r, &msg, &opts());
    assert!(text.contains("Subject: Spam from 45.95.51.77"), "{text}");
}

#[test]
fn cli_complain_force_and_we() {
    let bin = env!("CARGO_BIN_EXE_spamtrace");
    let path = format!(
        "{}/testdata/verdicts/debian-list.eml",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(bin)
            .args(["complain", "--offline"])
            .args(extra)
            .arg(&path)
            .env("XDG_CONFIG_HOME", dir.path())
            .env("HOME", dir.path())
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A list post is addressed to nobody: with no --to, nothing is written
    // and stderr says why and what to do.
    let (code, out, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("mailing list") && err.contains("--force"),
        "{err}"
    );
    // With a recipient the user chose, it says what the list did.
    let (code, out, err) = run(&["--to", "listmaster@example.org"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("Subject: Abuse report: Mailing-list post"),
        "{out}"
    );
    assert!(
        out.contains("This is not a complaint against the list."),
        "{out}"
    );
    let (code, out, err) = run(&[
        "--force",
        "--we",
        "Example Home",
        "--to",
        "abuse@example.net",
    ]);
    assert_eq!(code, Some(0), "{err}");
    // Forced: addressed as a complaint, still saying what the list did.
    assert!(out.contains("an address you are responsible for"), "{out}");
    assert!(out.contains("is the list's server"), "{out}");
    assert!(
        out.contains("Example Home's mail server mail.example-home.net accepted it"),
        "{out}"
    );
}

#[test]
fn a_configured_name_does_not_make_a_providers_server_ours() {
    let trust = TrustConfig {
        we: Some("Contoso Traders".into()),
        ..Default::default()
    };
    let (msg, r) = trace_with("m365-recipient.eml", trust);
    let o = r.owner.as_ref().unwrap();
    assert_eq!(
        (o.kind, o.name.as_str()),
        (OwnerKind::Provider, "Microsoft 365")
    );
    let text = complaint::render(&r, &msg, &opts());
    assert_no_our_server(&text);
    assert!(!text.contains("Contoso Traders's mail server"), "{text}");
}
