-- People and credentials (core/src/plugins/people.ts): local accounts, their sessions, the audit of
-- every patient-record view and of every login attempt, and the gateway credentials admins issue.
-- Accounts, sessions and credentials change by inserting a newer version of the row
-- (ReplacingMergeTree(version)); readers take the latest version (FINAL or argMax).

CREATE TABLE IF NOT EXISTS users
(
    user_id       String,
    name          String,
    -- PHC string of argon2id: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    password_hash String,
    roles         Array(LowCardinality(String)),
    -- "site/ward" pairs
    wards         Array(String),
    sites         Array(String),
    disabled      Bool,
    updated_by    String,
    updated_at    DateTime64(3, 'UTC'),
    -- Monotonic per account; the highest wins.
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY user_id;

-- A session is a random token in an HttpOnly cookie; only its SHA-256 is stored. Stored (not
-- stateless) so that logout and revocation end it at once, on this core and after a restart.
CREATE TABLE IF NOT EXISTS user_sessions
(
    session_sha256 FixedString(64),
    user_id        String,
    created_at     DateTime64(3, 'UTC'),
    expires_at     DateTime64(3, 'UTC'),
    address        String,
    user_agent     String,
    revoked        Bool,
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(created_at)
ORDER BY session_sha256
TTL toDateTime(expires_at) + INTERVAL 30 DAY;

-- Every view of a patient's record: who, when, which patient, what view, from which address.
CREATE TABLE IF NOT EXISTS record_views
(
    at         DateTime64(3, 'UTC'),
    user_id    String,
    user_name  String,
    via        LowCardinality(String),
    roles      Array(LowCardinality(String)),
    patient_id String,
    what       LowCardinality(String),
    address    String,
    user_agent String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (patient_id, at);

-- Every login attempt, allowed or refused, with why.
CREATE TABLE IF NOT EXISTS login_audit
(
    at         DateTime64(3, 'UTC'),
    -- What was typed as the user name (an unknown name is kept: it shows guessing).
    username   String,
    address    String,
    user_agent String,
    -- ok | wrong_password | unknown_user | disabled | rate_limited
    outcome    LowCardinality(String),
    via        LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, username);

-- Bearer tokens an admin issued to a gateway; only the SHA-256 of each is kept (a random 256-bit
-- token needs no slow hash, and ingest checks it on every request).
CREATE TABLE IF NOT EXISTS gateway_credentials
(
    gateway_id    String,
    credential_id String,
    token_sha256  FixedString(64),
    issued_at     DateTime64(3, 'UTC'),
    issued_by     String,
    revoked_at    Nullable(DateTime64(3, 'UTC')),
    revoked_by    String,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (gateway_id, credential_id);
