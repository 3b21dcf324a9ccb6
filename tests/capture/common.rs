//! Helpers shared by the capture integration tests: start the real binary
//! on a loopback port, talk to it with raw sockets or python3 scripts.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub enum Store {
    Maildir,
    Mbox,
}

/// A running `spamtrace capture`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    /// stderr lines so far.
    pub log: Arc<Mutex<Vec<String>>>,
    args: Vec<std::ffi::OsString>,
}

type Log = Arc<Mutex<Vec<String>>>;

/// Spawn `spamtrace ARGS` and wait for its "listening on" line.
fn spawn(args: &[std::ffi::OsString]) -> (Child, SocketAddr, Log) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spamtrace");
    let stderr = child.stderr.take().expect("stderr");
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let log2 = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(a) = line.split("listening on ").nth(1) {
                let _ = tx.send(a.trim().to_string());
            }
            log2.lock().unwrap().push(line);
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(a) => (child, a.parse().expect("bound address"), log),
        Err(_) => {
            let _ = child.kill();
            panic!("server did not start: {:?}", log.lock().unwrap());
        }
    }
}

impl Server {
    /// A server that keeps the wire's CRLF (`--keep-crlf`): what the tests
    /// of the SMTP layer (dot-stuffing, smuggling) compare against.
    pub fn start(store: Store, extra: &[&str]) -> Server {
        Server::start_on("127.0.0.1:0", store, extra)
    }

    /// A server with the default storage: LF line ends.
    pub fn start_lf(store: Store, extra: &[&str]) -> Server {
        Server::start_with("127.0.0.1:0", store, extra, false)
    }

    pub fn start_on(listen: &str, store: Store, extra: &[&str]) -> Server {
        Server::start_with(listen, store, extra, true)
    }

    fn start_with(listen: &str, store: Store, extra: &[&str], keep_crlf: bool) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args: Vec<std::ffi::OsString> =
            ["capture", "--listen", listen, "--hostname", "trap.test"]
                .iter()
                .map(Into::into)
                .collect();
        match store {
            Store::Maildir => {
                args.push("--maildir".into());
                args.push(dir.path().join("md").into());
            }
            Store::Mbox => {
                args.push("--mbox".into());
                args.push(dir.path().join("trap.mbox").into());
            }
        }
        if keep_crlf {
            args.push("--keep-crlf".into());
        }
        args.extend(extra.iter().map(Into::into));
        let (child, addr, log) = spawn(&args);
        Server {
            child,
            addr,
            dir,
            log,
            args,
        }
    }

    /// Start the server again on the same store (after a kill).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, addr, log) = spawn(&self.args);
        self.child = child;
        self.addr = addr;
        self.log = log;
    }

    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("md")
    }

    pub fn mbox(&self) -> PathBuf {
        self.dir.path().join("trap.mbox")
    }

    /// The files in new/, sorted by name, with their bytes.
    pub fn stored(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.maildir().join("new"))
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let b = std::fs::read(&p).expect("read stored");
                (p, b)
            })
            .collect()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child by its pid.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Wait for the server to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connect, read the greeting, send `bytes` in one write, then read every
/// reply until the server closes (or 10 s pass). Returns all the text.
pub fn raw_session(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut greeting = [0u8; 512];
    let n = s.read(&mut greeting).expect("greeting");
    assert!(greeting[..n].starts_with(b"220 "), "greeting");
    s.write_all(bytes).expect("send");
    read_to_close(&mut s)
}

pub fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 8192];
    while start.elapsed() < Duration::from_secs(10) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The reply codes in a transcript, in order (last line of each reply).
pub fn codes(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .filter(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')
        .map(|l| l[..3].to_string())
        .collect()
}

/// The client's bytes: what follows our Return-Path and Received lines.
pub fn content(stored: &[u8]) -> &[u8] {
    for marker in [&b" +0000\r\n"[..], b" +0000\n"] {
        if let Some(at) = stored.windows(marker.len()).position(|w| w == marker) {
            return &stored[at + marker.len()..];
        }
    }
    panic!("our Received date");
}

pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/capture")
        .join(name)
}

/// True when python3 runs; tests that need it print a skip otherwise.
pub fn have_python() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 not found");
    }
    ok
}

/// Run a python3 helper, killed after `limit`; returns its stdout.
pub fn python(name: &str, args: &[String], limit: Duration) -> String {
    let mut child = Command::new("python3")
        .arg(script(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    reader.join().unwrap_or_default()
}

/// The body load.py sends as message `m` of client `c`.
pub fn load_body(c: usize, m: usize) -> Vec<u8> {
    let pad = "x".repeat((c * 7 + m * 13) % 500);
    let mut b = format!(
        "Subject: c{c} m{m}\r\nMessage-ID: <c{c}m{m}@load>\r\n\r\n.leading dot\r\nFrom start\r\nline {c} {m} {pad}\r\n"
    )
    .into_bytes();
    b.extend_from_slice(b"\0nul\xff\r\n");
    b
}
