-- Share of lab orders placed from an order set (the union of a preliminary diagnosis suggestion's sets), per site and priority.
-- @param from DateTime64(3, 'UTC') start of the range of order placement times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of order placement times, exclusive
SELECT site, priority, count() AS orders, countIf(from_set) AS from_order_set, round(countIf(from_set) / count(), 3) AS share
FROM
(
    SELECT order_id, any(site) AS site, argMax(priority, event_time) AS priority,
        order_id IN (SELECT order_id FROM lab_order_set_uses) AS from_set
    FROM lab_order_events
    WHERE placed_time >= {from:DateTime64(3, 'UTC')} AND placed_time < {to:DateTime64(3, 'UTC')}
    GROUP BY order_id
)
GROUP BY site, priority
ORDER BY site, priority
