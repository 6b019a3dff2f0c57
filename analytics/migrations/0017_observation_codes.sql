-- Any coded metric is an observation: beyond the named vitals, a reading is stored with name
-- 'other' and known by its code (mdc_code, else loinc). device_label is what the device called it
-- (HL7 OBX-3.2, e.g. MDC_ECG_TIME_PD_QTc), unit_as_sent its unit as it came (OBX-6); `unit` stays
-- UCUM, or the sent unit flagged 'unit_unmapped' when Neva cannot map it. '' for older rows and
-- older gateways, which never send them. The skip index serves "observations by code".
ALTER TABLE observations ADD COLUMN IF NOT EXISTS device_label String DEFAULT '' AFTER flags;
ALTER TABLE observations ADD COLUMN IF NOT EXISTS unit_as_sent String DEFAULT '' AFTER device_label;
ALTER TABLE observations ADD INDEX IF NOT EXISTS observations_mdc_code mdc_code TYPE set(256) GRANULARITY 4;
