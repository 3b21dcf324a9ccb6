//! NDJSON is written by our own compact serializer
//! (`report::render::json::compact`); it must give serde_json's bytes
//! (with the sanitiser's escaping) for every report. Here: the fixtures and
//! the 1999 mbox, with and without bodies, and the shared corpus (skipped
//! with a message when absent), each report rendered both ways and the
//! bytes compared.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::report::render::json::{compact_serde_json, push_ndjson};
use std::path::{Path, PathBuf};

/// Traces every message of `path` and compares the two renderings; the
/// number of reports compared.
fn compare(path: &Path, bodies: bool) -> usize {
    let opts = TraceOptions {
        bodies,
        now: 1_767_225_600,
        ..Default::default()
    };
    let input_opts = InputOptions {
        keep_body: bodies,
        max_body_bytes: 4 << 20,
        ..InputOptions::default()
    };
    let mut n = 0;
    for msg in input::open(&path.to_string_lossy(), &input_opts).flatten() {
        let report = spamtrace::run::trace(&msg, &opts);
        let mut ours = Vec::new();
        push_ndjson(&mut ours, &report).unwrap();
        let mut theirs = Vec::new();
        compact_serde_json(&mut theirs, &report).unwrap();
        theirs.push(b'\n');
        if ours != theirs {
            let at = ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
            let from = at.saturating_sub(80);
            panic!(
                "{} message {n} (bodies {bodies}): bytes differ at {at}\n ours:   {}\n serde:  {}",
                path.display(),
                String::from_utf8_lossy(&ours[from..ours.len().min(at + 80)]),
                String::from_utf8_lossy(&theirs[from..theirs.len().min(at + 80)]),
            );
        }
        n += 1;
    }
    n
}

#[test]
fn fixtures_render_as_serde_json_does() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut n = 0;
    for f in &files {
        n += compare(f, false) + compare(f, true);
    }
    assert!(
        n >= 2 * files.len(),
        "{n} reports from {} files",
        files.len()
    );
}

#[test]
fn corpus_renders_as_serde_json_does() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        eprintln!(
            "skipping: {} not found",
            root.join("MANIFEST.tsv").display()
        );
        return;
    };
    let mut n = 0;
    for line in manifest.lines().skip(1) {
        let Some(path) = line.split('\t').next() else {
            continue;
        };
        n += compare(&root.join(path), true);
    }
    assert!(n > 1000, "only {n} corpus reports compared");
}
