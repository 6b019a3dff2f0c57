-- Lab results back to their orders (docs/lab.md). lab_results stays as the gateways sent it; this
-- table says, per result (gateway_id, seq), which order it answered or why none: matched,
-- unmatched (no order has its specimen id, or the order has no such test: kept, listed and
-- tried again while young), cancelled_order (flagged). The latest row per result wins.

CREATE TABLE IF NOT EXISTS lab_result_matches
(
    gateway_id    LowCardinality(String),
    seq           UInt64,
    specimen_id   String,
    test_code     LowCardinality(String),
    loinc         LowCardinality(Nullable(String)),
    order_id      String,
    outcome       LowCardinality(String),
    critical      UInt8,
    received_time DateTime64(3, 'UTC'),
    matched_time  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(matched_time)
ORDER BY (gateway_id, seq);

-- Critical (panic) values per LOINC code, in the unit of the analyzers' results: a result at or
-- beyond a limit raises a high-priority alarm to the ordering ward. Sites edit this table
-- (INSERT a newer row); a LOINC without a row here takes the core's defaults
-- (core/src/lab-critical-defaults.ts). No seed INSERT: cluster migrations are DDL only.
CREATE TABLE IF NOT EXISTS lab_critical_limits
(
    loinc        String,
    unit         String,
    low          Nullable(Float64),
    high         Nullable(Float64),
    source       String,
    updated_time DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_time)
ORDER BY loinc;
