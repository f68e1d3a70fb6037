//! The front's kept internal connections, against a scripted backend in the
//! place of tiny_http (a real Unix socket the test accepts on and answers
//! by hand), so that the backend can misbehave on purpose: requests share
//! one internal connection, each still carries the signed client address,
//! and a connection that breaks costs the request on it a clean 503 (or a
//! cut-short answer and a closed client connection), never a hang, and the
//! next request a new connection.

use crate::common::raw::{get, read_answer};
use miauinv::front::{Front, Limits, PeerTag};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Rig {
    front: Option<Front>,
    addr: SocketAddr,
    backend: UnixListener,
    tag: Arc<PeerTag>,
    _dir: tempfile::TempDir,
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(front) = self.front.take() {
            front.drain();
        }
    }
}

fn rig() -> Rig {
    rig_idle(Duration::from_secs(5))
}

fn rig_idle(idle_timeout: Duration) -> Rig {
    rig_with(idle_timeout, 4)
}

fn rig_with(idle_timeout: Duration, internal_connections: usize) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let backend = UnixListener::bind(dir.path().join("b.sock")).unwrap();
    let backend_addr = backend.local_addr().unwrap();
    let public = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = public.local_addr().unwrap();
    let tag = Arc::new(PeerTag::new().unwrap());
    let limits = Limits {
        max_connections: 64,
        max_connections_per_client: 64,
        header_timeout: Duration::from_secs(5),
        body_timeout: Duration::from_secs(5),
        idle_timeout,
        internal_connections,
    };
    let front = Front::start(
        public,
        backend_addr,
        tag.clone(),
        None,
        limits,
        1,
        dir.path().to_path_buf(),
    )
    .unwrap();
    Rig {
        front: Some(front),
        addr,
        backend,
        tag,
        _dir: dir,
    }
}

/// The backend's side of one internal connection.
struct Inside {
    reader: BufReader<UnixStream>,
}

impl Inside {
    fn accept(rig: &Rig) -> Inside {
        let (s, _) = rig.backend.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Inside {
            reader: BufReader::new(s),
        }
    }

