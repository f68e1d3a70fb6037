//! The real `miauinv` binary as a child process, for what an in-process
//! server cannot show: the file modes under a given umask, and the access log
//! it writes to stderr (kept in a file here).

use super::{free_port, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `miauinv --config <appdata>/config.yaml ARGS`, run by `sh` under `umask`
/// (the umask a service manager or a shell would give it).
pub fn command(appdata: &Path, args: &str, umask: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "umask {umask} && exec \"$0\" --config \"$1\" {args}"
        ))
        .arg(env!("CARGO_BIN_EXE_miauinv"))
        .arg(appdata.join("config.yaml"))
        .env_remove("MIAUINV_CONFIG")
        .env_remove("JWT_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// A config for `appdata` on a free port (plain HTTP, bcrypt cost 4).
pub fn config(appdata: &Path) -> (String, u16) {
    let port = free_port();
    let text = format!(
        "port: {port}\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 2\nbackup_interval_hours: 0\n",
        appdata.join("database.db").display()
    );
    (text, port)
}

/// A running server; killed when dropped.
pub struct Spawned {
    child: Child,
    pub base: String,
    log: PathBuf,
}

impl Spawned {
    /// Serves `appdata` (whose config listens on `port`) under `umask`, with
    /// its stderr (the access log) in `appdata/../server.log`.
    pub fn serve(appdata: &Path, port: u16, umask: &str) -> Spawned {
        let log = appdata.with_file_name("server.log");
        let child = command(appdata, "serve", umask)
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("sh runs");
        wait_until(Duration::from_secs(20), "the server listens", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Spawned {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// What the server has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
