//! DNS cross-checks against a real DNS server on 127.0.0.1 (tests/support).
//! Each test serves a fixture zone and traces a crafted message through
//! parse -> DNS enrich -> finish, then looks at the findings and evidence.

mod support;

use spamtrace::chain::TraceOptions;
use spamtrace::enrich::dns::{DnsClient, DnsEnricher, DnsOptions, LiveConfig, Recording};
use spamtrace::enrich::Enricher;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::model::Report;
use spamtrace::model::Severity;
use std::net::SocketAddr;
use std::time::Duration;
use support::dns_server;

fn options() -> TraceOptions {
    let mut opts = TraceOptions {
        now: 1_700_000_000,
        ..TraceOptions::default()
    };
    opts.trust.add("10.0.0.0/8").unwrap();
    opts
}

fn live(server: SocketAddr, timeout_ms: u64) -> DnsClient {
    DnsClient::live(&LiveConfig {
        servers: vec![server],
        timeout: Duration::from_millis(timeout_ms),
        concurrency: 16,
    })
    .unwrap()
}

/// Trace every message in `text` (one message or an mbox) with `client`.
fn trace_all(text: &str, client: DnsClient, zones: &[&str]) -> (Vec<Report>, DnsEnricher) {
    let opts = options();
    let reader = MessageReader::new(text.as_bytes(), "test", InputOptions::default());
    let mut batch: Vec<_> = reader
        .map(|m| spamtrace::walk(m.expect("message reads"), &opts))
        .collect();
    let mut enricher = DnsEnricher::new(
        client,
        DnsOptions {
            dnsbl: zones.iter().map(|z| z.to_string()).collect(),
            ..DnsOptions::default()
        },
    )
    .unwrap();
    enricher.enrich(&mut batch);
    let reports = batch
        .into_iter()
        .map(|t| spamtrace::build(t, &opts))
        .collect();
    (reports, enricher)
}

fn trace(text: &str, server: SocketAddr) -> Report {
    trace_all(text, live(server, 2000), &[]).0.remove(0)
}

fn finding<'a>(r: &'a Report, code: &str) -> &'a spamtrace::model::Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", r.findings))
}

