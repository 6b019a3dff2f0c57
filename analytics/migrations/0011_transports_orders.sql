-- Ambulance transports (the crews' tablets, through the gateways) and physician orders (the core's
-- API). Both keep one row per change; ReplacingMergeTree keeps the latest by its version column,
-- and readers take argMax or FINAL, since merges happen when ClickHouse likes.

CREATE TABLE IF NOT EXISTS transports
(
    gateway_id       LowCardinality(String),
    seq              UInt64,
    unit             String,
    patient_id       String,
    destination_site LowCardinality(String),
    state            LowCardinality(String),
    eta              Nullable(DateTime64(3, 'UTC')),
    updated_time     DateTime64(3, 'UTC'),
    received_time    DateTime64(3, 'UTC'),
    ingested_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_time)
ORDER BY (destination_site, unit, patient_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS orders
(
    order_id      String,
    patient_id    String,
    encounter_id  String,
    ordered_by    String,
    code          LowCardinality(String),
    text          String,
    status        LowCardinality(String),
    updated_by    String,
    placed_time   DateTime64(3, 'UTC'),
    updated_time  DateTime64(3, 'UTC'),
    ingested_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_time)
ORDER BY (patient_id, order_id);

ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS transports UInt32 DEFAULT 0;

-- The ICU board shows beds: encounters say which one, where the hospital system knows it.
ALTER TABLE encounters ADD COLUMN IF NOT EXISTS bed LowCardinality(Nullable(String)) AFTER ward;
