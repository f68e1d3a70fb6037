//! The hostile-connections row: reads while 200 connections from other client
//! addresses try to hold workers — an `Expect: 100-continue` head with no body,
//! a large body that stalls after 64 KiB, and pipelined requests whose answers
//! are never read. The front must buffer all of them, so reads keep their p99.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Hostile connections held open during the reads.
pub const CONNECTIONS: usize = 200;

/// Opens the hostile connections to `addr` from 127.0.0.2 upwards (50 per
/// address, under the per-client cap), each in one of the three ways.
/// Connections the server refuses are counted, not fatal.
pub fn open(addr: SocketAddr, count: usize) -> (Vec<TcpStream>, usize) {
    let mut held = Vec::with_capacity(count);
    let mut refused = 0;
    for i in 0..count {
        let source = Ipv4Addr::new(127, 0, 0, 2 + (i / 50) as u8);
        let stream = match connect_from(source, addr) {
            Ok(s) => s,
            Err(_) => {
                refused += 1;
                continue;
            }
        };
        let mut s = stream;
        let sent = match i % 3 {
            0 => s.write_all(
                b"POST /api/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
                  Content-Length: 10\r\nExpect: 100-continue\r\n\r\n",
            ),
            1 => s
                .write_all(
                    b"POST /api/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
                      Content-Length: 1000000\r\n\r\n",
                )
                .and_then(|_| s.write_all(&vec![b'x'; 65_537])),
            _ => {
                let one = b"GET /assets/css/app.css HTTP/1.1\r\nHost: bench\r\n\r\n";
                s.write_all(&one.repeat(40))
            }
        };
        match sent {
            Ok(()) => held.push(s),
            Err(_) => refused += 1,
        }
    }
    (held, refused)
}

/// A TCP connection from a chosen loopback source address.
pub fn connect_from(source: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((source, 0)).into())?;
    socket.connect(&to.into())?;
    let stream: TcpStream = socket.into();
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    Ok(stream)
}
