mod support;
use support::dns_server;

#[test]
fn fixture_server_answers() {
    let (addr, server) = dns_server::start("a.fixture.org. 300 IN A 192.0.2.7");
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // id 1, RD, 1 question: a.fixture.org A IN
    let mut q = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for l in ["a", "fixture", "org"] {
        q.push(l.len() as u8);
        q.extend_from_slice(l.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    sock.send_to(&q, addr).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 512];
    let (n, _) = sock.recv_from(&mut buf).unwrap();
    assert!(n > q.len());
    assert_eq!(buf[3] & 0x0f, 0, "NOERROR");
    assert_eq!(&buf[n - 4..n], &[192, 0, 2, 7]);
    assert_eq!(server.queries(), 1);
    assert_eq!(server.questions(), vec!["A a.fixture.org"]);
}
