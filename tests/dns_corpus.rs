//! Real legitimate mail (the SpamAssassin ham in /work/shared/corpus)
//! against a DNS server that knows no name at all: DNS must never turn
//! ordinary mail into forged mail, nor ask more than the per-message cap.

mod support;

use spamtrace::dns::{plan::MAX_QUESTIONS, DnsClient, DnsEnricher, DnsOptions, LiveConfig};
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::model::Severity;
use spamtrace::pipeline::{self, TraceOptions};
use spamtrace::run::Enricher;
use std::path::Path;
use std::time::Duration;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");
/// Enough messages to matter, few enough to stay quick.
const MAX_MESSAGES: usize = 800;

#[test]
fn nxdomain_everywhere_never_makes_ham_forged() {
    let corpus = Path::new(CORPUS);
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        eprintln!("skip: {CORPUS} is absent");
        return;
    };
    let ham: Vec<&str> = manifest
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.get(2) == Some(&"ham")).then(|| cols[0])
        })
        .take(MAX_MESSAGES)
        .collect();
    assert!(!ham.is_empty());
    let (addr, server) = support::dns_server::start("");
    let client = DnsClient::live(&LiveConfig {
        servers: vec![addr],
        timeout: Duration::from_secs(2),
        concurrency: 32,
    })
    .unwrap();
    let mut enricher = DnsEnricher::new(client, DnsOptions::default()).unwrap();
    let opts = TraceOptions {
        infer_trust: true,
        ..TraceOptions::default()
    };
    let mut checked = 0;
    for chunk in ham.chunks(128) {
        let mut batch = Vec::new();
        for rel in chunk {
            let bytes = std::fs::read(corpus.join(rel)).unwrap();
            for m in MessageReader::new(&bytes[..], rel, InputOptions::default()).flatten() {
                batch.push(pipeline::parse(m, &opts));
            }
        }
        let offline: Vec<_> = batch
            .iter()
            .map(|t| pipeline::finish(t.clone(), &opts))
            .collect();
        enricher.enrich(&mut batch);
        for (t, before) in batch.into_iter().zip(offline) {
            let path = t.msg.source.path.clone();
            let after = pipeline::finish(t, &opts);
            let dns = after.dns.as_ref().expect("dns facts");
            assert!(dns.answers.len() <= MAX_QUESTIONS, "{path}");
            let forged = |r: &spamtrace::report::Report| {
                r.findings
                    .iter()
                    .filter(|f| f.severity == Severity::Forged)
                    .count()
            };
            assert!(
                forged(&after) <= forged(&before),
                "{path}: DNS with no data made findings forged: {:#?}",
                after.findings
            );
            checked += 1;
        }
    }
    assert!(server.queries() > 0);
    eprintln!(
        "{checked} ham messages, {} DNS queries, {:?}",
        server.queries(),
        enricher.client().stats()
    );
}
