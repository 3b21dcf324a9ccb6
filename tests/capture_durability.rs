//! Durability of `spamtrace capture`: many concurrent clients, and kill -9
//! in the middle of a load. Every message answered 250 must be stored
//! exactly once, whole, byte-identical below our added headers.

#[path = "capture/common.rs"]
mod common;

use common::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The (client, message) a stored message came from, by its Message-ID.
fn load_id(content: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(content);
    let id = text
        .split("Message-ID: <c")
        .nth(1)
        .and_then(|s| s.split("@load>").next())
        .expect("Message-ID");
    let (c, m) = id.split_once('m').expect("cNmM");
    (c.parse().unwrap(), m.parse().unwrap())
}

/// Count stored messages by id, asserting each is byte-identical.
fn check_maildir(srv: &Server) -> HashMap<(usize, usize), usize> {
    let mut seen = HashMap::new();
    for (path, bytes) in srv.stored() {
        let c = content(&bytes);
        let id = load_id(c);
        assert_eq!(c, &load_body(id.0, id.1)[..], "{} differs", path.display());
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

/// Split an mbox written by capture into messages, mboxrd-unquoted.
fn mbox_messages(mbox: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in mbox.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            out.push(Vec::new());
            continue;
        }
        let cur = out.last_mut().expect("mbox starts with a From line");
        let q = line.iter().take_while(|&&b| b == b'>').count();
        if q > 0 && line[q..].starts_with(b"From ") {
            cur.extend_from_slice(&line[1..]);
        } else {
            cur.extend_from_slice(line);
        }
    }
    for m in &mut out {
        // The blank line that separates messages.
        assert_eq!(m.pop(), Some(b'\n'), "message ends with the separator");
    }
    out
}

fn check_mbox(srv: &Server) -> HashMap<(usize, usize), usize> {
    let bytes = std::fs::read(srv.mbox()).unwrap_or_default();
    let mut seen = HashMap::new();
    for m in mbox_messages(&bytes) {
        let c = content(&m);
        let id = load_id(c);
        assert_eq!(c, &load_body(id.0, id.1)[..], "message {id:?} differs");
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

#[test]
fn two_hundred_clients_ten_messages_each() {
    if !have_python() {
        return;
    }
    let srv = Server::start(Store::Maildir, &["--max-per-ip", "256"]);
    let start = Instant::now();
    let out = python(
        "load.py",
        &[srv.addr.port().to_string(), "200".into(), "10".into()],
        Duration::from_secs(240),
    );
    eprintln!("2000 messages in {:?}", start.elapsed());
    let ok = out.lines().filter(|l| l.starts_with("ok ")).count();
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("fail ")).collect();
    assert!(fails.is_empty(), "{:?}", &fails[..fails.len().min(5)]);
    assert_eq!(ok, 2000);
    let seen = check_maildir(&srv);
    assert_eq!(seen.len(), 2000);
    assert!(seen.values().all(|&n| n == 1), "a message stored twice");
    let tmp = std::fs::read_dir(srv.maildir().join("tmp"))
        .unwrap()
        .count();
    assert_eq!(tmp, 0, "leftovers in tmp/");
}

/// Run load.py, kill -9 the server after `after` acknowledgements, and
/// return the (client, message) pairs that were acknowledged.
fn load_then_kill(srv: &mut Server, after: usize) -> Vec<(usize, usize)> {
    let mut load = Command::new("python3")
        .arg(script("load.py"))
        .args([srv.addr.port().to_string(), "40".into(), "50".into()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let stdout = load.stdout.take().expect("stdout");
    let acked = Arc::new(Mutex::new(Vec::new()));
    let acked2 = Arc::clone(&acked);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let parts: Vec<&str> = line.split(' ').collect();
            if parts.first() == Some(&"ok") {
                acked2
                    .lock()
                    .unwrap()
                    .push((parts[1].parse().unwrap(), parts[2].parse().unwrap()));
            }
        }
    });
    let start = Instant::now();
    while acked.lock().unwrap().len() < after && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    srv.signal(libc::SIGKILL);
    srv.wait_exit(Duration::from_secs(10)).expect("killed");
    // Clients now fail fast; bound the wait anyway.
    let start = Instant::now();
    while load.try_wait().ok().flatten().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = load.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = load.wait();
    let _ = reader.join();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= after, "load too slow: {} acked", acked.len());
    acked
}

#[test]
fn kill_9_mid_load_maildir() {
    if !have_python() {
        return;
    }
    let mut srv = Server::start(Store::Maildir, &["--max-per-ip", "64"]);
    let acked = load_then_kill(&mut srv, 300);
    let seen = check_maildir(&srv);
    for id in &acked {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "acknowledged {id:?} not stored once"
        );
    }
    assert!(seen.values().all(|&n| n == 1));
    eprintln!(
        "acked {}, stored {}, in tmp/ {}",
        acked.len(),
        seen.len(),
        std::fs::read_dir(srv.maildir().join("tmp"))
            .unwrap()
            .count()
    );
}

#[test]
fn kill_9_mid_load_mbox() {
    if !have_python() {
        return;
    }
    let mut srv = Server::start(Store::Mbox, &["--max-per-ip", "64"]);
    let acked = load_then_kill(&mut srv, 300);
    // The lock died with the process, and a restart recovers the mbox
    // (anything past the commit mark moves to MBOX.torn-*).
    srv.restart();
    let seen = check_mbox(&srv);
    for id in &acked {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "acknowledged {id:?} not stored once"
        );
    }
    assert!(seen.values().all(|&n| n == 1));
    eprintln!("acked {}, stored {}", acked.len(), seen.len());
}
