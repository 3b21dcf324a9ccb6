//! The SMTP session state machine of `capture`, end to end: the input is
//! everything a client sends on one connection (commands, DATA, garbage),
//! over an in-memory stream. Checked: no panic; the session ends once the
//! client closes; every reply line is `NNN` + space or dash and ends in
//! CRLF, with no other control bytes (replies never echo client bytes raw);
//! the DATA memory budget is given back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spamtrace::capture::data::Budget;
use spamtrace::capture::session::{self, Conn};
use spamtrace::capture::store::{Maildir, Store};
use spamtrace::capture::{Config, Shared};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A Maildir on tmpfs when there is one (fsync per message is the store's
/// promise, and slow on disk), emptied after every run.
static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!("spamtrace-fuzz-session-{}", std::process::id()))
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime")
});

/// Kept alive so sessions never see a shutdown.
static STOP: LazyLock<tokio::sync::watch::Sender<bool>> =
    LazyLock::new(|| tokio::sync::watch::channel(false).0);

static SHARED: LazyLock<Arc<Shared>> = LazyLock::new(|| {
    let maildir = Maildir::open(&DIR, "fuzz.example").expect("a Maildir");
    Arc::new(Shared {
        cfg: Config {
            hostname: "fuzz.example".into(),
            max_size: 64 << 10,
            max_rcpt: 10,
            max_bad_commands: 20,
            command_timeout: Duration::from_secs(5),
            data_timeout: Duration::from_secs(5),
            session_timeout: Duration::from_secs(10),
            tls: None,
            budget: Arc::new(Budget::new(1 << 20)),
            keep_crlf: false,
            seven_bit_only: false,
        },
        store: Store::Maildir(Arc::new(maildir)),
        analyzer: None,
        shutdown: STOP.subscribe(),
    })
});

fn check_replies(out: &[u8]) {
    for line in out.split_inclusive(|b| *b == b'\n') {
        assert!(line.ends_with(b"\r\n"), "reply line without CRLF: {line:?}");
        let text = &line[..line.len() - 2];
        assert!(
            text.len() >= 4
                && text[..3].iter().all(u8::is_ascii_digit)
                && (text[3] == b' ' || text[3] == b'-'),
            "not a reply line: {line:?}"
        );
        assert!(
            !text.iter().any(|b| b.is_ascii_control()),
            "control byte in a reply: {line:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let shared = SHARED.clone();
    let out = RUNTIME.block_on(async {
        let (client, server) = tokio::io::duplex(8 << 10);
        let mut conn = Conn {
            peer: "127.0.0.1".parse().expect("an address"),
            tls: false,
            session_deadline: tokio::time::Instant::now() + Duration::from_secs(10),
            bad_commands: 0,
        };
        let serve = async {
            let _ = session::run(&shared, &mut conn, Box::new(server), true).await;
        };
        let talk = async move {
            let (mut rd, mut wr) = tokio::io::split(client);
            let send = async {
                // The session may hang up first (too many errors): fine.
                let _ = wr.write_all(data).await;
                let _ = wr.shutdown().await;
            };
            let mut out = Vec::new();
            let recv = async {
                let _ = rd.read_to_end(&mut out).await;
            };
            tokio::join!(send, recv);
            out
        };
        let ended = tokio::time::timeout(Duration::from_secs(30), async {
            tokio::join!(serve, talk).1
        })
        .await;
        ended.expect("the session did not end after the client closed")
    });
    check_replies(&out);
    assert!(out.starts_with(b"220 "), "no greeting");
    assert_eq!(shared.cfg.budget.used(), 0, "DATA budget not given back");
    if let Ok(rd) = std::fs::read_dir(DIR.join("new")) {
        for e in rd.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
});
