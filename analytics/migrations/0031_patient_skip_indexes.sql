-- The patient page reads a patient's alarms and infusions, but alarms are keyed by alarm and
-- infusion_events by pump: without an index each read goes through every granule, and grows with
-- the whole city's alarms and pumps. A bloom filter on patient_id lets ClickHouse skip the granules
-- that hold none of the patient's rows. Materialized for parts already written (a background
-- mutation over one column; new parts build the index as they are written).
ALTER TABLE alarms ADD INDEX IF NOT EXISTS alarms_patient patient_id TYPE bloom_filter(0.01) GRANULARITY 1;
ALTER TABLE alarms MATERIALIZE INDEX alarms_patient;
ALTER TABLE infusion_events ADD INDEX IF NOT EXISTS infusion_events_patient patient_id TYPE bloom_filter(0.01) GRANULARITY 1;
ALTER TABLE infusion_events MATERIALIZE INDEX infusion_events_patient;