fn codes(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

/// One hop: our MX (trusted by rule 1) received from `from`.
fn one_hop(from: &str) -> String {
    format!(
        "Received: from {from} by mx.rcpt-fixture.net with ESMTP id A1; Tue, 14 Nov 2023 22:13:20 +0000\n\
         From: a@sender-fixture.net\nSubject: test\nMessage-ID: <1@sender-fixture.net>\n\nbody\n"
    )
}

fn verdict(r: &Report, hop: usize) -> String {
    let d = r.dns.as_ref().expect("dns section");
    let h = d.hops.iter().find(|h| h.hop == hop).expect("hop facts");
    h.verdict.label().to_string()
}

#[test]
fn rdns_none_for_nxdomain_and_for_noerror_without_data() {
    // 5.1.1.1 has nothing (NXDOMAIN); 5.1.1.2's reverse name has a TXT only.
    let (addr, _server) = dns_server::start("2.1.1.5.in-addr.arpa. TXT \"no ptr here\"");
    let r = trace(&one_hop("a.fixture-none.net ([5.1.1.1])"), addr);
    let f = finding(&r, "RDNS_NONE");
    assert_eq!((f.severity, f.hop), (Severity::Warn, Some(0)));
    assert_eq!(f.evidence["ptr"], "nxdomain");
    assert_eq!(verdict(&r, 0), "no rDNS");

    let r = trace(&one_hop("a.fixture-none.net ([5.1.1.2])"), addr);
    assert_eq!(finding(&r, "RDNS_NONE").evidence["ptr"], "no_data");
    let ev = &r.dns.as_ref().unwrap().answers;
    let ptr = ev
        .iter()
        .find(|a| a.question.name == "2.1.1.5.in-addr.arpa")
        .unwrap();
    assert_eq!(serde_json::to_value(ptr.rcode).unwrap(), "NOERROR");
    assert!(ptr.answers.is_empty());
}

#[test]
fn fcrdns_fail_and_confirmed() {
    let zone = "3.1.1.5.in-addr.arpa. PTR host.fixture-a.net.\n\
                host.fixture-a.net. A 9.9.9.8\n\
                4.1.1.5.in-addr.arpa. PTR good.fixture-a.net.\n\
                good.fixture-a.net. A 5.1.1.4\n";
    let (addr, _server) = dns_server::start(zone);
    let r = trace(
        &one_hop("host.fixture-a.net (host.fixture-a.net [5.1.1.3])"),
        addr,
    );
    let f = finding(&r, "FCRDNS_FAIL");
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(verdict(&r, 0), "mismatch");

    let r = trace(
        &one_hop("good.fixture-a.net (good.fixture-a.net [5.1.1.4])"),
        addr,
    );
    assert!(!codes(&r).contains(&"FCRDNS_FAIL"), "{:?}", codes(&r));
    assert_eq!(verdict(&r, 0), "confirmed");
    let h = &r.dns.as_ref().unwrap().hops[0];
    assert_eq!(h.fcrdns_name.as_deref(), Some("good.fixture-a.net"));
}

#[test]
fn helo_nxdomain_is_only_info() {
    let zone = "5.1.1.5.in-addr.arpa. PTR out.fixture-b.net.\nout.fixture-b.net. A 5.1.1.5\n";
    let (addr, _server) = dns_server::start(zone);
    let r = trace(
        &one_hop("nothere.fixture-b.net (out.fixture-b.net [5.1.1.5])"),
        addr,
    );
    let f = finding(&r, "HELO_NXDOMAIN");
    assert_eq!((f.severity, f.hop), (Severity::Info, Some(0)));
    assert!(r.worst() < Some(Severity::Forged));
}

#[test]
fn helo_ip_mismatch_warns_unless_same_party() {
    let zone = "6.1.1.5.in-addr.arpa. PTR o1.fixture-c.net.\no1.fixture-c.net. A 5.1.1.6\n\
                o2.fixture-c.net. A 5.1.1.99\nelsewhere.fixture-x.org. A 5.1.1.98\n";
    let (addr, _server) = dns_server::start(zone);
    let r = trace(
        &one_hop("elsewhere.fixture-x.org (o1.fixture-c.net [5.1.1.6])"),
        addr,
    );
    let f = finding(&r, "HELO_IP_MISMATCH");
    assert_eq!(f.severity, Severity::Warn);
    assert_eq!(f.evidence["helo_addresses"][0], "5.1.1.98");
    // A sibling in the IP's own confirmed domain: ordinary clusters.
    let r = trace(
        &one_hop("o2.fixture-c.net (o1.fixture-c.net [5.1.1.6])"),
        addr,
    );
    assert_eq!(finding(&r, "HELO_IP_MISMATCH").severity, Severity::Info);
}

#[test]
fn helo_claims_receiver() {
    let zone = "mx.rcpt-fixture.net. A 5.1.2.1\n\
                7.1.1.5.in-addr.arpa. PTR dsl-7.fixture-isp.net.\ndsl-7.fixture-isp.net. A 5.1.1.7\n";
    let (addr, _server) = dns_server::start(zone);
    let r = trace(
        &one_hop("mx.rcpt-fixture.net (dsl-7.fixture-isp.net [5.1.1.7])"),
        addr,
    );
    let f = finding(&r, "HELO_CLAIMS_RECEIVER");
    assert_eq!(f.severity, Severity::Forged);
    assert_eq!(f.evidence["same_host"], true);
    // The receiver's domain, another host name: suspicious, not forged.
    let r = trace(
        &one_hop("relay.rcpt-fixture.net (dsl-7.fixture-isp.net [5.1.1.7])"),
        addr,
    );
    assert_eq!(finding(&r, "HELO_CLAIMS_RECEIVER").severity, Severity::Warn);
}

#[test]
fn rdns_changed() {
    let zone = "8.1.1.5.in-addr.arpa. PTR new.fixture-d.net.\nnew.fixture-d.net. A 5.1.1.8\n";
    let (addr, _server) = dns_server::start(zone);
    let r = trace(
        &one_hop("new.fixture-d.net (old.fixture-d.net [5.1.1.8])"),
        addr,
    );
    let f = finding(&r, "RDNS_CHANGED");
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.evidence["recorded"], "old.fixture-d.net");
    assert_eq!(f.evidence["today"][0], "new.fixture-d.net");
    let r = trace(
        &one_hop("new.fixture-d.net (new.fixture-d.net [5.1.1.8])"),
        addr,
    );
    assert!(!codes(&r).contains(&"RDNS_CHANGED"));
}

fn two_hops() -> &'static str {
    "Received: from out.fixture-e.net (out.fixture-e.net [5.1.1.9]) by mx.rcpt-fixture.net with ESMTP id A1; Tue, 14 Nov 2023 22:13:20 +0000\n\
     Received: from client.fixture-e.net (client.fixture-e.net [5.1.3.1]) by gw.fixture-other.org with ESMTP id B2; Tue, 14 Nov 2023 22:13:10 +0000\n\
     From: a@fixture-e.net\nSubject: test\n\nbody\n"
}

