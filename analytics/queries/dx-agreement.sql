-- Decision-support agreement with clinicians over a period, per suggested code: suggestions, and how often the clinician's diagnosis was the top-1 / among the top-3.
-- @param from DateTime64(3, 'UTC') start of the period (suggestion times), inclusive
-- @param to DateTime64(3, 'UTC') end of the period, exclusive
-- @param kind String the clinician's diagnosis compared with: 'final' or 'preliminary'
SELECT kind AS suggestion_kind, suggested_icd10[1] AS top1_code, count() AS suggestions,
    sum(top1_agrees) AS top1_matches, sum(top3_agrees) AS top3_matches,
    round(avg(top1_agrees), 3) AS top1_rate, round(avg(top3_agrees), 3) AS top3_rate
FROM dx_agreement
WHERE clinician_kind = {kind:String}
    AND time >= {from:DateTime64(3, 'UTC')} AND time < {to:DateTime64(3, 'UTC')}
GROUP BY suggestion_kind, top1_code
ORDER BY suggestions DESC, suggestion_kind, top1_code
