-- Lab analyzer results (ASTM E1394, HL7 ORU^R01 from point-of-care analyzers) and ECG waveforms
-- (one row per lead per chunk). Same identity and deduplication as the readings: (gateway_id, seq)
-- and the batch's insert_deduplication_token.

CREATE TABLE IF NOT EXISTS lab_results
(
    gateway_id      LowCardinality(String),
    seq             UInt64,
    device_id       String,
    source          LowCardinality(String),
    order_id        Nullable(String),
    patient_id      Nullable(String),
    test_code       LowCardinality(String),
    loinc           LowCardinality(Nullable(String)),
    value           String,
    numeric_value   Nullable(Float64),
    unit            LowCardinality(String),
    reference_range String,
    abnormal_flag   LowCardinality(Nullable(String)),
    status          LowCardinality(String),
    result_time     Nullable(DateTime64(3, 'UTC')),
    received_time   DateTime64(3, 'UTC'),
    comments        Array(String),
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_time)
ORDER BY (ifNull(patient_id, ''), received_time, test_code, gateway_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS waveforms
(
    gateway_id     LowCardinality(String),
    seq            UInt64,
    device_id      String,
    patient_id     String,
    lead           LowCardinality(String),
    mdc_code       UInt32,
    start_time     DateTime64(3, 'UTC'),
    sample_rate_hz UInt16,
    resolution_uv  Float64,
    samples        Array(Int16) CODEC(Delta, ZSTD),
    received_time  DateTime64(3, 'UTC'),
    ingested_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(start_time)
ORDER BY (patient_id, start_time, lead, gateway_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS lab_results UInt32 DEFAULT 0;
ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS waveforms UInt32 DEFAULT 0;
