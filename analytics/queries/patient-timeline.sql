-- Timeline of one pseudonymous patient: vital signs, triage levels and lab results in a time range, oldest first.
-- @param patient String pseudonymous patient id, as the analyst views show it
-- @param from DateTime64(3, 'UTC') start of the range, inclusive
-- @param to DateTime64(3, 'UTC') end of the range, exclusive
SELECT at AS time, kind, item AS name, text AS value, number AS numeric_value, in_unit AS unit, via AS source
FROM
(
    SELECT device_time AS at, 'vital' AS kind, name AS item, toString(value) AS text,
        CAST(value AS Nullable(Float64)) AS number, unit AS in_unit, source AS via
    FROM observations
    WHERE patient_id = {patient:String}
        AND device_time >= {from:DateTime64(3, 'UTC')} AND device_time < {to:DateTime64(3, 'UTC')}
    UNION ALL
    SELECT time, 'triage', 'triage_level', level, CAST(news2_score AS Nullable(Float64)), 'NEWS2', model_version
    FROM triage_results
    WHERE patient_id = {patient:String}
        AND time >= {from:DateTime64(3, 'UTC')} AND time < {to:DateTime64(3, 'UTC')}
    UNION ALL
    SELECT ifNull(result_time, received_time), 'lab', test_code, value, numeric_value, unit, source
    FROM lab_results
    WHERE patient_id = {patient:String}
        AND ifNull(result_time, received_time) >= {from:DateTime64(3, 'UTC')}
        AND ifNull(result_time, received_time) < {to:DateTime64(3, 'UTC')}
)
ORDER BY time, kind, name
