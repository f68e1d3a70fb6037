-- Version 13: rate-limit counters that survive a restart (issue 21).
--
-- Failed logins and second-factor attempts are counted in memory (leaky
-- buckets) and mirrored here, so restarting the server does not reset an
-- attacker's budget. Only digests of the keys are stored; the table holds no
-- more rows than the bounded in-memory tables (it is rewritten whole).
CREATE TABLE rate_limits (
    action   TEXT NOT NULL,
    digest   BLOB NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (action, digest)
) WITHOUT ROWID;
