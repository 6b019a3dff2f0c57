-- The current triage level of every patient (their latest triage result), most urgent first.
SELECT patient_id, argMax(level, (time, seq)) AS current_level, argMax(news2_score, (time, seq)) AS news2,
    argMax(model_version, (time, seq)) AS scored_by, max(time) AS latest_result
FROM triage_results
GROUP BY patient_id
ORDER BY indexOf(['green', 'yellow', 'red'], current_level) DESC, latest_result DESC, patient_id
