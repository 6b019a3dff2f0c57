-- A FHIR read by id (Observation/<gateway|seq|name>, RiskAssessment/<gateway|seq>) names a row by
-- its identity, not by the sort key's patient and time: a bloom filter on seq lets ClickHouse skip
-- every granule that holds no such seq instead of reading the table. Materialized for the parts
-- already written (new parts build it as they are written).
ALTER TABLE observations ADD INDEX IF NOT EXISTS observations_seq seq TYPE bloom_filter(0.01) GRANULARITY 1;
ALTER TABLE observations MATERIALIZE INDEX observations_seq;
ALTER TABLE lab_results ADD INDEX IF NOT EXISTS lab_results_seq seq TYPE bloom_filter(0.01) GRANULARITY 1;
ALTER TABLE lab_results MATERIALIZE INDEX lab_results_seq;
ALTER TABLE triage_results ADD INDEX IF NOT EXISTS triage_results_seq seq TYPE bloom_filter(0.01) GRANULARITY 1;
ALTER TABLE triage_results MATERIALIZE INDEX triage_results_seq;
