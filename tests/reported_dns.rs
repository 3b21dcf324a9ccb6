//! URI blocklists (`--uribl`) against a DNS server on 127.0.0.1
//! (tests/support) serving a fixture zone: the domains of the URLs of the
//! messages inside testdata/reported/18-forward-gmail.eml.

mod support;

use spamtrace::chain::TraceOptions;
use spamtrace::enrich::dns::{DnsClient, DnsEnricher, DnsOptions, LiveConfig};
use spamtrace::enrich::Enricher;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::Report;
use std::time::Duration;
use support::dns_server;

fn reports(zone: &str, zones: &[&str]) -> (Vec<Report>, Vec<String>) {
    let (addr, server) = dns_server::start(zone);
    let client = DnsClient::live(&LiveConfig {
        servers: vec![addr],
        timeout: Duration::from_millis(2000),
        concurrency: 16,
    })
    .unwrap();
    let opts = TraceOptions {
        infer_trust: true,
        now: 1_767_225_600,
        bodies: true,
        ..Default::default()
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/reported/18-forward-gmail.eml"
    );
    let io = InputOptions {
        keep_body: true,
        unwrap: true,
        ..InputOptions::default()
    };
    let mut batch: Vec<_> = input::open(path, &io)
        .map(|m| spamtrace::walk(m.unwrap(), &opts))
        .collect();
    let mut e = DnsEnricher::new(
        client,
        DnsOptions {
            uribl: zones.iter().map(|z| z.to_string()).collect(),
            dkim: false,
            ..DnsOptions::default()
        },
    )
    .unwrap();
    e.enrich(&mut batch);
    let questions = server.questions();
    (
        batch
            .into_iter()
            .map(|t| spamtrace::build(t, &opts))
            .collect(),
        questions,
    )
}

#[test]
fn listed_domains_and_refusals() {
    let zone = "coin-4000.example.dbl.spamhaus.org. A 127.0.1.4\n\
                pills-online.example.multi.uribl.com. A 127.0.0.1\n\
                coin-4000.example.multi.uribl.com. A 127.0.0.2\n";
    let (rs, questions) = reports(zone, &["dbl.spamhaus.org", "multi.uribl.com"]);
    assert_eq!(rs.len(), 3);
    let coin = &rs[1];
    let listed: Vec<_> = coin
        .findings
        .iter()
        .filter(|f| f.code == "URIBL_LISTED")
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0].contains("phish domain"), "{listed:?}");
    assert!(listed[1].contains("black"), "{listed:?}");
    let b = coin.body.as_ref().unwrap();
    assert!(b.uribl.iter().all(|r| r.domain == "coin-4000.example"));
    // The evidence is kept for --dns-replay.
    let answers = &coin.dns.as_ref().unwrap().answers;
    assert!(answers.iter().any(|a| a
        .question
        .name
        .starts_with("coin-4000.example.dbl.spamhaus.org")));
    // URIBL's 127.0.0.1 is a refusal: an error, never a listing.
    let pills = &rs[2];
    assert!(!pills.has("URIBL_LISTED"), "{:?}", pills.findings);
    assert!(pills.has("URIBL_ERROR"));
    // Only the URL domains were asked of the lists, once each.
    let asked: Vec<_> = questions
        .iter()
        .filter(|q| q.contains("spamhaus.org") || q.contains("uribl.com"))
        .collect();
    assert_eq!(asked.len(), 4, "{asked:?}");
    // The wrapper has no URL domain to ask about.
    assert!(rs[0].body.as_ref().unwrap().uribl.is_empty());
}
