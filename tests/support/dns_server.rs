//! A real DNS server on 127.0.0.1 for tests and benchmarks: hickory-server
//! serving one fixture zone, with variants that answer SERVFAIL, delay
//! every answer, or never answer at all. Every query is counted.
//!
//! ```ignore
//! mod support;
//! let (addr, server) = support::dns_server::start("a.example.org. A 192.0.2.1");
//! // ... point the code under test at `addr` ...
//! assert_eq!(server.queries(), 1);
//! ```
//!
//! Zone text is RFC 1035 master-file text with absolute names (trailing
//! dot); the server is authoritative for the root, so every other name is
//! NXDOMAIN and a name with other types only is NOERROR with no data.
#![allow(dead_code)]

use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::op::{Header, HeaderCounts, ResponseCode};
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneType};
use hickory_server::Server;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Wait this long before every answer (the benchmark uses 20 ms).
    pub delay: Duration,
    /// Answer every query with SERVFAIL.
    pub servfail: bool,
}

/// A running server; stopped on drop.
pub struct DnsServer {
    addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
    stop: Option<Box<dyn FnOnce() + Send>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DnsServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queries received so far (answered or not).
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    /// The questions received, as `TYPE name` (lowercase, no trailing dot).
    pub fn questions(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Stop the server and wait until its socket is closed.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

const SOA: &str =
    "$ORIGIN .\n$TTL 300\n. IN SOA ns.fixture. hostmaster.fixture. 1 3600 600 86400 60\n";

/// Serve `zone` on 127.0.0.1 (a free port).
pub fn start(zone: &str) -> (SocketAddr, DnsServer) {
    start_with(zone, Options::default())
}

/// A server that answers SERVFAIL to everything.
pub fn start_servfail() -> (SocketAddr, DnsServer) {
    start_with(
        "",
        Options {
            servfail: true,
            ..Options::default()
        },
    )
}

/// Serve `zone` with `opts`.
pub fn start_with(zone: &str, opts: Options) -> (SocketAddr, DnsServer) {
    let text = format!("{SOA}{zone}\n");
    let (origin, records) = Parser::new(text, None, Some(Name::root()))
        .parse()
        .expect("fixture zone parses");
    let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
        origin.clone(),
        records,
        ZoneType::Primary,
        AxfrPolicy::Deny,
    )
    .expect("fixture zone loads");
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::from(origin), vec![Arc::new(handler)]);
    let queries = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let fixture = Fixture {
        catalog,
        opts,
        queries: queries.clone(),
        log: log.clone(),
    };
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    udp.set_nonblocking(true).unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = std::net::TcpListener::bind(addr).ok();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let mut server = Server::new(fixture);
            server.register_socket(tokio::net::UdpSocket::from_std(udp).unwrap());
            if let Some(tcp) = tcp {
                tcp.set_nonblocking(true).unwrap();
                server.register_listener(
                    tokio::net::TcpListener::from_std(tcp).unwrap(),
                    Duration::from_secs(5),
                    64,
                );
            }
            let _ = ready_tx.send(());
            let _ = rx.await;
            let _ = server.shutdown_gracefully().await;
        });
    });
    ready_rx.recv().expect("server started");
    let server = DnsServer {
        addr,
        queries,
        log,
        stop: Some(Box::new(move || {
            let _ = tx.send(());
        })),
        thread: Some(thread),
    };
    (addr, server)
}

/// A UDP socket that reads queries, counts them and never answers: a
/// resolver asking it times out.
pub fn start_silent() -> (SocketAddr, DnsServer) {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let addr = sock.local_addr().unwrap();
    let queries = Arc::new(AtomicUsize::new(0));
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (q, s) = (queries.clone(), stopping.clone());
    let thread = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !s.load(Ordering::SeqCst) {
            if sock.recv_from(&mut buf).is_ok() {
                q.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let server = DnsServer {
        addr,
        queries,
        log: Arc::new(Mutex::new(Vec::new())),
        stop: Some(Box::new(move || stopping.store(true, Ordering::SeqCst))),
        thread: Some(thread),
    };
    (addr, server)
}

struct Fixture {
    catalog: Catalog,
    opts: Options,
    queries: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

#[async_trait::async_trait]
impl RequestHandler for Fixture {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        self.queries.fetch_add(1, Ordering::SeqCst);
        if let Some(q) = request.queries.queries().first() {
            let name = q.name().to_string();
            self.log.lock().unwrap().push(format!(
                "{} {}",
                q.query_type(),
                name.trim_end_matches('.').to_ascii_lowercase()
            ));
        }
        if !self.opts.delay.is_zero() {
            tokio::time::sleep(self.opts.delay).await;
        }
        if self.opts.servfail {
            let response = MessageResponseBuilder::new(&request.queries, None)
                .error_msg(&request.metadata, ResponseCode::ServFail);
            let mut failed = request.metadata;
            failed.response_code = ResponseCode::ServFail;
            return response_handle
                .send_response(response)
                .await
                .unwrap_or_else(|_| {
                    ResponseInfo::from(Header {
                        metadata: failed,
                        counts: HeaderCounts::default(),
                    })
                });
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}
