//! A tiny HTTP server on 127.0.0.1 serving fixture RDAP JSON.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// An AFRINIC-style record: the abuse entity under the registrant, with a
/// help desk beside it and a `pref` on the abuse mailbox.
pub const RECORD_197: &str = r#"{
  "objectClassName": "ip network", "handle": "197.46.0.0 - 197.46.255.255",
  "startAddress": "197.46.0.0", "endAddress": "197.46.255.255",
  "entities": [{
    "roles": ["registrant"],
    "vcardArray": ["vcard", [["fn", {}, "text", "Everfaster Networks"]]],
    "entities": [{
      "roles": ["abuse"],
      "vcardArray": ["vcard", [
        ["email", {}, "text", "helpdesk@everfaster-net.org"],
        ["email", {"pref": "1"}, "text", "abuse@everfaster-net.org"]
      ]]
    }]
  }]
}"#;

/// A record with addresses that must never reach a header.
pub const RECORD_HOSTILE: &str = r#"{
  "entities": [{
    "roles": ["abuse"],
    "vcardArray": ["vcard", [
      ["email", {}, "text", "root,abuse@net.example"],
      ["email", {}, "text", "DATA REDACTED"],
      ["email", {}, "text", "noc@good-net.org"]
    ]]
  }]
}"#;

pub struct Server {
    pub base: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Serve `routes` (path -> JSON) until the test ends; 404 for the rest.
pub fn serve(routes: Vec<(String, String)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let routes: Vec<(String, String)> = routes
        .into_iter()
        .map(|(p, b)| (p, b.replace("{BASE}", &base)))
        .collect();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let req = String::from_utf8_lossy(&buf);
            let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
            seen.lock().unwrap().push(path.clone());
            let (status, body) = match routes.iter().find(|(p, _)| *p == path) {
                Some((_, b)) => ("200 OK", b.clone()),
                None => ("404 Not Found", "{}".to_string()),
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: application/rdap+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Server { base, requests }
}

pub fn bootstrap_routes() -> Vec<(String, String)> {
    vec![
        (
            "/bootstrap/ipv4.json".into(),
            r#"{"version":"1.0","services":[
                [["197.0.0.0/8"],["{BASE}/afrinic/"]],
                [["8.0.0.0/8"],["{BASE}/arin/"]]]}"#
                .into(),
        ),
        (
            "/bootstrap/ipv6.json".into(),
            r#"{"version":"1.0","services":[]}"#.into(),
        ),
        ("/afrinic/ip/197.46.220.4".into(), RECORD_197.into()),
        ("/arin/ip/8.8.4.4".into(), RECORD_HOSTILE.into()),
    ]
}
