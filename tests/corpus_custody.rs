//! Custody over the labelled corpus (../shared/corpus, MANIFEST labels),
//! offline: how often CHAIN_BREAK fires per label (precision: on ham;
//! recall: on spam and phishing), and the rule it must keep (docs/checks.md):
//! a `warn` fires on spam+phishing at least 5x as often as on ham, or on
//! under 1% of ham. Also the probable origins reached through provider
//! internals and webmail hops. Skips with a message when the corpus is absent.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::{Code, Severity};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Default, Clone, Copy)]
struct Count {
    messages: usize,
    any: usize,
    warn: usize,
    forged: usize,
}

/// The hop shapes the origin walk should reach through.
fn shape(h: &spamtrace::model::Hop) -> Option<&'static str> {
    let with = h.with.as_deref().unwrap_or("").to_ascii_lowercase();
    let proto = with.split(' ').next().unwrap_or("");
    let by = h.by.as_deref().unwrap_or("");
    let provider = [
        "gmail.com",
        "google.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
    ]
    .iter()
    .any(|p| by.ends_with(p));
    let raw = h.raw.to_ascii_lowercase();
    if h.authenticated && provider {
        Some("authenticated submission at Google/Microsoft/Yahoo")
    } else if matches!(proto, "http" | "https") || raw.contains("via http") {
        Some("webmail (with/via HTTP(S))")
    } else if raw.contains("(helo ") && h.from.ip.is_some() {
        Some("qmail `from x (HELO y) (ip)`")
    } else {
        None
    }
}

#[test]
fn chain_break_rates() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(text) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        eprintln!("skipping: ../shared/corpus/MANIFEST.tsv not found");
        return;
    };
    let opts = TraceOptions {
        infer_trust: true,
        now: spamtrace::util::clock::unix_now(),
        ..Default::default()
    };
    let mut by_label: BTreeMap<String, Count> = BTreeMap::new();
    // Ham breaks: (receiver named below, sender names above) -> messages.
    let mut ham_pairs: BTreeMap<String, usize> = BTreeMap::new();
    let mut ham_examples: Vec<String> = Vec::new();
    // Hops below the boundary of each shape: (reached by the origin walk, all).
    let mut shapes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(label)) = (cols.first(), cols.get(2)) else {
            continue;
        };
        let full = root.join(path);
        for msg in input::open(&full.to_string_lossy(), &InputOptions::default()).flatten() {
            let r = spamtrace::trace(&msg, &opts);
            let c = by_label.entry(label.to_string()).or_default();
            c.messages += 1;
            let boundary = r.trust_boundary.unwrap_or(0);
            let origin = r.probable_origin.as_ref().map(|o| o.hop);
            for h in r.hops.iter().filter(|h| h.index > boundary) {
                let Some(shape) = shape(h) else { continue };
                let e = shapes.entry(shape).or_default();
                e.1 += 1;
                if origin.is_some_and(|o| o >= h.index) {
                    e.0 += 1;
                }
            }
            let breaks: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.code == Code::ChainBreak)
                .collect();
            if breaks.is_empty() {
                continue;
            }
            c.any += 1;
            if breaks.iter().any(|f| f.severity == Severity::Forged) {
                c.forged += 1;
            } else {
                c.warn += 1;
            }
            if *label == "ham" {
                for f in &breaks {
                    let key = format!(
                        "{} <- {}",
                        f.evidence["lower_by"].as_str().unwrap_or("-"),
                        f.evidence["upper_names"]
                    );
                    *ham_pairs.entry(key).or_default() += 1;
                }
                if ham_examples.len() < 40 {
                    ham_examples.push(format!("{path}: {}", breaks[0].message));
                }
            }
        }
    }
    let rate = |l: &str, f: fn(&Count) -> usize| {
        let c = by_label.get(l).copied().unwrap_or_default();
        (
            f(&c),
            c.messages,
            100.0 * f(&c) as f64 / c.messages.max(1) as f64,
        )
    };
    println!("CHAIN_BREAK per label (messages with the code):");
    for l in ["ham", "spam", "phishing", "mixed"] {
        let (a, n, p) = rate(l, |c| c.any);
        let (w, _, pw) = rate(l, |c| c.warn);
        let (f, _, pf) = rate(l, |c| c.forged);
        println!("  {l:<9} any {a}/{n} ({p:.1}%)  warn {w} ({pw:.1}%)  forged {f} ({pf:.1}%)");
    }
    let (ham_any, ham_n, ham_rate) = rate("ham", |c| c.any);
    let (s, sn, _) = rate("spam", |c| c.any);
    let (p, pn, _) = rate("phishing", |c| c.any);
    let bad_rate = 100.0 * (s + p) as f64 / (sn + pn).max(1) as f64;
    let ratio = bad_rate / ham_rate.max(1e-9);
    println!(
        "  spam+phishing {bad_rate:.2}% vs ham {ham_rate:.2}%: ratio {ratio:.1}x (rule: >= 5x, or ham < 1%)"
    );
    let mut pairs: Vec<_> = ham_pairs.into_iter().collect();
    pairs.sort_by_key(|p| std::cmp::Reverse(p.1));
    println!("ham breaks by pair (receiver below <- sender names above):");
    for (k, n) in pairs.iter().take(30) {
        println!("  {n:>4}  {k}");
    }
    for e in &ham_examples {
        println!("  {e}");
    }
    println!("hops below the boundary reached by the origin walk (all labels):");
    for (shape, (reached, all)) in &shapes {
        println!("  {shape:<44} {reached}/{all}");
    }
    if ham_n == 0 {
        eprintln!("skipping the rule: no ham in the manifest");
        return;
    }
    assert!(
        ham_rate < 1.0 || ratio >= 5.0,
        "CHAIN_BREAK on {ham_any}/{ham_n} ham ({ham_rate:.2}%) and {bad_rate:.2}% of spam+phishing: fails the warn rule"
    );
}
