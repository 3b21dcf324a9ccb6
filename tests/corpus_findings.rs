//! Over the shared corpus of real mail: how many messages each finding code
//! fires on, split by the MANIFEST label, and the false-positive gates: at
//! most 1% of ham may carry a finding of severity `forged`, under 5% any
//! `warn`. The per-code table in docs/checks.md ("Rates on real mail") is
//! this test's output: the test fails when it is stale, and rewrites it
//! with `SPAMTRACE_BLESS=1`.
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
/// The most ham messages allowed to carry any `warn` finding.
const MAX_HAM_WARN: f64 = 0.05;
/// A fixed time of analysis, so the table does not move with the clock
/// (2026-01-01T00:00:00Z).
const NOW: i64 = 1_767_225_600;
const BEGIN: &str =
    "<!-- corpus-table:begin (tests/corpus_findings.rs; SPAMTRACE_BLESS=1 rewrites) -->";
const END: &str = "<!-- corpus-table:end -->";

#[test]
fn corpus_findings_by_label() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let manifest = root.join("MANIFEST.tsv");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        eprintln!("skipping: {} not found", manifest.display());
        return;
    };
    // As the CLI runs by default: bodies read (MIME, URLs, attachments),
    // bounded as `spamtrace trace` bounds them; reported messages not
    // unwrapped, so the per-label totals stay the corpus's own messages.
    let opts = TraceOptions {
        infer_trust: true,
        now: NOW,
        bodies: true,
        ..Default::default()
    };
    let input_opts = InputOptions {
        keep_body: true,
        max_body_bytes: 4 << 20,
        ..InputOptions::default()
    };
    let mut ham_warn: Vec<(String, Vec<String>)> = Vec::new();
    let mut ham_warn_but_chain_break = 0usize;
    // X-Sender-IP on phishing_pot: messages carrying it, those where it is
    // the first untrusted relay's address (the receiver's view), and the
    // webmail origins raised from it.
    let (mut xsip, mut xsip_is_relay, mut xsip_origins) = (0usize, 0usize, 0usize);
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
        for msg in input::open(&full, &input_opts).flatten() {
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
            if path.starts_with("phishing_pot/") {
                let header = String::from_utf8_lossy(&msg.header).to_ascii_lowercase();
                if let Some(at) = header.find("\nx-sender-ip:") {
                    xsip += 1;
                    let line = header[at + 13..]
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    let relay = report
                        .first_untrusted_relay
                        .as_ref()
                        .and_then(|r| r.ip)
                        .map(|i| i.to_string());
                    if relay.as_deref() == Some(line.as_str()) {
                        xsip_is_relay += 1;
                    }
                }
                xsip_origins += report
                    .findings
                    .iter()
                    .filter(|f| {
                        f.code == "WEBMAIL_ORIGIN"
                            && f.evidence["header"]
                                .as_str()
                                .is_some_and(|h| h.eq_ignore_ascii_case("x-sender-ip"))
                    })
                    .count();
            }
            if *label == "ham" && report.worst() >= Some(Severity::Warn) {
                let warns: Vec<String> = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Warn)
                    .map(|f| f.code.to_string())
                    .collect();
                if !warns.is_empty() && warns.iter().all(|c| c == "CHAIN_BREAK") {
                    ham_warn_but_chain_break += 1;
                }
                if !warns.is_empty() {
                    ham_warn.push((path.to_string(), warns));
                }
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
    let mut warn_codes: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, codes) in &ham_warn {
        let mut codes = codes.clone();
        codes.sort_unstable();
        codes.dedup();
        for c in codes {
            *warn_codes.entry(Box::leak(c.into_boxed_str())).or_default() += 1;
        }
    }
    let warn_rate = ham_warn.len() as f64 / ham as f64;
    println!(
        "ham with any warn: {} of {ham} ({:.2}%); without CHAIN_BREAK: {} ({:.2}%); by code: {warn_codes:?}",
        ham_warn.len(),
        100.0 * warn_rate,
        ham_warn.len() - ham_warn_but_chain_break,
        100.0 * (ham_warn.len() - ham_warn_but_chain_break) as f64 / ham as f64
    );
    for (path, codes) in ham_warn.iter().take(15) {
        println!("  {path}: {codes:?}");
    }
    println!(
        "phishing_pot X-Sender-IP: {xsip} messages, {xsip_is_relay} of them the first untrusted relay's address (written by the receiver); webmail origins from X-Sender-IP: {xsip_origins}"
    );
    assert_eq!(
        xsip_origins, 0,
        "X-Sender-IP is the receiver's view, never a webmail origin"
    );
    let table = docs_table(&counts, &totals);
    check_docs(&table);
    assert!(
        warn_rate < MAX_HAM_WARN,
        "{:.2}% of ham carries a warn finding (limit {:.0}%)",
        100.0 * warn_rate,
        100.0 * MAX_HAM_WARN
    );
    let rate = ham_forged.len() as f64 / ham as f64;
    assert!(
        rate <= MAX_HAM_FORGED,
        "{:.2}% of ham carries a forged finding (limit {:.0}%)",
        100.0 * rate,
        100.0 * MAX_HAM_FORGED
    );
}

