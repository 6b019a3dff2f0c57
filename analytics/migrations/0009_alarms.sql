-- Device alarms (IHE PCD-04 ORU^R40, MQTT alarm messages): one row per update of an alarm, with
-- the identity and deduplication of the readings ((gateway_id, seq), the batch's
-- insert_deduplication_token). An alarm's current state is its latest update (AlarmStore).

CREATE TABLE IF NOT EXISTS alarms
(
    gateway_id         LowCardinality(String),
    seq                UInt64,
    alarm_id           String,
    device_id          String,
    source             LowCardinality(String),
    patient_id         Nullable(String),
    ward               LowCardinality(Nullable(String)),
    room               Nullable(String),
    bed                Nullable(String),
    facility           LowCardinality(Nullable(String)),
    event_code         Nullable(UInt32),
    event_name         LowCardinality(Nullable(String)),
    event_text         Nullable(String),
    source_code        Nullable(UInt32),
    source_name        LowCardinality(Nullable(String)),
    alert_type         LowCardinality(Nullable(String)),
    priority           LowCardinality(Nullable(String)),
    state              LowCardinality(String),
    phase              LowCardinality(Nullable(String)),
    alarm_state        LowCardinality(Nullable(String)),
    inactivation_state LowCardinality(Nullable(String)),
    value              Nullable(Float64),
    unit               LowCardinality(Nullable(String)),
    limit_low          Nullable(Float64),
    limit_high         Nullable(Float64),
    device_time        Nullable(DateTime64(3, 'UTC')),
    received_time      DateTime64(3, 'UTC'),
    ingested_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_time)
-- An alarm's updates side by side: the board reads the latest of each.
ORDER BY (alarm_id, received_time, gateway_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

-- Who acknowledged which alarm, when. The first acknowledgement counts; AlarmStore does not write
-- a second one, and a retried insert carries the same deduplication token.
CREATE TABLE IF NOT EXISTS alarm_acks
(
    alarm_id   String,
    user       LowCardinality(String),
    note       Nullable(String),
    acked_at   DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(acked_at)
ORDER BY (alarm_id, acked_at)
SETTINGS non_replicated_deduplication_window = 10000;

-- Alarms per ward per hour by priority: distinct alarms with an update in the hour, and updates.
-- A retried batch is dropped here too (the insert's token, deduplicate_blocks_in_dependent_materialized_views).
CREATE TABLE IF NOT EXISTS alarms_per_ward_hour
(
    ward     LowCardinality(String),
    hour     DateTime('UTC'),
    priority LowCardinality(String),
    alarms   AggregateFunction(uniqExact, String),
    updates  AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (ward, hour, priority)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS alarms_per_ward_hour_mv TO alarms_per_ward_hour AS
SELECT ifNull(ward, 'unknown') AS ward, toStartOfHour(ifNull(device_time, received_time)) AS hour, ifNull(priority, 'unknown') AS priority,
       uniqExactState(alarm_id) AS alarms, countState() AS updates
FROM alarms
GROUP BY ward, hour, priority;

ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS alarms UInt32 DEFAULT 0;
