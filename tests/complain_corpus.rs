//! Every message of the shared corpus (../shared/corpus, read in place)
//! through `complain --arf --include-body --redact`: the report always
//! parses back, its own header is only ours, and every line ends in CRLF.

mod abuse_support;

use abuse_support::*;
use mail_auth::report::{Feedback, FeedbackType};
use spamtrace::input::{self, InputOptions};
use spamtrace::report::render::arf;
use spamtrace::report::render::complaint::ComplaintOptions;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "eml" || x == "mbox" || x == "msg")
        {
            out.push(p);
        }
    }
}

/// Run `f`, catching a panic without printing it.
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Option<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(f).ok();
    std::panic::set_hook(hook);
    r
}

#[test]
fn every_corpus_message_gives_a_well_formed_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut all = Vec::new();
    files(&root, &mut all);
    if all.is_empty() {
        eprintln!("no corpus at {}: skipped", root.display());
        return;
    }
    all.sort();
    let opts = ComplaintOptions {
        include_body: true,
        redact: Some("k".into()),
        reporter: Some("me@example.org".into()),
        now: NOW,
        ..ComplaintOptions::default()
    };
    let in_opts = InputOptions {
        keep_body: true,
        ..InputOptions::default()
    };
    let (mut reports, mut with_relay, mut parser_panics) = (0, 0, 0);
    for path in all.iter().take(3000) {
        let path = path.display().to_string();
        for msg in input::open(&path, &in_opts).take(5).flatten() {
            let report = trace(&msg, &berkeley());
            with_relay += report.first_untrusted_relay.is_some() as usize;
            let out = arf::render(&report, &msg, &opts);
            let head_end = memchr::memmem::find(&out, b"\r\n\r\n").expect("a header block");
            let head = String::from_utf8_lossy(&out[..head_end]);
            let names: Vec<&str> = head
                .split("\r\n")
                .filter(|l| !l.starts_with([' ', '\t']))
                .map(|l| l.split(':').next().unwrap_or(""))
                .collect();
            assert_eq!(
                names,
                [
                    "From",
                    "To",
                    "Subject",
                    "Date",
                    "Message-ID",
                    "MIME-Version",
                    "Content-Type"
                ],
                "{path}"
            );
            for (i, w) in out.windows(2).enumerate() {
                assert!(w[1] != b'\n' || w[0] == b'\r', "{path}: bare LF at {i}");
            }
            // mail-parser 0.11.9 panics on some originals by themselves
            // (nested message/rfc822, e.g. mimekit content-length/002.eml):
            // count those, and parse back only reports it can read.
            let parsed = quietly(|| Feedback::parse_rfc5322(&out).map(|f| f.into_owned()));
            let Some(parsed) = parsed else {
                let original = std::fs::read(&path).unwrap();
                let alone =
                    quietly(|| mail_parser::MessageParser::new().parse(&original).is_some());
                assert!(
                    alone.is_none(),
                    "{path}: only our report makes mail-parser panic"
                );
                parser_panics += 1;
                continue;
            };
            let fb = parsed.unwrap_or_else(|e| panic!("{path}: {e:?}"));
            assert_eq!(fb.feedback_type, FeedbackType::Abuse, "{path}");
            assert!(fb.message.is_some(), "{path}: no message/rfc822 part");
            reports += 1;
        }
    }
    eprintln!(
        "corpus: {reports} reports parsed back, {with_relay} with a first untrusted relay, \
         {parser_panics} originals mail-parser itself panics on"
    );
    assert!(reports > 0);
}