#[test]
fn chain_break_cleared_by_dns() {
    let zone = "gw.fixture-other.org. A 5.1.1.9\n";
    let (addr, _server) = dns_server::start(zone);
    let r = trace(two_hops(), addr);
    let f = finding(&r, "CHAIN_BREAK");
    assert_eq!(f.severity, Severity::Info, "{}", f.message);
    assert!(f.message.contains("cleared by DNS"));
    assert_eq!(f.evidence["dns"]["status"], "confirmed");
}

#[test]
fn chain_break_strengthened_by_dns() {
    let zone = "gw.fixture-other.org. A 5.1.9.9\n\
                9.1.1.5.in-addr.arpa. PTR out.fixture-e.net.\nout.fixture-e.net. A 5.1.1.9\n";
    let (addr, _server) = dns_server::start(zone);
    let r = trace(two_hops(), addr);
    let f = finding(&r, "CHAIN_BREAK");
    assert_eq!(f.severity, Severity::Forged, "{}", f.message);
    assert_eq!(f.evidence["dns"]["status"], "refuted");
    // Without a confirmed rDNS for the sender, DNS alone does not say forged.
    let (addr, _server) = dns_server::start("gw.fixture-other.org. A 5.1.9.9\n");
    let r = trace(two_hops(), addr);
    assert_eq!(finding(&r, "CHAIN_BREAK").severity, Severity::Warn);
}

#[test]
fn ipv6_ptr_and_fcrdns() {
    let zone = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.f.4.0.1.0.a.2.ip6.arpa. PTR mx6.fixture-f.net.\n\
                mx6.fixture-f.net. AAAA 2a01:4f8::25\n";
    let (addr, server) = dns_server::start(zone);
    let r = trace(
        &one_hop("mx6.fixture-f.net (mx6.fixture-f.net [IPv6:2a01:4f8::25])"),
        addr,
    );
    assert_eq!(verdict(&r, 0), "confirmed", "{:#?}", r.dns);
    assert!(server
        .questions()
        .contains(&"AAAA mx6.fixture-f.net".to_string()));
    assert!(server
        .questions()
        .iter()
        .any(|q| q.starts_with("PTR ") && q.ends_with(".ip6.arpa")));
}

#[test]
fn servfail_is_unknown_not_evidence_of_forgery() {
    let (addr, server) = dns_server::start_servfail();
    let r = trace(
        &one_hop("nothere.fixture-g.net (x.fixture-g.net [5.1.1.10])"),
        addr,
    );
    let c = codes(&r);
    assert!(c.contains(&"DNS_TEMPFAIL"), "{c:?}");
    for bad in ["RDNS_NONE", "FCRDNS_FAIL", "HELO_NXDOMAIN", "RDNS_CHANGED"] {
        assert!(!c.contains(&bad), "{bad} from a SERVFAIL: {c:?}");
    }
    assert_eq!(verdict(&r, 0), "unknown");
    assert!(server.queries() >= 1);
    let ev = &r.dns.as_ref().unwrap().answers;
    assert!(ev
        .iter()
        .all(|a| serde_json::to_value(a.rcode).unwrap() == "SERVFAIL"));
}

#[test]
fn timeout_is_unknown() {
    let (addr, server) = dns_server::start_silent();
    let started = std::time::Instant::now();
    let (mut reports, _) = trace_all(
        &one_hop("nothere.fixture-g.net (x.fixture-g.net [5.1.1.11])"),
        live(addr, 200),
        &[],
    );
    let r = reports.remove(0);
    let f = finding(&r, "DNS_TEMPFAIL");
    assert!(f.message.contains("timeout"), "{}", f.message);
    assert!(!codes(&r).contains(&"RDNS_NONE"));
    assert!(server.queries() >= 2, "both questions were sent");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn dnsbl_listing_refusal_and_clean() {
    let zone = "12.1.1.5.bl.fixture-dnsbl.org. A 127.0.0.2\n\
                12.1.1.5.bl.fixture-dnsbl.org. TXT \"listed for spam, see https://bl.fixture-dnsbl.org/5.1.1.12\"\n\
                12.1.1.5.refusing.fixture-dnsbl.org. A 127.255.255.254\n";
    let (addr, _server) = dns_server::start(zone);
    let zones = [
        "bl.fixture-dnsbl.org",
        "refusing.fixture-dnsbl.org",
        "clean.fixture-dnsbl.org",
    ];
    let (mut reports, _) = trace_all(
        &one_hop("x.fixture-h.net ([5.1.1.12])"),
        live(addr, 2000),
        &zones,
    );
    let r = reports.remove(0);
    let listed = finding(&r, "DNSBL_LISTED");
    assert_eq!(listed.evidence["zone"], "bl.fixture-dnsbl.org");
    assert_eq!(listed.evidence["codes"][0], "127.0.0.2");
    assert!(listed.evidence["reason"]
        .as_str()
        .unwrap()
        .contains("listed for spam"));
    let err = finding(&r, "DNSBL_ERROR");
    assert_eq!(err.evidence["zone"], "refusing.fixture-dnsbl.org");
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.code == "DNSBL_LISTED")
            .count(),
        1,
        "a refusal is not a listing"
    );
    let results = &r.dns.as_ref().unwrap().dnsbl;
    assert_eq!(results.len(), 3);
    assert_eq!(
        serde_json::to_value(results[2].status).unwrap(),
        "not_listed"
    );
}

