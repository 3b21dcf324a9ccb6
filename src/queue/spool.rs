//! The spool on disk:
//!
//! ```text
//! DIR/lock       held (flock) by the one `queue run` at a time
//! DIR/tmp/       entries being written
//! DIR/queue/     waiting for delivery (or for their retry time)
//! DIR/sent/      accepted with a 2xx (moved there only after the reply)
//! DIR/failed/    a 5xx, or the queue lifetime ran out
//! ```
//!
//! An entry is one file: a small envelope block (`key value` lines, then
//! an empty line) over the complaint's bytes. Every write goes to tmp/,
//! is fsynced, renamed into its folder and the folder fsynced, so an entry
//! is always whole in exactly one state folder. A crash between the
//! server's 250 and the rename into sent/ leaves the entry in queue/ and it
//! is sent again on the next run: the one duplicate SMTP itself cannot rule
//! out (RFC 1047), its window a rename long.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const MAGIC: &str = "spamtrace-queue 1";

/// The state folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Sent,
    Failed,
}

impl State {
    pub fn dir(self) -> &'static str {
        match self {
            State::Queued => "queue",
            State::Sent => "sent",
            State::Failed => "failed",
        }
    }
}

/// One complaint waiting (or delivered, or failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// File name: letters, digits, `.` and `-` only.
    pub id: String,
    /// Envelope sender (the reporter).
    pub from: String,
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The complaint's Message-ID (without brackets).
    pub message_id: String,
    /// Unix seconds when it was queued.
    pub created: i64,
    /// Unix seconds of the next attempt (0: now).
    pub next_try: i64,
    /// Each attempt: when, and the reply or reason.
    pub attempts: Vec<(i64, String)>,
    /// The message as sent (CRLF or LF line ends; the client normalises).
    pub message: Vec<u8>,
}

/// Is `id` a name we made (and so safe as a file name)?
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// A one-line value for the envelope block: no control character.
fn line_value(s: &str) -> String {
    super::policy::clean_reply(s)
}

impl Entry {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("{MAGIC}\nid {}\nfrom {}\n", self.id, line_value(&self.from));
        for t in &self.to {
            head.push_str(&format!("to {}\n", line_value(t)));
        }
        head.push_str(&format!(
            "message-id {}\ncreated {}\nnext {}\n",
            line_value(&self.message_id),
            self.created,
            self.next_try
        ));
        for (at, reply) in &self.attempts {
            head.push_str(&format!("attempt {at} {}\n", line_value(reply)));
        }
        head.push('\n');
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.message);
        out
    }

    pub fn parse(bytes: &[u8]) -> Result<Entry, String> {
        let end = memchr::memmem::find(bytes, b"\n\n").ok_or("no end of the envelope block")?;
        let head = std::str::from_utf8(&bytes[..end]).map_err(|_| "envelope block not UTF-8")?;
        let mut lines = head.lines();
        if lines.next() != Some(MAGIC) {
            return Err(format!("not a queue entry (no {MAGIC:?} line)"));
        }
        let mut e = Entry {
            id: String::new(),
            from: String::new(),
            to: Vec::new(),
            message_id: String::new(),
            created: 0,
            next_try: 0,
            attempts: Vec::new(),
            message: bytes[end + 2..].to_vec(),
        };
        for l in lines {
            let (k, v) = l.split_once(' ').unwrap_or((l, ""));
            let num = |v: &str| v.parse::<i64>().map_err(|_| format!("bad number in {l:?}"));
            match k {
                "id" => e.id = v.to_string(),
                "from" => e.from = v.to_string(),
                "to" => e.to.push(v.to_string()),
                "message-id" => e.message_id = v.to_string(),
                "created" => e.created = num(v)?,
                "next" => e.next_try = num(v)?,
                "attempt" => {
                    let (at, reply) = v.split_once(' ').unwrap_or((v, ""));
                    e.attempts.push((num(at)?, reply.to_string()));
                }
                _ => {} // a later version's field
            }
        }
        if !valid_id(&e.id) || e.to.is_empty() {
            return Err("envelope block without a valid id or recipient".into());
        }
        Ok(e)
    }

    /// The last reply or reason, if any attempt was made.
    pub fn last_reply(&self) -> Option<&str> {
        self.attempts.last().map(|(_, r)| r.as_str())
    }
}

/// A new entry id: time, process and random part (unique across runs).
pub fn new_id(now: i64, seq: usize) -> String {
    let mut r = [0u8; 6];
    let _ = File::open("/dev/urandom").and_then(|mut f| io::Read::read_exact(&mut f, &mut r));
    let rand: String = r.iter().map(|b| format!("{b:02x}")).collect();
    format!("{now}.{}.{seq:05}.{rand}", std::process::id())
}

/// The spool folder.
pub struct Spool {
    root: PathBuf,
}

fn fsync_dir(p: &Path) -> io::Result<()> {
    File::open(p)?.sync_all()
}

