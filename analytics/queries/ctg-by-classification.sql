-- CTGs by classification: each fetal monitor trace (patient and monitor) with a FIGO 2015 verdict in the range, counted by its worst class, with how many ended in each class and the median minutes monitored.
-- @param from DateTime64(3, 'UTC') start of the range of verdict times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of verdict times, exclusive
SELECT worst AS classification, count() AS ctgs,
    countIf(latest = 'normal') AS ending_normal,
    countIf(latest = 'suspicious') AS ending_suspicious,
    countIf(latest = 'pathological') AS ending_pathological,
    round(quantileExactInclusive(0.5)(minutes), 1) AS p50_minutes,
    sum(verdicts) AS verdicts
FROM
(
    SELECT patient_id, device_id,
        multiIf(countIf(classification = 'pathological') > 0, 'pathological', countIf(classification = 'suspicious') > 0, 'suspicious', 'normal') AS worst,
        argMax(classification, time) AS latest,
        dateDiff('millisecond', min(window_start), max(time)) / 60000 AS minutes,
        count() AS verdicts
    FROM ctg_verdicts
    WHERE time >= {from:DateTime64(3, 'UTC')} AND time < {to:DateTime64(3, 'UTC')}
    GROUP BY patient_id, device_id
)
GROUP BY worst
ORDER BY indexOf(['pathological', 'suspicious', 'normal'], worst)