#[test]
fn questions_per_message_are_capped() {
    // 5,000 Received headers, each from its own address.
    let mut text = String::new();
    for i in 0..5000u32 {
        text.push_str(&format!(
            "Received: from h{i}.fixture-i.net (h{i}.fixture-i.net [5.{}.{}.{}]) by r{i}.fixture-i.net with SMTP; Tue, 14 Nov 2023 22:13:20 +0000\n",
            2 + i / 65536,
            (i / 256) % 256,
            i % 256
        ));
    }
    text.push_str("Subject: many\n\nbody\n");
    let (addr, server) = dns_server::start("");
    let r = trace(&text, addr);
    assert!(
        server.queries() <= spamtrace::enrich::dns::plan::MAX_QUESTIONS,
        "{} queries",
        server.queries()
    );
    assert!(server.queries() > 0);
    assert!(
        finding(&r, "DNS_LIMIT").evidence["skipped"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn one_question_once_per_run() {
    let zone = "9.1.1.5.in-addr.arpa. PTR out.fixture-e.net.\nout.fixture-e.net. A 5.1.1.9\n";
    let (addr, server) = dns_server::start(zone);
    let one = two_hops();
    let mbox: String = (0..200)
        .map(|_| format!("From a@b Tue Nov 14 22:13:20 2023\n{one}\n"))
        .collect();
    let (reports, enricher) = trace_all(&mbox, live(addr, 2000), &[]);
    assert_eq!(reports.len(), 200);
    let stats = enricher.client().stats();
    // PTR, HELO A, `by` A, client PTR, client HELO A, FCrDNS A: asked once each.
    assert_eq!(stats.unique, server.queries(), "{stats:?}");
    assert_eq!(stats.sent, stats.unique);
    assert!(stats.lookups >= 200 * stats.unique / 2, "{stats:?}");
    // The same questions again in a second batch: all from the cache.
    let mut enricher = enricher;
    let opts = options();
    let mut again: Vec<_> = MessageReader::new(one.as_bytes(), "t", InputOptions::default())
        .map(|m| spamtrace::walk(m.unwrap(), &opts))
        .collect();
    let before = server.queries();
    enricher.enrich(&mut again);
    assert_eq!(server.queries(), before);
    assert_eq!(
        again[0].dns.as_ref().unwrap().answers,
        reports[0].dns.as_ref().unwrap().answers
    );
}

#[test]
fn replay_gives_the_same_facts_and_unknown_for_the_rest() {
    let zone = "9.1.1.5.in-addr.arpa. PTR out.fixture-e.net.\nout.fixture-e.net. A 5.1.1.9\n\
                gw.fixture-other.org. A 5.1.9.9\n";
    let (addr, server) = dns_server::start(zone);
    let first = trace(two_hops(), addr);
    server.stop();
    let json = serde_json::to_string(&first).unwrap();
    let (mut again, enricher) = trace_all(
        two_hops(),
        DnsClient::replay(Recording::parse(&json).unwrap()),
        &[],
    );
    let again = again.remove(0);
    assert_eq!(again.findings, first.findings);
    assert_eq!(again.dns, first.dns);
    assert_eq!(enricher.client().stats().sent, 0);
    // A recording without answers: every question is unknown, none asked.
    let (mut bare, _) = trace_all(
        two_hops(),
        DnsClient::replay(Recording::parse("{}").unwrap()),
        &[],
    );
    let bare = bare.remove(0);
    let f = finding(&bare, "DNS_TEMPFAIL");
    assert!(f.message.contains("not in the recording"), "{}", f.message);
    assert!(bare.dns.as_ref().unwrap().answers.is_empty());
}
