//! The `miauinv` command line: serve (default), healthcheck and admin tasks.

use clap::{Parser, Subcommand};
use miauinv::{app::App, config, server};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "miauinv",
    version,
    about = "Self-hosted inventory, stock and project-allocation server"
)]
struct Cli {
    /// Path of the config file (default ./appdata/config.yaml; env MIAUINV_CONFIG).
    #[arg(long, global = true)]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and API (the default).
    Serve,
    /// Exit 0 if the local server answers /healthz (for Docker's HEALTHCHECK).
    Healthcheck,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Set a new password for an account (read from stdin) and end its sessions.
    ResetPassword {
        /// The account's username.
        username: String,
    },
    /// Turn off two-factor authentication for an account whose authenticator and
    /// recovery codes are lost; ends its sessions.
    #[command(name = "disable-2fa")]
    DisableTwoFactor {
        /// The account's username.
        username: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = cli
        .config
        .clone()
        .unwrap_or_else(|| config::config_path(&config::ProcessEnv));
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&path),
        Command::Healthcheck => healthcheck(&path),
        Command::Migrate => {
            load(&path).and_then(|app| miauinv::db::prepare(&app.config.database_path))
        }
        Command::ResetPassword { username } => reset_password(&path, &username),
        Command::DisableTwoFactor { username } => disable_two_factor(&path, &username),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("miauinv: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &std::path::Path) -> Result<App, String> {
    let cfg = config::load(path, &config::ProcessEnv)?;
    let secret = config::jwt_secret(&config::ProcessEnv, &cfg.appdata_dir)?;
    App::new(cfg, &secret)
}

fn serve(path: &std::path::Path) -> Result<(), String> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    miauinv::memory::tune_allocator();
    let app = Arc::new(load(path)?);
    // Installed before serving so an early SIGTERM still shuts down cleanly.
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let running = server::start(app.clone())?;
    eprintln!(
        "MiauInv listening on {} (workers: {})",
        running.url(),
        app.config.workers
    );
    for sig in signals.forever() {
        if sig == SIGHUP {
            match running.reload_tls() {
                Ok(()) if running.is_tls() => eprintln!("SIGHUP: TLS certificate reloaded"),
                Ok(()) => eprintln!("SIGHUP: TLS is off; nothing to reload"),
                Err(e) => eprintln!("SIGHUP: keeping the old TLS certificate: {e}"),
            }
            continue;
        }
        eprintln!("received signal {sig}; finishing in-flight requests");
        break;
    }
    running.shutdown();
    eprintln!("stopped cleanly");
    Ok(())
}

fn healthcheck(path: &std::path::Path) -> Result<(), String> {
    let cfg = config::load(path, &config::ProcessEnv)?;
    miauinv::healthcheck::healthcheck(&cfg)
}

fn reset_password(path: &std::path::Path, username: &str) -> Result<(), String> {
    let app = load(path)?;
    miauinv::db::prepare(&app.config.database_path)?;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| e.to_string())?;
    let password = password.trim_end_matches(['\r', '\n']);
    miauinv::auth::password::validate_new(password, "password").map_err(|e| e.message)?;
    let hash = app.hasher.hash(password).map_err(|e| e.message)?;
    let mut conn = miauinv::db::open(&app.config.database_path).map_err(|e| e.to_string())?;
    let name = username.trim().to_lowercase();
    miauinv::db::write(&mut conn, |tx| {
        let user = miauinv::db::users::by_username(tx, &name)?.ok_or_else(|| {
            miauinv::error::AppError::not_found(format!("no account named '{name}'"))
        })?;
        miauinv::db::users::set_password(tx, &user.id, &hash)?;
        miauinv::auth::session::revoke_all(tx, &user.id)?;
        Ok(())
    })
    .map_err(|e| e.message)?;
    eprintln!("password of '{name}' changed; all its sessions were ended");
    Ok(())
}

fn disable_two_factor(path: &std::path::Path, username: &str) -> Result<(), String> {
    let app = load(path)?;
    miauinv::db::prepare(&app.config.database_path)?;
    let mut conn = miauinv::db::open(&app.config.database_path).map_err(|e| e.to_string())?;
    let name = username.trim().to_lowercase();
    let was_enabled = miauinv::db::write(&mut conn, |tx| {
        let user = miauinv::db::users::by_username(tx, &name)?.ok_or_else(|| {
            miauinv::error::AppError::not_found(format!("no account named '{name}'"))
        })?;
        miauinv::db::two_factor::disable(tx, &user.id)?;
        miauinv::auth::session::revoke_all(tx, &user.id)?;
        Ok(user.two_factor_enabled)
    })
    .map_err(|e| e.message)?;
    if was_enabled {
        eprintln!("two-factor authentication of '{name}' is off; all its sessions were ended");
    } else {
        eprintln!("'{name}' had no two-factor authentication; all its sessions were ended");
    }
    Ok(())
}
