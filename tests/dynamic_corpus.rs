//! Over the shared corpus: how often a residential or dynamic pool name
//! (RDNS_DYNAMIC, HELO_DYNAMIC; src/checks/dynamic.rs) fires, per pool
//! shape and label, and what the codes do to the share of messages with
//! any `warn` (phishing before/after; ham must not rise). The numbers are
//! in docs/checks.md ("Pool names"). Skips (with a message) when
//! ../shared/corpus is absent.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::Severity;
use std::collections::BTreeMap;
use std::path::PathBuf;

const NOW: i64 = 1_767_225_600;

#[test]
fn pool_names_over_the_corpus() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(text) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        eprintln!("skipping: ../shared/corpus/MANIFEST.tsv not found");
        return;
    };
    let opts = TraceOptions {
        infer_trust: true,
        now: NOW,
        ..Default::default()
    };
    let dynamic = |c: &str| c == "RDNS_DYNAMIC" || c == "HELO_DYNAMIC";
    // label -> messages
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    // (code severity role, shape) -> label -> messages
    let mut shapes: BTreeMap<(String, String), BTreeMap<String, usize>> = BTreeMap::new();
    // label -> (any warn without the pool codes, any warn with them)
    let mut warned: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut ham_new_warn = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(label)) = (cols.first(), cols.get(2)) else {
            continue;
        };
        if *label == "mixed" {
            continue;
        }
        let full = root.join(path);
        for msg in input::open(&full.to_string_lossy(), &InputOptions::default()).flatten() {
            *totals.entry(label.to_string()).or_default() += 1;
            let r = spamtrace::trace(&msg, &opts);
            let warn = |f: &&spamtrace::model::Finding| f.severity >= Severity::Warn;
            let before = r
                .findings
                .iter()
                .filter(warn)
                .any(|f| !dynamic(f.code.as_str()));
            let after = r.findings.iter().any(|f| warn(&f));
            let w = warned.entry(label.to_string()).or_default();
            w.0 += usize::from(before);
            w.1 += usize::from(after);
            if *label == "ham" && after && !before {
                ham_new_warn.push(path.to_string());
            }
            let mut seen = Vec::new();
            for f in r.findings.iter().filter(|f| dynamic(f.code.as_str())) {
                let shape = f.evidence["shape"].as_str().unwrap_or("").to_string();
                let key = (
                    format!(
                        "{} {} {}",
                        f.code,
                        f.severity.as_str(),
                        f.evidence["role"].as_str().unwrap_or("")
                    ),
                    shape,
                );
                if !seen.contains(&key) {
                    seen.push(key.clone());
                    *shapes
                        .entry(key)
                        .or_default()
                        .entry(label.to_string())
                        .or_default() += 1;
                }
            }
        }
    }
    let pct =
        |n: usize, l: &str| 100.0 * n as f64 / totals.get(l).copied().unwrap_or(1).max(1) as f64;
    println!("messages: {totals:?}");
    println!("| finding | shape | ham | spam | phishing |");
    println!("|---|---|---|---|---|");
    for ((code, shape), by) in &shapes {
        let g = |l: &str| by.get(l).copied().unwrap_or(0);
        println!(
            "| {code} | {shape} | {:.1}% ({}) | {:.1}% ({}) | {:.1}% ({}) |",
            pct(g("ham"), "ham"),
            g("ham"),
            pct(g("spam"), "spam"),
            g("spam"),
            pct(g("phishing"), "phishing"),
            g("phishing")
        );
    }
    for (l, (b, a)) in &warned {
        println!(
            "{l}: any warn {:.1}% ({b}) without the pool codes, {:.1}% ({a}) with them",
            pct(*b, l),
            pct(*a, l)
        );
    }
    println!("ham newly warned: {ham_new_warn:?}");
    // The gate: a pool finding adds no ham message to those with a warn.
    assert!(
        ham_new_warn.is_empty(),
        "RDNS_DYNAMIC/HELO_DYNAMIC add a warn to ham: {ham_new_warn:?}"
    );
}
