-- Text and coded observations (HL7 OBX-2 ST, TX, CWE, CE, CNE; an MQTT text value): ECG rhythm,
-- pacing mode, alarm state. value_text holds the words, value_code and value_system a coded
-- value's code and coding system (CWE OBX-5.1, .3). Such a row has no number: `value` is NaN,
-- the column's default, so that a missing number is never zero (isFinite(value) tells numbers).
ALTER TABLE observations ADD COLUMN IF NOT EXISTS value_text String DEFAULT '' AFTER unit_as_sent;
ALTER TABLE observations ADD COLUMN IF NOT EXISTS value_code String DEFAULT '' AFTER value_text;
ALTER TABLE observations ADD COLUMN IF NOT EXISTS value_system LowCardinality(String) DEFAULT '' AFTER value_code;
ALTER TABLE observations MODIFY COLUMN value Float64 DEFAULT nan;
