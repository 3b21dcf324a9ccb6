//! Directories: a Maildir (`cur/` and `new/`) or a plain folder of message
//! files. A folder's regular files are read in name order, each as one
//! message or an mbox (by content); its subfolders only when recursive
//! (a subfolder that is a Maildir is read as one). Hidden entries (a name
//! starting with `.`), and entries that are neither a regular file nor a
//! folder (sockets, FIFOs, devices, links to folders), are skipped and
//! counted, for a notice on stderr.

use std::fs;
use std::path::{Path, PathBuf};

/// What a directory holds for reading, and what was left out.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The message files, in reading order.
    pub files: Vec<PathBuf>,
    /// Their sizes in bytes, added up.
    pub bytes: u64,
    /// Hidden files and folders skipped.
    pub hidden: usize,
    /// Entries neither a regular file nor a folder, skipped.
    pub other: usize,
    /// Subfolders not read (not recursive).
    pub folders: usize,
}

impl Listing {
    /// The notice for stderr (`skipped 2 hidden entries, 1 folder (-r reads
    /// folders)`), or None when nothing was skipped.
    pub fn skipped(&self) -> Option<String> {
        let mut parts = Vec::new();
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        if self.hidden > 0 {
            parts.push(n(self.hidden, "hidden entry", "hidden entries"));
        }
        if self.other > 0 {
            parts.push(n(
                self.other,
                "entry that is not a regular file",
                "entries that are not regular files",
            ));
        }
        if self.folders > 0 {
            parts.push(format!(
                "{} (-r reads folders)",
                n(self.folders, "folder", "folders")
            ));
        }
        (!parts.is_empty()).then(|| format!("skipped {}", parts.join(", ")))
    }

    fn add(&mut self, other: Listing) {
        self.files.extend(other.files);
        self.bytes += other.bytes;
        self.hidden += other.hidden;
        self.other += other.other;
        self.folders += other.folders;
    }
}

/// Whether `dir` is a Maildir (it has `cur/` or `new/`).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// The entries of one directory: regular files (a link to one counts),
/// subdirectories (real ones, never links: no loops), and the counts of
/// what was skipped.
fn entries(dir: &Path) -> std::io::Result<(Listing, Vec<PathBuf>)> {
    let mut listing = Listing::default();
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let Ok(entry) = entry else {
            listing.other += 1;
            continue;
        };
        if hidden(&entry.file_name()) {
            listing.hidden += 1;
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => dirs.push(path),
            Ok(t) if t.is_file() || t.is_symlink() => match fs::metadata(&path) {
                Ok(m) if m.is_file() => {
                    listing.bytes += m.len();
                    listing.files.push(path);
                }
                _ => listing.other += 1,
            },
            _ => listing.other += 1,
        }
    }
    Ok((listing, dirs))
}

/// A Maildir's messages: every file in `cur/` and `new/` (never `tmp/`),
/// in delivery order (Maildir names start with the delivery time: by file
/// name, then by folder).
pub fn maildir(dir: &Path) -> Listing {
    let mut listing = Listing::default();
    for sub in ["cur", "new"] {
        if let Ok((l, dirs)) = entries(&dir.join(sub)) {
            listing.add(l);
            listing.other += dirs.len();
        }
    }
    listing
        .files
        .sort_by(|a, b| a.file_name().cmp(&b.file_name()).then_with(|| a.cmp(b)));
    listing
}

/// A plain folder's messages: its own files by name, then (only when
/// `recursive`) each subfolder's, subfolders by name.
pub fn folder(dir: &Path, recursive: bool) -> std::io::Result<Listing> {
    let (mut listing, mut dirs) = entries(dir)?;
    if !recursive {
        listing.folders = dirs.len();
        listing.files.sort();
        return Ok(listing);
    }
    dirs.sort();
    for d in dirs {
        if is_maildir(&d) {
            listing.add(maildir(&d));
        } else if let Ok(sub) = folder(&d, true) {
            listing.add(sub);
        } else {
            listing.other += 1;
        }
    }
    // A Maildir keeps its delivery order (its files sort under its own path).
    let mut files = std::mem::take(&mut listing.files);
    files.sort_by_key(|a| sort_key(a, dir));
    listing.files = files;
    Ok(listing)
}

/// The path below `root` with a Maildir's `cur`/`new` level dropped, so a
/// Maildir's messages sort by delivery time across both.
fn sort_key(p: &Path, root: &Path) -> (PathBuf, PathBuf) {
    let rel = p.strip_prefix(root).unwrap_or(p);
    let parent = rel.parent().unwrap_or(Path::new(""));
    let maildir_level = matches!(
        parent.file_name().and_then(|n| n.to_str()),
        Some("cur" | "new")
    ) && parent.parent().is_some_and(|m| is_maildir(&root.join(m)));
    let folder = if maildir_level {
        parent.parent().unwrap_or(Path::new("")).to_path_buf()
    } else {
        parent.to_path_buf()
    };
    (
        folder,
        rel.file_name().map(PathBuf::from).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_counts_what_was_skipped() {
        assert_eq!(Listing::default().skipped(), None);
        let l = Listing {
            hidden: 2,
            other: 1,
            folders: 1,
            ..Default::default()
        };
        assert_eq!(
            l.skipped().unwrap(),
            "skipped 2 hidden entries, 1 entry that is not a regular file, 1 folder (-r reads folders)"
        );
    }
}
