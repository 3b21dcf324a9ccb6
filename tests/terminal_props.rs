//! Property (issue 15): for every byte string put in a message, every
//! string spamtrace sends to a terminal has no byte below 0x20 but `\n`, no
//! DEL, no C1 control and no bidi or invisible control: the table, JSON and
//! NDJSON (printed as they are), the complaint and the ARF report (printed
//! through the terminal sanitiser), and the sanitiser itself.

use proptest::prelude::*;
use spamtrace::chain::TraceOptions;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use spamtrace::report::render::complaint::ComplaintOptions;
use spamtrace::report::render::json::{write_ndjson, write_pretty};
use spamtrace::report::render::table::{self, TableStyle};
use spamtrace::report::render::{arf, complaint};
use spamtrace::util::sanitize::{
    bytes_for_terminal, for_header, for_terminal, for_terminal_lines, is_terminal_safe,
};

/// The rule, on bytes: what a terminal may be sent.
fn safe_bytes(s: &str) -> bool {
    let bytes_ok = s.bytes().all(|b| b == b'\n' || (b >= 0x20 && b != 0x7f));
    bytes_ok && is_terminal_safe(s)
}

/// Bytes that are often hostile: controls, C1 in UTF-8, bidi, invalid UTF-8.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(b"\x1b[31m".to_vec()),
        Just("\u{9b}".as_bytes().to_vec()),
        Just("\u{9d}0;x\u{9c}".as_bytes().to_vec()),
        Just("\u{202e}".as_bytes().to_vec()),
        Just("\u{2066}\u{2069}".as_bytes().to_vec()),
        Just("\u{61c}\u{200b}\u{feff}\u{2028}".as_bytes().to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r\n\t".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"(".to_vec()),
        Just(b" [198.51.100.7]".to_vec()),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn message(field: &[u8], received: &[u8], body: &[u8]) -> Vec<u8> {
    let mut m = b"Received: from x (".to_vec();
    m.extend_from_slice(received);
    m.extend_from_slice(b") by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: ");
    m.extend_from_slice(field);
    m.extend_from_slice(b"\r\nFrom: ");
    m.extend_from_slice(field);
    m.extend_from_slice(b" <a@example.net>\r\nMessage-ID: <");
    m.extend_from_slice(field);
    m.extend_from_slice(b"@example.net>\r\n\r\n");
    m.extend_from_slice(body);
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_sanitiser_leaves_nothing_unsafe(bytes in proptest::collection::vec(any::<u8>(), 0..200), h in hostile()) {
        for b in [&bytes, &h] {
            let s = String::from_utf8_lossy(b);
            prop_assert!(safe_bytes(&for_terminal(&s)));
            prop_assert!(!for_terminal(&s).contains('\n'));
            prop_assert!(safe_bytes(&for_terminal_lines(&s)));
            prop_assert!(safe_bytes(&bytes_for_terminal(b)));
            let h = for_header(&s);
            prop_assert!(safe_bytes(&h) && !h.contains('\n'));
        }
    }

    #[test]
    fn every_terminal_bound_output_is_safe(field in hostile(), received in hostile(), body in hostile()) {
        let bytes = message(&field, &received, &body);
        let opts = InputOptions { keep_body: true, ..InputOptions::default() };
        for msg in MessageReader::new(&bytes[..], "prop.eml", opts).flatten() {
            let report = spamtrace::trace(&msg, &TraceOptions::default());
            let text = table::render(&report, TableStyle { color: false, width: Some(100) });
            prop_assert!(safe_bytes(&text), "table: {:?}", text);
            let mut json = Vec::new();
            write_pretty(&mut json, &report).unwrap();
            let json = String::from_utf8(json).unwrap();
            prop_assert!(safe_bytes(&json), "json: {:?}", json);
            prop_assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
            let mut line = Vec::new();
            write_ndjson(&mut line, &report).unwrap();
            let line = String::from_utf8(line).unwrap();
            prop_assert!(safe_bytes(&line));
            prop_assert_eq!(line.matches('\n').count(), 1);
            let copts = ComplaintOptions { include_body: true, now: 1_704_067_200, ..ComplaintOptions::default() };
            let c = complaint::render(&report, &msg, &copts);
            prop_assert!(safe_bytes(&bytes_for_terminal(c.as_bytes())));
            let a = arf::render(&report, &msg, &copts);
            prop_assert!(safe_bytes(&bytes_for_terminal(&a)));
            // The report itself travels anywhere: 7-bit, lines under 1,000.
            prop_assert!(a.split(|b| *b == b'\n').all(|l| l.is_ascii() && l.len() <= 1000));
        }
    }
}
