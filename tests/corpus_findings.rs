//! Over the shared corpus of real mail: how many messages each finding code
//! fires on, split by the MANIFEST label, and the false-positive gate: at
//! most 1% of ham may carry a finding of severity `forged`.
//!
//! Skips (with a message) when ../shared/corpus is absent.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::Severity;
use std::collections::BTreeMap;
use std::path::PathBuf;

const LABELS: [&str; 4] = ["ham", "spam", "phishing", "mixed"];
/// The most ham messages allowed to carry a `forged` finding.
const MAX_HAM_FORGED: f64 = 0.01;

#[test]
fn corpus_findings_by_label() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let manifest = root.join("MANIFEST.tsv");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        eprintln!("skipping: {} not found", manifest.display());
        return;
    };
    let opts = TraceOptions {
        infer_trust: true,
        now: spamtrace::util::clock::unix_now(),
        ..Default::default()
    };
    // code -> label -> messages
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    let mut ham_forged: Vec<(String, Vec<String>)> = Vec::new();
    let started = std::time::Instant::now();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(label)) = (cols.first(), cols.get(2)) else {
            continue;
        };
        let full = root.join(path);
        let full = full.to_string_lossy();
        for msg in input::open(&full, &InputOptions::default()).flatten() {
            *totals.entry(label.to_string()).or_default() += 1;
            let report = spamtrace::trace(&msg, &opts);
            // Keyed by code and severity: a code's weight varies with the evidence.
            let mut codes: Vec<String> = report
                .findings
                .iter()
                .map(|f| format!("{} {}", f.code, f.severity.as_str()))
                .collect();
            codes.sort_unstable();
            codes.dedup();
            for c in codes {
                *counts
                    .entry(c)
                    .or_default()
                    .entry(label.to_string())
                    .or_default() += 1;
            }
            if *label == "ham" && report.worst() == Some(Severity::Forged) {
                let forged = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Forged)
                    .map(|f| f.code.to_string())
                    .collect();
                ham_forged.push((path.to_string(), forged));
            }
        }
    }
    let elapsed = started.elapsed();
    let n: usize = totals.values().sum();
    println!(
        "{n} messages in {:.1}s ({:.0}/s)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    print!("{:<34}", "code severity");
    for l in LABELS {
        print!(
            "{:>16}",
            format!("{l} ({})", totals.get(l).copied().unwrap_or(0))
        );
    }
    println!();
    for (code, by_label) in &counts {
        print!("{code:<34}");
        for l in LABELS {
            let c = by_label.get(l).copied().unwrap_or(0);
            let t = totals.get(l).copied().unwrap_or(0).max(1);
            print!(
                "{:>16}",
                format!("{c} ({:.1}%)", 100.0 * c as f64 / t as f64)
            );
        }
        println!();
    }
    let ham = totals.get("ham").copied().unwrap_or(0);
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, codes) in &ham_forged {
        for c in codes {
            *by_code.entry(c.as_str()).or_default() += 1;
        }
    }
    println!(
        "ham with a forged finding: {} of {ham}; by code: {by_code:?}",
        ham_forged.len()
    );
    for (path, codes) in ham_forged.iter().take(20) {
        println!("  {path}: {codes:?}");
    }
    assert!(ham > 0, "the manifest lists no ham");
    let rate = ham_forged.len() as f64 / ham as f64;
    assert!(
        rate <= MAX_HAM_FORGED,
        "{:.2}% of ham carries a forged finding (limit {:.0}%)",
        100.0 * rate,
        100.0 * MAX_HAM_FORGED
    );
}
