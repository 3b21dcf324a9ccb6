//! DMARC, ARC and who owns each hop, against a real DNS server on
//! 127.0.0.1 (tests/support) serving fixture zones: Team Cymru-shaped
//! IP-to-ASN answers recorded and replayed; DMARC pass / fail with p= /
//! a provider's p=none / "unknown today" when an aligned key is gone; an
//! ARC-sealed forward through a mailing list (testdata/17-arc-list-forward.eml,
//! keys in testdata/17-arc-list-forward.zone), intact, tampered, and with
//! the sealer's key gone.

mod support;

use spamtrace::chain::TraceOptions;
use spamtrace::enrich::dns::{AsnZones, DnsClient, DnsEnricher, DnsOptions, LiveConfig, Recording};
use spamtrace::enrich::Enricher;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::model::{Report, Severity};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use support::dns_server;

fn options() -> TraceOptions {
    let mut opts = TraceOptions {
        now: 1_795_000_000,
        ..TraceOptions::default()
    };
    opts.trust.add("93.184.216.0/24").unwrap();
    opts.trust.add("mx1.recipient-site.org").unwrap();
    opts
}

fn live(server: SocketAddr) -> DnsClient {
    DnsClient::live(&LiveConfig {
        servers: vec![server],
        timeout: Duration::from_millis(2000),
        concurrency: 16,
    })
    .unwrap()
}

fn trace_with(text: &str, client: DnsClient, asn: bool) -> Vec<Report> {
    let opts = options();
    let input = InputOptions {
        keep_body: true,
        ..InputOptions::default()
    };
    let reader = MessageReader::new(text.as_bytes(), "test", input);
    let mut batch: Vec<_> = reader
        .map(|m| spamtrace::walk(m.expect("message reads"), &opts))
        .collect();
    let mut enricher = DnsEnricher::new(
        client,
        DnsOptions {
            asn: asn.then(AsnZones::default),
            ..DnsOptions::default()
        },
    )
    .unwrap();
    enricher.enrich(&mut batch);
    batch
        .into_iter()
        .map(|t| spamtrace::build(t, &opts))
        .collect()
}

fn testdata(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn finding<'a>(r: &'a Report, code: &str) -> Option<&'a spamtrace::model::Finding> {
    r.findings.iter().find(|f| f.code == code)
}

/// One message from `ip` (HELO/rDNS `name`) to our mx1.
fn message(ip: &str, name: &str, return_path: &str, from: &str, extra: &str) -> String {
    format!(
        "Received: from {name} ({name} [{ip}])\r\n\
         \tby mx1.recipient-site.org (Postfix) with ESMTPS id 4ABC\r\n\
         \tfor <bob@recipient-site.org>; Tue, 24 Nov 2026 09:14:07 +0000\r\n\
         Return-Path: <{return_path}>\r\n\
         {extra}\
         From: Alice <{from}>\r\n\
         To: bob@recipient-site.org\r\n\
         Subject: hello\r\n\
         Date: Tue, 24 Nov 2026 09:14:01 +0000\r\n\
         Message-ID: <1.2@{name}>\r\n\
         \r\n\
         Hello.\r\n"
    )
}

