//! The input readers: mbox splitting (mboxo/mboxrd, CRLF, no blank line,
//! two From_ lines in a row), single messages, Maildir order, several paths,
//! and the run driver keeping input order.

use spamtrace::chain::TraceOptions;
use spamtrace::input::reader::MessageReader;
use spamtrace::input::{self, InputError, InputOptions, RawMessage};
use spamtrace::model::Report;
use spamtrace::run::{self, Sink};
use std::path::Path;

type Item = Result<RawMessage, InputError>;

fn read(bytes: &[u8]) -> Vec<Item> {
    MessageReader::new(bytes, "t", InputOptions::default()).collect()
}

fn read_bodies(bytes: &[u8]) -> Vec<Item> {
    let opts = InputOptions {
        keep_body: true,
        ..InputOptions::default()
    };
    MessageReader::new(bytes, "t", opts).collect()
}

fn ok(item: &Item) -> &RawMessage {
    match item {
        Ok(m) => m,
        Err(e) => panic!("expected a message, got {e}"),
    }
}

fn subject(m: &RawMessage) -> String {
    let h = String::from_utf8_lossy(&m.header);
    h.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("")
        .trim_end()
        .to_string()
}

const FROM1: &str = "From alice@example.org Mon Jan  1 00:00:00 2001\n";
const FROM2: &str = "From bob@example.org Tue Jan  2 00:00:00 2001\n";

#[test]
fn splits_only_at_from_lines_after_a_blank_line() {
    let mbox = format!(
        "{FROM1}Subject: one\n\nhello\nFrom here on, a body line (mboxo, unquoted)\nmore\n\n{FROM2}Subject: two\n\nbye\n"
    );
    let got = read(mbox.as_bytes());
    assert_eq!(got.len(), 2);
    assert_eq!(subject(ok(&got[0])), "one");
    assert_eq!(subject(ok(&got[1])), "two");
    let second = ok(&got[1]);
    assert_eq!(second.source.index, 1);
    assert_eq!(second.source.offset as usize, mbox.find(FROM2).unwrap());
    assert_eq!(second.envelope.as_ref().unwrap().sender, "bob@example.org");
    assert_eq!(
        ok(&got[0]).size + second.size,
        mbox.len() as u64,
        "sizes cover the file"
    );
}

#[test]
fn a_from_line_right_after_the_header_blank_line_starts_a_message() {
    // A message with an empty body.
    let mbox = format!("{FROM1}Subject: one\n\n{FROM2}Subject: two\n\n");
    let got = read(mbox.as_bytes());
    assert_eq!(got.len(), 2);
    assert_eq!(subject(ok(&got[1])), "two");
}

#[test]
fn mboxrd_quoting_is_undone_in_kept_bodies() {
    let mbox = format!(
        "{FROM1}Subject: q\n\n>From a\n>>From b\n>Fromage\nx >From c\n\n{FROM2}Subject: r\n\nz\n"
    );
    let got = read_bodies(mbox.as_bytes());
    assert_eq!(got.len(), 2);
    let body = String::from_utf8(ok(&got[0]).body.clone().unwrap()).unwrap();
    assert_eq!(body, "From a\n>From b\n>Fromage\nx >From c\n\n");
    // Bodies are not kept unless asked.
    assert!(ok(&read(mbox.as_bytes())[0]).body.is_none());
}

#[test]
fn obsolete_from_space_colon_header_is_not_a_separator() {
    // `From :addr` (obsolete syntax, seen in spam) is a header field.
    let mbox =
        format!("{FROM1}Received: from a by b\nFrom  :<x@example.com>\nSubject: one\n\nbody\n");
    let got = read(mbox.as_bytes());
    assert_eq!(got.len(), 1);
    assert!(String::from_utf8_lossy(&ok(&got[0]).header).contains("From  :<x@"));
    let got = read(b"From :<x@example.com>\nSubject: s\n\nbody\n");
    assert_eq!(got.len(), 1);
    assert!(ok(&got[0]).envelope.is_none());
    assert_eq!(subject(ok(&got[0])), "s");
}

#[test]
fn crlf_mbox() {
    let mbox = "From a Mon Jan  1 00:00:00 2001\r\nSubject: one\r\nX-A: 1\r\n\r\nbody\r\nFrom not a separator\r\n\r\nFrom b Mon Jan  1 00:00:00 2001\r\nSubject: two\r\n\r\nbody\r\n";
    let got = read(mbox.as_bytes());
    assert_eq!(got.len(), 2);
    let first = ok(&got[0]);
    assert_eq!(first.header, b"Subject: one\r\nX-A: 1\r\n");
    assert_eq!(first.envelope.as_ref().unwrap().sender, "a");
    assert_eq!(subject(ok(&got[1])), "two");
}