    /// Reads one relayed request head (no body): its lines.
    fn request(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).unwrap();
            assert!(n > 0, "the front closed the internal connection");
            let line = line.trim_end().to_string();
            if line.is_empty() {
                return lines;
            }
            lines.push(line);
        }
    }

    fn answer(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn client(rig: &Rig) -> TcpStream {
    let s = TcpStream::connect(rig.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// The peer the front vouched for in a relayed head.
fn vouched(rig: &Rig, head: &[String]) -> SocketAddr {
    let line = &head[1];
    let value = line
        .strip_prefix("X-Miauinv-Peer: ")
        .expect("the peer line comes right after the request line");
    rig.tag.read(value).expect("signed by this front").addr
}

#[test]
fn requests_take_turns_on_one_kept_connection_each_signed() {
    let rig = rig();
    let mut first = client(&rig);
    let mut second = client(&rig);
    first.write_all(&get("/one", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    let head = inside.request();
    assert_eq!(head[0], "GET /one HTTP/1.1");
    assert_eq!(vouched(&rig, &head), first.local_addr().unwrap());
    assert!(
        !head
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("connection:")),
        "a kept connection is not told to close: {head:?}"
    );
    inside.answer(&ok("one"));
    assert_eq!(read_answer(&mut first).unwrap().body, "one");
    // A chunked answer, as tiny_http sends one above 32 KiB.
    second.write_all(&get("/two", "")).unwrap();
    let head = inside.request();
    assert_eq!(head[0], "GET /two HTTP/1.1");
    assert_eq!(vouched(&rig, &head), second.local_addr().unwrap());
    inside.answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n");
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !got.ends_with(b"0\r\n\r\n") {
        let n = second.read(&mut buf).unwrap();
        assert!(n > 0, "the answer was cut short");
        got.extend_from_slice(&buf[..n]);
    }
    // And the first client's next request: the same internal connection.
    first.write_all(&get("/three", "")).unwrap();
    assert_eq!(inside.request()[0], "GET /three HTTP/1.1");
    inside.answer(&ok("three"));
    assert_eq!(read_answer(&mut first).unwrap().body, "three");
    rig.backend.set_nonblocking(true).unwrap();
    assert!(
        rig.backend.accept().is_err(),
        "three requests, one internal connection"
    );
}

#[test]
fn a_connection_that_breaks_under_a_request_costs_it_a_503_and_is_replaced() {
    let rig = rig();
    let mut c = client(&rig);
    c.write_all(&get("/lost", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    inside.request();
    drop(inside);
    let answer = read_answer(&mut c).expect("an answer, not a hang");
    assert_eq!(answer.status, 503);
    // The next request: a new internal connection, answered.
    let mut c = client(&rig);
    c.write_all(&get("/next", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    assert_eq!(inside.request()[0], "GET /next HTTP/1.1");
    inside.answer(&ok("next"));
    assert_eq!(read_answer(&mut c).unwrap().status, 200);
}

#[test]
fn an_answer_cut_short_closes_the_client_connection_after_it() {
    let rig = rig();
    let mut c = client(&rig);
    c.write_all(&get("/half", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    inside.request();
    inside.answer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    drop(inside);
    let mut got = Vec::new();
    // Read to the end: the front closes this client instead of leaving it
    // waiting for 90 bytes that will never come.
    c.read_to_end(&mut got).expect("closed, not timed out");
    assert!(
        got.ends_with(b"only ten b"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn a_kept_connection_closed_while_idle_is_not_used_again() {
    let rig = rig();
    let mut c = client(&rig);
    c.write_all(&get("/a", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    inside.request();
    inside.answer(&ok("a"));
    assert_eq!(read_answer(&mut c).unwrap().status, 200);
    drop(inside);
    // The front hears the close while the connection is idle.
    std::thread::sleep(Duration::from_millis(200));
    c.write_all(&get("/b", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    assert_eq!(inside.request()[0], "GET /b HTTP/1.1");
    inside.answer(&ok("b"));
    assert_eq!(read_answer(&mut c).unwrap().status, 200);
}

#[test]
fn a_request_the_server_works_on_outlives_the_idle_timeout() {
    let rig = rig_idle(Duration::from_secs(1));
    let mut c = client(&rig);
    c.write_all(&get("/import", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    inside.request();
    // The server takes longer than a client may stay idle (a large import).
    std::thread::sleep(Duration::from_millis(2500));
    inside.answer(&ok("imported"));
    let answer = read_answer(&mut c).expect("the answer, not a closed connection");
    assert_eq!(answer.body, "imported");
    // A client that then sends nothing is still closed at the idle timeout.
    let mut rest = Vec::new();
    let start = std::time::Instant::now();
    c.read_to_end(&mut rest).expect("closed by the front");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_pipelining_client_takes_its_turn_behind_the_requests_already_waiting() {
    let rig = rig_with(Duration::from_secs(5), 1);
    let mut a = client(&rig);
    a.write_all(&[get("/a1", ""), get("/a2", ""), get("/a3", "")].concat())
        .unwrap();
    let mut inside = Inside::accept(&rig);
    assert_eq!(inside.request()[0], "GET /a1 HTTP/1.1");
    // b arrives while a1 is answered, and waits for the one kept connection.
    let mut b = client(&rig);
    b.write_all(&get("/b1", "")).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    inside.answer(&ok("a1"));
    // The connection goes to b, who waited, before a's next request.
    assert_eq!(inside.request()[0], "GET /b1 HTTP/1.1");
    inside.answer(&ok("b1"));
    assert_eq!(inside.request()[0], "GET /a2 HTTP/1.1");
    inside.answer(&ok("a2"));
    assert_eq!(inside.request()[0], "GET /a3 HTTP/1.1");
    inside.answer(&ok("a3"));
    assert_eq!(read_answer(&mut b).unwrap().body, "b1");
    // a's three answers, in its order.
    let mut got = String::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with("a3") {
        let n = a.read(&mut buf).unwrap();
        assert!(n > 0, "cut short: {got:?}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let at = |body: &str| got.find(&format!("\r\n\r\n{body}")).unwrap();
    assert!(at("a1") < at("a2") && at("a2") < at("a3"), "{got:?}");
}

#[test]
fn http_1_0_gets_a_connection_of_its_own_told_to_close() {
    let rig = rig();
    let mut c = client(&rig);
    c.write_all(b"GET /old HTTP/1.0\r\n\r\n").unwrap();
    let mut inside = Inside::accept(&rig);
    let head = inside.request();
    assert_eq!(head[0], "GET /old HTTP/1.0");
    assert!(head.iter().any(|l| l == "Connection: close"), "{head:?}");
    // Answered without a length, ended by the close, as tiny_http may for 1.0.
    inside.answer(b"HTTP/1.0 200 OK\r\n\r\nold");
    drop(inside);
    let mut got = Vec::new();
    c.read_to_end(&mut got).unwrap();
    assert!(got.ends_with(b"old"));
}

/// A backend that answers every request on every connection after `delay`,
/// counting its connections.
fn serve_slowly(rig: &Rig, delay: Duration) -> (Arc<AtomicUsize>, std::thread::JoinHandle<()>) {
    let listener = rig.backend.try_clone().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let handle = std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut inside = Inside {
                    reader: BufReader::new(s),
                };
                loop {
                    let mut line = String::new();
                    if inside.reader.read_line(&mut line).map_or(true, |n| n == 0) {
                        return;
                    }
                    while line.trim_end() != "" || line.is_empty() {
                        line.clear();
                        if inside.reader.read_line(&mut line).map_or(true, |n| n == 0) {
                            return;
                        }
                    }
                    std::thread::sleep(delay);
                    inside.answer(&ok("x"));
                }
            });
        }
    });
    (accepted, handle)
}

#[test]
fn more_requests_than_kept_connections_wait_their_turn() {
    let rig = rig();
    let (accepted, _backend) = serve_slowly(&rig, Duration::from_millis(50));
    // Four kept connections at most: twelve clients' requests at once.
    let mut clients: Vec<TcpStream> = (0..12).map(|_| client(&rig)).collect();
    for (n, c) in clients.iter_mut().enumerate() {
        c.write_all(&get(&format!("/{n}"), "")).unwrap();
    }
    for c in clients.iter_mut() {
        assert_eq!(read_answer(c).unwrap().status, 200);
    }
    let opened = accepted.load(Ordering::SeqCst);
    assert!(
        (1..=4).contains(&opened),
        "{opened} internal connections for a cap of 4"
    );
}

#[test]
fn a_new_kept_connection_waits_for_the_one_opening_before_it_at_most_its_grace() {
    let rig = rig();
    let mut first = client(&rig);
    let mut second = client(&rig);
    first.write_all(&get("/first", "")).unwrap();
    let mut inside = Inside::accept(&rig);
    inside.request();
    // The only connection is lent and still opening (tiny_http may not yet
    // have given it a thread): the second request's connection opens only
    // after the first answer byte or the grace, here the grace.
    let asked = std::time::Instant::now();
    second.write_all(&get("/second", "")).unwrap();
    let mut next = Inside::accept(&rig);
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_millis(45),
        "the second connection opened after {waited:?}, within the first's grace"
    );
    assert_eq!(next.request()[0], "GET /second HTTP/1.1");
    next.answer(&ok("two"));
    assert_eq!(read_answer(&mut second).unwrap().body, "two");
    inside.answer(&ok("first"));
    assert_eq!(read_answer(&mut first).unwrap().body, "first");
}

#[test]
fn a_request_on_a_connection_of_its_own_waits_for_no_other() {
    let rig = rig();
    let mut first = client(&rig);
    first.write_all(b"GET /a HTTP/1.0\r\n\r\n").unwrap();
    let mut a = Inside::accept(&rig);
    a.request();
    // The first is unanswered (a long upload, say): the second still goes.
    let mut second = client(&rig);
    second.write_all(b"GET /b HTTP/1.0\r\n\r\n").unwrap();
    let mut b = Inside::accept(&rig);
    assert_eq!(b.request()[0], "GET /b HTTP/1.0");
    b.answer(&ok("b"));
    assert_eq!(read_answer(&mut second).unwrap().body, "b");
    a.answer(&ok("a"));
    assert_eq!(read_answer(&mut first).unwrap().body, "a");
}
