//! Tasks for the command line: backup and restore (below), and account tasks, for a server you can only reach by a
//! shell: `miauinv user list|create|set-role|disable|enable|reset-password`
//! and `miauinv disable-2fa`. They open the database directly (SQLite lets them
//! run beside a serving server) and use the same `db` functions as the admin
//! API, so the same rules hold: the last active admin stays, disabling ends
//! sessions, passwords are checked the same way.

use crate::app::App;
use crate::db::backup;
use crate::db::security_log::{self, Event, Kind, Who};
use crate::db::users::Role;
use crate::db::{self, accounts, security_notices, two_factor, users};
use crate::error::AppError;
use rusqlite::Connection;

fn open(app: &App) -> Result<Connection, String> {
    db::prepare(&app.config.database_path, &app.secret_key)?;
    db::open(&app.config.database_path).map_err(|e| e.to_string())
}

/// An error as the command line says it: its sentence, and what went wrong
/// inside when there is more to say.
fn said(e: AppError) -> String {
    let e = crate::api::words::said(e);
    match e.detail {
        Some(detail) => format!("{} ({detail})", e.message),
        None => e.message.into(),
    }
}

/// A role as typed on the command line.
pub fn role(name: &str) -> Result<Role, String> {
    Role::parse(name.trim())
        .ok_or_else(|| format!("'{name}' is not a role; use viewer, editor or admin"))
}

/// A new password, read from the first line of stdin (so it never shows in the
/// process list or the shell history), checked like the API checks it.
fn password_from_stdin(app: &App) -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let password = line.trim_end_matches(['\r', '\n']);
    crate::rules::account::new_password(password, "password").map_err(said)?;
    app.hasher.hash(password).map_err(said)
}

fn by_name(conn: &Connection, username: &str) -> Result<users::User, AppError> {
    users::by_username(conn, &username.trim().to_lowercase())?
        .ok_or_else(|| AppError::not_found(format!("no account named '{}'", username.trim())))
}

/// Prints every account: name, role, state, 2FA, last login.
pub fn list(app: &App) -> Result<(), String> {
    let mut conn = open(app)?;
    let all = db::read(&mut conn, |tx| accounts::list(tx)).map_err(said)?;
    println!(
        "{:<32} {:<7} {:<9} {:<4} last login",
        "username", "role", "state", "2fa"
    );
    for a in all {
        println!(
            "{:<32} {:<7} {:<9} {:<4} {}",
            a.username,
            a.role.as_str(),
            if a.disabled { "disabled" } else { "active" },
            if a.two_factor_enabled { "on" } else { "off" },
            a.last_login_at
                .map(|t| t.to_string())
                .unwrap_or_else(|| "never".into())
        );
    }
    Ok(())
}

/// Creates an account with `role`; the password is read from stdin.
pub fn create(app: &App, username: &str, role: Role) -> Result<(), String> {
    let name = crate::rules::account::normalize_username(username).map_err(said)?;
    let hash = password_from_stdin(app)?;
    let mut conn = open(app)?;
    let user = db::write(&mut conn, |tx| {
        if users::by_username(tx, &name)?.is_some() {
            return Err(AppError::conflict(
                "username_taken",
                format!("'{name}' already exists"),
            ));
        }
        users::insert(tx, &name, &hash, role)
    })
    .map_err(said)?;
    eprintln!("created '{}' as {}", user.username, user.role.as_str());
    Ok(())
}

/// Records a change made from the command line in the security log: the
/// actor is the server's operator, with no account, address or browser.
fn log(
    app: &App,
    tx: &rusqlite::Connection,
    kind: Kind,
    user: &users::User,
    details: serde_json::Value,
) -> crate::error::AppResult<()> {
    let event = Event {
        kind,
        user: Who {
            id: Some(&user.id),
            name: &user.username,
        },
        actor: Who {
            id: None,
            name: "command line",
        },
        ip: "",
        device: "command line",
        known_device: Some("command line"),
        details,
    };
    let new_device = security_notices::is_new_device_login(tx, &event)?;
    security_log::record(tx, &event, app.config.security_log_days, new_device)?;
    security_notices::queue_for(tx, &event, new_device)
}

