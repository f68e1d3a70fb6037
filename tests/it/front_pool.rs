//! The front and tiny_http's worker pool: no client, however it behaves, keeps
//! another client's request from being answered. Each test plays the hostile
//! or unlucky clients from 127.0.0.1 and checks that a second address,
//! 127.0.0.2, is still answered in time. Real servers over loopback sockets.

use crate::common;

use common::raw::*;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// `GET /healthz` from 127.0.0.2 must be answered within `limit`.
fn others_are_served_within(addr: SocketAddr, limit: Duration, what: &str) {
    let started = Instant::now();
    let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 2), addr);
    s.set_read_timeout(Some(limit)).unwrap();
    s.write_all(&get("/healthz", "")).unwrap();
    let answer = read_answer(&mut s);
    let took = started.elapsed();
    assert!(
        answer.as_ref().is_some_and(|a| a.status == 200) && took <= limit,
        "{what}: /healthz from 127.0.0.2 took {took:?} (limit {limit:?}), status {:?}",
        answer.map(|a| a.status)
    );
}

/// The reproduction of the pool stranding requests: on a fresh server, 8
/// connections opened and left idle, then one request sent on each, back to
/// back, all kept open. Each must be answered within 3 s.
fn every_one_of_eight_fresh_connections_is_answered(tls: bool) {
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let config = if tls { "tls: true\n" } else { "tls: false\n" };
        let running = start_in(dir.path(), config).unwrap();
        let cert = dir.path().join("cert.pem");
        let sockets: Vec<TcpStream> = (0..8)
            .map(|_| TcpStream::connect(running.addr()).unwrap())
            .collect();
        // The same socket under both: the timeouts are set on the TCP side.
        let mut streams: Vec<Box<dyn ReadWrite>> = sockets
            .iter()
            .map(|s| -> Box<dyn ReadWrite> {
                let s = s.try_clone().unwrap();
                match tls {
                    true => Box::new(tls_connect(s, &cert, &rustls::version::TLS13)),
                    false => Box::new(s),
                }
            })
            .collect();
        for s in streams.iter_mut() {
            s.write_all(&get("/healthz", "")).unwrap();
            s.flush().unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        for (i, s) in streams.iter_mut().enumerate() {
            let left = deadline.saturating_duration_since(Instant::now());
            sockets[i]
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let answer = read_answer(s);
            assert!(
                answer.is_some_and(|a| a.status == 200),
                "round {round} ({}): connection {i} got no answer within 3 s",
                if tls { "TLS" } else { "plain" }
            );
        }
        drop(streams);
        running.shutdown();
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

#[test]
fn eight_requests_on_fresh_connections_are_all_answered_over_plain_http() {
    every_one_of_eight_fresh_connections_is_answered(false);
}

#[test]
fn eight_requests_on_fresh_connections_are_all_answered_over_tls() {
    every_one_of_eight_fresh_connections_is_answered(true);
}

/// Twenty connections from 127.0.0.1, each set up by `hostile`, kept open.
fn twenty_hostile_connections(
    addr: SocketAddr,
    hostile: impl Fn(&mut TcpStream),
) -> Vec<TcpStream> {
    (0..20)
        .map(|_| {
            let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 1), addr);
            hostile(&mut s);
            s
        })
        .collect()
}

#[test]
fn clients_waiting_for_100_continue_hold_no_worker() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    let head = "POST /api/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Content-Length: 10\r\nExpect: 100-continue\r\n\r\n";
    let mut hostile = twenty_hostile_connections(running.addr(), |s| {
        s.write_all(head.as_bytes()).unwrap();
    });
    // The front itself tells them to go on; the body never comes.
    for s in hostile.iter_mut().take(3) {
        s.set_read_timeout(Some(GENEROUS)).unwrap();
        let mut answer = [0u8; 25];
        s.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    others_are_served_within(running.addr(), Duration::from_secs(1), "100-continue");
    // The body, once sent, is relayed as usual.
    hostile[0].write_all(b"{\"a\":1}   ").unwrap();
    let answer = read_answer(&mut hostile[0]).expect("an answer");
    assert_eq!(answer.status, 400, "{}", answer.body);
}

#[test]
fn stalled_large_bodies_hold_no_worker() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    let head = "POST /api/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Content-Length: 1000000\r\n\r\n";
    let _hostile = twenty_hostile_connections(running.addr(), |s| {
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&[b' '; 65_537]).unwrap();
    });
    // Not synchronisation but the attack itself: the stalled bodies are given
    // a moment to reach the server and take hold (nothing outside the server
    // shows that they have). Too short a pause could only let the check
    // below pass wrongly, never fail it.
    std::thread::sleep(Duration::from_millis(200));
    others_are_served_within(running.addr(), Duration::from_secs(1), "stalled bodies");
}

/// The bytes of one answer to `GET /assets/css/app.css`.
fn stylesheet_answer_size(addr: SocketAddr) -> usize {
    let a = exchange(&mut plain(addr), &get("/assets/css/app.css", ""));
    assert_eq!(a.status, 200);
    a.head.len() + a.body.len()
}

