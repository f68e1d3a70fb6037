-- Version 6: which client started a passkey login ceremony.
--
-- Login options are public, and one global cap on ceremonies in progress let a
-- few hundred addresses make every user's passkey login answer 503 for five
-- minutes. The client (an IPv4 address, or an IPv6 /64, which one host can
-- fill) now has a budget of its own; registrations are counted per account.

ALTER TABLE webauthn_ceremonies ADD COLUMN client TEXT;
CREATE INDEX webauthn_ceremonies_client ON webauthn_ceremonies(client);
CREATE INDEX webauthn_ceremonies_user ON webauthn_ceremonies(user_id);
