-- Symptom survey answers per day by risk verdict, and the share judged high risk.
-- @param from DateTime64(3, 'UTC') start of the period (submission times), inclusive
-- @param to DateTime64(3, 'UTC') end of the period, exclusive
SELECT toDate(submitted_time) AS day, count() AS answers,
    countIf(risk = 'high') AS high, countIf(risk = 'medium') AS medium, countIf(risk = 'low') AS low, countIf(risk = 'none') AS no_risk,
    round(countIf(risk = 'high') / count(), 3) AS high_share
FROM survey_responses
WHERE submitted_time >= {from:DateTime64(3, 'UTC')} AND submitted_time < {to:DateTime64(3, 'UTC')}
GROUP BY day
ORDER BY day
