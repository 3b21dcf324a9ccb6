//! Where raw messages come from: stdin, single-message files, mbox files
//! (mboxo and mboxrd, recognised by content), Maildir folders and plain
//! folders of message files ([`folder`]).
//!
//! Every reader streams: one message at a time, so memory does not grow with
//! the size of an mbox. A message that cannot be read becomes an
//! [`InputError`] naming the path, the index in the file and the byte offset,
//! and the iteration goes on with the next one.

use crate::model::Source;

/// The mbox `From ` envelope line, when the message had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The envelope sender (`MAILER-DAEMON`, an address...), as written.
    pub sender: String,
    /// The rest of the line (the delivery date, usually asctime).
    pub date: String,
}

/// One message, as read.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub source: Source,
    pub envelope: Option<Envelope>,
    /// The header block, up to and excluding the blank line that ends it,
    /// with its original line endings.
    pub header: Vec<u8>,
    /// The body (mboxrd/mboxo `>From ` unquoted), only when the reader was
    /// asked to keep bodies; otherwise `None`.
    pub body: Option<Vec<u8>>,
    /// The message's size in bytes as stored (header + separator + body).
    pub size: u64,
}

/// A message (or a whole path) that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub source: Source,
    pub message: String,
    /// The error concerns the whole path (it cannot be opened, is empty, is
    /// not a Maildir, or is a single message), not one message of an mbox.
    pub whole_path: bool,
}

impl InputError {
    /// An error about a whole path.
    pub fn path(path: &str, message: impl Into<String>) -> Self {
        InputError {
            source: Source::file(path),
            message: message.into(),
            whole_path: true,
        }
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.whole_path {
            write!(f, "{}: {}", self.source.path, self.message)
        } else {
            write!(
                f,
                "{}: message {} at byte {}: {}",
                self.source.path, self.source.index, self.source.offset, self.message
            )
        }
    }
}

impl std::error::Error for InputError {}

/// Limits and choices for the readers.
#[derive(Debug, Clone)]
pub struct InputOptions {
    /// Keep message bodies (complaints with `--include-body` need them).
    pub keep_body: bool,
    /// A header block larger than this is an error for that message.
    pub max_header_bytes: usize,
    /// A body larger than this is truncated when kept (the size is still counted).
    pub max_body_bytes: usize,
    /// Read the subfolders of a plain folder too (`-r`).
    pub recursive: bool,
    /// Follow each forward or feedback report with the messages it carries
    /// (`--unwrap auto`; needs `keep_body`), see [`unwrap`].
    pub unwrap: bool,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            keep_body: false,
            max_header_bytes: 1 << 20,
            max_body_bytes: 32 << 20,
            recursive: false,
            unwrap: false,
        }
    }
}

pub mod folder;
pub mod outlook;
pub mod reader;
pub mod unwrap;

use reader::{MessageReader, Mode};
use std::fs::File;
use std::path::Path;

/// A stream of messages (or errors) from one path.
pub type Messages = Box<dyn Iterator<Item = Result<RawMessage, InputError>> + Send>;

fn path_error(path: &str, message: impl Into<String>) -> Messages {
    Box::new(std::iter::once(Err(InputError::path(path, message))))
}

/// Open `path`: `-` is stdin, a directory is a Maildir or a folder of
/// message files, a file is one message or an mbox.
pub fn open(path: &str, opts: &InputOptions) -> Messages {
    let messages: Messages = if path == "-" {
        stdin(opts)
    } else {
        open_file(path, opts, Mode::Auto)
    };
    if opts.unwrap && opts.keep_body {
        unwrap::expand(messages, opts.clone())
    } else {
        messages
    }
}

fn open_file(path: &str, opts: &InputOptions, mode: Mode) -> Messages {
    let p = Path::new(path);
    match std::fs::metadata(p) {
        Err(e) => path_error(path, format!("cannot open: {}", io_reason(&e))),
        Ok(m) if m.is_dir() => directory(p, opts),
        Ok(_) => match File::open(p) {
            Err(e) => path_error(path, format!("cannot open: {}", io_reason(&e))),
            Ok(mut f) => match starts_ole(&mut f) {
                Ok(true) => outlook::open(path, opts),
                Ok(false) => Box::new(MessageReader::with_mode(f, path, opts.clone(), mode)),
                Err(e) => path_error(path, format!("cannot read: {}", io_reason(&e))),
            },
        },
    }
}

