-- Emergency-department arrivals per hour and site, by the triage level given at arrival (from the rollup kept as encounters arrive).
-- @param from DateTime64(3, 'UTC') start of the range of arrival times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of arrival times, exclusive
SELECT hour, site,
    sumIf(n, triage_level = 'red') AS red, sumIf(n, triage_level = 'yellow') AS yellow,
    sumIf(n, triage_level = 'green') AS green, sumIf(n, triage_level = 'unknown') AS not_triaged, sum(n) AS arrivals
FROM
(
    SELECT hour, site, triage_level, uniqExactMerge(arrivals) AS n
    FROM ed_arrivals_per_hour
    WHERE hour >= toStartOfHour({from:DateTime64(3, 'UTC')}) AND hour < {to:DateTime64(3, 'UTC')}
    GROUP BY hour, site, triage_level
)
GROUP BY hour, site
ORDER BY hour, site
