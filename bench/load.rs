//! Driving the processes under test: starting MiauInv and the baseline as
//! separate processes, timing the first 200 from `/healthz`, reading resident
//! memory from `/proc`, and running `wrk` with a Lua script whose `done()` prints
//! one `BENCH …` summary line (see `bench/lua/report.lua`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on right now (bound to port 0, then released).
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A process under test; killed (SIGTERM, then SIGKILL) when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
    pub port: u16,
    pub tls: bool,
    log: Option<PathBuf>,
    /// From spawning the process to its first 200 answer.
    pub ready_after: Duration,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// (VmRSS, VmHWM) in KiB.
    pub fn memory_kib(&self) -> Result<(u64, u64), String> {
        let [rss, hwm] = self.status_kib(["VmRSS:", "VmHWM:"])?;
        Ok((rss, hwm))
    }

    /// The resident size split: (anonymous: heap and stacks, file-backed: the
    /// binary's and libraries' pages), in KiB.
    pub fn resident_split_kib(&self) -> Result<(u64, u64), String> {
        let [anon, file] = self.status_kib(["RssAnon:", "RssFile:"])?;
        Ok((anon, file))
    }

    /// Fields of `/proc/<pid>/status` (in KiB), in the order asked; 0 if absent.
    fn status_kib<const N: usize>(&self, names: [&str; N]) -> Result<[u64; N], String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .map_err(|e| format!("cannot read memory of {}: {e}", self.name))?;
        Ok(names.map(|name| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        }))
    }

    /// The last lines of the process's log, for error messages.
    pub fn log_tail(&self) -> String {
        self.log_tail_matching("")
    }

    /// The last lines of the process's log that contain `needle`.
    pub fn log_tail_matching(&self, needle: &str) -> String {
        let Some(path) = &self.log else {
            return String::new();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    pub fn stop(mut self) -> Result<(), String> {
        self.terminate();
        Ok(())
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Starts `miauinv serve` with the given config and port and waits for its
/// first 200 from `/healthz`, polling every millisecond.
pub fn start_miauinv(
    bin: &Path,
    config: &Path,
    port: u16,
    tls: bool,
    log: &Path,
) -> Result<Proc, String> {
    let log_file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let child = Command::new(bin)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env("MIAUINV_PORT", port.to_string())
        .env_remove("MIAUINV_CONFIG")
        .env_remove("JWT_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut proc = Proc {
        name: "miauinv".into(),
        child,
        port,
        tls,
        log: Some(log.to_path_buf()),
        ready_after: Duration::ZERO,
    };
    proc.ready_after = wait_ready(&mut proc, started, "/healthz")?;
    Ok(proc)
}

/// Starts the baseline server with `workers` workers.
pub fn start_baseline(bin: &Path, port: u16, workers: usize) -> Result<Proc, String> {
    let started = Instant::now();
    let child = Command::new(bin)
        .arg(port.to_string())
        .arg(workers.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut proc = Proc {
        name: "baseline".into(),
        child,
        port,
        tls: false,
        log: None,
        ready_after: Duration::ZERO,
    };
    proc.ready_after = wait_ready(&mut proc, started, "/")?;
    Ok(proc)
}

fn wait_ready(proc: &mut Proc, started: Instant, path: &str) -> Result<Duration, String> {
    let deadline = started + Duration::from_secs(60);
    let insecure = insecure_agent();
    loop {
        if let Ok(Some(status)) = proc.child.try_wait() {
            return Err(format!(
                "{} exited before answering ({status}):\n{}",
                proc.name,
                proc.log_tail()
            ));
        }
        let ok = if proc.tls {
            insecure
                .get(format!("{}{path}", proc.base()))
                .call()
                .is_ok_and(|r| r.status() == 200)
        } else {
            plain_get_is_200(proc.port, path)
        };
        if ok {
            return Ok(started.elapsed());
        }
        if proc.tls && plain_get_is_200(proc.port, path) {
            return Err(format!(
                "{} serves plain HTTP although TLS was asked for",
                proc.name
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} did not answer 200 on {path} within 60 s:\n{}",
                proc.name,
                proc.log_tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// One raw HTTP/1.1 request, so polling costs no more than a connect.
fn plain_get_is_200(port: u16, path: &str) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// An HTTP client for set-up calls that accepts the bench's self-signed certificate.
pub fn insecure_agent() -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(true)
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// What one wrk run measured.
#[derive(Debug, Clone, Default)]
pub struct Load {
    pub connections: usize,
    pub requests: u64,
    pub seconds: f64,
    /// Answers that were not 2xx/3xx.
    pub status_errors: u64,
    /// connect + read + write + timeout errors.
    pub socket_errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Load {
    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
    /// Successful answers per second.
    pub fn ok_rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests.saturating_sub(self.status_errors) as f64 / self.seconds
        } else {
            0.0
        }
    }
    pub fn ok_requests(&self) -> u64 {
        self.requests.saturating_sub(self.status_errors)
    }
}

/// One wrk invocation: `url` with `script` from `lua_dir`, keep-alive.
pub struct Wrk<'a> {
    pub lua_dir: &'a Path,
    pub script: &'a str,
    pub url: String,
    pub connections: usize,
    pub seconds: u32,
    pub env: Vec<(String, String)>,
}

impl Wrk<'_> {
    pub fn spawn(&self) -> Result<Child, String> {
        let threads = self.connections.clamp(1, 2);
        Command::new("wrk")
            .arg("-t")
            .arg(threads.to_string())
            .arg("-c")
            .arg(self.connections.to_string())
            .arg("-d")
            .arg(format!("{}s", self.seconds))
            .arg("--timeout")
            .arg("10s")
            .arg("--latency")
            .arg("-s")
            .arg(self.lua_dir.join(self.script))
            .arg(&self.url)
            .env("BENCH_LUA_DIR", self.lua_dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run wrk: {e}"))
    }

    pub fn finish(&self, child: Child) -> Result<Load, String> {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find(|l| l.starts_with("BENCH "))
            .ok_or_else(|| {
                format!(
                    "wrk on {} printed no summary (exit {}):\n{stdout}\n{}",
                    self.url,
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                )
            })?;
        parse_summary(line, self.connections)
    }

    pub fn run(&self) -> Result<Load, String> {
        let child = self.spawn()?;
        self.finish(child)
    }
}

fn parse_summary(line: &str, connections: usize) -> Result<Load, String> {
    let field = |name: &str| -> Result<f64, String> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| format!("wrk summary lacks {name}: {line}"))
    };
    Ok(Load {
        connections,
        requests: field("requests")? as u64,
        seconds: field("duration_us")? / 1e6,
        status_errors: field("status")? as u64,
        socket_errors: (field("connect")? + field("read")? + field("write")? + field("timeout")?)
            as u64,
        p50_ms: field("p50_us")? / 1000.0,
        p99_ms: field("p99_us")? / 1000.0,
    })
}
