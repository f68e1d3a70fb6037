//! The secrets the server generates once into its appdata directory and
//! reuses: the JWT signing secret and the key that encrypts secrets at rest,
//! each written readable by the owner only.

use super::Env;
use std::path::Path;

/// The JWT signing secret: `JWT_SECRET` (at least 32 characters), or else a random
/// secret generated once into `<appdata>/jwt_secret` (mode 0600) and reused.
pub fn jwt_secret(env: &dyn Env, appdata_dir: &Path) -> Result<String, String> {
    if let Some(s) = env.var("JWT_SECRET") {
        if s.chars().count() < 32 {
            return Err(
                "JWT_SECRET must be at least 32 characters long (generate one with: openssl rand -base64 48)"
                    .into(),
            );
        }
        return Ok(s);
    }
    let path = appdata_dir.join("jwt_secret");
    if path.exists() {
        let s = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let s = s.trim().to_string();
        if s.chars().count() < 32 {
            return Err(format!(
                "{} holds a secret shorter than 32 characters; delete it to generate a new one",
                path.display()
            ));
        }
        return Ok(s);
    }
    let secret = crate::crypto::random_token(48);
    write_private(&path, &secret)?;
    eprintln!(
        "JWT_SECRET is not set: generated a random secret into {} (mode 0600); it is reused on later starts",
        path.display()
    );
    Ok(secret)
}

/// The server's secret key for secrets at rest: 32 random bytes, base64, in
/// `<appdata>/secret.key` (mode 0600), generated on first start. It is kept
/// apart from the database on purpose, and must be backed up with it: without
/// it, TOTP secrets and recovery codes in a restored database are useless.
pub fn secret_key(appdata_dir: &Path) -> Result<crate::crypto::SecretKey, String> {
    use base64::Engine;
    let path = appdata_dir.join("secret.key");
    let b64 = base64::engine::general_purpose::STANDARD;
    if !path.exists() {
        let fresh = crate::crypto::random_bytes(32);
        write_private(&path, &format!("{}\n", b64.encode(&fresh)))?;
        eprintln!(
            "generated the secret key for secrets at rest into {} (mode 0600); back it up with the database",
            path.display()
        );
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bytes: [u8; 32] = b64
        .decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{} does not hold a 32-byte key in base64", path.display()))?;
    Ok(crate::crypto::SecretKey::from_bytes(&bytes))
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        crate::files::private_dir(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(contents.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
