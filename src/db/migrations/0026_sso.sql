-- Version 26: sign in with your own identity provider (issue 30).
--
-- An identity at a provider is the pair (issuer, subject): never an email or
-- a username, which the person or the provider's admin may change. `provider`
-- is the config id it was linked through, for the person's Settings and the
-- admin's list; `email` is what the provider said at the last sign-in, shown
-- only. One identity belongs to one account; an account has at most one
-- identity per issuer.
CREATE TABLE sso_identities (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    PRIMARY KEY (issuer, subject),
    UNIQUE (user_id, issuer)
);

-- A sign-in sent to a provider and not yet back: found by its `state` (kept
-- as a hash) and bound to the browser that started it by a cookie (its hash
-- here). Used once: finishing deletes the row first. `link_user_id` is set
-- when a signed-in person links a provider from Settings.
CREATE TABLE sso_flows (
    state_hash   TEXT PRIMARY KEY,
    binding_hash TEXT NOT NULL,
    provider     TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    next         TEXT NOT NULL DEFAULT '',
    link_user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sso_flows_expiry ON sso_flows(expires_at);

-- The provider a session was signed in through (NULL: a password, a second
-- factor or a passkey), for the sessions list and the provider's logout.
ALTER TABLE sessions ADD COLUMN sso_provider TEXT;
