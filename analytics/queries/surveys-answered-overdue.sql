-- Symptom surveys per day: answered (on their day or late) and gone overdue unanswered (from the overdue reminders, written once per survey).
-- @param from DateTime64(3, 'UTC') start of the period (due times), inclusive
-- @param to DateTime64(3, 'UTC') end of the period, exclusive
SELECT day, sum(answered) AS answered, sum(late) AS answered_late, sum(overdue) AS overdue_unanswered
FROM
(
    SELECT toDate(due_time) AS day, count() AS answered, countIf(submitted_time >= due_time + INTERVAL 1 DAY) AS late, 0 AS overdue
    FROM survey_responses
    WHERE due_time >= {from:DateTime64(3, 'UTC')} AND due_time < {to:DateTime64(3, 'UTC')}
    GROUP BY day
    UNION ALL
    -- An overdue reminder is written the day after the survey was due.
    SELECT toDate(at - INTERVAL 1 DAY) AS day, 0 AS answered, 0 AS late, count() AS overdue
    FROM survey_reminders
    WHERE kind = 'overdue' AND response_id NOT IN (SELECT response_id FROM survey_responses)
        AND at >= {from:DateTime64(3, 'UTC')} AND at < {to:DateTime64(3, 'UTC')} + INTERVAL 1 DAY
    GROUP BY day
)
GROUP BY day
ORDER BY day
