-- Changes to accounts and sessions, for the other cores (docs/security/sessions.md): every core
-- polls this small table each second and re-reads the accounts and sessions named here, so that a
-- logout, a disabled account or a revoked grant made by one core (or the CLI) reaches every core's
-- in-memory cache within about a second. `at` is the store's clock (set by ClickHouse at insert),
-- so the cores' clocks need not agree. Rows older than a day serve no one.
CREATE TABLE IF NOT EXISTS people_changes
(
    at   DateTime64(6, 'UTC') DEFAULT now64(6),
    -- user | session
    kind LowCardinality(String),
    -- user_id, or the session's sha256
    key  String
)
ENGINE = MergeTree
ORDER BY at
TTL toDateTime(at) + INTERVAL 1 DAY;
