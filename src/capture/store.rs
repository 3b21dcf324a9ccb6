//! Durable storage for captured messages: a Maildir or an mbox.
//!
//! A message counts as stored only when it is on disk: Maildir writes it in
//! `tmp/`, fsyncs, renames it into `new/` and fsyncs `new/`; the mbox has a
//! single writer thread holding an exclusive lock, which appends a batch of
//! messages in one write and fsyncs once (group commit). Only then does the
//! session answer 250, so no acknowledged message is lost, and none is
//! written twice. After a kill -9, Maildir leaves at most stray files in
//! `tmp/` (never read as mail) and the mbox at most whole, unacknowledged
//! messages.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use super::data::Content;

/// Where messages go.
#[derive(Clone)]
pub enum Store {
    Maildir(Arc<Maildir>),
    Mbox(MboxWriter),
}

/// One message to store: our headers, then the client's bytes as sent.
pub struct Message {
    pub id: String,
    pub sender: String,
    pub time: i64,
    pub stamp: Vec<u8>,
    pub content: Content,
    /// Store CRLF line ends as LF (the default; `--keep-crlf` turns it off).
    /// Done while writing, so the text is never copied.
    pub lf: bool,
}

impl Store {
    /// Store `msg` durably (blocking: run it off the async threads).
    /// Returns the path it was stored at.
    /// No copy of the message is made: the mbox writer writes from the
    /// same buffer (the memory budget counts it once).
    pub fn store(&self, msg: &Arc<Message>) -> io::Result<PathBuf> {
        match self {
            Store::Maildir(m) => m.store(msg),
            Store::Mbox(m) => m.store(msg),
        }
    }
}

/// A Maildir folder (`tmp/`, `new/`, `cur/`).
pub struct Maildir {
    dir: PathBuf,
    new_dir: GroupSync,
    host: String,
}

/// Group commit for a folder's fsync: a session that has renamed a file in
/// waits for one fsync that started after its rename; concurrent sessions
/// share it, so N renames cost far fewer than N folder fsyncs.
struct GroupSync {
    dir: File,
    state: std::sync::Mutex<SyncState>,
    done: std::sync::Condvar,
}

#[derive(Default)]
struct SyncState {
    /// Tickets handed out, one per completed rename.
    issued: u64,
    /// Every ticket below this is durable.
    synced: u64,
    syncing: bool,
}

impl GroupSync {
    fn new(dir: File) -> GroupSync {
        GroupSync {
            dir,
            state: Default::default(),
            done: Default::default(),
        }
    }

    fn lock(&self) -> io::Result<std::sync::MutexGuard<'_, SyncState>> {
        self.state
            .lock()
            .map_err(|_| io::Error::other("sync state poisoned"))
    }

    /// Return once a folder fsync that began after this call has succeeded.
    fn sync(&self) -> io::Result<()> {
        let mut st = self.lock()?;
        let ticket = st.issued;
        st.issued += 1;
        loop {
            if st.synced > ticket {
                return Ok(());
            }
            if st.syncing {
                st = self
                    .done
                    .wait(st)
                    .map_err(|_| io::Error::other("sync state poisoned"))?;
                continue;
            }
            // Lead a sync covering every ticket issued so far.
            st.syncing = true;
            let covers = st.issued;
            drop(st);
            let result = self.dir.sync_all();
            st = self.lock()?;
            st.syncing = false;
            if result.is_ok() {
                st.synced = st.synced.max(covers);
            }
            self.done.notify_all();
            result?;
        }
    }
}

impl Maildir {
    /// Open `dir`, creating it and its subfolders when missing.
    pub fn open(dir: &Path, hostname: &str) -> io::Result<Maildir> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        // '/' and ':' cannot appear in a Maildir unique name.
        let host = hostname.replace(['/', ':'], "_");
        Ok(Maildir {
            new_dir: GroupSync::new(File::open(dir.join("new"))?),
            dir: dir.to_path_buf(),
            host,
        })
    }

    fn store(&self, msg: &Message) -> io::Result<PathBuf> {
        let name = format!("{}.{}.{}", msg.time, msg.id, self.host);
        let tmp = self.dir.join("tmp").join(&name);
        let new = self.dir.join("new").join(&name);
        let written = (|| {
            let f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            let mut w = io::BufWriter::with_capacity(64 << 10, f);
            let mut text = TextWriter::new(&mut w, msg.lf, false);
            text.write(&msg.stamp)?;
            for c in msg.content.chunks() {
                text.write(c)?;
            }
            text.finish()?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&tmp, &new)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // The rename is durable only once the folder is synced. If that
        // fails the client gets 4xx and retries: take the file back out so
        // the retry does not make a second copy.
        if let Err(e) = self.new_dir.sync() {
            let _ = std::fs::remove_file(&new);
            return Err(e);
        }
        Ok(new)
    }
}

