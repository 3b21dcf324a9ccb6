//! The real mail in /work/shared/corpus against a DNS server that knows no
//! name at all: no message may panic the DNS stage or exceed the
//! per-message cap, and DNS must never turn legitimate mail (the ham)
//! into forged mail.

mod support;

use spamtrace::enrich::dns::plan::MAX_QUESTIONS;

use spamtrace::chain::TraceOptions;
use spamtrace::enrich::dns::{DnsClient, DnsEnricher, DnsOptions, LiveConfig};
use spamtrace::enrich::Enricher;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::model::Severity;
use std::path::Path;
use std::time::Duration;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

#[test]
fn nxdomain_everywhere_never_makes_ham_forged() {
    let corpus = Path::new(CORPUS);
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        eprintln!("skip: {CORPUS} is absent");
        return;
    };
    // (path, is ham), skipping the header line; every third file keeps the
    // test under about 20 s while covering every source.
    let files: Vec<(&str, bool)> = manifest
        .lines()
        .skip(1)
        .step_by(3)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((*cols.first()?, cols.get(2) == Some(&"ham")))
        })
        .collect();
    assert!(files.iter().any(|(_, ham)| *ham));
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
    let mut ham_checked = 0;
    for chunk in files.chunks(256) {
        let mut batch = Vec::new();
        let mut is_ham = Vec::new();
        for (rel, ham) in chunk {
            let Ok(bytes) = std::fs::read(corpus.join(rel)) else {
                continue;
            };
            for m in MessageReader::new(&bytes[..], rel, InputOptions::default()).flatten() {
                batch.push(spamtrace::walk(m, &opts));
                is_ham.push(*ham);
            }
        }
        let offline: Vec<_> = batch
            .iter()
            .map(|t| spamtrace::build(t.clone(), &opts))
            .collect();
        enricher.enrich(&mut batch);
        for ((t, before), ham) in batch.into_iter().zip(offline).zip(is_ham) {
            let path = t.msg.source.path.clone();
            let after = spamtrace::build(t, &opts);
            let dns = after.dns.as_ref().expect("dns facts");
            assert!(dns.answers.len() <= MAX_QUESTIONS, "{path}");
            let forged = |r: &spamtrace::model::Report| {
                r.findings
                    .iter()
                    .filter(|f| f.severity == Severity::Forged)
                    .count()
            };
            checked += 1;
            if !ham {
                continue;
            }
            ham_checked += 1;
            assert!(
                forged(&after) <= forged(&before),
                "{path}: DNS with no data made findings forged: {:#?}",
                after.findings
            );
        }
    }
    assert!(server.queries() > 0);
    eprintln!(
        "{checked} messages ({ham_checked} ham), {} DNS queries, {:?}",
        server.queries(),
        enricher.client().stats()
    );
}
