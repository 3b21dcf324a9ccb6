//! The whole trace path on arbitrary bytes: input splitting, parsing, the
//! chain, the checks and every renderer (table, JSON, NDJSON, complaint,
//! ARF). Asserts no panic (nothing catches one here, unlike `run`), no
//! control byte, C1 or bidi control in what goes to a terminal, JSON that
//! parses back, and an ARF report that is 7-bit with lines under 1,000
//! octets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamtrace::chain::TraceOptions;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::report::render::complaint::ComplaintOptions;
use spamtrace::report::render::json::{write_ndjson, write_pretty};
use spamtrace::report::render::table::{self, TableStyle};
use spamtrace::report::render::{arf, complaint};
use spamtrace::util::sanitize::{bytes_for_terminal, is_terminal_safe};

fuzz_target!(|data: &[u8]| {
    let opts = InputOptions {
        keep_body: true,
        max_header_bytes: 64 << 10,
        max_body_bytes: 64 << 10,
        ..InputOptions::default()
    };
    let trace = TraceOptions::default();
    for msg in MessageReader::new(data, "fuzz", opts).take(4) {
        let Ok(msg) = msg else { continue };
        let report = spamtrace::trace(&msg, &trace);
        for width in [40, 120] {
            let style = TableStyle {
                color: false,
                width: Some(width),
            };
            let text = table::render(&report, style);
            assert!(is_terminal_safe(&text), "table: {text:?}");
        }
        let mut json = Vec::new();
        write_pretty(&mut json, &report).unwrap();
        let text = std::str::from_utf8(&json).unwrap();
        assert!(is_terminal_safe(text), "json: {text:?}");
        serde_json::from_slice::<serde_json::Value>(&json).unwrap();
        let mut line = Vec::new();
        write_ndjson(&mut line, &report).unwrap();
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        serde_json::from_slice::<serde_json::Value>(&line).unwrap();
        let copts = ComplaintOptions {
            include_body: true,
            now: 1_700_000_000,
            ..ComplaintOptions::default()
        };
        // The complaint and the ARF go to a terminal through the same
        // sanitiser the binary uses when stdout is one.
        let text = complaint::render(&report, &msg, &copts);
        assert!(is_terminal_safe(&bytes_for_terminal(text.as_bytes())));
        let report_bytes = arf::render(&report, &msg, &copts);
        assert!(is_terminal_safe(&bytes_for_terminal(&report_bytes)));
        for l in report_bytes.split(|b| *b == b'\n') {
            assert!(l.len() <= 1000, "ARF line of {} octets", l.len());
            assert!(l.is_ascii(), "8-bit ARF line: {:?}", String::from_utf8_lossy(l));
        }
    }
});