/// The table for docs/checks.md: per code and severity, the share of ham,
/// spam and phishing messages carrying it, and the ratio of the
/// spam+phishing rate to the ham rate.
fn docs_table(
    counts: &BTreeMap<String, BTreeMap<String, usize>>,
    totals: &BTreeMap<String, usize>,
) -> String {
    let t = |l: &str| totals.get(l).copied().unwrap_or(0);
    let (ham, spam, phish) = (t("ham"), t("spam"), t("phishing"));
    let mut out = format!(
        "Offline, inferred trust, over {} labelled messages ({ham} ham, {spam} spam, {phish} phishing; \"mixed\" left out). \
         Ratio: the spam+phishing rate over the ham rate (`-`: never on ham).\n\n\
         | code | severity | ham | spam | phishing | ratio |\n|---|---|---|---|---|---|\n",
        ham + spam + phish
    );
    let pct = |c: usize, n: usize| 100.0 * c as f64 / n.max(1) as f64;
    for (key, by) in counts {
        let (code, sev) = key.split_once(' ').unwrap_or((key, ""));
        let c = |l: &str| by.get(l).copied().unwrap_or(0);
        let (h, s, p) = (c("ham"), c("spam"), c("phishing"));
        if h + s + p == 0 {
            continue;
        }
        let bad = pct(s + p, spam + phish);
        let ratio = if h == 0 {
            "-".to_string()
        } else {
            format!("{:.1}", bad / pct(h, ham))
        };
        out.push_str(&format!(
            "| {code} | {sev} | {:.1}% ({h}) | {:.1}% ({s}) | {:.1}% ({p}) | {ratio} |\n",
            pct(h, ham),
            pct(s, spam),
            pct(p, phish)
        ));
    }
    out
}

/// docs/checks.md must carry `table` between the markers; rewritten with
/// SPAMTRACE_BLESS=1.
fn check_docs(table: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md");
    let doc = std::fs::read_to_string(&path).expect("docs/checks.md");
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/checks.md lacks the corpus-table markers");
    };
    let current = doc[b + BEGIN.len()..e].trim();
    // mail-parser's "Invalid part ID" panic on 2 ham messages comes from
    // an arithmetic overflow check: it fires in a debug build only (release
    // wraps and goes on). The table is the release build's; a debug build
    // compares the rest.
    let comparable = |t: &str| -> String {
        t.lines()
            .filter(|l| !(cfg!(debug_assertions) && l.starts_with("| MIME_PARSE_FAILED ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if comparable(current) == comparable(table.trim()) {
        return;
    }
    if std::env::var_os("SPAMTRACE_BLESS").is_some() {
        let new = format!("{}{BEGIN}\n{}\n{}", &doc[..b], table.trim(), &doc[e..]);
        std::fs::write(&path, new).expect("write docs/checks.md");
        println!("docs/checks.md: corpus table rewritten");
        return;
    }
    panic!(
        "docs/checks.md's corpus table is stale; run SPAMTRACE_BLESS=1 cargo test --test corpus_findings\n{table}"
    );
}
