-- The model's verdict next to NEWS2's: level is the higher of the two; both are kept so that
-- escalations by the model can be counted and audited.
ALTER TABLE triage_results ADD COLUMN IF NOT EXISTS model_level LowCardinality(String) DEFAULT '' AFTER model_version;
ALTER TABLE triage_results ADD COLUMN IF NOT EXISTS model_probabilities Map(LowCardinality(String), Float64) AFTER model_level;
ALTER TABLE triage_results ADD COLUMN IF NOT EXISTS model_drivers String DEFAULT '[]' AFTER model_probabilities;
