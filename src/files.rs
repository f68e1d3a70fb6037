//! What MiauInv keeps on disk is private whatever the umask (layer: leaf):
//! the appdata directory and the backups directory are 0700, and the
//! database with its WAL and SHM, backups, the secret files and the config
//! are 0600. A file an earlier version left readable (0644 under umask 022)
//! is made private at start. `main` also sets the umask to 077, so anything
//! else the process creates (spooled uploads, a restore's kept copy) is
//! private too.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) as 0700, or makes an existing one 0700.
/// An existing directory owned by someone else (a bind mount) is left as it
/// is, with a warning: refusing to start would help nobody.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    if !dir.exists() {
        return std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(|e| format!("cannot create directory {}: {e}", dir.display()));
    }
    restrict(dir, DIR_MODE);
    Ok(())
}

/// Makes an existing file 0600 (a missing one is left to its creator, which
/// creates it private).
pub fn private_file(path: &Path) {
    if path.exists() {
        restrict(path, FILE_MODE);
    }
}

/// Creates an empty file as 0600 if it does not exist yet, so that what opens
/// it next (SQLite, which gives its WAL and SHM the database's mode) starts
/// from a private file.
pub fn create_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            private_file(path);
            Ok(())
        }
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

fn restrict(path: &Path, mode: u32) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.permissions().mode() & 0o777 == mode {
        return;
    }
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        eprintln!(
            "warning: cannot make {} private (mode {mode:o}): {e}",
            path.display()
        );
    }
}