struct MboxJob {
    msg: Arc<Message>,
    done: std::sync::mpsc::SyncSender<io::Result<()>>,
}

/// The handle sessions use to reach the one mbox writer.
#[derive(Clone)]
pub struct MboxWriter {
    path: PathBuf,
    jobs: crossbeam_channel::Sender<MboxJob>,
}

impl MboxWriter {
    /// Open (or create) the mbox, take its lock and start the writer thread.
    pub fn open(path: &Path) -> io::Result<MboxWriter> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        // SAFETY: flock on a file descriptor we own; no memory is passed.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(io::Error::other(format!(
                "{} is locked by another writer",
                path.display()
            )));
        }
        let mut mark = CommitMark::open(path)?;
        recover(path, &file, &mut mark)?;
        let (jobs, rx) = crossbeam_channel::bounded::<MboxJob>(1024);
        std::thread::Builder::new()
            .name("mbox-writer".into())
            .spawn(move || mbox_writer(file, mark, rx))?;
        Ok(MboxWriter {
            path: path.to_path_buf(),
            jobs,
        })
    }

    fn store(&self, msg: &Arc<Message>) -> io::Result<PathBuf> {
        let (done, wait) = std::sync::mpsc::sync_channel(1);
        self.jobs
            .send(MboxJob {
                msg: Arc::clone(msg),
                done,
            })
            .map_err(|_| io::Error::other("mbox writer stopped"))?;
        wait.recv()
            .map_err(|_| io::Error::other("mbox writer stopped"))??;
        Ok(self.path.clone())
    }
}

/// Write one message as an mbox entry: the `From ` line, the text with
/// mboxrd quoting, a blank line. Streams from the message's buffer.
fn write_entry(out: &mut impl Write, msg: &Message) -> io::Result<()> {
    out.write_all(from_line(&msg.sender, msg.time).as_bytes())?;
    let mut text = TextWriter::new(&mut *out, msg.lf, true);
    text.write(&msg.stamp)?;
    for c in msg.content.chunks() {
        text.write(c)?;
    }
    let last = text.finish()?;
    if last != Some(b'\n') {
        out.write_all(b"\n")?;
    }
    out.write_all(b"\n")
}

/// Writes a message's text as stored, chunk by chunk (a line may span
/// chunks): CRLF as LF when `lf` (a bare CR kept), and when `quote`, each
/// `>*From ` line with one more `>` (mboxrd).
struct TextWriter<'a, W: Write> {
    out: &'a mut W,
    lf: bool,
    quote: bool,
    /// A CR at the end of the last write: dropped if LF comes next.
    cr: bool,
    /// At a line start, the bytes that may still be a `>*From ` prefix.
    head: Vec<u8>,
    line_start: bool,
    last: Option<u8>,
}

