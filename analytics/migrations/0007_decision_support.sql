-- Decision support: the diagnosis models (versioned JSON artifacts; the core uses the newest), every
-- suggestion it made, and agreement with the clinicians' own diagnoses for the same encounter.

CREATE TABLE IF NOT EXISTS dx_models
(
    id                  LowCardinality(String),
    version             UInt32,
    created             DateTime64(3, 'UTC'),
    trained_patients    UInt32,
    trained_encounters  UInt32,
    heldout_encounters  UInt32,
    heldout_top1        Float64,
    heldout_top3        Float64,
    artifact            String CODEC(ZSTD)
)
ENGINE = ReplacingMergeTree(created)
ORDER BY (id, version);

CREATE TABLE IF NOT EXISTS dx_suggestions
(
    suggestion_id    String,
    encounter_id     String,
    patient_id       String,
    kind             LowCardinality(String),
    model_id         LowCardinality(String),
    model_version    UInt32,
    suggested_icd10  Array(String),
    suggested_p      Array(Float64),
    -- final_check only: what the physician set, and the answer.
    physician_icd10  Nullable(String),
    verdict          LowCardinality(Nullable(String)),
    source           LowCardinality(String),
    time             DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (encounter_id, time, suggestion_id);

-- Each suggestion next to the clinician's diagnosis of each kind for the same encounter (the
-- latest one the clinician set, whenever it arrived). A plain view: a resent diagnosis or
-- suggestion is collapsed here by its id, so retried batches never count twice.
CREATE VIEW IF NOT EXISTS dx_agreement AS
SELECT s.suggestion_id AS suggestion_id, s.kind AS kind, s.encounter_id AS encounter_id, s.patient_id AS patient_id,
       s.model_id AS model_id, s.model_version AS model_version, s.time AS time, s.suggested_icd10 AS suggested_icd10,
       d.kind AS clinician_kind, d.icd10 AS clinician_icd10,
       s.suggested_icd10[1] = d.icd10 AS top1_agrees, has(s.suggested_icd10, d.icd10) AS top3_agrees
FROM (SELECT suggestion_id, any(kind) AS kind, any(encounter_id) AS encounter_id, any(patient_id) AS patient_id,
             any(model_id) AS model_id, any(model_version) AS model_version, any(time) AS time, any(suggested_icd10) AS suggested_icd10
      FROM dx_suggestions GROUP BY suggestion_id) AS s
INNER JOIN (SELECT encounter_id, kind, argMax(icd10, time) AS icd10
            FROM (SELECT diagnosis_id, any(encounter_id) AS encounter_id, any(kind) AS kind, any(icd10) AS icd10, any(time) AS time
                  FROM diagnoses WHERE set_by = 'clinician' GROUP BY diagnosis_id)
            GROUP BY encounter_id, kind) AS d
ON d.encounter_id = s.encounter_id;
