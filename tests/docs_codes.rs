//! Finding codes are a public contract (like SpamAssassin's rule names):
//! the `Code` enum lists them, every one is documented in docs/checks.md,
//! every one is emitted somewhere in the source, and each serialises as its
//! documented name.

use spamtrace::model::Code;
use std::path::Path;

/// Every Rust source file under src/, as text.
fn sources() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).expect("source is UTF-8"));
            }
        }
    }
    out
}

#[test]
fn every_code_is_documented() {
    assert!(Code::ALL.len() >= 40, "too few codes: {:?}", Code::ALL);
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md"))
        .expect("docs/checks.md exists");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !doc.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes missing from docs/checks.md: {missing:?}"
    );
}

#[test]
fn every_code_is_emitted_by_a_check() {
    // `Code::ChainBreak` in a check, outside model/finding.rs (which lists them).
    let src: String = sources()
        .into_iter()
        .filter(|s| !s.contains("pub enum Code {"))
        .collect();
    let unused: Vec<String> = Code::ALL
        .iter()
        .map(|c| format!("{c:?}"))
        .filter(|v| !src.contains(&format!("Code::{v}")))
        .collect();
    assert!(unused.is_empty(), "codes no check emits: {unused:?}");
}

#[test]
fn codes_serialise_as_their_names() {
    for c in Code::ALL {
        let json = serde_json::to_string(c).unwrap();
        assert_eq!(json, format!("\"{}\"", c.as_str()));
        let back: Code = serde_json::from_str(&json).unwrap();
        assert_eq!(back, *c);
        assert!(*c == c.as_str() && c.as_str() == *c);
    }
    let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let sorted = {
        let mut s = names.clone();
        s.sort();
        s.dedup();
        s
    };
    assert_eq!(names, sorted, "Code::ALL is in name order, without repeats");
}