impl<'a, W: Write> TextWriter<'a, W> {
    fn new(out: &'a mut W, lf: bool, quote: bool) -> Self {
        TextWriter {
            out,
            lf,
            quote,
            cr: false,
            head: Vec::new(),
            line_start: true,
            last: None,
        }
    }

    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        if let Some(&l) = b.last() {
            self.last = Some(l);
            self.out.write_all(b)?;
        }
        Ok(())
    }

    fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while let Some(&b) = data.first() {
            if self.cr {
                self.cr = false;
                if b != b'\n' {
                    self.put(b"\r")?;
                }
                continue;
            }
            if self.line_start && self.quote {
                let mut candidate = std::mem::take(&mut self.head);
                candidate.push(b);
                let arrows = candidate.iter().take_while(|c| **c == b'>').count();
                let tail = &candidate[arrows..];
                if tail == b"From " {
                    self.put(b">")?;
                    self.put(&candidate)?;
                    self.line_start = false;
                } else if b"From ".starts_with(tail) {
                    self.head = candidate;
                } else {
                    // Not a From line: what was held goes out as it is, and
                    // this byte is written below as any other.
                    candidate.pop();
                    self.put(&candidate)?;
                    self.line_start = false;
                    continue;
                }
                data = &data[1..];
                continue;
            }
            let stop = if self.lf {
                memchr::memchr2(b'\n', b'\r', data)
            } else {
                memchr::memchr(b'\n', data)
            };
            match stop {
                None => {
                    self.put(data)?;
                    self.line_start = false;
                    return Ok(());
                }
                Some(i) if data[i] == b'\n' => {
                    self.put(&data[..=i])?;
                    self.line_start = true;
                    data = &data[i + 1..];
                }
                Some(i) => {
                    self.put(&data[..i])?;
                    self.line_start = false;
                    match data.get(i + 1) {
                        Some(b'\n') => {
                            self.put(b"\n")?;
                            self.line_start = true;
                            data = &data[i + 2..];
                        }
                        Some(_) => {
                            self.put(b"\r")?;
                            data = &data[i + 1..];
                        }
                        None => {
                            self.cr = true;
                            data = &[];
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Write what is held; the last byte written.
    fn finish(mut self) -> io::Result<Option<u8>> {
        if self.cr {
            self.put(b"\r")?;
        }
        let head = std::mem::take(&mut self.head);
        self.put(&head)?;
        Ok(self.last)
    }
}

/// The writer thread: batch what is queued, one write, one fsync, then
/// acknowledge the batch. On a failed write the file is cut back so no
/// half message stays behind.
fn mbox_writer(mut file: File, mut mark: CommitMark, rx: crossbeam_channel::Receiver<MboxJob>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let result = write_batch(&mut file, &mut mark, &batch);
        for j in batch {
            let r = match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
            };
            let _ = j.done.send(r);
        }
    }
}

/// Append `buf` durably. The commit mark holds the old length while the
/// write is in flight and the new one only after the fsync, so a kill at
/// any point leaves a mark that cuts off exactly the unacknowledged bytes.
fn write_batch(file: &mut File, mark: &mut CommitMark, batch: &[MboxJob]) -> io::Result<()> {
    let before = file.metadata()?.len();
    mark.set(before)?;
    // Streamed through a small buffer, not gathered into one copy.
    let result = (|| {
        let mut w = io::BufWriter::with_capacity(64 << 10, &mut *file);
        for j in batch {
            write_entry(&mut w, &j.msg)?;
        }
        w.flush()
    })()
    .and_then(|_| file.sync_data());
    if let Err(e) = result {
        let _ = file.set_len(before);
        return Err(e);
    }
    mark.set(file.metadata()?.len())
}

/// `MBOX.spamtrace-commit`: the mbox length up to which every byte was
/// written whole and fsynced. Guarded by the mbox lock.
struct CommitMark {
    file: File,
}

impl CommitMark {
    fn path(mbox: &Path) -> PathBuf {
        let mut p = mbox.as_os_str().to_owned();
        p.push(".spamtrace-commit");
        PathBuf::from(p)
    }

    fn open(mbox: &Path) -> io::Result<CommitMark> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(Self::path(mbox))?;
        Ok(CommitMark { file })
    }

    fn get(&self) -> Option<u64> {
        use std::os::unix::fs::FileExt;
        let mut b = [0u8; 21];
        let n = self.file.read_at(&mut b, 0).ok()?;
        std::str::from_utf8(b.get(..n)?).ok()?.trim().parse().ok()
    }

    fn set(&mut self, len: u64) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        // Fixed width: one overwrite in place, never a shorter stale tail.
        self.file.write_all_at(format!("{len:020}\n").as_bytes(), 0)
    }
}

/// After a crash: bytes past the commit mark were never acknowledged (a
/// torn batch, perhaps). Move them to `MBOX.torn-TIME` rather than drop
/// them, and cut the mbox back to whole messages.
fn recover(mbox: &Path, file: &File, mark: &mut CommitMark) -> io::Result<()> {
    let len = file.metadata()?.len();
    let Some(committed) = mark.get().filter(|&c| c < len) else {
        return mark.set(len);
    };
    let torn = {
        let mut p = mbox.as_os_str().to_owned();
        p.push(format!(".torn-{}", crate::util::clock::unix_now()));
        PathBuf::from(p)
    };
    let mut src = File::open(mbox)?;
    std::io::Seek::seek(&mut src, std::io::SeekFrom::Start(committed))?;
    let mut out = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(&torn)?;
    std::io::copy(&mut src, &mut out)?;
    out.sync_all()?;
    file.set_len(committed)?;
    file.sync_all()?;
    eprintln!(
        "spamtrace capture: {}: {} unacknowledged byte(s) after the last commit moved to {}",
        mbox.display(),
        len - committed,
        torn.display()
    );
    mark.set(committed)
}

