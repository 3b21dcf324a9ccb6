//! Received-parser vectors: SpamAssassin's 145 cases (read from
//! ../shared/vectors at test time) and hand-written cases per MTA format.

use spamtrace::model::{Hop, HopKind};
use spamtrace::received::parse;
use std::path::PathBuf;

fn p(s: &str) -> Hop {
    parse(0, s.as_bytes())
}

fn ip(h: &Hop) -> String {
    h.from.ip.map(|i| i.to_string()).unwrap_or_default()
}

fn s(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}

// ---------------------------------------------------------------- SpamAssassin

/// Cases where we disagree with SpamAssassin on purpose: (case, field, why).
/// The connecting IP is never in this list: it must always be exact.
const DELIBERATE: &[(usize, &str, &str)] = &[
    // A bare `from [ip] by` gives the IP, not a HELO: we do not invent one.
    (52, "helo", "the literal is the connecting IP; no HELO is recorded"),
    // An rDNS name is a name: qmail writes the IP where it found none.
    (18, "rdns", "qmail wrote the IP in the rDNS place: no rDNS name"),
    // ecelerity `from [127.0.0.1] ([127.0.0.1:50024])`: the leading literal is
    // what the client said; SpamAssassin drops it.
    (41, "helo", "the leading literal is kept as the HELO claim"),
    // SquirrelMail: SpamAssassin drops the name; it is the HELO as written.
    (64, "helo", "`from NAME ([ip])` names the HELO whatever follows"),
    // smtpd `name(ip)`: SA keeps no HELO, we agree, but it keeps the rDNS
    // with its case; names are compared lowercased so nothing to list.
    // Courier `softdnserr` is a lookup failure marker, not a name: both empty.
    // CommuniGate `from [ip] (account x HELO [y])`: SA writes !y!, we [y].
];

#[derive(Default)]
struct Tally {
    cases: usize,
    ip_ok: usize,
    field_ok: [usize; 3],
    field_n: [usize; 3],
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/sa-rcvd-parser.jsonl")
}

/// SpamAssassin writes a HELO literal as `!1.2.3.4!`; we keep `[1.2.3.4]`.
fn sa_name(v: &serde_json::Value) -> String {
    let t = v.as_str().unwrap_or("").to_ascii_lowercase();
    let t = t.trim_end_matches('.');
    match t.strip_prefix('!').and_then(|x| x.strip_suffix('!')) {
        Some(inner) => format!("[{inner}]"),
        None => t.to_string(),
    }
}

#[test]
fn spamassassin_vectors() {
    let path = vectors_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("SKIP: {} not found", path.display());
        return;
    };
    let mut t = Tally::default();
    let mut failures = Vec::new();
    let mut used = vec![false; DELIBERATE.len()];
    for (n, line) in text.lines().enumerate() {
        let case: serde_json::Value = serde_json::from_str(line).expect("vector line is JSON");
        let received = case["received"].as_str().unwrap_or("");
        let hop = p(received);
        if case["skip"].as_bool() == Some(true) {
            // SpamAssassin ignores these; we must still not fail on them.
            assert_eq!(hop.raw, received.trim());
            continue;
        }
        let e = &case["expect"];
        t.cases += 1;
        let want_ip = e["ip"].as_str().unwrap_or("");
        if ip(&hop) == want_ip && hop.kind == HopKind::Relay {
            t.ip_ok += 1;
        } else {
            failures.push(format!("#{n} ip: got {:?} want {want_ip:?}\n    {received}", ip(&hop)));
        }
        let fields = [("helo", s(&hop.from.helo)), ("rdns", s(&hop.from.rdns)), ("by", s(&hop.by))];
        for (f, (name, got)) in fields.iter().enumerate() {
            let want = sa_name(&e[*name]);
            t.field_n[f] += 1;
            if *got == want {
                t.field_ok[f] += 1;
                continue;
            }
            match DELIBERATE.iter().position(|(c, fld, _)| *c == n && fld == name) {
                Some(k) => used[k] = true,
                None => failures.push(format!(
                    "#{n} {name}: got {got:?} want {want:?}\n    {received}"
                )),
            }
        }
    }
    println!(
        "SpamAssassin vectors: {} parsed cases; IP exact {}/{}; helo {}/{}, rdns {}/{}, by {}/{}; deliberate disagreements {}",
        t.cases, t.ip_ok, t.cases, t.field_ok[0], t.field_n[0], t.field_ok[1], t.field_n[1],
        t.field_ok[2], t.field_n[2], DELIBERATE.len()
    );
    for (k, u) in used.iter().enumerate() {
        if !u {
            failures.push(format!("deliberate entry {:?} no longer disagrees: remove it", DELIBERATE[k]));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