#[test]
fn asn_over_dns_is_recorded_replayed_and_shown() {
    let zone = "20.1.1.5.origin.asn.cymru.com. TXT \"64500 | 5.1.1.0/24 | NL | ripencc | 2001-01-01\"\n\
                as64500.asn.cymru.com. TXT \"64500 | NL | ripencc | 2001-01-01 | Example Net, NL\"\n\
                1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.f.4.0.1.0.a.2.origin6.asn.cymru.com. TXT \"64501 | 2a01:4f8::/32 | DE | ripencc | 2005-12-20\"\n\
                as64501.asn.cymru.com. TXT \"64501 | DE | ripencc | 2005-12-20 | SIX-NET Six Net, DE\"\n";
    let (addr, server) = dns_server::start(zone);
    // Three public hops: the relay (known), one deeper (not announced),
    // an IPv6 one (nibbles under origin6).
    let text =         "Received: from relay.sender-mail.com (relay.sender-mail.com [5.1.1.20])\r\n\
         \tby mx1.recipient-site.org (Postfix) with ESMTP id 4ABC; Tue, 24 Nov 2026 09:14:07 +0000\r\n\
         Received: from pc.sender-mail.com ([81.2.69.142])\r\n\
         \tby relay.sender-mail.com (Postfix) with ESMTP id 1; Tue, 24 Nov 2026 09:14:05 +0000\r\n\
         Received: from six.sender-mail.com ([IPv6:2a01:4f8::1])\r\n\
         \tby pc.sender-mail.com (Postfix) with ESMTP id 2; Tue, 24 Nov 2026 09:14:04 +0000\r\n\
         From: a@sender-mail.com\r\nTo: b@recipient-site.org\r\nSubject: x\r\n\
         Date: Tue, 24 Nov 2026 09:14:01 +0000\r\nMessage-ID: <1@sender-mail.com>\r\n\r\nHi.\r\n";
    let r = trace_with(text, live(addr), true).remove(0);
    assert_eq!(r.asn.len(), 2, "{:?}", r.asn);
    let a = &r.asn[0];
    assert_eq!(r.asn[1].hop, 2);
    assert_eq!(
        r.asn[1].label().as_deref(),
        Some("AS64501 SIX-NET Six Net, DE")
    );
    assert_eq!(a.hop, 0);
    assert_eq!(a.label().as_deref(), Some("AS64500 Example Net, NL"));
    assert_eq!(a.prefix.as_deref(), Some("5.1.1.0/24"));
    let asked = server.questions();
    assert!(
        asked.contains(&"TXT 20.1.1.5.origin.asn.cymru.com".to_string())
            && asked.contains(&"TXT 142.69.2.81.origin.asn.cymru.com".to_string())
            && asked.contains(&"TXT as64500.asn.cymru.com".to_string()),
        "{asked:?}"
    );
    // JSON carries it; the answers are evidence a replay reads back.
    let json = serde_json::to_string(&r).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["asn"][0]["asn"], 64500);
    assert_eq!(v["asn"][0]["source"], "dns");
    server.stop();
    let replayed = trace_with(
        text,
        DnsClient::replay(Recording::parse(&json).unwrap()),
        true,
    )
    .remove(0);
    assert_eq!(replayed.asn, r.asn);
    // The table shows it in the hop's sender cell.
    let table = spamtrace::report::render::table::render(
        &r,
        spamtrace::report::render::table::TableStyle {
            color: false,
            width: Some(140),
        },
    );
    assert!(table.contains("AS64500 Example Net, NL"), "{table}");
    // The complaint names the relay's network in one phrase.
    let complaint = spamtrace::report::render::complaint::summary(&r);
    assert!(
        complaint.contains("Network:          AS64500 Example Net, NL"),
        "{complaint}"
    );
    // Without --asn nothing is asked.
    let (addr, server) = dns_server::start(zone);
    let r = trace_with(text, live(addr), false).remove(0);
    assert!(r.asn.is_empty());
    assert!(!server.questions().iter().any(|q| q.contains("cymru")));
}

/// `msg` with a DKIM-Signature d=sender-mail.com s=rotated2019, made with
/// a key that is published nowhere (rotated away).
fn signed(msg: &str) -> String {
    use mail_auth::common::crypto::Ed25519Key;
    use mail_auth::common::headers::HeaderWriter;
    let key = Ed25519Key::from_pkcs8_der(&Ed25519Key::generate_pkcs8().unwrap()).unwrap();
    let sig = mail_auth::dkim::DkimSigner::from_key(key)
        .domain("sender-mail.com")
        .selector("rotated2019")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(msg.as_bytes())
        .unwrap();
    // Below our Received header, as the author's server added it.
    let (top, rest) = msg.split_once("Return-Path:").unwrap();
    format!("{top}{}Return-Path:{rest}", sig.to_header())
}