pub fn set_role(app: &App, username: &str, role: Role) -> Result<(), String> {
    let mut conn = open(app)?;
    let user = db::write(&mut conn, |tx| {
        let user = by_name(tx, username)?;
        let details = serde_json::json!({ "from": user.role, "to": role });
        if user.role != role {
            log(app, tx, Kind::RoleChanged, &user, details)?;
        }
        accounts::set_role(tx, &user.id, role)
    })
    .map_err(said)?;
    eprintln!("'{}' is now {}", user.username, user.role.as_str());
    Ok(())
}

/// Notes the API tokens `names` of `user` that a command revoked all at once
/// (nothing when there were none), as the API notes them.
fn log_tokens_revoked(
    app: &App,
    tx: &rusqlite::Connection,
    user: &users::User,
    names: &[String],
    by: &str,
) -> crate::error::AppResult<()> {
    if names.is_empty() {
        return Ok(());
    }
    let details =
        serde_json::json!({ "all": true, "count": names.len(), "names": names, "by": by });
    log(app, tx, Kind::TokenRevoked, user, details)
}

pub fn set_disabled(app: &App, username: &str, disabled: bool) -> Result<(), String> {
    let mut conn = open(app)?;
    let user = db::write(&mut conn, |tx| {
        let user = by_name(tx, username)?;
        if user.disabled != disabled {
            let kind = match disabled {
                true => Kind::AccountDisabled,
                false => Kind::AccountEnabled,
            };
            log(app, tx, kind, &user, serde_json::json!({}))?;
        }
        let (changed, revoked) = accounts::set_disabled(tx, &user.id, disabled)?;
        log_tokens_revoked(app, tx, &user, &revoked, "account_disabled")?;
        Ok(changed)
    })
    .map_err(said)?;
    if disabled {
        eprintln!(
            "'{}' is disabled; all its sessions and API tokens were ended",
            user.username
        );
    } else {
        eprintln!("'{}' is enabled", user.username);
    }
    Ok(())
}

/// Sets a new password (read from stdin) and ends every session and API
/// token: account recovery, like a reset link.
pub fn reset_password(app: &App, username: &str) -> Result<(), String> {
    let hash = password_from_stdin(app)?;
    let mut conn = open(app)?;
    let (name, revoked) = db::write(&mut conn, |tx| {
        let user = by_name(tx, username)?;
        users::set_password(tx, &user.id, &hash)?;
        let revoked = accounts::end_credentials(tx, &user.id)?;
        let details = serde_json::json!({ "by": "command_line" });
        log(app, tx, Kind::PasswordChanged, &user, details)?;
        log_tokens_revoked(app, tx, &user, &revoked, "command_line")?;
        Ok((user.username, revoked.len()))
    })
    .map_err(said)?;
    eprintln!(
        "password of '{name}' changed; all its sessions and {revoked} API token(s) were ended"
    );
    Ok(())
}

/// Turns off 2FA for an account whose authenticator and recovery codes are
/// lost, and ends its sessions and API tokens: account recovery, like a reset
/// link (whoever asks the operator may not be the owner of those tokens).
pub fn disable_two_factor(app: &App, username: &str) -> Result<(), String> {
    let mut conn = open(app)?;
    let (name, was_enabled) = db::write(&mut conn, |tx| {
        let user = by_name(tx, username)?;
        two_factor::disable(tx, &user.id)?;
        let revoked = accounts::end_credentials(tx, &user.id)?;
        if user.two_factor_enabled {
            log(
                app,
                tx,
                Kind::TwoFactorDisabled,
                &user,
                serde_json::json!({}),
            )?;
        }
        log_tokens_revoked(app, tx, &user, &revoked, "command_line")?;
        Ok((user.username, user.two_factor_enabled))
    })
    .map_err(said)?;
    if was_enabled {
        eprintln!(
            "two-factor authentication of '{name}' is off; all its sessions and API tokens were ended"
        );
    } else {
        eprintln!(
            "'{name}' had no two-factor authentication; all its sessions and API tokens were ended"
        );
    }
    Ok(())
}

