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
    let mut r = spamtrace::trace(&msg, &opts);
    // As a user in the repository would name it (the goldens hold it).
    r.source.path = format!("testdata/{path}");
    r
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

/// The three messages and four widths the goldens cover.
const GOLDEN: [&str; 3] = [
    "06-m365-from-gmail.eml",
    "07-gmail-recipient.eml",
    "1999-berkeley.mbox",
];
const WIDTHS: [u16; 4] = [60, 80, 100, 120];

/// The table at each width against `testdata/golden/table/NAME.WIDTH.txt`;
/// `UPDATE_GOLDEN=1` rewrites them (then read the diff).
#[test]
fn goldens_at_four_widths() {
    let dir = format!("{}/testdata/golden/table", env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failed = Vec::new();
    for path in GOLDEN {
        let r = trace(path);
        for width in WIDTHS {
            let out = table(&r, width);
            let file = format!("{dir}/{path}.{width}.txt");
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&file, &out).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{file}: {e} (UPDATE_GOLDEN=1 writes it)"));
            if want != out {
                failed.push(format!("{file}:\n{out}"));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "differs from the golden:\n{}",
        failed.join("\n")
    );
}

/// Every line fits, and the label column of the summary is one column.
#[test]
fn every_line_fits_and_labels_align() {
    for path in GOLDEN {
        let r = trace(path);
        for width in WIDTHS {
            let out = table(&r, width);
            for l in out.lines() {
                assert!(
                    l.chars().count() <= usize::from(width),
                    "{path} at {width}: too wide: {l}\n{out}"
                );
                assert!(
                    !l.ends_with(' '),
                    "{path} at {width}: trailing space: {l:?}"
                );
            }
            // A summary line (not the table, not a finding) has its value at
            // column 17: a label, spaces, the value; or only indentation.
            let summary = out
                .lines()
                .skip_while(|l| !l.starts_with('└') && !l.starts_with("Route"))
                .skip(1)
                .take_while(|l| *l != "Findings:");
            for l in summary.filter(|l| !l.starts_with("hop ") && !l.starts_with("  ")) {
                let value = &l[..17.min(l.len())];
                assert!(
                    value.ends_with(' ') && !l[17..].starts_with(' '),
                    "{path} at {width}: value not at column 17: {l:?}\n{out}"
                );
            }
        }
    }
}

/// The route's cells, per column, with continuation lines joined: a line
/// that ends in `.` or `:` goes on in the line below.
fn joined_cells(out: &str) -> Vec<String> {
    let mut columns: Vec<Vec<String>> = Vec::new();
    for l in out.lines().filter(|l| l.starts_with('│')) {
        for (i, c) in l.split(['│', '┆']).enumerate() {
            if columns.len() <= i {
                columns.push(Vec::new());
            }
            columns[i].push(c.trim().to_string());
        }
    }
    // The list form: the value after the label column.
    let list: Vec<String> = out
        .lines()
        .skip_while(|l| !l.starts_with("Route"))
        .take_while(|l| !l.starts_with("Untrusted") && !l.starts_with("Findings"))
        .skip(1)
        .filter(|l| l.len() > 17 && !l.starts_with("hop "))
        .map(|l| l[17..].to_string())
        .collect();
    columns.push(list);
    let mut cells = Vec::new();
    for col in columns {
        let mut cur = String::new();
        for line in col {
            cur.push_str(&line);
            if !(cur.ends_with('.') || cur.ends_with(':')) {
                cells.push(std::mem::take(&mut cur));
            }
        }
        cells.push(cur);
    }
    cells
}

/// Host names break only at dots, addresses only at colons: every name
/// and address of every hop is whole once continuation lines are joined.
#[test]
fn names_break_only_at_dots_and_addresses_at_colons() {
    for path in GOLDEN {
        let r = trace(path);
        let mut want = Vec::new();
        for h in &r.hops {
            if let Some(ip) = h.from.ip {
                want.push(ip.to_string());
            }
            if let Some(helo) = &h.from.helo {
                want.push(format!("helo={helo}"));
            }
            if let Some(by) = &h.by {
                want.push(by.clone());
            }
        }
        assert!(want.len() >= 5, "{path}");
        for width in WIDTHS {
            let out = table(&r, width);
            let cells = joined_cells(&out);
            for w in &want {
                assert!(
                    cells.iter().any(|c| c == w),
                    "{path} at {width}: {w} broken:\n{out}"
                );
            }
        }
    }
}

#[test]
fn stdin_is_named_and_a_single_message_has_no_position() {
    let mut r = trace("06-m365-from-gmail.eml");
    assert_eq!(table(&r, 80).lines().next(), Some(r.source.path.as_str()));
    r.source.path = "-".into();
    assert_eq!(table(&r, 80).lines().next(), Some("<stdin>"));
    let r = trace("1999-berkeley.mbox");
    assert!(table(&r, 80)
        .lines()
        .next()
        .unwrap()
        .ends_with("(message 0 at byte 0)"));
}

#[test]
fn a_result_said_twice_is_shown_once() {
    let r = trace("06-m365-from-gmail.eml");
    // Authentication-Results and Received-SPF both say spf=pass.
    assert!(r.auth_results.iter().filter(|v| v.method == "spf").count() >= 2);
    let out = table(&r, 120);
    assert_eq!(out.matches("spf=pass").count(), 1, "{out}");
}
