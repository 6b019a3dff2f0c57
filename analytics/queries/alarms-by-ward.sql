-- Device alarms per ward and priority over a period: distinct alarms and their updates (from the rollup kept as alarms arrive).
-- @param from DateTime64(3, 'UTC') start of the period (alarm update times), inclusive; counted by whole hours
-- @param to DateTime64(3, 'UTC') end of the period, exclusive
SELECT ward,
    sumIf(n_alarms, priority = 'high') AS high, sumIf(n_alarms, priority = 'medium') AS medium,
    sumIf(n_alarms, priority = 'low') AS low, sumIf(n_alarms, priority = 'none') AS no_priority,
    sumIf(n_alarms, priority = 'unknown') AS priority_not_given, sum(n_alarms) AS alarms, sum(n_updates) AS updates
FROM
(
    -- An alarm heard in several hours counts in each; across the period it counts once.
    SELECT ward, priority, uniqExactMerge(alarms) AS n_alarms, countMerge(updates) AS n_updates
    FROM alarms_per_ward_hour
    WHERE hour >= toStartOfHour({from:DateTime64(3, 'UTC')}) AND hour < {to:DateTime64(3, 'UTC')}
    GROUP BY ward, priority
)
GROUP BY ward
ORDER BY alarms DESC, ward