#[test]
fn message_without_a_blank_line() {
    // Headers only, up to the end of the file.
    let got = read(b"Subject: lonely\nX-B: 2");
    assert_eq!(got.len(), 1);
    assert_eq!(ok(&got[0]).header, b"Subject: lonely\nX-B: 2");
    // In an mbox, a header block that runs into the next From_ line.
    let mbox = format!("{FROM1}Subject: one\n{FROM2}Subject: two\n\nbody\n");
    let got = read(mbox.as_bytes());
    assert_eq!(got.len(), 2);
    assert_eq!(ok(&got[0]).header, b"Subject: one\n");
    assert_eq!(subject(ok(&got[1])), "two");
}

#[test]
fn two_from_lines_in_a_row_make_an_empty_message_error() {
    let mbox = format!("{FROM1}{FROM2}Subject: two\n\nbody\n");
    let got = read(mbox.as_bytes());
    assert_eq!(got.len(), 2);
    let err = got[0].as_ref().unwrap_err();
    assert_eq!((err.source.index, err.source.offset), (0, 0));
    assert!(err.to_string().contains("message 0 at byte 0"), "{err}");
    assert!(err.message.contains("empty message"));
    let second = ok(&got[1]);
    assert_eq!(second.source.index, 1);
    assert_eq!(second.source.offset, FROM1.len() as u64);
    assert_eq!(subject(second), "two");
}

#[test]
fn single_message_with_or_without_envelope() {
    let plain = b"Received: from a by b; Mon, 1 Jan 2001 00:00:00 +0000\nSubject: s\n\nFrom the body, not a separator\n\nFrom neither\n";
    let got = read(plain);
    assert_eq!(got.len(), 1);
    assert!(ok(&got[0]).envelope.is_none());
    assert_eq!(ok(&got[0]).size, plain.len() as u64);
    let with = format!("{FROM1}Subject: s\n\nbody\n");
    let got = read(with.as_bytes());
    assert_eq!(got.len(), 1);
    assert_eq!(
        ok(&got[0]).envelope.as_ref().unwrap().date,
        "Mon Jan  1 00:00:00 2001"
    );
    assert_eq!(ok(&got[0]).header, b"Subject: s\n");
}

#[test]
fn leading_blank_lines_do_not_hide_an_mbox() {
    let mbox = format!("\n\n{FROM1}Subject: one\n\nx\n\n{FROM2}Subject: two\n\ny\n");
    let got = read(mbox.as_bytes());
    assert_eq!(got.len(), 2);
    assert_eq!(ok(&got[0]).source.offset, 2);
}

#[test]
fn separator_split_across_buffer_refills_in_a_large_body() {
    // A body larger than the reader's chunk, with a blank line + From_ right
    // after it: found whatever the chunk boundaries.
    for pad in [0usize, 1, 3, 5, 7] {
        let mut mbox = format!("{FROM1}Subject: big\n\n").into_bytes();
        mbox.extend(std::iter::repeat_n(b'x', (1 << 20) + pad));
        mbox.extend_from_slice(b"\n\n");
        mbox.extend_from_slice(format!("{FROM2}Subject: after\n\n").as_bytes());
        let got = read(&mbox);
        assert_eq!(got.len(), 2, "pad {pad}");
        assert_eq!(subject(ok(&got[1])), "after");
    }
}

#[test]
fn empty_input_is_one_path_error() {
    let got = read(b"");
    assert_eq!(got.len(), 1);
    let e = got[0].as_ref().unwrap_err();
    assert!(e.whole_path);
    assert_eq!(e.to_string(), "t: empty file: no message");
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn maildir_in_delivery_order_files_never_split() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path();
    // Delivery time leads the name; cur/ and new/ interleave by it.
    write(&md.join("new/1000000003.M1.host"), b"Subject: third\n\n");
    write(
        &md.join("cur/1000000001.M1.host:2,S"),
        b"Subject: first\n\n",
    );
    write(
        &md.join("cur/1000000002.M1.host:2,"),
        format!("{FROM1}Subject: second\n\nbody\n\n{FROM2}Subject: not a message\n").as_bytes(),
    );
    write(&md.join("tmp/1000000000.M1.host"), b"Subject: in tmp\n\n");
    write(&md.join("cur/.hidden"), b"Subject: hidden\n\n");
    let got: Vec<Item> = input::open(&md.display().to_string(), &InputOptions::default()).collect();
    let subjects: Vec<String> = got.iter().map(|m| subject(ok(m))).collect();
    assert_eq!(subjects, ["first", "second", "third"]);
    assert!(ok(&got[1]).source.path.ends_with("1000000002.M1.host:2,"));
    assert_eq!(
        ok(&got[1]).envelope.as_ref().unwrap().sender,
        "alice@example.org"
    );
}

