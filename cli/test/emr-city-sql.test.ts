// neva sim emr's two generators side by side: ClickHouse's INSERT … SELECT (the default) against
// the JavaScript reference, on the same small city: the same tables, codes and ranges, shares
// within sampling noise; and the same seed gives the same rows twice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, type ClickHouse } from '@neva/analytics'
import { DISEASES, DISTRICTS, LAB_NORMALS, SITES, SYMPTOMS } from '@neva/simulators'
import { writeEmr } from '../src/emr/write.js'

const END = Date.UTC(2026, 10, 26)
const PATIENTS = 2000

async function rows<T = Record<string, unknown>>(ch: ClickHouse, query: string): Promise<T[]> {
  return (await ch.client.query({ query, format: 'JSONEachRow' })).json<T>()
}

/** What the two generators must share: sets of codes, ranges, and shares per patient or encounter. */
async function profile(ch: ClickHouse) {
  const [p] = await rows<Record<string, number>>(ch, `SELECT
      (SELECT count() FROM emr_patients) AS patients,
      (SELECT count() FROM encounters) / patients AS encounters_per_patient,
      (SELECT count() FROM complaints) / patients AS complaints_per_patient,
      (SELECT count() FROM diagnoses) / patients AS diagnoses_per_patient,
      (SELECT count() FROM lab_results) / patients AS labs_per_patient,
      (SELECT avg(2026 - birth_year) FROM emr_patients) AS mean_age,
      (SELECT countIf(sex = 'female') / count() FROM emr_patients) AS female,
      (SELECT countIf(kind = 'outpatient') / count() FROM encounters) AS outpatient,
      (SELECT countIf(kind = 'ed_arrival') / count() FROM encounters) AS ed,
      (SELECT countIf(triage_level = 'red') / countIf(kind = 'ed_arrival') FROM encounters) AS red,
      (SELECT countIf(language = 'ru') / count() FROM complaints) AS ru,
      (SELECT countIf(notEmpty(codes)) / count() FROM complaints) AS coded,
      (SELECT countIf(icd10 = 'J06.9') / count() FROM diagnoses WHERE kind = 'final') AS uri,
      (SELECT countIf(p = f) / count() FROM (SELECT encounter_id, anyIf(icd10, kind = 'preliminary') AS p, anyIf(icd10, kind = 'final') AS f FROM diagnoses GROUP BY encounter_id)) AS preliminary_right,
      (SELECT countIf(abnormal_flag != 'N') / count() FROM lab_results) AS abnormal`)
  const sets = (await rows<Record<string, string[]>>(ch, `SELECT
      (SELECT groupUniqArray(sex) FROM emr_patients) AS sexes,
      (SELECT groupUniqArray(district) FROM emr_patients) AS districts,
      (SELECT groupUniqArray(kind) FROM encounters) AS kinds,
      (SELECT groupUniqArray(site) FROM encounters) AS sites,
      (SELECT groupUniqArray(concat(kind, ':', ifNull(ward, '-'), ':', ifNull(triage_level, '-'))) FROM encounters) AS places,
      (SELECT groupUniqArray(language) FROM complaints) AS languages,
      (SELECT groupUniqArrayArray(codes) FROM complaints) AS symptom_codes,
      (SELECT groupUniqArray(icd10) FROM diagnoses) AS icd10,
      (SELECT groupUniqArray(concat(kind, ':', set_by)) FROM diagnoses) AS diagnosis_kinds,
      (SELECT groupUniqArray(concat(test_code, ' ', ifNull(loinc, '-'), ' ', unit, ' ', reference_range, ' ', status, ' ', source, ' ', device_id)) FROM lab_results) AS lab_tests,
      (SELECT groupUniqArray(abnormal_flag) FROM lab_results) AS flags`))[0]!
  for (const k of Object.keys(sets)) sets[k]!.sort()
  const [ranges] = await rows<Record<string, number>>(ch, `SELECT
      (SELECT min(birth_year) FROM emr_patients) AS birth_min, (SELECT max(birth_year) FROM emr_patients) AS birth_max,
      (SELECT min(toUnixTimestamp64Milli(start_time)) FROM encounters) AS start_min, (SELECT max(toUnixTimestamp64Milli(end_time)) FROM encounters) AS end_max,
      (SELECT max(dateDiff('hour', start_time, end_time)) FROM encounters) AS longest_hours,
      (SELECT min(numeric_value) FROM lab_results) AS lab_min,
      (SELECT countIf(toString(numeric_value) != value) FROM lab_results) AS lab_text_mismatch,
      (SELECT countIf(abnormal_flag != multiIf(numeric_value < toFloat64(splitByChar('-', reference_range)[1]), 'L', numeric_value > toFloat64(splitByChar('-', reference_range)[2]), 'H', 'N')) FROM lab_results) AS wrong_flags,
      (SELECT countIf(NOT (startsWith(text, 'Жалобы на ') OR startsWith(text, 'Complains of '))) FROM complaints) AS odd_texts,
      (SELECT count() FROM encounters WHERE kind = 'ed_arrival') AS ed_encounters,
      (SELECT uniqExactMerge(arrivals) FROM ed_arrivals_per_hour) AS ed_rollup`)
  return { shares: p!, sets, ranges: ranges! }
}

