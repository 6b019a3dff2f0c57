-- Infusion pump events (IHE PCD-10 ORU^R42 through the gateways): one row per report of a pump
-- channel, with the identity and deduplication of the readings ((gateway_id, seq), the batch's
-- insert_deduplication_token). What a pump does now is its channel's latest report.

CREATE TABLE IF NOT EXISTS infusion_events
(
    gateway_id           LowCardinality(String),
    seq                  UInt64,
    event_id             String,
    device_id            String,
    source               LowCardinality(String),
    patient_id           Nullable(String),
    ward                 LowCardinality(Nullable(String)),
    room                 Nullable(String),
    bed                  Nullable(String),
    facility             LowCardinality(Nullable(String)),
    order_id             Nullable(String),
    event_code           Nullable(UInt32),
    event_name           LowCardinality(Nullable(String)),
    channel              Nullable(String),
    channel_label        Nullable(String),
    drug                 Nullable(String),
    concentration        Nullable(Float64),
    concentration_unit   LowCardinality(Nullable(String)),
    rate                 Nullable(Float64),
    rate_unit            LowCardinality(Nullable(String)),
    dose_rate            Nullable(Float64),
    dose_rate_unit       LowCardinality(Nullable(String)),
    volume_infused       Nullable(Float64),
    volume_to_be_infused Nullable(Float64),
    volume_remaining     Nullable(Float64),
    volume_unit          LowCardinality(Nullable(String)),
    program_state        LowCardinality(Nullable(String)),
    pump_state           LowCardinality(Nullable(String)),
    delivery_mode        LowCardinality(Nullable(String)),
    alerts               Array(String),
    device_time          Nullable(DateTime64(3, 'UTC')),
    received_time        DateTime64(3, 'UTC'),
    ingested_at          DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_time)
-- A pump channel's reports side by side: the board reads the latest of each.
ORDER BY (device_id, received_time, gateway_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS infusion_events UInt32 DEFAULT 0;