/// The mbox separator line: `From sender asctime-date`.
fn from_line(sender: &str, time: i64) -> String {
    let sender: String = sender
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let sender = if sender.is_empty() {
        "MAILER-DAEMON".to_string()
    } else {
        sender
    };
    format!("From {sender} {}\n", asctime(time))
}

/// `Thu Nov 26 04:57:23 2026` in UTC.
fn asctime(time: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let d = mail_parser::DateTime::from_timestamp(time);
    let weekday = DAYS[time.div_euclid(86_400).rem_euclid(7) as usize];
    let month = MONTHS[(d.month.clamp(1, 12) - 1) as usize];
    format!(
        "{weekday} {month} {:2} {:02}:{:02}:{:02} {}",
        d.day, d.hour, d.minute, d.second, d.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` through a TextWriter, in pieces of `step` bytes.
    fn written(text: &[u8], lf: bool, quote: bool, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = TextWriter::new(&mut out, lf, quote);
        for piece in text.chunks(step) {
            w.write(piece).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn quotes_from_lines() {
        let text = b"From a\r\n>From b\nxFrom c\n>>From d\n>Fro\nFrom";
        for step in 1..9 {
            assert_eq!(
                written(text, false, true, step),
                b">From a\r\n>>From b\nxFrom c\n>>>From d\n>Fro\nFrom",
                "step {step}"
            );
            assert_eq!(
                written(text, true, true, step),
                b">From a\n>>From b\nxFrom c\n>>>From d\n>Fro\nFrom",
                "step {step}"
            );
        }
    }

    #[test]
    fn lf_while_writing_bare_cr_kept_whatever_the_pieces() {
        let text = b"A: 1\r\nB: x\ry\r\n\r\nbody\n\r\r\n\rFrom x\r";
        for step in 1..9 {
            assert_eq!(
                written(text, true, false, step),
                b"A: 1\nB: x\ry\n\nbody\n\r\n\rFrom x\r",
                "step {step}"
            );
            assert_eq!(written(text, false, false, step), text, "step {step}");
        }
    }

    #[test]
    fn asctime_format() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_764_133_043), "Wed Nov 26 04:57:23 2025");
    }

    #[test]
    fn maildir_store_lands_in_new() {
        let dir = tempfile::tempdir().unwrap();
        let md = Maildir::open(dir.path(), "h/o:st").unwrap();
        let p = md
            .store(&Arc::new(Message {
                id: "X1".into(),
                sender: "a@b".into(),
                time: 5,
                stamp: b"Received: x\r\n".to_vec(),
                content: Content::from_vec(b"\0body\r\n".to_vec()),
                lf: false,
            }))
            .unwrap();
        assert!(p.starts_with(dir.path().join("new")));
        assert_eq!(std::fs::read(&p).unwrap(), b"Received: x\r\n\0body\r\n");
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }

    #[test]
    fn mbox_recovery_cuts_unacknowledged_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.mbox");
        std::fs::write(&path, b"From a x\nwhole\n\nFrom b x\nto").unwrap();
        std::fs::write(CommitMark::path(&path), format!("{:020}\n", 16)).unwrap();
        let w = MboxWriter::open(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"From a x\nwhole\n\n");
        let torn: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".torn-"))
            .collect();
        assert_eq!(torn.len(), 1);
        assert_eq!(std::fs::read(torn[0].path()).unwrap(), b"From b x\nto");
        w.store(&Arc::new(Message {
            id: "I".into(),
            sender: "s".into(),
            time: 0,
            stamp: vec![],
            content: Content::from_vec(b"x\r\n".to_vec()),
            lf: true,
        }))
        .unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        let mark = std::fs::read_to_string(CommitMark::path(&path)).unwrap();
        assert_eq!(mark.trim().parse::<u64>().unwrap(), len);
    }

    #[test]
    fn mbox_appends_whole_messages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.mbox");
        let w = MboxWriter::open(&path).unwrap();
        assert!(
            MboxWriter::open(&path).is_err(),
            "second writer must be refused"
        );
        for i in 0..3 {
            w.store(&Arc::new(Message {
                id: format!("I{i}"),
                sender: String::new(),
                time: 0,
                stamp: b"Received: x\r\n".to_vec(),
                content: Content::from_vec(b"\r\nFrom here\r\n".to_vec()),
                lf: false,
            }))
            .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("From MAILER-DAEMON Thu Jan  1").count(), 3);
        assert_eq!(text.matches("\n>From here").count(), 3);
    }
}