#[test]
fn dmarc_pass_fail_provider_and_unknown_today() {
    let zone = "sender-mail.com. TXT \"v=spf1 ip4:5.1.1.20 -all\"\n\
                sender-mail.com. MX 10 relay.sender-mail.com.\n\
                _dmarc.sender-mail.com. TXT \"v=DMARC1; p=reject\"\n\
                bulk-sender.net. TXT \"v=spf1 ip4:5.1.1.0/24 -all\"\n\
                bulk-sender.net. MX 10 mx.bulk-sender.net.\n\
                _dmarc.bank-example.com. TXT \"v=DMARC1; p=quarantine; rua=mailto:d@bank-example.com\"\n\
                _dmarc.gmail.com. TXT \"v=DMARC1; p=none; sp=quarantine\"\n";
    let (addr, _server) = dns_server::start(zone);
    let mbox: String = [
        // SPF passes for sender-mail.com, aligned with From.
        message(
            "5.1.1.20",
            "relay.sender-mail.com",
            "alice@sender-mail.com",
            "alice@sender-mail.com",
            "",
        ),
        // SPF passes for bulk-sender.net, From is bank-example.com (p=quarantine).
        message(
            "5.1.1.21",
            "out.bulk-sender.net",
            "b@bulk-sender.net",
            "security@bank-example.com",
            "",
        ),
        // A provider's domain with p=none, sent from elsewhere.
        message(
            "5.1.1.22",
            "out.bulk-sender.net",
            "b@bulk-sender.net",
            "someone@gmail.com",
            "",
        ),
        // An aligned signature whose key is gone today: unknown, never fail.
        signed(&message(
            "5.1.1.23",
            "out.bulk-sender.net",
            "b@bulk-sender.net",
            "alice@sender-mail.com",
            "",
        )),
    ]
    .iter()
    .map(|m| format!("From MAILER-DAEMON Thu Nov 26 05:00:00 2026\r\n{m}\r\n"))
    .collect();
    let r = trace_with(&mbox, live(addr), false);
    let d = |i: usize| r[i].dns.as_ref().unwrap().auth.dmarc.clone().unwrap();
    assert_eq!(d(0).result.as_str(), "pass");
    assert_eq!(d(0).policy.as_deref(), Some("reject"));
    assert!(finding(&r[0], "DMARC_FAIL").is_none());

    assert_eq!(d(1).result.as_str(), "fail");
    assert_eq!(d(1).policy.as_deref(), Some("quarantine"));
    let f = finding(&r[1], "DMARC_FAIL").expect("DMARC_FAIL");
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.message.contains("p=quarantine"), "{}", f.message);

    assert_eq!(d(2).result.as_str(), "fail");
    assert_eq!(d(2).policy.as_deref(), Some("none"));
    assert!(
        finding(&r[2], "DMARC_NONE").is_some(),
        "{:?}",
        r[2].findings
    );
    assert!(finding(&r[2], "DMARC_FAIL").is_none());

    assert_eq!(d(3).result.as_str(), "unknown_today", "{:?}", d(3));
    assert!(d(3).why.as_deref().unwrap_or("").contains("rotated2019"));
    assert!(finding(&r[3], "DMARC_FAIL").is_none());
    // The questions and answers are in the evidence.
    assert!(r[1]
        .dns
        .as_ref()
        .unwrap()
        .answers
        .iter()
        .any(|a| a.question.name == "_dmarc.bank-example.com"));
}

/// The ARC fixture's zone (keys and records), from testdata.
fn arc_zone() -> String {
    testdata("17-arc-list-forward.zone")
}