#[test]
fn a_folder_that_is_not_a_maildir() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().display().to_string();
    // Empty: an error naming the folder.
    let got: Vec<Item> = input::open(&p, &InputOptions::default()).collect();
    assert_eq!(got.len(), 1);
    let e = got[0].as_ref().unwrap_err();
    assert_eq!(e.to_string(), format!("{p}: an empty folder: no message"));
    // Files by name, each one message; a subfolder only when recursive.
    std::fs::write(dir.path().join("2.eml"), "Subject: two\n\nx\n").unwrap();
    std::fs::write(dir.path().join("1.eml"), "Subject: one\n\nx\n").unwrap();
    std::fs::create_dir(dir.path().join("deeper")).unwrap();
    std::fs::write(dir.path().join("deeper/3.eml"), "Subject: three\n\nx\n").unwrap();
    let names = |opts: &InputOptions| -> Vec<String> {
        input::open(&p, opts)
            .map(|m| m.unwrap().source.path)
            .map(|s| s.strip_prefix(&p).unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&InputOptions::default()), ["/1.eml", "/2.eml"]);
    let deep = InputOptions {
        recursive: true,
        ..InputOptions::default()
    };
    assert_eq!(names(&deep), ["/1.eml", "/2.eml", "/deeper/3.eml"]);
    let c = input::census(std::slice::from_ref(&p), &InputOptions::default());
    assert_eq!((c.files, c.several), (2, Some(true)));
    assert_eq!(c.skipped.len(), 1, "{:?}", c.skipped);
    let c = input::census(std::slice::from_ref(&p), &deep);
    assert_eq!(c.files, 3);
    assert!(c.skipped.is_empty());
}

#[test]
fn a_missing_path_reads_well() {
    let got: Vec<Item> = input::open("/nonexistent/spamtrace", &InputOptions::default()).collect();
    let e = got[0].as_ref().unwrap_err();
    assert_eq!(
        e.to_string(),
        "/nonexistent/spamtrace: cannot open: No such file or directory"
    );
}

/// Collects what the run driver hands out, in order.
#[derive(Default)]
struct Collect {
    out: Vec<Result<Report, InputError>>,
}

impl Sink for Collect {
    fn report(&mut self, report: Report) -> std::io::Result<()> {
        self.out.push(Ok(report));
        Ok(())
    }
    fn error(&mut self, error: InputError) {
        self.out.push(Err(error));
    }
}

#[test]
fn several_paths_in_input_order_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let n = run::BATCH * 3 + 17;
    let mut mbox = String::new();
    for i in 0..n {
        mbox.push_str(&format!(
            "From x Mon Jan  1 00:00:00 2001\nReceived: from h{i}.example.net ([192.0.2.{}]) by mx.example.org; Mon, 1 Jan 2001 00:00:00 +0000\nSubject: m{i}\n\nbody\n\n",
            i % 250 + 1
        ));
        if i == 300 {
            // A bad message in the middle keeps its place.
            mbox.push_str("From x Mon Jan  1 00:00:00 2001\n");
        }
    }
    let a = dir.path().join("a.mbox");
    let b = dir.path().join("b.eml");
    write(&a, mbox.as_bytes());
    write(&b, b"Subject: single\n\n");
    let paths = vec![
        a.display().to_string(),
        "/nonexistent/x".to_string(),
        b.display().to_string(),
    ];
    let mut sink = Collect::default();
    let stats = run::run(
        &paths,
        &InputOptions::default(),
        &TraceOptions::default(),
        &mut spamtrace::Offline,
        &mut sink,
    )
    .unwrap();
    assert_eq!(stats.messages, n + 1);
    assert_eq!(stats.errors, 2);
    assert_eq!(sink.out.len(), n + 3);
    for (k, item) in sink.out.iter().take(n + 1).enumerate() {
        match item {
            Ok(r) => {
                assert_eq!(r.source.index, k, "item {k}");
                let m = if k > 301 { k - 1 } else { k };
                assert_eq!(r.message.subject.as_deref(), Some(format!("m{m}").as_str()));
            }
            Err(e) => {
                assert_eq!(k, 301);
                assert_eq!(e.source.index, 301);
            }
        }
    }
    assert!(sink.out[n + 1].as_ref().unwrap_err().whole_path);
    assert_eq!(
        sink.out[n + 2].as_ref().unwrap().message.subject.as_deref(),
        Some("single")
    );
}

#[test]
fn corpus_messages_read_as_one_message_each() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skip: {} not present", corpus.display());
        return;
    }
    let mut stack = vec![corpus];
    let (mut files, mut errors) = (0, 0);
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "eml") {
                let got: Vec<Item> =
                    input::open(&p.display().to_string(), &InputOptions::default()).collect();
                assert_eq!(got.len(), 1, "{}", p.display());
                files += 1;
                errors += got.iter().filter(|m| m.is_err()).count();
            }
        }
    }
    eprintln!("corpus: {files} files, {errors} unreadable");
    assert!(files > 0);
    // A few corpus files are deliberately broken; most must read.
    assert!(errors * 20 < files, "{errors} of {files} unreadable");
}
