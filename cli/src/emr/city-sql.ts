// The synthetic city's medical record as ClickHouse INSERT … SELECT statements over numbers():
// every draw is a hash of (seed, tag, patient, visit, item), so the same seed gives the same rows,
// and the draws follow simulators/src/emr/generate.ts step by step (age pyramid, Poisson visits,
// disease by age and sex, setting, look-alike diagnoses, labs the disease moves). Catalog lists
// arrive as bound parameters (city-params.ts); the seed and ranges too.
import { CITY_PARAM_TYPES } from './city-params.js'

/** A uniform draw in [0, 1) keyed by a tag (a constant of this file) and row numbers. */
const u = (tag: string, ...keys: string[]) => `(cityHash64({seed:String}, '${tag}', ${keys.join(', ')}) / 18446744073709551616.)`

/** A 1-based index drawn from cumulative weights, as generate.ts's pick(). */
const pick = (weights: string, draw: string, alias: string) =>
  `if((arrayFirstIndex(c -> c >= ${draw} * arraySum(${weights}), arrayCumSum(${weights})) AS ${alias}) = 0, length(${weights}), ${alias})`

const WITH = `WITH ${Object.entries(CITY_PARAM_TYPES).map(([name, type]) => `{${name}:${type}} AS ${name}`).join(', ')}`

/** One row per patient of the range: the draws generatePatient makes before the visits. */
const PATIENTS = `
  SELECT number AS i, concat('emr-', {seed:String}, '.', toString(number)) AS pid,
         ${u('band', 'i')} AS band,
         toUInt16(floor(multiIf(band < 0.16, ${u('age', 'i')} * 18, band < 0.76, 18 + ${u('age', 'i')} * 47, 65 + ${u('age', 'i')} * ${u('age2', 'i')} * 35))) AS age,
         ${u('sex', 'i')} AS rs, multiIf(rs < 0.51, 'female', rs < 0.995, 'male', 'unknown') AS sex,
         districts[1 + toUInt32(floor(${u('district', 'i')} * length(districts)))] AS district,
         1.5 + age / 25 AS lambda,
         arrayCount(c -> c < ${u('visits', 'i')}, arrayCumSum(arrayMap(x -> exp(x * log(lambda) - lambda - lgamma(x + 1)), range(50)))) AS visits,
         arraySort(arrayMap(j -> toInt64(round({start:Int64} + ${u('time', 'i', 'j')} * {span:Int64})), range(visits))) AS times
  FROM numbers({from:UInt64}, {n:UInt64})`

/** One row per encounter: the disease, setting, place and times, and the complaint's draws. */
const ENCOUNTERS = `
  SELECT i, pid, k, time, concat(pid, '.e', toString(k)) AS eid,
         arrayMap((w, lo, hi, f) -> w * if(age >= lo AND age <= hi, 1., exp(-if(age < lo, lo - age, age - hi) / 4))
                                      * multiIf(sex = 'female', f, sex = 'male', 1 - f, 0.5), d_weight, d_lo, d_hi, d_female) AS dw,
         ${pick('dw', u('disease', 'i', 'k'), 'd0')} AS d,
         toUInt8(if(${u('kind', 'i', 'k')} < 0.85, d_setting[d], if(${u('kind2', 'i', 'k')} < 0.5, 0, 1))) AS kind_n,
         settings[kind_n + 1] AS kind,
         sites[1 + toUInt32(floor(${u('site', 'i', 'k')} * length(sites)))] AS site,
         multiIf(kind_n = 1, 'ED', kind_n = 2, wards[1 + toUInt32(floor(${u('ward', 'i', 'k')} * length(wards)))], NULL) AS ward,
         if(kind_n = 1, d_level[d], NULL) AS triage_level,
         multiIf(kind_n = 0, 0.5, kind_n = 1, 2 + ${u('hours', 'i', 'k')} * 6, 24 * (2 + ${u('hours', 'i', 'k')} * 8)) AS hours,
         time + toInt64(round(hours * 3600000)) AS end_ms,
         d_sym[d] AS ds,
         arrayFilter((s, p, j) -> ${u('sym', 'i', 'k', 'j')} < p, ds, d_sym_p[d], arrayEnumerate(ds)) AS named0,
         if(empty(named0), [d_top[d]], named0) AS named1,
         toUInt8(1 + floor(${u('extra', 'i', 'k')} * length(s_code))) AS extra,
         if(${u('extra?', 'i', 'k')} < 0.1 AND NOT has(named1, extra), arrayPushBack(named1, extra), named1) AS named,
         if(${u('language', 'i', 'k')} < 0.7, 'ru', 'en') AS language,
         toUInt32(1 + floor(${u('days', 'i', 'k')} * 7)) AS days,
         ${u('paracetamol', 'i', 'k')} < 0.3 AS paracetamol,
         arrayMap(s -> s_en[s], named) AS en,
         if(length(en) > 1, concat(arrayStringConcat(arraySlice(en, 1, length(en) - 1), ', '), ' and ', en[-1]), en[1]) AS en_list,
         if(language = 'ru',
            concat('Жалобы на ', arrayStringConcat(arrayMap(s -> s_ru[s], named), ', '), ' ',
                   if(days = 1, 'со вчерашнего дня', concat('в течение ', toString(days), ' дней')), '.',
                   if(paracetamol, ' Принимал парацетамол без эффекта.', '')),
            concat('Complains of ', en_list, ' for ', if(days = 1, 'a day', concat(toString(days), ' days')), '.',
                   if(paracetamol, ' Paracetamol did not help.', ''))) AS text,
         arrayMap(s -> s_code[s], if(${u('coded', 'i', 'k')} < 0.6, named, [])) AS codes,
         d_look[d] AS look, d_look_w[d] AS look_w,
         if(${u('preliminary', 'i', 'k')} < 0.72 OR empty(look), d, look[${pick('look_w', u('preliminary-alike', 'i', 'k'), 'p0')}]) AS preliminary,
         if(${u('final', 'i', 'k')} < 0.96 OR empty(look), d, look[${pick('look_w', u('final-alike', 'i', 'k'), 'f0')}]) AS final,
         concat('dr-', toString(1 + toUInt32(floor(${u('doctor', 'i', 'k')} * 400)))) AS doctor,
         d_labs[d] AS dl,
         arrayConcat(dl, if(kind_n != 0 OR ${u('panel', 'i', 'k')} < 0.2, arrayFilter(t -> NOT has(dl, t), panel), [])) AS tests,
         time + toInt64(round((0.5 + ${u('result', 'i', 'k')} * 2) * 3600000)) AS result_ms
  FROM (${PATIENTS}) ARRAY JOIN times AS time, arrayEnumerate(times) AS k`