#[test]
fn arc_sealed_list_forward_explains_the_spf_fail() {
    let msg = testdata("17-arc-list-forward.eml");
    let (addr, _server) = dns_server::start(&arc_zone());
    let r = trace_with(&msg, live(addr), false).remove(0);
    let dns = r.dns.as_ref().unwrap();
    let arc = dns.auth.arc.as_ref().expect("ARC checked");
    assert_eq!(serde_json::to_value(arc.result).unwrap(), "pass", "{arc:?}");
    assert_eq!(arc.instances.len(), 1);
    assert_eq!(arc.instances[0].sealer, "example-list.org");
    assert_eq!(arc.instances[0].cv, "none");
    assert_eq!(
        arc.instances[0].authserv_id.as_deref(),
        Some("lists.example-list.org")
    );
    assert!(arc.instances[0]
        .results
        .contains(&("spf".to_string(), "pass".to_string())));
    // SPF fails for the list's address; DMARC fails, explained by ARC.
    assert_eq!(dns.auth.spf.as_ref().unwrap().result.as_str(), "fail");
    assert_eq!(dns.auth.dmarc.as_ref().unwrap().result.as_str(), "fail");
    let f = finding(&r, "DMARC_FAIL").expect("DMARC_FAIL");
    assert_eq!(f.severity, Severity::Info, "{}", f.message);
    assert!(f.message.contains("example-list.org"), "{}", f.message);
    let spf = finding(&r, "ENVELOPE_SPF").expect("ENVELOPE_SPF");
    assert_eq!(spf.severity, Severity::Info, "{}", spf.message);
    assert!(
        spf.message
            .contains("explained: forwarded by example-list.org"),
        "{}",
        spf.message
    );
    assert_eq!(spf.evidence["arc_forwarder"], "example-list.org");
    let fwd = finding(&r, "ARC_FORWARDED").expect("ARC_FORWARDED");
    assert!(fwd.message.contains("spf=pass"), "{}", fwd.message);
    let table = spamtrace::report::render::table::render(
        &r,
        spamtrace::report::render::table::TableStyle {
            color: false,
            width: Some(200),
        },
    );
    assert!(
        table.contains("dmarc=fail (sender-mail.com, p=reject)")
            && table.contains("arc=pass (sealed by example-list.org)"),
        "{table}"
    );

    // Tampered after sealing: the chain is broken.
    let tampered = msg.replace("Saturday", "Sunday");
    assert_ne!(tampered, msg);
    let (addr, _server) = dns_server::start(&arc_zone());
    let r = trace_with(&tampered, live(addr), false).remove(0);
    let arc = r.dns.as_ref().unwrap().auth.arc.clone().unwrap();
    assert_eq!(serde_json::to_value(arc.result).unwrap(), "fail");
    assert!(finding(&r, "ARC_BROKEN").is_some());
    assert!(finding(&r, "ARC_FORWARDED").is_none());
    assert_eq!(finding(&r, "DMARC_FAIL").unwrap().severity, Severity::Warn);
    // (A List-Id makes ENVELOPE_SPF `info` already; the ARC note is ours.)
    assert!(!finding(&r, "ENVELOPE_SPF")
        .unwrap()
        .message
        .contains("explained"));

    // The sealer's key is gone today: unknown, never broken.
    let zone: String = arc_zone()
        .lines()
        .filter(|l| !l.starts_with("arc._domainkey.example-list.org."))
        .map(|l| format!("{l}\n"))
        .collect();
    let (addr, _server) = dns_server::start(&zone);
    let r = trace_with(&msg, live(addr), false).remove(0);
    let arc = r.dns.as_ref().unwrap().auth.arc.clone().unwrap();
    assert_eq!(serde_json::to_value(arc.result).unwrap(), "unknown_today");
    assert!(finding(&r, "ARC_BROKEN").is_none());
}

