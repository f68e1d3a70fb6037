-- Version 4: when a refresh token was used up by rotation.
--
-- Two browser tabs (or a script's parallel calls) that wake at once present the
-- same refresh token. The first rotates it; the second used to count as theft
-- and end every session of the account. With the time of the rotation stored, a
-- second use within a few seconds is refused without that: only a reuse later
-- than that still revokes the family. Rows rotated before this version have no
-- time and keep the old rule.

ALTER TABLE refresh_tokens ADD COLUMN revoked_at INTEGER;
