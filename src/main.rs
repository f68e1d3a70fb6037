//! The `miauinv` command line: serve (default), healthcheck and admin tasks.

use clap::{Parser, Subcommand};
use miauinv::{app::App, commands, config, server};
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
    /// Write a consistent snapshot of the database (the server may keep
    /// running); default appdata/backups/miauinv-YYYYMMDD-HHMMSS.db (UTC).
    Backup {
        /// Where to write it.
        file: Option<std::path::PathBuf>,
    },
    /// Replace the database with a backup (checked first; the current one is
    /// kept as database.db.before-restore-<time>). Stop the server first.
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
    },
    /// Write the inventory to stdout: json (everything, versioned), csv
    /// (one table: items, locations, stock, allocations or movements) or zip
    /// (the json with the photo and attachment files).
    Export {
        #[arg(long, default_value = "json")]
        format: String,
        #[arg(long, default_value = "items")]
        what: String,
    },
    /// Manage accounts: list, create, set-role, disable, enable, reset-password.
    #[command(subcommand)]
    User(UserCommand),
    /// Set a new password for an account (read from stdin) and end its sessions
    /// and API tokens.
    ResetPassword {
        /// The account's username.
        username: String,
    },
    /// Turn off two-factor authentication for an account whose authenticator and
    /// recovery codes are lost; ends its sessions and API tokens.
    #[command(name = "disable-2fa")]
    DisableTwoFactor {
        /// The account's username.
        username: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// List every account with its role and state.
    List,
    /// Create an account; its password is read from stdin.
    Create {
        username: String,
        /// viewer, editor or admin.
        #[arg(long, default_value = "editor")]
        role: String,
    },
    /// Give an account another role (viewer, editor or admin).
    SetRole { username: String, role: String },
    /// Disable an account: it cannot log in; its sessions and API tokens end at once.
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (read from stdin) and end every session and API token.
    ResetPassword { username: String },
}

fn main() -> ExitCode {
    // Everything this process creates is private whatever the umask it was
    // started with (`files` also fixes what exists already).
    // SAFETY: umask only sets the process's file mode creation mask.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    let path = cli
        .config
        .clone()
        .unwrap_or_else(|| config::config_path(&config::ProcessEnv));
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&path),
        Command::Healthcheck => healthcheck(&path),
        Command::Migrate => load(&path)
            .and_then(|app| miauinv::db::prepare(&app.config.database_path, &app.secret_key)),
        Command::Backup { file } => {
            load(&path).and_then(|app| commands::backup_to(&app, file.as_deref()))
        }
        Command::Restore { file } => load(&path).and_then(|app| commands::restore(&app, &file)),
        Command::Export { format, what } => {
            load(&path).and_then(|app| commands::export(&app, &format, &what))
        }
        Command::User(task) => load(&path).and_then(|app| user_task(&app, task)),
        Command::ResetPassword { username } => {
            load(&path).and_then(|app| commands::reset_password(&app, &username))
        }
        Command::DisableTwoFactor { username } => {
            load(&path).and_then(|app| commands::disable_two_factor(&app, &username))
        }
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

fn user_task(app: &App, task: UserCommand) -> Result<(), String> {
    match task {
        UserCommand::List => commands::list(app),
        UserCommand::Create { username, role } => {
            commands::create(app, &username, commands::role(&role)?)
        }
        UserCommand::SetRole { username, role } => {
            commands::set_role(app, &username, commands::role(&role)?)
        }
        UserCommand::Disable { username } => commands::set_disabled(app, &username, true),
        UserCommand::Enable { username } => commands::set_disabled(app, &username, false),
        UserCommand::ResetPassword { username } => commands::reset_password(app, &username),
    }
}
