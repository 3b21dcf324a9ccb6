//! The advertised sites over the shared corpus (../shared/corpus, read in
//! place; skipped with a message when absent), offline: no panic; per
//! label, how many messages link anywhere, the kinds of link hosts, how
//! many are judged a phish (ARF `fraud`) and how many claim a brand; and
//! for every site a complaint text that carries no live link.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::AbuseContact;
use spamtrace::report::phish;
use spamtrace::report::render::sites::{desk_summary, Desk};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Default)]
struct Tally {
    messages: usize,
    with_sites: usize,
    kinds: BTreeMap<String, usize>,
    capped: usize,
    phish: usize,
    brand: usize,
}

#[test]
fn corpus_sites_and_phish_rates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        eprintln!("no corpus at {}: skipped", root.display());
        return;
    };
    let opts = TraceOptions {
        infer_trust: true,
        now: 1_767_225_600,
        bodies: true,
        site_contacts: true,
        ..Default::default()
    };
    let io = InputOptions {
        keep_body: true,
        ..InputOptions::default()
    };
    let mut by_label: BTreeMap<String, Tally> = BTreeMap::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(label)) = (cols.first(), cols.get(2)) else {
            continue;
        };
        let path = root.join(path).display().to_string();
        let tally = by_label.entry(label.to_string()).or_default();
        for msg in input::open(&path, &io).flatten() {
            let r = spamtrace::trace(&msg, &opts);
            tally.messages += 1;
            let sc = r.site_contacts.as_ref();
            let sites = sc.map_or(&[][..], |s| &s.sites[..]);
            if !sites.is_empty() {
                tally.with_sites += 1;
            }
            if sc.is_some_and(|s| s.limit.is_some()) {
                tally.capped += 1;
            }
            assert!(
                sc.is_none_or(|s| !s.looked_up && s.sites.len() <= 20),
                "{path}"
            );
            for s in sites {
                *tally.kinds.entry(s.kind.clone()).or_default() += 1;
                assert!(s.contacts.is_empty(), "offline: no contact: {path}");
            }
            let a = phish::assess(&r);
            tally.phish += a.phish as usize;
            tally.brand += a.brand.is_some() as usize;
            // A complaint to a made-up desk for each site: never a live link.
            for s in sites.iter().filter(|s| s.kind == "site") {
                let c = AbuseContact {
                    address: "abuse@desk.example".into(),
                    for_ip: Some("192.0.2.1".into()),
                    source: "abusix".into(),
                    scope: "hosting".into(),
                    confidence: "confirmed".into(),
                    role: "advertised_site".into(),
                    hop: None,
                    note: format!("an address of {}", s.host),
                };
                let desk = Desk {
                    address: c.address.clone(),
                    scope: c.scope.clone(),
                    sites: vec![(s, &c)],
                };
                let human = desk_summary(&r, &desk, &a);
                assert!(
                    !human.contains("http://") && !human.contains("https://"),
                    "{path}: {human}"
                );
                // The host is never written plainly (mail addresses aside,
                // which are whom to write to).
                if s.host.contains('.') && s.host.parse::<std::net::IpAddr>().is_err() {
                    for l in human.lines().filter(|l| !l.contains('@')) {
                        assert!(!l.contains(&s.host), "{path}: {} in {l}", s.host);
                    }
                }
            }
        }
    }
    for (label, t) in &by_label {
        eprintln!(
            "{label}: {} messages, {} link somewhere, {} capped at 10 sites; hosts {:?}; phish {} ({:.1}%), brand claimed {}",
            t.messages,
            t.with_sites,
            t.capped,
            t.kinds,
            t.phish,
            100.0 * t.phish as f64 / t.messages.max(1) as f64,
            t.brand
        );
    }
}
