-- Lab results no order claimed (no order has the specimen id, or the order lists no such test) and results for cancelled orders, per analyzer and test; none is dropped, so each is here until an order claims it.
-- @param from DateTime64(3, 'UTC') start of the range of received times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of received times, exclusive
SELECT gateway_id, test_code, outcome, count() AS results, countIf(critical = 1) AS critical, min(received) AS first_received, max(received) AS last_received
FROM
(
    SELECT gateway_id, seq, argMax(test_code, matched_time) AS test_code, argMax(outcome, matched_time) AS outcome,
        argMax(critical, matched_time) AS critical, max(received_time) AS received
    FROM lab_result_matches
    GROUP BY gateway_id, seq
)
WHERE outcome != 'matched' AND received >= {from:DateTime64(3, 'UTC')} AND received < {to:DateTime64(3, 'UTC')}
GROUP BY gateway_id, test_code, outcome
ORDER BY results DESC, gateway_id, test_code