const ms = (x: string) => `fromUnixTimestamp64Milli(toInt64(${x}), 'UTC')`

/** The INSERT of each table, over patients {from} … {from}+{n}-1. */
export const CITY_INSERTS: ReadonlyArray<{ table: string; query: string }> = [
  { table: 'emr_patients', query: `INSERT INTO emr_patients (patient_id, birth_year, sex, district, source, updated_time)
    ${WITH} SELECT pid, toUInt16({end_year:UInt16} - age), sex, district, {source:String}, ${ms('{start:Int64}')} FROM (${PATIENTS})` },
  { table: 'encounters', query: `INSERT INTO encounters (encounter_id, patient_id, kind, site, ward, triage_level, bed, start_time, end_time, source, updated_time)
    ${WITH} SELECT eid, pid, kind, site, ward, triage_level, NULL, ${ms('time')}, ${ms('end_ms')}, {source:String}, ${ms('end_ms')} FROM (${ENCOUNTERS})` },
  { table: 'complaints', query: `INSERT INTO complaints (complaint_id, encounter_id, patient_id, time, text, language, codes, source)
    ${WITH} SELECT concat(eid, '.c1'), eid, pid, ${ms('time + 300000')}, text, language, codes, {source:String} FROM (${ENCOUNTERS})` },
  { table: 'diagnoses', query: `INSERT INTO diagnoses (diagnosis_id, encounter_id, patient_id, icd10, kind, set_by, author_id, time, source)
    ${WITH} SELECT concat(eid, '.d', toString(n)), eid, pid, d_icd[if(n = 1, preliminary, final)], if(n = 1, 'preliminary', 'final'), 'clinician', doctor,
                   ${ms('if(n = 1, time + 1800000, end_ms)')}, {source:String}
    FROM (${ENCOUNTERS}) ARRAY JOIN [1, 2] AS n` },
  // seq: unique and the same for the same seed (patient, visit, test), as a gateway numbers its readings.
  { table: 'lab_results', query: `INSERT INTO lab_results (gateway_id, seq, device_id, source, order_id, patient_id, test_code, loinc, value, numeric_value, unit,
                                   reference_range, abnormal_flag, status, result_time, received_time, comments)
    ${WITH} SELECT {source:String}, 1 + (i * 64 + k) * 16 + j, 'emr-sim-lab', 'astm', concat(eid, '.L'), pid, l_code[t], nullIf(l_loinc[t], ''),
                   toString(v), v, l_unit[t], l_range[t], multiIf(v < l_lo[t], 'L', v > l_hi[t], 'H', 'N'), 'F', ${ms('result_ms')}, ${ms('result_ms + 60000')}, []
    FROM (SELECT i, k, eid, pid, result_ms, t, j, pow(10, l_dec[t]) AS scale,
                 greatest(0, if(j <= length(dl), d_lab_mean[d][j], l_mean[t])
                             + sqrt(-2 * log(1 - ${u('lab-u', 'i', 'k', 'j')})) * cos(2 * pi() * ${u('lab-v', 'i', 'k', 'j')}) * if(j <= length(dl), d_lab_sd[d][j], l_sd[t])) AS raw,
                 round(raw * scale) / scale AS v
          FROM (${ENCOUNTERS}) ARRAY JOIN tests AS t, arrayEnumerate(tests) AS j)` },
]
