//! The module map holds (docs/architecture.md): data flows one way, so no
//! module of the library names a module of a later stage. A `use crate::X`
//! or an inline `crate::X::` path from a file of stage A to a stage after A
//! fails this test, with the file and line.

use std::path::{Path, PathBuf};

/// The library's top-level modules in pipeline order. A module may use its
/// own stage and any stage before it; `model` and `util` use no stage.
const STAGES: &[&str] = &[
    "model", "util", "input", "parse", "chain", "enrich", "checks", "report", "run", "capture",
    "queue",
];

fn rank(module: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == module)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module of every `crate::` path a line names, outside
/// comments: `crate::model::Hop` and `crate::{model::Hop, util::domain}`.
fn crate_refs(line: &str) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        let after = &rest[i + "crate::".len()..];
        rest = after;
        // `$crate::` and `my_crate::` are not ours.
        if matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        out.extend(first_segments(after));
    }
    out
}

/// The first segment of a path, or of each item of a `{...}` group.
fn first_segments(path: &str) -> Vec<&str> {
    let ident = |s: &str| -> usize {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let Some(group) = path.strip_prefix('{') else {
        return vec![&path[..ident(path)]];
    };
    let (mut depth, mut start, mut out) = (0usize, 0usize, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                let item = group[start..i].trim();
                if !item.is_empty() {
                    out.push(&item[..ident(item)]);
                }
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                let item = group[start..i].trim();
                if !item.is_empty() {
                    out.push(&item[..ident(item)]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    out.retain(|s| !s.is_empty() && *s != "self");
    out
}

/// The top-level module a `super::super::...` path reaches when it climbs
/// out of the file's own top-level module (`depth`: how deep the file's
/// module is, `src/enrich/dns/auth.rs` = 3).
fn super_refs(line: &str, depth: usize) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("super::") {
        let before = rest[..i].chars().last();
        let mut after = &rest[i..];
        let mut ups = 0;
        while let Some(r) = after.strip_prefix("super::") {
            ups += 1;
            after = r;
        }
        rest = after;
        if matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if ups >= depth {
            out.extend(first_segments(after));
        }
    }
    out
}

/// The back-edges of the library: (file, line number, from, to).
fn back_edges() -> Vec<(String, usize, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let top = rel.split(['/', '.']).next().unwrap_or("").to_string();
        // The binary side (main.rs, cli/) may use anything; lib.rs re-exports.
        let Some(from) = rank(&top) else { continue };
        // The file's module depth: `chain/trust.rs` 2, `chain/mod.rs` 1.
        let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
        let depth = parts.len() - usize::from(parts.last() == Some(&"mod"));
        let text = std::fs::read_to_string(&path).unwrap();
        // In a file's test module, `super::` starts one level deeper.
        let mut in_tests = false;
        for (n, line) in text.lines().enumerate() {
            in_tests |= line.starts_with("mod tests {");
            let refs = crate_refs(line)
                .into_iter()
                .chain(super_refs(line, depth + usize::from(in_tests)));
            for name in refs {
                match rank(name) {
                    Some(to) if to > from => {
                        bad.push((rel.clone(), n + 1, top.clone(), name.to_string()))
                    }
                    Some(_) => {}
                    None => panic!("{rel}:{}: crate::{name} is no known stage: add it to STAGES and docs/architecture.md", n + 1),
                }
            }
        }
    }
    bad
}

#[test]
fn no_stage_imports_a_later_one() {
    let bad = back_edges();
    assert!(
        bad.is_empty(),
        "imports against the pipeline's direction:\n{}",
        bad.iter()
            .map(|(f, n, a, b)| format!("  src/{f}:{n}: {a} uses {b}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_scan_sees_real_imports() {
    // The scanner itself: a line of each shape it must read.
    assert_eq!(crate_refs("use crate::model::{Hop, Report};"), ["model"]);
    assert_eq!(
        crate_refs("use crate::{model::Hop, util::{domain, clock}};"),
        ["model", "util"]
    );
    // From src/enrich/dns/auth.rs (depth 3), three `super::` reach the root.
    assert_eq!(
        super_refs("use super::super::super::checks::Context;", 3),
        ["checks"]
    );
    assert!(super_refs("use super::super::abuse::facts;", 3).is_empty());
    assert_eq!(
        crate_refs("    let d = crate::util::domain::registrable(x); // crate::run"),
        ["util"]
    );
    assert!(crate_refs("macro_rules! m { () => { $crate::x } }").is_empty());
    // And the tree: the report stage does use the checks (so the scan is
    // not vacuous), and every top-level module of lib.rs is a known stage.
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap();
    let mods: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert!(mods.len() >= STAGES.len(), "{mods:?}");
    for m in mods {
        assert!(
            rank(m).is_some(),
            "src/lib.rs declares {m}, which is no stage"
        );
    }
    let build =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/report/build.rs"))
            .unwrap();
    assert!(build.lines().any(|l| crate_refs(l).contains(&"checks")));
}
