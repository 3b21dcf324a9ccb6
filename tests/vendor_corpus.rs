//! Over the shared corpus: per vendor header, how many decode fully; how
//! often Microsoft's CIP agrees with our first untrusted relay (each
//! disagreement listed with what the CIP is instead); no decoder panics;
//! the share of phishing and ham with any `warn` with and without the
//! vendor findings.
//!
//! Skips (with a message) when ../shared/corpus is absent.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::Severity;
use std::collections::BTreeMap;
use std::path::PathBuf;

const NOW: i64 = 1_767_225_600;
const VENDOR_CODES: &[&str] = &[
    "VENDOR_VERDICT_UNTRUSTED",
    "VENDOR_VERDICT_SPAM",
    "VENDOR_CIP_MISMATCH",
];

#[test]
fn vendor_headers_over_the_corpus() {
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
    // header -> (messages, fully decoded)
    let mut per_header: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut cip_total = 0usize;
    let mut cip_by: BTreeMap<String, usize> = BTreeMap::new();
    let mut cip_disagree: Vec<String> = Vec::new();
    let mut trusted_cip = (0usize, 0usize);
    // label -> (messages, with warn, with warn without vendor codes)
    let mut warn: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut panics = 0usize;
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(label)) = (cols.first(), cols.get(2)) else {
            continue;
        };
        let full = root.join(path);
        for msg in input::open(&full.to_string_lossy(), &InputOptions::default()).flatten() {
            let Ok(report) = std::panic::catch_unwind(|| spamtrace::trace(&msg, &opts)) else {
                panics += 1;
                continue;
            };
            let mut seen: Vec<&str> = Vec::new();
            for v in &report.vendor_verdicts {
                let e = per_header.entry(v.header.clone()).or_default();
                if !seen.contains(&v.header.as_str()) {
                    seen.push(&v.header);
                    e.0 += 1;
                    e.1 += usize::from(v.complete);
                }
            }
            // CIP: the first Forefront stamp (trusted first) of the message.
            let ff = report
                .vendor_verdicts
                .iter()
                .filter(|v| {
                    v.header.starts_with("x-forefront-antispam-report")
                        && v.fields.contains_key("CIP")
                })
                .min_by_key(|v| !v.trusted);
            if let Some(v) = ff {
                cip_total += 1;
                let is = v.fields.get("cip_is").cloned().unwrap_or_default();
                *cip_by
                    .entry(format!(
                        "{} ({})",
                        is,
                        if v.trusted {
                            "trusted"
                        } else {
                            "untrusted copy"
                        }
                    ))
                    .or_default() += 1;
                if v.trusted {
                    trusted_cip.0 += 1;
                    trusted_cip.1 += usize::from(is == "the first untrusted relay");
                }
                if is != "the first untrusted relay" {
                    cip_disagree.push(format!(
                        "{path}: {} CIP {} is {is}; DIR {}; relay {:?}",
                        v.header,
                        v.fields["CIP"],
                        v.fields.get("DIR").map(String::as_str).unwrap_or("-"),
                        report.first_untrusted_relay.as_ref().and_then(|r| r.ip)
                    ));
                }
            }
            let e = warn.entry(label.to_string()).or_default();
            e.0 += 1;
            let w = |keep: &dyn Fn(&str) -> bool| {
                report
                    .findings
                    .iter()
                    .any(|f| f.severity >= Severity::Warn && keep(f.code.as_str()))
            };
            e.1 += usize::from(w(&|_| true));
            e.2 += usize::from(w(&|c| !VENDOR_CODES.contains(&c)));
            let mut cs: Vec<String> = report
                .findings
                .iter()
                .filter(|f| VENDOR_CODES.contains(&f.code.as_str()))
                .map(|f| format!("{} {} {label}", f.code, f.severity.as_str()))
                .collect();
            cs.sort();
            cs.dedup();
            for c in cs {
                *codes.entry(c).or_default() += 1;
            }
        }
    }
    println!("vendor header: messages, fully decoded");
    for (h, (n, full)) in &per_header {
        println!(
            "  {h:<50} {n:>5} {full:>5} ({:.1}%)",
            100.0 * *full as f64 / (*n).max(1) as f64
        );
    }
    println!("Forefront CIP in {cip_total} messages: {cip_by:?}");
    println!(
        "trusted Forefront stamps: {}, CIP = first untrusted relay in {} ({:.1}%)",
        trusted_cip.0,
        trusted_cip.1,
        100.0 * trusted_cip.1 as f64 / trusted_cip.0.max(1) as f64
    );
    for d in cip_disagree.iter().take(40) {
        println!("  {d}");
    }
    for (l, (n, with, without)) in &warn {
        println!(
            "{l}: {n} messages; any warn {without} ({:.1}%) before, {with} ({:.1}%) with the vendor findings",
            100.0 * *without as f64 / (*n).max(1) as f64,
            100.0 * *with as f64 / (*n).max(1) as f64
        );
    }
    println!("vendor codes: {codes:#?}");
    assert_eq!(panics, 0, "decoder panics");
    // The counts the issue names: every message carrying the headers is seen.
    let n = |h: &str| per_header.get(h).map(|e| e.0).unwrap_or(0);
    assert!(
        n("x-microsoft-antispam") >= 900,
        "{}",
        n("x-microsoft-antispam")
    );
    assert!(n("x-spam-status") >= 300, "{}", n("x-spam-status"));
    assert!(n("x-forefront-antispam-report") + n("x-forefront-antispam-report-untrusted") >= 180);
    let ham = warn.get("ham").copied().unwrap_or_default();
    assert!(ham.0 > 0);
    // The vendor findings must not make ham look worse by more than a hair.
    assert!(
        (ham.1 - ham.2) as f64 / ham.0 as f64 <= 0.002,
        "vendor findings raise ham with warn from {} to {}",
        ham.2,
        ham.1
    );
}
