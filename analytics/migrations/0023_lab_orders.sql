-- Laboratory orders (docs/lab.md). A table of their own, not the ICU board's `orders`: every
-- state change is a row here, and this is a plain MergeTree so that the history is kept (a
-- ReplacingMergeTree would merge it away); readers take argMax by event_time for the latest.
-- Each row repeats the order (tests, specimen, site) so that any one row answers the worklist.

CREATE TABLE IF NOT EXISTS lab_order_events
(
    order_id        String,
    patient_id      String,
    encounter_id    String,
    site            LowCardinality(String),
    ward            LowCardinality(Nullable(String)),
    specimen_id     String,
    test_loinc      Array(String),
    test_codes      Array(String),
    priority        LowCardinality(String),
    diagnosis_code  LowCardinality(String),
    diagnosis_text  String,
    ordered_by      String,
    state           LowCardinality(String),
    changed_by      String,
    placed_time     DateTime64(3, 'UTC'),
    event_time      DateTime64(3, 'UTC'),
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX specimen_idx specimen_id TYPE bloom_filter GRANULARITY 4,
    INDEX patient_idx patient_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
ORDER BY (order_id, event_time);
