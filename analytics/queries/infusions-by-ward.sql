-- Infusions per ward over a period: pumps and patients reporting, infusion events, channels delivering at their latest report, and the drugs infused.
-- @param from DateTime64(3, 'UTC') start of the period (receive times), inclusive
-- @param to DateTime64(3, 'UTC') end of the period, exclusive
SELECT ifNull(ward, '(no ward)') AS ward,
    uniqExact(device_id) AS pumps,
    uniqExact(patient_id) AS patients,
    sum(events) AS events,
    countIf(delivering) AS channels_delivering,
    arraySort(groupUniqArrayIf(drug, drug != '')) AS drugs
FROM
(
    -- One row per pump channel: its events in the period and its latest state.
    SELECT ward, device_id, channel, any(patient_id) AS patient_id, count() AS events,
        argMax(ifNull(drug, ''), received_time) AS drug,
        match(argMax(ifNull(program_state, ifNull(pump_state, '')), received_time), '(?i)delivering|infusing|running') AS delivering
    FROM infusion_events
    WHERE received_time >= {from:DateTime64(3, 'UTC')} AND received_time < {to:DateTime64(3, 'UTC')}
    GROUP BY ward, device_id, channel
)
GROUP BY ward
ORDER BY events DESC, ward
