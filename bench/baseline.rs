//! The benchmark's floor: a bare tiny_http server with the same worker count as
//! MiauInv answering every request with one fixed small JSON body. No routing,
//! no database, no headers beyond Content-Type: whatever MiauInv spends above
//! this is our own code. Every figure in BENCHMARKS.md is a ratio to this one.
//!
//! Usage: `baseline <port> <workers>`. Prints `listening on <addr>` once bound.

use std::sync::Arc;

const BODY: &[u8] = br#"{"status":"ok","database":true}"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(16);
    let server = match tiny_http::Server::http(("127.0.0.1", port)) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("baseline: cannot listen on port {port}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on {}", server.server_addr());
    let content_type = tiny_http::Header::from_bytes("Content-Type", "application/json")
        .expect("a static header is valid");
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (server, content_type) = (server.clone(), content_type.clone());
            std::thread::spawn(move || {
                while let Ok(rq) = server.recv() {
                    let response =
                        tiny_http::Response::from_data(BODY).with_header(content_type.clone());
                    let _ = rq.respond(response);
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}
