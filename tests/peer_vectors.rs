//! Other projects' Received-parser tests, read at test time from
//! ../shared/vectors (see README-peers.md there): Microsoft Message Header
//! Analyzer (`mha-received.jsonl`, `mha-received-dates.jsonl`) and SpamScope
//! mail-parser (`spamscope-received.jsonl`).
//!
//! Compared: the normalised fields of each `parse` and `date` case (`ip`,
//! `helo`, `rdns`, `by_host`, `date_utc`) where the vector gives them (a key
//! absent = not determinable, skipped; `null` = none). The connecting IP
//! must always agree. Every other disagreement is listed in [`DELIBERATE`]
//! with its reason, and in docs/received.md. Skips with a message when the
//! vectors are absent.

use spamtrace::model::Hop;
use spamtrace::parse::received::parse;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// (case id, field, why we differ). The IP is never here.
const DELIBERATE: &[(&str, &str, &str)] = &[
    (
        "mha-received-030",
        "date_utc",
        "`; 22 Apr 2018` has no time of day: MHA reads midnight UTC, we give no timestamp (a guess up to a day off would feed the hop-order checks)",
    ),
    (
        "mha-date-h6_3",
        "date_utc",
        "`4/20/2018 11:01:36 PM` has no zone: MHA reads UTC; the offset is the writing host's local one, unknown, and a guess up to 14 hours off would feed the hop-order checks, so no timestamp",
    ),
    (
        "mha-date-h7",
        "date_utc",
        "`4-20-2018 11:01:07 PM`: no zone, as for h6_3",
    ),
    (
        "mha-date-h8",
        "date_utc",
        "`2018-4-20 11:01:08 PM`: no zone, as for h6_3",
    ),
    (
        "spamscope-012",
        "helo",
        "`a]b-123.smtp-out...`: a `]` cannot stand in a host name; the name is cut at the stray bracket (the IP is still right)",
    ),
    (
        "spamscope-012",
        "rdns",
        "as for the HELO: the name is cut at the stray `]`",
    ),
];

fn vectors(name: &str) -> Option<Vec<serde_json::Value>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors")
        .join(name);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} not found", path.display());
        return None;
    };
    Some(
        text.lines()
            .map(|l| serde_json::from_str(l).expect("vector line is JSON"))
            .collect(),
    )
}

/// Names as the README says to compare them: no case, no trailing dot.
fn name(v: Option<&str>) -> Option<String> {
    v.map(|s| s.trim_end_matches('.').to_ascii_lowercase())
        .filter(|s| !s.is_empty())
}

/// The header as a message carries it: LF folds become CRLF folds.
fn hop_of(header: &str) -> Hop {
    parse(0, header.replace('\n', "\r\n").as_bytes())
}

/// Our value of a normalised field, in the vectors' form.
fn ours(hop: &Hop, field: &str) -> Option<String> {
    match field {
        "ip" => hop.from.ip.map(|i| i.to_string()),
        "helo" => name(hop.from.helo.as_deref()),
        "rdns" => name(hop.from.rdns.as_deref()),
        "by_host" => name(hop.by.as_deref()),
        // Compared to the second: our timestamps carry no fraction.
        "date_utc" => hop.timestamp.as_ref().map(|t| t.utc.clone()),
        _ => None,
    }
}

fn theirs(case: &serde_json::Value, field: &str) -> Option<Option<String>> {
    let v = case.get(field)?;
    Some(match field {
        "ip" => v
            .as_str()
            .map(|s| s.parse::<std::net::IpAddr>().unwrap().to_string()),
        // Seconds only (see `ours`): `2018-04-22T02:54:16.987Z` -> `...:16Z`.
        "date_utc" => v.as_str().map(|s| match s.split_once('.') {
            Some((sec, _)) => format!("{sec}Z"),
            None => s.to_string(),
        }),
        _ => name(v.as_str()),
    })
}

const FIELDS: [&str; 5] = ["ip", "helo", "rdns", "by_host", "date_utc"];

#[derive(Default)]
struct Tally {
    cases: usize,
    /// field -> (agree, compared)
    fields: BTreeMap<&'static str, (usize, usize)>,
    deliberate: usize,
}

fn run(file: &str, tally: &mut Tally, failures: &mut Vec<String>, used: &mut [bool]) {
    let Some(cases) = vectors(file) else { return };
    for case in &cases {
        let kind = case["kind"].as_str().unwrap_or("");
        let id = case["id"].as_str().unwrap_or("?");
        let Some(header) = case["header"].as_str() else {
            continue; // `null` input, or no header (chain, other, ip_regex)
        };
        if !matches!(kind, "parse" | "date") {
            continue;
        }
        tally.cases += 1;
        let hop = hop_of(header);
        for field in FIELDS {
            let Some(want) = theirs(case, field) else {
                continue;
            };
            let got = ours(&hop, field);
            let e = tally.fields.entry(field).or_default();
            e.1 += 1;
            if got == want {
                e.0 += 1;
                continue;
            }
            let listed = DELIBERATE
                .iter()
                .position(|(c, f, _)| *c == id && *f == field);
            match listed {
                Some(k) if field != "ip" => {
                    used[k] = true;
                    tally.deliberate += 1;
                }
                _ => failures.push(format!(
                    "{id} {field}: got {got:?} want {want:?}\n    {header:?}"
                )),
            }
        }
    }
}

#[test]
fn peer_suites() {
    let mut failures = Vec::new();
    let mut used = vec![false; DELIBERATE.len()];
    for file in [
        "mha-received.jsonl",
        "mha-received-dates.jsonl",
        "spamscope-received.jsonl",
    ] {
        let mut t = Tally::default();
        run(file, &mut t, &mut failures, &mut used);
        let figures: Vec<String> = t
            .fields
            .iter()
            .map(|(f, (ok, n))| format!("{f} {ok}/{n}"))
            .collect();
        println!(
            "{file}: {} cases; {}; deliberate disagreements {}",
            t.cases,
            figures.join(", "),
            t.deliberate
        );
    }
    for (k, u) in used.iter().enumerate() {
        if !u && vectors("mha-received.jsonl").is_some() {
            failures.push(format!(
                "deliberate entry {:?} no longer disagrees: remove it",
                DELIBERATE[k]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
