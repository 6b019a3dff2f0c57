-- Patients whose triage level rose in the last hour: their level when the hour began (else their first in it) against their latest.
SELECT patient_id, from_level, current_level, hour_began, latest_result, results_in_hour
FROM
(
    WITH now64(3, 'UTC') - INTERVAL 1 HOUR AS window_start
    SELECT patient_id,
        if(countIf(time < window_start) > 0,
            argMaxIf(level, (time, seq), time < window_start),
            argMinIf(level, (time, seq), time >= window_start)) AS from_level,
        argMax(level, (time, seq)) AS current_level,
        window_start AS hour_began,
        max(time) AS latest_result,
        countIf(time >= window_start) AS results_in_hour
    FROM triage_results
    -- A day before the hour is enough to know the level it began with.
    WHERE time >= now64(3, 'UTC') - INTERVAL 25 HOUR AND time <= now64(3, 'UTC')
    GROUP BY patient_id
    HAVING results_in_hour > 0
)
WHERE indexOf(['green', 'yellow', 'red'], current_level) > indexOf(['green', 'yellow', 'red'], from_level)
ORDER BY indexOf(['green', 'yellow', 'red'], current_level) DESC, latest_result DESC
