-- The medical record: patients (pseudonymous), encounters, complaints, diagnoses. Each row is
-- keyed by its own id; a resent event is the same row, collapsed by ReplacingMergeTree (read with
-- FINAL or argMax where it matters) and, for an identical resent batch, dropped at insert by its
-- deduplication token.

CREATE TABLE IF NOT EXISTS emr_patients
(
    patient_id   String,
    birth_year   UInt16,
    sex          LowCardinality(String),
    district     LowCardinality(String),
    source       LowCardinality(String),
    updated_time DateTime64(3, 'UTC'),
    ingested_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_time)
ORDER BY patient_id
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS encounters
(
    encounter_id String,
    patient_id   String,
    kind         LowCardinality(String),
    site         LowCardinality(String),
    ward         LowCardinality(Nullable(String)),
    start_time   DateTime64(3, 'UTC'),
    end_time     Nullable(DateTime64(3, 'UTC')),
    source       LowCardinality(String),
    updated_time DateTime64(3, 'UTC'),
    ingested_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_time)
PARTITION BY toYYYYMM(start_time)
ORDER BY (patient_id, start_time, encounter_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS complaints
(
    complaint_id String,
    encounter_id String,
    patient_id   String,
    time         DateTime64(3, 'UTC'),
    text         String,
    language     LowCardinality(String),
    codes        Array(LowCardinality(String)),
    source       LowCardinality(String),
    ingested_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (patient_id, time, complaint_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS diagnoses
(
    diagnosis_id String,
    encounter_id String,
    patient_id   String,
    icd10        LowCardinality(String),
    kind         LowCardinality(String),
    set_by       LowCardinality(String),
    author_id    String,
    time         DateTime64(3, 'UTC'),
    source       LowCardinality(String),
    ingested_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (patient_id, time, diagnosis_id)
SETTINGS non_replicated_deduplication_window = 10000;
