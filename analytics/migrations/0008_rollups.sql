-- Rollups kept by ClickHouse as data arrives: per-minute vital signs per patient, ED arrivals per
-- hour by triage level. Both stay right when a batch is retried (the insert's deduplication token
-- drops the retried block in these views too) and when a record is updated (arrivals are counted
-- as distinct encounters, not rows).

ALTER TABLE encounters ADD COLUMN IF NOT EXISTS triage_level LowCardinality(Nullable(String)) AFTER ward;

CREATE TABLE IF NOT EXISTS vitals_per_minute
(
    patient_id LowCardinality(String),
    name       LowCardinality(String),
    minute     DateTime('UTC'),
    readings   AggregateFunction(count),
    avg_value  AggregateFunction(avg, Float64),
    min_value  AggregateFunction(min, Float64),
    max_value  AggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (patient_id, name, minute)
-- A retried block is recognized here too, by the token of the insert that fed the view.
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_per_minute_mv TO vitals_per_minute AS
SELECT patient_id, name, toStartOfMinute(device_time) AS minute,
       countState() AS readings, avgState(value) AS avg_value, minState(value) AS min_value, maxState(value) AS max_value
FROM observations
GROUP BY patient_id, name, minute;

CREATE TABLE IF NOT EXISTS ed_arrivals_per_hour
(
    site         LowCardinality(String),
    hour         DateTime('UTC'),
    triage_level LowCardinality(String),
    arrivals     AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour, triage_level)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS ed_arrivals_per_hour_mv TO ed_arrivals_per_hour AS
SELECT site, toStartOfHour(start_time) AS hour, ifNull(triage_level, 'unknown') AS triage_level, uniqExactState(encounter_id) AS arrivals
FROM encounters
WHERE kind = 'ed_arrival'
GROUP BY site, hour, triage_level;
