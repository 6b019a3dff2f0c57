-- Vital signs per 5 minutes per patient, for the patient page's 24 h and 7-day charts (288 and 168
-- points a vital instead of 1,440 and 10,080 minutes: the read's cost follows the rows it returns).
-- Count, mean, min and max, so the chart's min–max band still shows a spike inside a bucket.
-- Fed from vitals_per_minute (a view on a view: each insert's minute states, merged per 5 minutes),
-- so it takes numbers only as that rollup does (0033), and a retried block is dropped here too
-- (the insert's token reaches dependent views). patient_id is plain String: with a city's million
-- patients a LowCardinality dictionary does not stay low.
CREATE TABLE IF NOT EXISTS vitals_per_5min
(
    patient_id String,
    name       LowCardinality(String),
    bucket     DateTime('UTC'),
    readings   AggregateFunction(count),
    avg_value  AggregateFunction(avg, Float64),
    min_value  AggregateFunction(min, Float64),
    max_value  AggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (patient_id, name, bucket)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS vitals_per_5min_mv TO vitals_per_5min AS
SELECT patient_id, name, toStartOfFiveMinutes(minute) AS bucket,
       countMergeState(readings) AS readings, avgMergeState(avg_value) AS avg_value,
       minMergeState(min_value) AS min_value, maxMergeState(max_value) AS max_value
FROM vitals_per_minute
GROUP BY patient_id, name, bucket;

-- The minutes already stored, after the view exists: a reading stored by another core between
-- the two statements would be counted twice (min and max unchanged), none is lost. Minutes whose
-- mean is NaN (written before 0033; its delete may still be running) are left out.
INSERT INTO vitals_per_5min
SELECT patient_id, name, toStartOfFiveMinutes(minute) AS bucket,
       countMergeState(readings), avgMergeState(avg_value), minMergeState(min_value), maxMergeState(max_value)
FROM vitals_per_minute
WHERE isFinite(finalizeAggregation(avg_value))
GROUP BY patient_id, name, bucket;