impl Spool {
    /// Open (creating the folders when missing).
    pub fn open(root: &Path) -> io::Result<Spool> {
        for d in ["tmp", "queue", "sent", "failed"] {
            fs::create_dir_all(root.join(d))?;
        }
        Ok(Spool {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, state: State, id: &str) -> PathBuf {
        self.root.join(state.dir()).join(id)
    }

    /// Hold the run lock (one `queue run` at a time); `None` when another
    /// process holds it. Released when the file is dropped.
    pub fn lock(&self) -> io::Result<Option<File>> {
        use std::os::fd::AsRawFd;
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("lock"))?;
        // SAFETY: flock on a descriptor we own; no memory is involved.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            Ok(Some(f))
        } else {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }

    /// Claim a queued entry for one delivery: an exclusive flock on its
    /// file, held while the returned file lives; `None` when another
    /// delivery process holds it (or it is gone).
    pub fn claim(&self, id: &str) -> io::Result<Option<File>> {
        use std::os::fd::AsRawFd;
        let f = match File::open(self.path(State::Queued, id)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // SAFETY: flock on a descriptor we own; no memory is involved.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            Ok(Some(f))
        } else {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }

    /// Write `e` into `state` durably: tmp/, fsync, rename, fsync folder.
    pub fn write(&self, state: State, e: &Entry) -> io::Result<()> {
        if !valid_id(&e.id) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad entry id"));
        }
        let tmp = self.root.join("tmp").join(&e.id);
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&e.to_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.path(state, &e.id))?;
        fsync_dir(&self.root.join(state.dir()))
    }

    /// Queue a new entry.
    pub fn enqueue(&self, e: &Entry) -> io::Result<()> {
        self.write(State::Queued, e)
    }

    /// Accepted: queue/ID to sent/ID, one rename.
    pub fn mark_sent(&self, id: &str) -> io::Result<()> {
        fs::rename(self.path(State::Queued, id), self.path(State::Sent, id))?;
        fsync_dir(&self.root.join("sent"))?;
        fsync_dir(&self.root.join("queue"))
    }

    /// Failed for good: written into failed/ (with its attempts), then
    /// removed from queue/ (a crash in between is repaired by [`recover`]).
    ///
    /// [`recover`]: Spool::recover
    pub fn mark_failed(&self, e: &Entry) -> io::Result<()> {
        self.write(State::Failed, e)?;
        match fs::remove_file(self.path(State::Queued, &e.id)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => fsync_dir(&self.root.join("queue")),
        }
    }

    /// After a crash: an entry both queued and sent or failed was done;
    /// half-written files in tmp/ are dropped.
    pub fn recover(&self) -> io::Result<()> {
        for id in self.ids(State::Queued)? {
            if self.path(State::Sent, &id).exists() || self.path(State::Failed, &id).exists() {
                fs::remove_file(self.path(State::Queued, &id))?;
            }
        }
        for e in fs::read_dir(self.root.join("tmp"))? {
            let _ = fs::remove_file(e?.path());
        }
        Ok(())
    }

    /// The ids in a state folder, sorted (oldest first: ids start with
    /// the time).
    pub fn ids(&self, state: State) -> io::Result<Vec<String>> {
        let mut v: Vec<String> = fs::read_dir(self.root.join(state.dir()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| valid_id(n))
            .collect();
        v.sort();
        Ok(v)
    }

    pub fn load(&self, state: State, id: &str) -> Result<Entry, String> {
        if !valid_id(id) {
            return Err(format!("{id:?} is no queue id"));
        }
        let p = self.path(state, id);
        let b = fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        Entry::parse(&b).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// Where an id is, if anywhere.
    pub fn find(&self, id: &str) -> Option<State> {
        if !valid_id(id) {
            return None;
        }
        [State::Queued, State::Failed, State::Sent]
            .into_iter()
            .find(|s| self.path(*s, id).exists())
    }

    /// Remove an entry (queued or failed).
    pub fn remove(&self, state: State, id: &str) -> io::Result<()> {
        fs::remove_file(self.path(state, id))?;
        fsync_dir(&self.root.join(state.dir()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> Entry {
        Entry {
            id: id.into(),
            from: "me@example.org".into(),
            to: vec!["abuse@example.net".into()],
            message_id: "x@example.org".into(),
            created: 10,
            next_try: 0,
            attempts: vec![(11, "451 4.7.1 later\r\nInjected: yes".into())],
            message: b"Subject: hi\n\nbody\n\nmore\n".to_vec(),
        }
    }

    #[test]
    fn entries_round_trip_and_replies_stay_one_line() {
        let e = entry("1.2.3");
        let back = Entry::parse(&e.to_bytes()).unwrap();
        assert_eq!(back.message, e.message);
        assert_eq!(back.to, e.to);
        assert_eq!(
            back.attempts,
            [(11, "451 4.7.1 later Injected: yes".into())]
        );
        assert!(Entry::parse(b"garbage\n\nx").is_err());
    }

    #[test]
    fn ids_are_file_names_only() {
        assert!(valid_id(&new_id(5, 1)));
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn states_move_and_recovery_repairs_a_half_done_failure() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spool::open(dir.path()).unwrap();
        s.enqueue(&entry("a")).unwrap();
        s.enqueue(&entry("b")).unwrap();
        s.mark_sent("a").unwrap();
        assert_eq!(s.find("a"), Some(State::Sent));
        // A crash after failed/b was written, before queue/b was removed.
        s.write(State::Failed, &entry("b")).unwrap();
        std::fs::write(dir.path().join("tmp/half"), b"x").unwrap();
        s.recover().unwrap();
        assert_eq!(s.ids(State::Queued).unwrap(), Vec::<String>::new());
        assert_eq!(s.find("b"), Some(State::Failed));
        assert!(!dir.path().join("tmp/half").exists());
        let l = s.lock().unwrap().expect("lock");
        assert!(s.lock().unwrap().is_none(), "a second lock is refused");
        drop(l);
    }
}