/// Writes testdata/17-arc-list-forward.{eml,zone} anew with fresh keys:
/// `cargo test --test authasn_dns -- --ignored regenerate`.
#[test]
#[ignore]
fn regenerate_arc_fixture() {
    use mail_auth::arc::ArcSealer;
    use mail_auth::common::crypto::Ed25519Key;
    use mail_auth::common::headers::HeaderWriter;
    use mail_auth::dkim::DkimSigner;
    use mail_auth::{
        ArcOutput, AuthenticatedMessage, AuthenticationResults, DmarcOutput, DmarcResult,
        SpfOutput, SpfResult,
    };
    let author_key = Ed25519Key::generate_pkcs8().unwrap();
    let list_key = Ed25519Key::generate_pkcs8().unwrap();
    let author = Ed25519Key::from_pkcs8_der(&author_key).unwrap();
    let list = Ed25519Key::from_pkcs8_der(&list_key).unwrap();
    let (author_pub, list_pub) = (author.public_key(), list.public_key());
    let original = "From: Alice Walker <alice@sender-mail.com>\r\n\
        To: hikers@example-list.org\r\n\
        Subject: Saturday route\r\n\
        Date: Tue, 24 Nov 2026 09:14:01 +0000\r\n\
        Message-ID: <20261124091401.5531@sender-mail.com>\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        Hi all,\r\n\
        \r\n\
        Saturday we take the ridge path from the car park at 8:30.\r\n\
        Bring water; the spring at the top is dry this month.\r\n\
        \r\n\
        Alice\r\n";
    let sig = DkimSigner::from_key(author)
        .domain("sender-mail.com")
        .selector("sel")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(original.as_bytes())
        .unwrap();
    // The list: its Received header, list headers, a footer (which breaks
    // the author's body hash), then its ARC set.
    let (head, body) = original.split_once("\r\n\r\n").unwrap();
    let at_list = format!(
        "Received: from relay.sender-mail.com (relay.sender-mail.com [5.1.1.20])\r\n\
         \tby lists.example-list.org (Postfix) with ESMTPS id 4B2C81E0009\r\n\
         \tfor <hikers@example-list.org>; Tue, 24 Nov 2026 09:14:05 +0000 (UTC)\r\n\
         {}{head}\r\n\
         List-Id: Hiking club <hikers.example-list.org>\r\n\
         List-Post: <mailto:hikers@example-list.org>\r\n\
         List-Unsubscribe: <mailto:hikers-leave@example-list.org>\r\n\
         Precedence: list\r\n\
         \r\n\
         {body}\
         -- \r\n\
         hikers mailing list -- hikers@example-list.org\r\n\
         To unsubscribe send an email to hikers-leave@example-list.org\r\n",
        sig.to_header()
    );
    let parsed = AuthenticatedMessage::parse(at_list.as_bytes()).unwrap();
    let spf = SpfOutput::new("sender-mail.com".into()).with_result(SpfResult::Pass);
    let dmarc = DmarcOutput::default()
        .with_domain("sender-mail.com")
        .with_spf_result(DmarcResult::Pass)
        .with_dkim_result(DmarcResult::Pass);
    let results = AuthenticationResults::new("lists.example-list.org")
        .with_spf_mailfrom_result(
            &spf,
            "5.1.1.20".parse().unwrap(),
            "alice@sender-mail.com",
            "relay.sender-mail.com",
        )
        .with_dmarc_result(&dmarc);
    let set = ArcSealer::from_key(list)
        .domain("example-list.org")
        .selector("arc")
        .headers(["From", "To", "Subject", "Date", "Message-ID", "List-Id"])
        .seal(&parsed, &results, &ArcOutput::default())
        .unwrap();
    let delivered = format!(
        "Return-Path: <alice@sender-mail.com>\r\n\
         Received: from lists.example-list.org (lists.example-list.org [5.1.2.30])\r\n\
         \tby mx1.recipient-site.org (Postfix) with ESMTPS id 7F3A21C0042\r\n\
         \tfor <bob@recipient-site.org>; Tue, 24 Nov 2026 09:14:07 +0000 (UTC)\r\n\
         {}{at_list}",
        set.to_header()
    );
    let zone = format!(
        "sender-mail.com. TXT \"v=spf1 ip4:5.1.1.20 -all\"\n\
         sender-mail.com. MX 10 relay.sender-mail.com.\n\
         _dmarc.sender-mail.com. TXT \"v=DMARC1; p=reject\"\n\
         sel._domainkey.sender-mail.com. TXT \"v=DKIM1; k=ed25519; p={}\"\n\
         arc._domainkey.example-list.org. TXT \"v=DKIM1; k=ed25519; p={}\"\n",
        b64(&author_pub),
        b64(&list_pub)
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
    std::fs::write(dir.join("17-arc-list-forward.eml"), delivered).unwrap();
    std::fs::write(dir.join("17-arc-list-forward.zone"), zone).unwrap();
}

#[test]
fn asn_flags_through_the_cli() {
    let zone = "20.1.1.5.o.asn-zones.net. TXT \"64500 | 5.1.1.0/24 | NL | ripencc | 2001-01-01\"\n\
                as64500.n.asn-zones.net. TXT \"64500 | NL | ripencc | 2001-01-01 | Example Net, NL\"\n";
    let (addr, server) = dns_server::start(zone);
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.eml");
    std::fs::write(
        &m,
        message(
            "5.1.1.20",
            "relay.sender-mail.com",
            "a@sender-mail.com",
            "a@sender-mail.com",
            "",
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spamtrace"))
            .args(["trace", "--json", "--trusted", "mx1.recipient-site.org"])
            .args(["--dns-server", &addr.to_string()])
            .args(extra)
            .arg(&m)
            .env("XDG_CONFIG_HOME", dir.path())
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let out = run(&[
        "--asn",
        "--asn-zones",
        "o.asn-zones.net,o6.asn-zones.net,n.asn-zones.net",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["asn"][0]["as_name"], "Example Net");
    assert!(server
        .questions()
        .contains(&"TXT 20.1.1.5.o.asn-zones.net".to_string()));
    let out = run(&["--asn", "--asn-zones", "only-one.net"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--asn-zones"));
}

/// A second forwarder seals the list's message again (i=2, cv=pass): the
/// chain names both sealers and still explains the author's SPF fail.
#[test]
fn arc_chain_of_two_forwarders() {
    use mail_auth::arc::ArcSealer;
    use mail_auth::common::crypto::Ed25519Key;
    use mail_auth::common::headers::HeaderWriter;
    use mail_auth::{AuthenticatedMessage, AuthenticationResults, MessageAuthenticator};
    let pkcs8 = Ed25519Key::generate_pkcs8().unwrap();
    let key = Ed25519Key::from_pkcs8_der(&pkcs8).unwrap();
    let public = key.public_key();
    let zone = format!(
        "{}fwd._domainkey.example-relay.net. TXT \"v=DKIM1; k=ed25519; p={}\"\n",
        arc_zone(),
        b64(&public)
    );
    let (addr, _server) = dns_server::start(&zone);
    // The message as the list sent it: from its ARC set down.
    let fixture = testdata("17-arc-list-forward.eml");
    let at_list = &fixture[fixture.find("ARC-Seal:").unwrap()..];
    let at_fwd = format!(
        "Received: from lists.example-list.org (lists.example-list.org [5.1.2.30])\r\n\
         \tby fwd.example-relay.net (Postfix) with ESMTPS id 91AA\r\n\
         \tfor <bob@example-relay.net>; Tue, 24 Nov 2026 09:14:06 +0000 (UTC)\r\n{at_list}"
    );
    // The forwarder verifies the chain through the fixture DNS, then seals.
    let mut ns = hickory_resolver::config::NameServerConfig::udp_and_tcp(addr.ip());
    for c in &mut ns.connections {
        c.port = addr.port();
    }
    let resolver = hickory_resolver::TokioResolver::builder_with_config(
        hickory_resolver::config::ResolverConfig::from_name_servers(vec![ns]),
        hickory_resolver::net::runtime::TokioRuntimeProvider::default(),
    )
    .build()
    .unwrap();
    let authn = MessageAuthenticator(resolver);
    let parsed = AuthenticatedMessage::parse(at_fwd.as_bytes()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let arc = rt.block_on(authn.verify_arc(&parsed));
    assert_eq!(arc.result(), &mail_auth::DkimResult::Pass);
    let results = AuthenticationResults::new("fwd.example-relay.net")
        .with_arc_result(&arc, "5.1.2.30".parse().unwrap());
    let set = ArcSealer::from_key(key)
        .domain("example-relay.net")
        .selector("fwd")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .seal(&parsed, &results, &arc)
        .unwrap();
    let delivered = format!(
        "Return-Path: <alice@sender-mail.com>\r\n\
         Received: from fwd.example-relay.net (fwd.example-relay.net [5.1.3.40])\r\n\
         \tby mx1.recipient-site.org (Postfix) with ESMTPS id 7F3A\r\n\
         \tfor <bob@recipient-site.org>; Tue, 24 Nov 2026 09:14:08 +0000 (UTC)\r\n\
         {}{at_fwd}",
        set.to_header()
    );
    drop(rt);
    let r = trace_with(&delivered, live(addr), false).remove(0);
    let arc = r.dns.as_ref().unwrap().auth.arc.clone().unwrap();
    assert_eq!(serde_json::to_value(arc.result).unwrap(), "pass", "{arc:?}");
    let who: Vec<(u32, &str, &str)> = arc
        .instances
        .iter()
        .map(|i| (i.i, i.sealer.as_str(), i.cv.as_str()))
        .collect();
    assert_eq!(
        who,
        [
            (1, "example-list.org", "none"),
            (2, "example-relay.net", "pass")
        ]
    );
    assert_eq!(
        arc.instances[1].results,
        [("arc".to_string(), "pass".to_string())]
    );
    let fwd = finding(&r, "ARC_FORWARDED").expect("ARC_FORWARDED");
    assert!(
        fwd.message.contains("example-relay.net") && fwd.message.contains("spf=pass"),
        "{}",
        fwd.message
    );
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, x)| n | (*x as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// A hostile From domain of many labels: the DMARC tree walk stays small.
#[test]
fn dmarc_tree_walk_is_bounded() {
    let (addr, server) = dns_server::start("");
    let from = format!("x@{}example.com", "a.".repeat(30));
    let msg = message(
        "5.1.1.20",
        "relay.sender-mail.com",
        "b@sender-mail.com",
        &from,
        "",
    );
    let r = trace_with(&msg, live(addr), false).remove(0);
    let dmarc_questions = server
        .questions()
        .iter()
        .filter(|q| q.contains("_dmarc."))
        .count();
    assert!(
        (1..=8).contains(&dmarc_questions),
        "{dmarc_questions}: {:?}",
        server.questions()
    );
    let d = r.dns.unwrap().auth.dmarc.unwrap();
    assert_eq!(d.result.as_str(), "none");
}
