//! DNS benchmark (not a test): `spamtrace trace` over a generated mbox of
//! 5,000 messages against a loopback DNS server that delays every answer by
//! 20 ms. Prints unique questions, questions sent, queries the server saw,
//! wall time and the ideal (unique questions x delay / concurrency).
//!
//!     cargo bench --bench dns -- [MESSAGES] [CONCURRENCY...]

#[path = "../tests/support/dns_server.rs"]
mod dns_server;

use spamtrace::chain::TraceOptions;
use spamtrace::enrich::dns::{DnsClient, DnsEnricher, DnsOptions, LiveConfig};
use spamtrace::input::{InputError, InputOptions};
use spamtrace::model::Report;
use spamtrace::run::{self, Sink};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// The server's delay per answer; `BENCH_DNS_DELAY_MS` overrides it (0
/// measures the client's own cost per query).
fn delay() -> Duration {
    let ms = std::env::var("BENCH_DNS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    Duration::from_millis(ms)
}
const RELAYS: usize = 500;
const CLIENTS: usize = 2000;

struct Count(usize);

impl Sink for Count {
    fn report(&mut self, _r: Report) -> std::io::Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn error(&mut self, e: InputError) {
        eprintln!("bench: {e}");
    }
}

fn ip(net: u8, k: usize) -> String {
    format!("5.{net}.{}.{}", k / 256, k % 256)
}

/// Relay k: forward-confirmed `outK.bench-relay.net`. Client j: no PTR, a
/// HELO name that does not exist.
fn zone() -> String {
    let mut z = String::new();
    for k in 0..RELAYS {
        let _ = writeln!(
            z,
            "{}.{}.10.5.in-addr.arpa. PTR out{k}.bench-relay.net.\nout{k}.bench-relay.net. A {}",
            k % 256,
            k / 256,
            ip(10, k)
        );
    }
    z
}

fn mbox(messages: usize) -> String {
    let mut m = String::new();
    for i in 0..messages {
        let (k, j) = (i % RELAYS, i % CLIENTS);
        let _ = write!(
            m,
            "From bench@example Tue Nov 14 22:13:20 2023\n\
             Received: from out{k}.bench-relay.net (out{k}.bench-relay.net [{r}]) by mx.bench-rcpt.net with ESMTP id A{i}; Tue, 14 Nov 2023 22:13:20 +0000\n\
             Received: from client{j}.bench-client.org ([{c}]) by out{k}.bench-relay.net with ESMTP id B{i}; Tue, 14 Nov 2023 22:13:10 +0000\n\
             From: a@bench-client.org\nSubject: bench {i}\nMessage-ID: <{i}@bench-client.org>\n\nbody\n\n",
            r = ip(10, k),
            c = ip(20, j),
        );
    }
    m
}

fn main() {
    let delay = delay();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let messages: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let mut concurrencies: Vec<usize> =
        args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    if concurrencies.is_empty() {
        concurrencies = vec![20, 50, 100];
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.mbox");
    std::fs::write(&path, mbox(messages)).expect("write mbox");
    let path = path.display().to_string();
    let (addr, server) = dns_server::start_with(
        &zone(),
        dns_server::Options {
            delay,
            servfail: false,
        },
    );
    println!(
        "{messages} messages, {RELAYS} relays, {CLIENTS} clients, every answer delayed {} ms",
        delay.as_millis()
    );
    let mut opts = TraceOptions::default();
    opts.trust.add("10.0.0.0/8").unwrap();
    // The same run without DNS: the CPU cost of parsing and checking, which
    // the driver does between DNS batches (not overlapped with the waits).
    let started = Instant::now();
    let mut sink = Count(0);
    run::run(
        std::slice::from_ref(&path),
        &InputOptions::default(),
        &opts,
        &mut spamtrace::Offline,
        &mut sink,
    )
    .expect("run");
    let base = started.elapsed().as_secs_f64();
    println!("offline (no DNS) wall: {base:.2} s");
    println!(
        "concurrency  unique  sent  server  lookups  wall_s  ideal_s  wall/ideal  (wall-offline)/ideal"
    );
    for conc in concurrencies {
        let client = DnsClient::live(&LiveConfig {
            servers: vec![addr],
            timeout: Duration::from_secs(3),
            concurrency: conc,
        })
        .expect("client");
        let mut enricher = DnsEnricher::new(client, DnsOptions::default()).expect("runtime");
        let before = server.queries();
        let mut sink = Count(0);
        let started = Instant::now();
        run::run(
            std::slice::from_ref(&path),
            &InputOptions::default(),
            &opts,
            &mut enricher,
            &mut sink,
        )
        .expect("run");
        let wall = started.elapsed().as_secs_f64();
        let s = enricher.client().stats();
        let ideal = s.unique as f64 * delay.as_secs_f64() / conc as f64;
        assert_eq!(sink.0, messages);
        println!(
            "{conc:>11}  {:>6}  {:>4}  {:>6}  {:>7}  {wall:>6.2}  {ideal:>7.2}  {:>10.2}  {:>20.2}",
            s.unique,
            s.sent,
            server.queries() - before,
            s.lookups,
            wall / ideal,
            (wall - base) / ideal
        );
    }
}
