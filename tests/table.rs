//! The table for people: findings order, line ends, and addresses kept
//! readable at 80 columns.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::Report;
use spamtrace::report::render::table::{render, TableStyle};

const NOW: i64 = 1_767_225_600;

fn trace(path: &str) -> Report {
    let opts = TraceOptions {
        infer_trust: true,
        now: NOW,
        ..Default::default()
    };
    let full = format!("{}/testdata/{path}", env!("CARGO_MANIFEST_DIR"));
    let msg = input::open(&full, &InputOptions::default())
        .next()
        .expect("one message")
        .expect("readable");
    spamtrace::trace(&msg, &opts)
}

fn table(r: &Report, width: u16) -> String {
    render(
        r,
        TableStyle {
            color: false,
            width: Some(width),
        },
    )
}

/// The finding header lines (`  sev    CODE[ hop N]`) in output order.
fn finding_lines(out: &str) -> Vec<&str> {
    out.lines()
        .skip_while(|l| *l != "Findings:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .collect()
}

#[test]
fn findings_are_sorted_by_hop_message_wide_first() {
    for path in [
        "1999-berkeley.mbox",
        "06-m365-from-gmail.eml",
        "13-forged-chain.eml",
    ] {
        let r = trace(path);
        let out = table(&r, 100);
        let lines = finding_lines(&out);
        assert_eq!(lines.len(), r.findings.len(), "{path}: {out}");
        let hops: Vec<Option<usize>> = lines
            .iter()
            .map(|l| l.rsplit_once(" hop ").and_then(|(_, h)| h.parse().ok()))
            .collect();
        let mut sorted = hops.clone();
        sorted.sort();
        assert_eq!(hops, sorted, "{path}: {out}");
        // Stable within a hop: the checks' order is kept.
        let mut expected: Vec<&spamtrace::model::Finding> = r.findings.iter().collect();
        expected.sort_by_key(|f| f.hop.map_or(0, |h| h + 1));
        for (line, f) in lines.iter().zip(expected) {
            let code = line.split_whitespace().nth(1).unwrap();
            assert_eq!(code, f.code, "{path}: {out}");
        }
    }
}

#[test]
fn no_trailing_spaces() {
    for path in [
        "1999-berkeley.mbox",
        "06-m365-from-gmail.eml",
        "13-forged-chain.eml",
    ] {
        let out = table(&trace(path), 80);
        // The berkeley sample has message-wide findings (no hop).
        assert!(
            out.lines().all(|l| !l.ends_with(' ')),
            "{path}:\n{}",
            out.replace(' ', "·")
        );
    }
    let r = trace("1999-berkeley.mbox");
    assert!(r.findings.iter().any(|f| f.hop.is_none()));
}

#[test]
fn ipv6_addresses_stay_whole_or_break_at_a_colon_at_80_columns() {
    let r = trace("06-m365-from-gmail.eml");
    let v6: Vec<String> = r
        .hops
        .iter()
        .filter_map(|h| h.from.ip)
        .filter(|ip| ip.is_ipv6())
        .map(|ip| ip.to_string())
        .collect();
    assert_eq!(v6.len(), 3);
    for width in [80u16, 100, 120] {
        let out = table(&r, width);
        // The hop table fits (a long Message-ID or Authentication line
        // is one unbreakable token, not judged here).
        assert!(
            out.lines()
                .filter(|l| l.starts_with(['┌', '│', '╞', '└']))
                .all(|l| l.chars().count() <= usize::from(width)),
            "{width}:\n{out}"
        );
        // The sender column's text, row by row: the first cell after the
        // hop and trust columns.
        let cells: Vec<String> = out
            .lines()
            .filter(|l| l.starts_with('│'))
            .filter_map(|l| l.split(['│', '┆']).nth(3).map(|c| c.trim().to_string()))
            .collect();
        for ip in &v6 {
            if width >= 100 {
                assert!(
                    cells.iter().any(|c| c == ip),
                    "{ip} not whole at {width}:\n{out}"
                );
            }
            // Whole, or split into pieces that each end in a colon, on
            // consecutive lines.
            let joined_from = |i: usize| {
                let mut joined = String::new();
                for c in &cells[i..] {
                    joined.push_str(c);
                    if joined.len() >= ip.len() || !c.ends_with(':') {
                        break;
                    }
                }
                joined
            };
            assert!(
                (0..cells.len()).any(|i| joined_from(i) == *ip),
                "{ip} broken at {width}:\n{out}"
            );
        }
    }
}