/// `miauinv backup [FILE]`: a consistent snapshot while the server may be
/// running (SQLite's online backup API), checked, mode 0600. Prints its path
/// and size.
pub fn backup_to(app: &App, file: Option<&std::path::Path>) -> Result<(), String> {
    let conn = open(app)?;
    let dest = match file {
        Some(f) => f.to_path_buf(),
        None => backup::fresh_path(&app.config.backups_dir(), db::now()),
    };
    let snap = backup::snapshot(&conn, &dest)?;
    println!("{} ({} bytes)", snap.path.display(), snap.bytes);
    Ok(())
}

/// `miauinv restore FILE`: replaces the database with a checked backup;
/// refused while a server runs on this appdata.
pub fn restore(app: &App, file: &std::path::Path) -> Result<(), String> {
    let db_path = &app.config.database_path;
    // Held until the restore is done, so a server starting meanwhile sees it.
    let _lock = backup::try_lock(db_path)?.ok_or_else(|| {
        format!(
            "a MiauInv server is running on this appdata ({} is locked); stop it first, then restore",
            backup::lock_path(db_path).display()
        )
    })?;
    let done = backup::restore(db_path, file, db::now(), &app.secret_key)?;
    if let Some(kept) = &done.kept {
        eprintln!("kept the previous database as {}", kept.display());
    }
    if done.from_version < done.to_version {
        eprintln!(
            "migrated the backup from schema version {} to {}",
            done.from_version, done.to_version
        );
    }
    note_restore(app, file, &done)?;
    eprintln!("restored {} into {}", file.display(), db_path.display());
    Ok(())
}

/// The restored database's security log says it was restored, from which
/// file and schema version, and where the one it replaced was kept: whoever
/// reads the log after a restore learns why its history stops and starts.
fn note_restore(app: &App, file: &std::path::Path, done: &backup::Restored) -> Result<(), String> {
    let mut conn = open(app)?;
    let details = serde_json::json!({
        "file": file.file_name().map(|n| n.to_string_lossy().into_owned()),
        "from_version": done.from_version,
        "kept": done.kept.as_ref().and_then(|k| k.file_name()).map(|n| n.to_string_lossy().into_owned()),
    });
    let event = Event {
        kind: Kind::DatabaseRestored,
        user: Who {
            id: None,
            name: "every account",
        },
        actor: Who {
            id: None,
            name: "command line",
        },
        ip: "",
        device: "command line",
        known_device: Some("command line"),
        details,
    };
    db::write(&mut conn, |tx| {
        security_log::record(tx, &event, app.config.security_log_days, false)
    })
    .map_err(said)
}

/// `miauinv export --format json|csv|zip [--what items|…]`: the export
/// document, one CSV table, or the ZIP with photos and attachments on stdout
/// (the same as `GET /api/export`).
pub fn export(app: &App, format: &str, what: &str) -> Result<(), String> {
    use std::io::Write;
    let mut conn = open(app)?;
    let now = db::now();
    if format == "zip" {
        let dir = &app.config.appdata_dir;
        let (mut file, _) = db::read(&mut conn, |tx| {
            crate::transfer::export_zip::build(tx, now, dir)
        })
        .map_err(said)?;
        let mut out = std::io::stdout().lock();
        return std::io::copy(&mut file, &mut out)
            .and_then(|_| out.flush())
            .map_err(|e| format!("cannot write the export: {e}"));
    }
    let doc = db::read(&mut conn, |tx| db::export::document(tx, now)).map_err(said)?;
    let bytes = match format {
        "json" => serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?,
        "csv" => crate::transfer::export_csv::table(&doc, what).map_err(|e| e.to_string())?,
        other => {
            return Err(format!(
                "'{other}' is not an export format; use json, csv or zip"
            ));
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write the export: {e}"))
}
