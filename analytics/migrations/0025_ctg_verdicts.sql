-- CTG verdicts: FIGO 2015 classification of a fetal monitor's trace over a sliding window, made
-- at the edge (contracts/src/ctg-verdict.ts). Same identity and deduplication as the readings.
CREATE TABLE IF NOT EXISTS ctg_verdicts
(
    gateway_id              LowCardinality(String),
    seq                     UInt64,
    patient_id              String,
    device_id               String,
    window_start            DateTime64(3, 'UTC'),
    time                    DateTime64(3, 'UTC'),
    minutes                 Float64,
    classification          LowCardinality(String),
    reasons                 Array(String),
    notes                   Array(String),
    baseline_bpm            Nullable(Float64),
    variability_bpm         Nullable(Float64),
    accelerations           UInt32,
    early_decelerations     UInt32,
    variable_decelerations  UInt32,
    late_decelerations      UInt32,
    prolonged_decelerations UInt32,
    contractions            UInt32,
    signal_loss_pct         Float64,
    received_time           DateTime64(3, 'UTC'),
    ingested_at             DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (patient_id, time, gateway_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS ctg_verdicts UInt32 DEFAULT 0;
