-- Lab order turnaround per test, priority and site: minutes from the order being placed to its first result, as percentiles; orders still without a result are counted apart.
-- @param from DateTime64(3, 'UTC') start of the range of order placement times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of order placement times, exclusive
SELECT test_code, priority, site, count() AS orders, countIf(resulted_at IS NOT NULL) AS resulted, countIf(resulted_at IS NULL) AS waiting,
    round(quantileExactInclusive(0.5)(minutes), 1) AS p50_min,
    round(quantileExactInclusive(0.9)(minutes), 1) AS p90_min,
    round(max(minutes), 1) AS max_min
FROM
(
    SELECT order_id, arrayJoin(argMax(test_codes, event_time)) AS test_code, argMax(priority, event_time) AS priority, any(site) AS site,
        minIf(toNullable(event_time), state = 'resulted') AS resulted_at,
        dateDiff('millisecond', min(placed_time), resulted_at) / 60000 AS minutes
    FROM lab_order_events
    WHERE placed_time >= {from:DateTime64(3, 'UTC')} AND placed_time < {to:DateTime64(3, 'UTC')}
    GROUP BY order_id
)
GROUP BY test_code, priority, site
ORDER BY test_code, priority, site
