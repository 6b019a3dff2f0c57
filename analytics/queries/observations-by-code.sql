-- Readings of one coded metric (an MDC code, or a LOINC code; 0 / '' leaves that one out) in a range of device times, per patient: how many, their span and the units they came in; for a text or coded state (ECG rhythm), how many and the latest.
-- @param mdc UInt32 IEEE 11073 (MDC) 32-bit code, e.g. 147236 for the QTc interval; 0 to match by LOINC only
-- @param loinc String LOINC code, e.g. 8636-3; '' to match by MDC code only
-- @param from DateTime64(3, 'UTC') start of the range of device times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of device times, exclusive
SELECT patient_id, mdc_code, loinc, any(name) AS name, any(device_label) AS device_label, unit,
    count() AS readings, minOrNullIf(value, isFinite(value)) AS min_value, avgOrNullIf(value, isFinite(value)) AS mean_value, maxOrNullIf(value, isFinite(value)) AS max_value,
    countIf(value_text != '') AS text_readings, argMaxIf(value_text, device_time, value_text != '') AS latest_text,
    countIf(has(flags, 'unit_unmapped')) AS unmapped_units, min(device_time) AS first_reading, max(device_time) AS last_reading
FROM observations
WHERE ((mdc_code = {mdc:UInt32} AND {mdc:UInt32} != 0) OR (loinc = {loinc:String} AND {loinc:String} != ''))
    AND device_time >= {from:DateTime64(3, 'UTC')} AND device_time < {to:DateTime64(3, 'UTC')}
GROUP BY patient_id, mdc_code, loinc, unit
ORDER BY patient_id, mdc_code, loinc, unit
