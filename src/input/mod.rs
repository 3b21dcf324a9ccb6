//! Where raw messages come from: stdin, single-message files, mbox files
//! (mboxo and mboxrd, recognised by content) and Maildir folders.
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
            source: Source {
                path: path.to_string(),
                index: 0,
                offset: 0,
            },
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
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            keep_body: false,
            max_header_bytes: 1 << 20,
            max_body_bytes: 32 << 20,
        }
    }
}

pub mod reader;

use reader::{MessageReader, Mode};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A stream of messages (or errors) from one path.
pub type Messages = Box<dyn Iterator<Item = Result<RawMessage, InputError>> + Send>;

fn path_error(path: &str, message: impl Into<String>) -> Messages {
    Box::new(std::iter::once(Err(InputError::path(path, message))))
}

/// Open `path`: `-` is stdin, a directory is a Maildir, a file is one
/// message or an mbox.
pub fn open(path: &str, opts: &InputOptions) -> Messages {
    if path == "-" {
        return Box::new(MessageReader::new(std::io::stdin(), "-", opts.clone()));
    }
    open_file(path, opts, Mode::Auto)
}

fn open_file(path: &str, opts: &InputOptions, mode: Mode) -> Messages {
    let p = Path::new(path);
    match std::fs::metadata(p) {
        Err(e) => path_error(path, format!("cannot open: {}", io_reason(&e))),
        Ok(m) if m.is_dir() => maildir(p, opts),
        Ok(_) => match File::open(p) {
            Err(e) => path_error(path, format!("cannot open: {}", io_reason(&e))),
            Ok(f) => Box::new(MessageReader::with_mode(f, path, opts.clone(), mode)),
        },
    }
}

/// "No such file or directory", without Rust's " (os error 2)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The total size in bytes of the regular files among `paths` (for progress);
/// None when one is stdin or a folder (sizes unknown up front).
pub fn total_size(paths: &[String]) -> Option<u64> {
    let mut total = 0;
    for p in paths {
        match std::fs::metadata(p) {
            _ if p == "-" => return None,
            Ok(m) if m.is_dir() => return None,
            Ok(m) => total += m.len(),
            // Reported as an error when opened; adds nothing.
            Err(_) => {}
        }
    }
    Some(total)
}

/// The messages of a Maildir: every file in `cur/` and `new/`, in delivery
/// order (Maildir names start with the delivery time, so by file name, then
/// by folder). Each file is one message, never split at `From ` lines.
fn maildir(dir: &Path, opts: &InputOptions) -> Messages {
    let path = dir.display().to_string();
    let subdirs = [dir.join("cur"), dir.join("new")];
    if !subdirs.iter().any(|d| d.is_dir()) {
        return path_error(&path, "a folder but not a Maildir (no cur/ or new/ inside)");
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for d in &subdirs {
        if let Ok(rd) = std::fs::read_dir(d) {
            files.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            }));
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()).then_with(|| a.cmp(b)));
    let opts = opts.clone();
    Box::new(files.into_iter().flat_map(move |f| {
        let name = f.display().to_string();
        open_file(&name, &opts, Mode::Single)
    }))
}
