-- The per-minute rollup takes numbers only. vitals_per_minute_mv (0008) read every observation
-- row, and a text or coded one (0018) has no number: value NaN. Its minute's average, min and max
-- became NaN (for `other`, the numbers beside it too) and its count counted words.
-- MODIFY QUERY changes the view in place, so no insert falls between an old and a new view.
ALTER TABLE vitals_per_minute_mv MODIFY QUERY
SELECT patient_id, name, toStartOfMinute(device_time) AS minute,
       countState() AS readings, avgState(value) AS avg_value, minState(value) AS min_value, maxState(value) AS max_value
FROM observations
WHERE isFinite(value)
GROUP BY patient_id, name, minute;

-- Rows the old view already wrote with a NaN average carry no usable number: removed, the rest
-- kept as they are. The readings themselves stay in observations.
ALTER TABLE vitals_per_minute DELETE WHERE isNaN(finalizeAggregation(avg_value));
