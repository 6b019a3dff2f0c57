-- Time from a symptom survey's answer to the chemotherapist's review, per risk verdict: hours as percentiles, reviews within the one-business-day deadline, escalations, answers not yet reviewed.
-- @param from DateTime64(3, 'UTC') start of the period (submission times), inclusive
-- @param to DateTime64(3, 'UTC') end of the period, exclusive
SELECT r.risk AS risk, count() AS answers, countIf(e.reviewed_at IS NOT NULL) AS reviewed, countIf(e.reviewed_at IS NULL) AS waiting,
    countIf(e.reviewed_at IS NOT NULL AND e.reviewed_at <= r.review_due) AS within_deadline,
    countIf(e.escalated = 1) AS escalated,
    round(quantileExactInclusive(0.5)(dateDiff('millisecond', r.submitted_time, e.reviewed_at) / 3600000), 2) AS p50_hours,
    round(quantileExactInclusive(0.9)(dateDiff('millisecond', r.submitted_time, e.reviewed_at) / 3600000), 2) AS p90_hours
FROM survey_responses AS r
LEFT JOIN
(
    SELECT response_id, minIf(toNullable(at), kind = 'reviewed') AS reviewed_at, max(kind = 'escalated') AS escalated
    FROM survey_events
    GROUP BY response_id
) AS e ON e.response_id = r.response_id
WHERE r.submitted_time >= {from:DateTime64(3, 'UTC')} AND r.submitted_time < {to:DateTime64(3, 'UTC')}
GROUP BY risk
ORDER BY risk
