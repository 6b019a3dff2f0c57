-- Readings stored per source and device in a range of received times, with the patients seen and the span of device times.
-- @param from DateTime64(3, 'UTC') start of the range of received times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of received times, exclusive
SELECT source, device_id, count() AS readings, uniqExact(patient_id) AS patients,
    min(device_time) AS first_reading, max(device_time) AS last_reading
FROM observations
WHERE received_time >= {from:DateTime64(3, 'UTC')} AND received_time < {to:DateTime64(3, 'UTC')}
GROUP BY source, device_id
ORDER BY source, device_id
