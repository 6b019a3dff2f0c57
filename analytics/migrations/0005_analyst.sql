-- Analyst SQL: the audit trail of every analyst query (allowed or refused) and the key of the
-- patient pseudonyms. The analyst views themselves are (re)created at start-up by
-- analytics/src/analyst.ts, because they follow the tables' current columns.

CREATE TABLE IF NOT EXISTS analyst_audit
(
    id          UUID,
    at          DateTime64(3, 'UTC'),
    user        String,
    -- http, cli, …: where the query came from.
    via         LowCardinality(String),
    -- The named query, or '' for free SQL.
    query_name  LowCardinality(String),
    sql         String,
    params      Map(String, String),
    -- Tables the query read, as resolved by ClickHouse (empty when refused before resolution).
    tables      Array(String),
    -- ok | refused | limit | failed
    outcome     LowCardinality(String),
    error_code  LowCardinality(String),
    error       String,
    rows        UInt64,
    duration_ms UInt32
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, user);

-- The latest row is the key (two UInt64 halves of a 128-bit SipHash key). Only the analyst views
-- read it, with their definer's rights; analysts never can.
CREATE TABLE IF NOT EXISTS analyst_pseudonym_key
(
    k0         UInt64,
    k1         UInt64,
    -- sha256 of the secret it came from ('' when generated), to notice a changed secret.
    source     String,
    created_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY created_at;
