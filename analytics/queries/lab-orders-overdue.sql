-- Lab orders still without a result past their due time (stat 1 h, urgent 4 h, routine 24 h after placing), per site, priority and state, with the oldest.
-- @param at DateTime64(3, 'UTC') the moment to judge at (e.g. now)
SELECT site, priority, state, count() AS overdue, min(placed) AS oldest_placed,
    round(max(dateDiff('millisecond', placed, {at:DateTime64(3, 'UTC')})) / 60000, 1) AS oldest_waiting_min
FROM
(
    SELECT order_id, any(site) AS site, argMax(priority, event_time) AS priority, argMax(state, event_time) AS state, min(placed_time) AS placed
    FROM lab_order_events
    WHERE event_time <= {at:DateTime64(3, 'UTC')}
    GROUP BY order_id
)
WHERE state IN ('ordered', 'collected', 'received', 'in_analysis')
    AND dateDiff('minute', placed, {at:DateTime64(3, 'UTC')}) >= multiIf(priority = 'stat', 60, priority = 'urgent', 240, 1440)
GROUP BY site, priority, state
ORDER BY overdue DESC, site, priority, state
