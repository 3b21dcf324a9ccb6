//! Every Received header of every message in ../shared/corpus: no panic, and
//! at least 99% of headers that carry an address literal yield that address.
//!
//! "Contains an address literal" (checked here independently of the parser):
//! in the part of the header before the first ` by ` (or the whole header
//! when there is none), a `[...]` whose inside is an IP address, or a `(...)`
//! whose inside is a bare IP address; an `IPv6:` prefix, a `user@` prefix and
//! a `:port` suffix are allowed. The hop counts as a hit when its connecting
//! IP is one of those literals.

use spamtrace::model::HopKind;
use spamtrace::parse::headers::fields;
use spamtrace::parse::received::parse;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

/// Where the header part starts to be written by the receiver.
fn before_by(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    let cut = [" by ", "\tby ", ")by "]
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(text.len());
    // `lower` has the same byte length as `text` (ASCII lowercasing only).
    &text[..cut]
}

/// An address written as `1.2.3.4`, `IPv6:x`, `::ffff:1.2.3.4`, `user@ip`, `ip:port`.
fn literal_ip(inside: &str) -> Option<IpAddr> {
    let t = inside.trim();
    let t = t.rsplit('@').next().unwrap_or(t);
    let t = t
        .strip_prefix("IPv6:")
        .or_else(|| t.strip_prefix("ipv6:"))
        .unwrap_or(t);
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    let (addr, port) = t.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The address literals of a header, as defined above.
fn literals(text: &str) -> Vec<IpAddr> {
    let part = before_by(text);
    let mut out = Vec::new();
    for (open, close) in [('[', ']'), ('(', ')')] {
        let mut rest = part;
        while let Some(i) = rest.find(open) {
            rest = &rest[i + 1..];
            let Some(j) = rest.find(close) else { break };
            if let Some(ip) = literal_ip(&rest[..j]) {
                out.push(ip);
            }
        }
    }
    out
}

#[test]
fn corpus_received_headers() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        println!("SKIP: corpus not found at {}", root.display());
        return;
    };
    let (mut files, mut total, mut with_literal, mut hits, mut unparsed) = (0, 0, 0, 0, 0);
    let mut undated = 0usize;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut unparsed_examples = Vec::new();
    // SPAMTRACE_DUMP=FILE writes every hop as a JSON line, for comparisons.
    let mut dump =
        std::env::var_os("SPAMTRACE_DUMP").map(|p| std::fs::File::create(p).expect("dump file"));
    for line in manifest.lines().skip(1) {
        let Some(rel) = line.split('\t').next() else {
            continue;
        };
        let Ok(bytes) = std::fs::read(root.join(rel)) else {
            continue;
        };
        files += 1;
        let end = memchr::memmem::find(&bytes, b"\n\n")
            .or_else(|| memchr::memmem::find(&bytes, b"\r\n\r\n"))
            .unwrap_or(bytes.len());
        let received: Vec<_> = fields(&bytes[..end])
            .into_iter()
            .filter(|f| f.is("received"))
            .collect();
        for (i, field) in received.iter().enumerate() {
            let hop = parse(i, field.value);
            if let Some(out) = dump.as_mut() {
                use std::io::Write;
                let line = serde_json::json!({"path": rel, "hop": &hop});
                writeln!(out, "{line}").expect("dump write");
            }
            total += 1;
            *kinds.entry(format!("{:?}", hop.kind)).or_default() += 1;
            if hop.timestamp.is_none() {
                undated += 1;
            }
            if hop.kind == HopKind::Unparsed {
                unparsed += 1;
                if unparsed_examples.len() < 10 {
                    unparsed_examples.push(format!("{rel} #{i}: {}", hop.raw.escape_debug()));
                }
            }
            let lits = literals(&hop.raw);
            if lits.is_empty() {
                continue;
            }
            with_literal += 1;
            if hop.from.ip.is_some_and(|ip| lits.contains(&ip)) {
                hits += 1;
            } else if misses.len() < 20 {
                let got = hop.from.ip.map(|i| i.to_string()).unwrap_or("-".into());
                misses.push(format!("{rel} #{i}: got {got}: {}", hop.raw.escape_debug()));
            }
        }
    }
    let rate = if with_literal == 0 {
        1.0
    } else {
        hits as f64 / with_literal as f64
    };
    println!("corpus: {files} files, {total} Received headers, kinds {kinds:?}");
    println!("headers without a timestamp (no date, or one no reader accepts): {undated}");
    println!(
        "with an address literal: {with_literal}; connecting IP extracted: {hits}; rate {:.3}%; unparsed: {unparsed}",
        rate * 100.0
    );
    println!("first misses:");
    for m in &misses {
        println!("  {m}");
    }
    println!("first unparsed:");
    for u in &unparsed_examples {
        println!("  {u}");
    }
    assert!(files > 0, "MANIFEST.tsv lists no readable file");
    assert!(
        rate >= 0.99,
        "IP extraction rate {:.3}% is below 99%",
        rate * 100.0
    );
}