#[test]
fn pipelining_clients_that_never_read_hold_no_worker() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    // About 8 MB of stylesheets per connection: more than the socket buffers
    // on the way hold, so a worker writing them would block.
    let count = 8_000_000 / stylesheet_answer_size(running.addr()) + 1;
    let requests = get("/assets/css/app.css", "").repeat(count);
    let _hostile = twenty_hostile_connections(running.addr(), |s| {
        s.write_all(&requests).unwrap();
    });
    // Not synchronisation but the attack itself: the pipelines are given a
    // moment to fill the buffers on the way (nothing outside the server shows
    // that they have). Too short a pause could only let the check below pass
    // wrongly, never fail it.
    std::thread::sleep(Duration::from_millis(500));
    others_are_served_within(running.addr(), Duration::from_secs(1), "unread pipelines");
}

#[test]
fn a_client_that_never_reads_its_pipelined_answers_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    // 12 MB of answers: more than the 4 MiB the front buffers for a
    // connection on top of what the sockets hold.
    let size = stylesheet_answer_size(running.addr());
    let count = 12_000_000 / size + 1;
    let mut s = connect_from(Ipv4Addr::new(127, 0, 0, 1), running.addr());
    s.write_all(&get("/assets/css/app.css", "").repeat(count))
        .unwrap();
    // Not synchronisation but what is tested: a client that does not read for
    // two seconds while its answers pile up. (Reading sooner would drain the
    // buffers the front is meant to cap.)
    std::thread::sleep(Duration::from_secs(2));
    // Reading now finds the end (or a reset) well before all the answers.
    s.set_read_timeout(Some(GENEROUS)).unwrap();
    let mut received = 0usize;
    let mut chunk = [0u8; 64 * 1024];
    let ended = loop {
        match s.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => received += n,
            Err(e) => {
                break !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    };
    assert!(ended, "the connection was left open");
    assert!(
        received < count * size,
        "all {received} bytes were delivered: the connection was not cut"
    );
}

#[test]
fn one_address_with_1500_sockets_leaves_room_for_others() {
    let dir = tempfile::tempdir().unwrap();
    // The default caps: 512 connections in all, 64 per client address.
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    let addr = running.addr();
    let from_one = |n: usize| -> Vec<TcpStream> {
        (0..n)
            .map(|_| connect_from(Ipv4Addr::new(127, 0, 0, 1), addr))
            .collect()
    };
    let mut sockets = from_one(1500);
    // A hundred of them trickle a request head, a byte at a time.
    let tricklers: Vec<TcpStream> = sockets.drain(..100).collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickle = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut tricklers = tricklers;
            for s in tricklers.iter_mut() {
                let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ");
            }
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for s in tricklers.iter_mut() {
                    let _ = s.write_all(b"a");
                }
                // Pacing the slow clients: a byte each 100 ms.
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // Not synchronisation but the attack itself: the tricklers are given a
    // moment to start trickling (nothing outside the server shows that they
    // have). Too short a pause could only let the check below pass wrongly.
    std::thread::sleep(Duration::from_millis(300));
    others_are_served_within(
        addr,
        Duration::from_secs(1),
        "1,500 sockets from one address",
    );
    // Past its 64 connections, the address itself is refused.
    let mut extra = from_one(1).pop().unwrap();
    extra.set_read_timeout(Some(GENEROUS)).unwrap();
    let _ = extra.write_all(&get("/healthz", ""));
    if let Some(a) = read_answer(&mut extra) {
        assert_eq!(a.status, 503, "{}", a.body);
        assert!(a.body.contains("too_many_connections"), "{}", a.body);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    trickle.join().unwrap();
}

#[test]
fn a_full_server_closes_its_oldest_idle_keep_alive_connection_for_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\nmax_connections: 40\n").unwrap();
    // 40 keep-alive connections, each answered once, then idle.
    let mut idle: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = plain(running.addr());
            assert_eq!(exchange(&mut s, &get("/healthz", "")).status, 200);
            s
        })
        .collect();
    others_are_served_within(running.addr(), Duration::from_secs(1), "a full server");
    // One of the idle ones made room: the server closed it.
    let closed = idle.iter_mut().any(|s| {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        matches!(s.read(&mut [0u8; 1]), Ok(0))
    });
    assert!(closed, "no idle connection was closed");
}

#[test]
fn a_full_server_makes_room_whichever_event_loop_accepts_the_newcomer() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\nmax_connections: 2\n").unwrap();
    // Each newcomer is served and stays as an idle keep-alive connection, so
    // from the third on the server is full of idle connections held by
    // event loops chosen by the kernel, not necessarily the one accepting.
    let mut kept = Vec::new();
    for round in 0..30u8 {
        let mut s = connect_from(Ipv4Addr::new(127, 0, 1, round), running.addr());
        s.set_read_timeout(Some(GENEROUS)).unwrap();
        s.write_all(&get("/healthz", "")).unwrap();
        let status = read_answer(&mut s).map(|a| a.status);
        assert_eq!(status, Some(200), "newcomer {round} was not served");
        kept.push(s);
    }
}
