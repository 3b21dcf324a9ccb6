//! `spamtrace complain` as a user runs it: the binary, its exit status,
//! its output, and `--rdap` against a local server. Offline: DNS is in
//! tests/complain_dns.rs.

mod abuse_support;

use abuse_support::http::{bootstrap_routes, serve};
use abuse_support::{sample_path, NOW};
use mail_auth::report::Feedback;
use std::process::Command;

fn complain(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .arg("complain")
        // No DNS: these tests are about the complaint, not the lookups
        // (tests/complain_dns.rs asks a loopback server).
        .args([
            "--offline",
            "--trusted",
            "169.229.0.0/16",
            "--now",
            &NOW.to_string(),
        ])
        .args(args)
        .env_remove("SPAMTRACE_REPORTER")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .expect("run spamtrace");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn text_complaint_offline_names_the_ip_and_warns_of_no_recipient() {
    let (code, out, err) = complain(&[&sample_path()]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("IP address:       197.46.220.4"));
    assert!(text.contains("Suggested To: (none found)"));
    assert!(!text.contains("paid me to surf"));
    assert!(err.contains("no confirmed abuse contact"), "{err}");
    // Same input and time: the same output.
    let (_, again, _) = complain(&[&sample_path()]);
    assert_eq!(text.as_bytes(), again.as_slice());
}

#[test]
fn arf_with_rdap_from_a_local_server_is_addressed_and_parses() {
    let server = serve(bootstrap_routes());
    let boot = format!("{}/bootstrap/", server.base);
    let (code, out, err) = complain(&[
        "--arf",
        "--reporter",
        "me@example.org",
        "--include-body",
        "--rdap",
        "--rdap-bootstrap",
        &boot,
        "--rdap-allow-private",
        &sample_path(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("From: me@example.org\r\nTo: abuse@everfaster-net.org\r\n"),
        "{text}"
    );
    let fb = Feedback::parse_rfc5322(&out).expect("ARF");
    assert!(fb.message.as_deref().unwrap().contains("paid me to surf"));
    // The origin's network is outside the fixture bootstrap: a warning.
    assert!(err.contains("217.6.1.7"), "{err}");
}

#[test]
fn missing_file_is_exit_1_and_bad_trust_is_exit_2() {
    let (code, _, err) = complain(&["/nonexistent/msg.eml"]);
    assert_eq!(code, 1, "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args([
            "complain",
            "--offline",
            "--trusted",
            "not a thing",
            &sample_path(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (code, _, err) = complain(&["--arf", "--reporter", "Me <me@x.org>", &sample_path()]);
    assert_eq!(code, 2, "{err}");
}
