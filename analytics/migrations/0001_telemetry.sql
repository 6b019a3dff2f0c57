-- Readings, triage results, refused readings and the ingest ledger.
-- Identity of every row is (gateway_id, seq); a batch is deduplicated by its token
-- (insert_deduplication_token) and recorded in ingest_batches.

CREATE TABLE IF NOT EXISTS observations
(
    gateway_id    LowCardinality(String),
    seq           UInt64,
    device_id     String,
    patient_id    String,
    source        LowCardinality(String),
    mdc_code      UInt32,
    loinc         LowCardinality(String),
    name          LowCardinality(String),
    value         Float64,
    unit          LowCardinality(String),
    device_time   DateTime64(3, 'UTC'),
    received_time DateTime64(3, 'UTC'),
    flags         Array(LowCardinality(String)),
    ingested_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(device_time)
ORDER BY (patient_id, device_time, name, gateway_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS triage_results
(
    gateway_id         LowCardinality(String),
    seq                UInt64,
    patient_id         String,
    time               DateTime64(3, 'UTC'),
    level              LowCardinality(String),
    news2_score        UInt8,
    news2_partial      Bool,
    news2_level        LowCardinality(String),
    news2_subscores    Map(LowCardinality(String), Nullable(UInt8)),
    news2_missing      Array(LowCardinality(String)),
    spo2_scale         UInt8,
    model_version      LowCardinality(String),
    inputs             String,
    ingested_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (patient_id, time, gateway_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS rejected_readings
(
    gateway_id    LowCardinality(String),
    seq           UInt64,
    source        LowCardinality(String),
    origin        String,
    received_time DateTime64(3, 'UTC'),
    code          LowCardinality(String),
    reason        String,
    payload       String,
    ingested_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_time)
ORDER BY (gateway_id, received_time, seq)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ingest_batches
(
    gateway_id   LowCardinality(String),
    batch_id     String,
    observations UInt32,
    triage       UInt32,
    rejected     UInt32,
    received_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(received_at)
ORDER BY (gateway_id, batch_id);
