-- Readings the gateways refused, per error code and source, in a range of received times, with one example reason.
-- @param from DateTime64(3, 'UTC') start of the range of received times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of received times, exclusive
SELECT code, source, count() AS refused, min(received_time) AS first_refused, max(received_time) AS last_refused,
    any(reason) AS example_reason
FROM rejected_readings
WHERE received_time >= {from:DateTime64(3, 'UTC')} AND received_time < {to:DateTime64(3, 'UTC')}
GROUP BY code, source
ORDER BY refused DESC, code, source
