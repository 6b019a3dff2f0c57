-- Who is in each ward now (encounters open at the given time), with age, sex and the latest final or preliminary diagnosis so far.
-- @param at DateTime64(3, 'UTC') the moment of the census
SELECT e.site, e.ward, count() AS patients,
    round(avg(toYear({at:DateTime64(3, 'UTC')}) - p.birth_year), 1) AS mean_age,
    countIf(p.sex = 'female') AS female,
    topK(3)(d.icd10) AS common_diagnoses
FROM
(
    -- The latest version of each encounter open at that moment (a record may be resent updated,
    -- e.g. when it ends). Only encounters with some version open then are grouped: the rest of
    -- the city's history is skipped before the aggregation, not after it.
    SELECT encounter_id, argMax(patient_id, updated_time) AS patient_id, argMax(site, updated_time) AS site,
        argMax(ward, updated_time) AS ward, argMax(end_time, updated_time) AS end_time
    FROM encounters
    WHERE start_time <= {at:DateTime64(3, 'UTC')}
        AND encounter_id IN (SELECT encounter_id FROM encounters
                             WHERE start_time <= {at:DateTime64(3, 'UTC')} AND (end_time IS NULL OR end_time > {at:DateTime64(3, 'UTC')}))
    GROUP BY encounter_id
    HAVING ward IS NOT NULL AND (end_time IS NULL OR end_time > {at:DateTime64(3, 'UTC')})
) AS e
LEFT JOIN
(
    SELECT patient_id, argMax(birth_year, updated_time) AS birth_year, argMax(sex, updated_time) AS sex
    FROM emr_patients
    WHERE patient_id IN (SELECT patient_id FROM encounters
                         WHERE start_time <= {at:DateTime64(3, 'UTC')} AND (end_time IS NULL OR end_time > {at:DateTime64(3, 'UTC')}))
    GROUP BY patient_id
) AS p ON p.patient_id = e.patient_id
LEFT JOIN
(
    SELECT encounter_id, argMax(icd10, (indexOf(['preliminary', 'final'], kind), time)) AS icd10
    FROM diagnoses
    -- Bounded by time first: ids are pseudonymised per row, times are not, so this cheap bound
    -- spares hashing two years of the city's diagnoses (a diagnosis is set during its encounter).
    WHERE time <= {at:DateTime64(3, 'UTC')}
        AND time >= (SELECT min(start_time) FROM encounters
                     WHERE start_time <= {at:DateTime64(3, 'UTC')} AND (end_time IS NULL OR end_time > {at:DateTime64(3, 'UTC')}))
        AND encounter_id IN (SELECT encounter_id FROM encounters
                             WHERE start_time <= {at:DateTime64(3, 'UTC')} AND (end_time IS NULL OR end_time > {at:DateTime64(3, 'UTC')}))
    GROUP BY encounter_id
) AS d ON d.encounter_id = e.encounter_id
GROUP BY e.site, e.ward
ORDER BY e.site, e.ward