/// Whether the file starts as an OLE compound document (an Outlook .msg);
/// the file is left at its start.
fn starts_ole(f: &mut File) -> std::io::Result<bool> {
    use std::io::{Read, Seek};
    let mut head = Vec::with_capacity(8);
    f.take(8).read_to_end(&mut head)?;
    f.rewind()?;
    Ok(outlook::is_ole(&head))
}

/// Standard input: an Outlook .msg when it starts as one, else a message
/// or an mbox.
fn stdin(opts: &InputOptions) -> Messages {
    use std::io::Read;
    let mut head = Vec::with_capacity(8);
    let mut input = std::io::stdin();
    let _ = (&mut input).take(8).read_to_end(&mut head);
    let rest = std::io::Cursor::new(head).chain(input);
    if rest.get_ref().0.get_ref().starts_with(outlook::OLE_MAGIC) {
        let item = outlook::read_capped(rest, "-").and_then(|b| outlook::read(&b, "-", opts));
        return Box::new(std::iter::once(item));
    }
    Box::new(MessageReader::new(rest, "-", opts.clone()))
}

/// "No such file or directory", without Rust's " (os error 2)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What the inputs hold, known before reading them: for the progress
/// display, the JSON shape and the notice of skipped files.
#[derive(Debug, Default, Clone)]
pub struct Census {
    /// The bytes to read; None when one input is stdin (unknown up front).
    pub bytes: Option<u64>,
    /// The files to read (a folder's count as many).
    pub files: u64,
    /// Whether more than one message can come out: several inputs, a
    /// folder, an mbox; None for stdin alone (known once it is read).
    pub several: Option<bool>,
    /// `(folder, notice)` for each folder that had entries skipped.
    pub skipped: Vec<(String, String)>,
}

/// The [`Census`] of `paths` (each folder listed once, each file's first
/// line read to tell an mbox).
pub fn census(paths: &[String], opts: &InputOptions) -> Census {
    let mut c = Census {
        bytes: Some(0),
        several: Some(paths.len() > 1),
        ..Census::default()
    };
    let add = |c: &mut Census, b: u64| {
        c.bytes = c.bytes.map(|t| t + b);
    };
    for p in paths {
        if p == "-" {
            c.bytes = None;
            if paths.len() == 1 {
                c.several = None;
            }
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let l = listing(Path::new(p), opts);
                add(&mut c, l.bytes);
                c.files += l.files.len() as u64;
                c.several = Some(true);
                if let Some(n) = l.skipped() {
                    c.skipped.push((p.clone(), n));
                }
            }
            Ok(m) => {
                add(&mut c, m.len());
                c.files += 1;
                if starts_as_mbox(Path::new(p)) {
                    c.several = Some(true);
                }
            }
            // Reported as an error when opened; adds nothing.
            Err(_) => {}
        }
    }
    c
}

/// Whether the file's first line is an mbox `From ` line.
fn starts_as_mbox(p: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 64];
    let Ok(mut f) = File::open(p) else {
        return false;
    };
    let n = f.read(&mut head).unwrap_or(0);
    reader::is_envelope_start(&head[..n])
}

fn listing(dir: &Path, opts: &InputOptions) -> folder::Listing {
    if folder::is_maildir(dir) {
        folder::maildir(dir)
    } else {
        folder::folder(dir, opts.recursive).unwrap_or_default()
    }
}

/// The messages of a directory: a Maildir's files, each one message (never
/// split at `From ` lines), or a plain folder's files, each a message or
/// an mbox.
fn directory(dir: &Path, opts: &InputOptions) -> Messages {
    let path = dir.display().to_string();
    let (listing, mode) = if folder::is_maildir(dir) {
        (folder::maildir(dir), Mode::Single)
    } else {
        match folder::folder(dir, opts.recursive) {
            Ok(l) => (l, Mode::Auto),
            Err(e) => return path_error(&path, format!("cannot read: {}", io_reason(&e))),
        }
    };
    // An empty Maildir is an empty mailbox; an empty folder is a mistake.
    if listing.files.is_empty() && mode == Mode::Auto {
        let why = match listing.skipped() {
            Some(s) => format!("no message file in this folder ({s})"),
            None => "an empty folder: no message".to_string(),
        };
        return path_error(&path, why);
    }
    let opts = opts.clone();
    Box::new(listing.files.into_iter().flat_map(move |f| {
        let name = f.display().to_string();
        // A Maildir file is one message; a folder's file may be an mbox.
        open_file(&name, &opts, mode)
    }))
}
