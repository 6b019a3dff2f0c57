-- Lab turnaround per test: seconds from the analyzer's result time to the result's arrival (received time), as percentiles.
-- @param from DateTime64(3, 'UTC') start of the range of received times, inclusive
-- @param to DateTime64(3, 'UTC') end of the range of received times, exclusive
SELECT test_code, any(loinc) AS loinc_code, count() AS results,
    round(quantileExactInclusive(0.5)(turnaround_s), 3) AS p50_s,
    round(quantileExactInclusive(0.9)(turnaround_s), 3) AS p90_s,
    round(quantileExactInclusive(0.99)(turnaround_s), 3) AS p99_s,
    round(max(turnaround_s), 3) AS max_s
FROM
(
    SELECT test_code, loinc, dateDiff('millisecond', assumeNotNull(result_time), received_time) / 1000 AS turnaround_s
    FROM lab_results
    WHERE result_time IS NOT NULL
        AND received_time >= {from:DateTime64(3, 'UTC')} AND received_time < {to:DateTime64(3, 'UTC')}
)
GROUP BY test_code
ORDER BY test_code