/** A city in a fresh store, read by `look` (one embedded ClickHouse per process at a time). */
async function city<T>(generator: 'clickhouse' | 'js', seed: string, look: (ch: ClickHouse) => Promise<T>) {
  const dir = mkdtempSync(join(tmpdir(), `neva-city-${generator}-`))
  const ch = await connectClickHouse({ path: join(dir, 'clickhouse') })
  try {
    const report = await writeEmr(ch, { patients: PATIENTS, seed, end: END, telemetryRows: 0, generator, progress: () => {} })
    return { report, seen: await look(ch) }
  } finally {
    await ch.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

test('the ClickHouse generator makes the JavaScript generator\'s city: same tables, codes, ranges and shares', async () => {
  const sql = await city('clickhouse', 'same', profile)
  const js = await city('js', 'same', profile)
  {
    const a = sql.seen
    const b = js.seen
    assert.equal(a.shares.patients, PATIENTS)
    assert.equal(sql.report.encounters, sql.report.complaints)
    assert.equal(sql.report.diagnoses, 2 * sql.report.encounters)
    // Every code from the catalog; the common ones present in both.
    assert.deepEqual(a.sets.sexes, b.sets.sexes)
    assert.deepEqual(a.sets.kinds, b.sets.kinds)
    assert.deepEqual(a.sets.languages, b.sets.languages)
    assert.deepEqual(a.sets.diagnosis_kinds, b.sets.diagnosis_kinds)
    assert.deepEqual(a.sets.flags, b.sets.flags)
    assert.deepEqual(a.sets.sites, [...SITES].sort())
    assert.deepEqual(a.sets.districts, [...DISTRICTS].sort())
    // Ward, kind and triage level go together the same way (the rare combinations may miss in 2,000 patients).
    for (const place of a.sets.places!) assert.ok(b.sets.places!.includes(place), `place ${place} only from ClickHouse`)
    const icd = DISEASES.map((d) => d.icd10)
    for (const code of a.sets.icd10!) assert.ok(icd.includes(code), code)
    assert.ok(a.sets.icd10!.length >= icd.length - 2, `${a.sets.icd10!.length} of ${icd.length} diagnoses`)
    const symptomCodes: string[] = Object.values(SYMPTOMS).map((s) => s.code)
    for (const code of a.sets.symptom_codes!) assert.ok(symptomCodes.includes(code), code)
    // Each test's LOINC, unit and range as the JS generator writes them (identical strings).
    for (const t of a.sets.lab_tests!) assert.ok(b.sets.lab_tests!.includes(t), `lab ${t} only from ClickHouse`)
    assert.equal(a.sets.lab_tests!.length, Object.keys(LAB_NORMALS).length)
    // Ranges: birth years, two years of record, stays of at most ten days, no negative lab.
    assert.ok(a.ranges.birth_min! >= 2026 - 100 && a.ranges.birth_max! <= 2026, JSON.stringify(a.ranges))
    assert.ok(a.ranges.start_min! >= END - 2 * 365.25 * 86_400_000 && a.ranges.end_max! <= END + 10 * 86_400_000)
    assert.ok(a.ranges.longest_hours! <= 240 && a.ranges.lab_min! >= 0)
    for (const r of [a.ranges, b.ranges]) {
      assert.equal(r.lab_text_mismatch, 0)
      assert.equal(r.wrong_flags, 0)
      assert.equal(r.odd_texts, 0)
      assert.equal(r.ed_rollup, r.ed_encounters, 'the ED rollup counts each ED encounter once')
    }
    // Shares: both cities are fixed (seeded), so this passes or fails the same every run; each
    // tolerance is at least three standard errors of the difference of two independent samples
    // (2,000 patients, ~6,500 encounters, ~900 of them in the ED, ~15,500 labs): 10 % of a mean
    // per patient, 0.05 for a share of patients, 0.06 for a share of ED arrivals, 0.04 otherwise.
    const shareTolerance: Record<string, number> = { female: 0.05, red: 0.06 }
    for (const [k, v] of Object.entries(b.shares)) {
      const w = a.shares[k]!
      const tolerance = k.endsWith('per_patient') || k === 'mean_age' ? 0.1 * v : shareTolerance[k] ?? 0.04
      assert.ok(Math.abs(w - v) <= tolerance, `${k}: ClickHouse ${w}, JavaScript ${v}`)
    }
  }
})

test('the ClickHouse generator: the same seed gives the same rows; another seed, others', async () => {
  const digest = async (ch: ClickHouse) => (await rows<Record<string, string>>(ch, `SELECT
      (SELECT groupBitXor(cityHash64(patient_id, birth_year, sex, district, updated_time)) FROM emr_patients) AS patients,
      (SELECT groupBitXor(cityHash64(encounter_id, kind, site, ward, triage_level, start_time, end_time)) FROM encounters) AS encounters,
      (SELECT groupBitXor(cityHash64(complaint_id, time, text, codes)) FROM complaints) AS complaints,
      (SELECT groupBitXor(cityHash64(diagnosis_id, icd10, kind, author_id, time)) FROM diagnoses) AS diagnoses,
      (SELECT groupBitXor(cityHash64(seq, order_id, test_code, value, abnormal_flag, result_time)) FROM lab_results) AS labs`))[0]!
  const one = await city('clickhouse', 'twice', digest)
  const two = await city('clickhouse', 'twice', digest)
  const other = await city('clickhouse', 'other', digest)
  assert.deepEqual(one.seen, two.seen)
  assert.deepEqual(one.report, { ...two.report, seconds: one.report.seconds })
  for (const [k, v] of Object.entries(one.seen)) assert.notEqual(other.seen[k], v, k)
})
