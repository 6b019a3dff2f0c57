-- The deterioration model's part in a live verdict: its calibrated risk (NULL when it did not
-- run: missing, never 0), which model gave it, what it was computed from, and why it could not
-- move the level (sparse inputs; '' otherwise).
ALTER TABLE triage_results ADD COLUMN IF NOT EXISTS model_risk Nullable(Float64) DEFAULT NULL AFTER model_drivers;
ALTER TABLE triage_results ADD COLUMN IF NOT EXISTS model_risk_model LowCardinality(String) DEFAULT '' AFTER model_risk;
ALTER TABLE triage_results ADD COLUMN IF NOT EXISTS model_risk_inputs Array(String) DEFAULT [] AFTER model_risk_model;
ALTER TABLE triage_results ADD COLUMN IF NOT EXISTS model_risk_sparse String DEFAULT '' AFTER model_risk_inputs;
