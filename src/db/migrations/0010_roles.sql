-- Roles, disabled accounts, invitations, password-reset links and personal API
-- tokens (issue: a household or a team).
--
-- The original program's role values were 'admin' and 'user'; 'user' could
-- always write, so it becomes 'editor'. Anything else unknown is an editor too:
-- nobody loses what they could do before the upgrade.
UPDATE users SET role = 'editor' WHERE role NOT IN ('admin', 'editor', 'viewer');

-- A disabled account cannot log in; disabling also ends its sessions.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at INTEGER;

-- One-time invitation links: only the hash of the secret is kept.
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    created_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    used_by     TEXT REFERENCES users(id) ON DELETE SET NULL,
    revoked_at  INTEGER
);

-- One-time password-reset links an admin hands to a person (24 h).
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX password_resets_user ON password_resets(user_id);

-- Personal API tokens (`miau_…`) for scripts: stored as SHA-256 hashes. They
-- die with their owner (cascade) and stop working while the owner is disabled.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
