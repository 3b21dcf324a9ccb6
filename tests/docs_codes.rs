//! Finding codes are a public contract (like SpamAssassin's rule names):
//! every code the source can emit must be documented in docs/checks.md.

use std::path::Path;

/// Every `"CODE"` string literal in the source that is passed to
/// `Finding::new` (on the same line or the next one).
fn emitted_codes() -> Vec<String> {
    let mut codes = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source is UTF-8");
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if !line.contains("Finding::new(") {
                    continue;
                }
                let window = format!("{} {}", line, lines.get(i + 1).unwrap_or(&""));
                let after = &window[window.find("Finding::new(").unwrap_or(0)..];
                if let Some(start) = after.find('"') {
                    let rest = &after[start + 1..];
                    let code: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if code.len() >= 5 && rest[code.len()..].starts_with('"') {
                        codes.push(code);
                    }
                }
            }
        }
    }
    codes.sort();
    codes.dedup();
    codes
}

#[test]
fn every_emitted_code_is_documented() {
    let codes = emitted_codes();
    assert!(codes.len() >= 20, "found too few codes: {codes:?}");
    for known in [
        "CHAIN_BREAK",
        "HELO_RDNS_MISMATCH",
        "MSGID_FORGED_HOP",
        "RDNS_NONE",
    ] {
        assert!(codes.iter().any(|c| c == known), "{known} not found in src");
    }
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md"))
        .expect("docs/checks.md exists");
    let missing: Vec<&String> = codes.iter().filter(|c| !doc.contains(c.as_str())).collect();
    assert!(
        missing.is_empty(),
        "codes missing from docs/checks.md: {missing:?}"
    );
}
