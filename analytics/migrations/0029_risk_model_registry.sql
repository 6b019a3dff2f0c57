-- The deterioration (risk) model travels through the same registry as the triage model: its
-- uploads and its activation log sit in the same tables under registry = 'risk'. Rows from
-- before are the triage model's. Events keep one seq across both registries.
ALTER TABLE triage_models ADD COLUMN IF NOT EXISTS registry LowCardinality(String) DEFAULT 'triage' AFTER version;
ALTER TABLE triage_model_events ADD COLUMN IF NOT EXISTS registry LowCardinality(String) DEFAULT 'triage' AFTER seq;
