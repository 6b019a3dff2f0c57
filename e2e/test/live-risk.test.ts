// The deterioration risk in live verdicts, end to end: a monitor's ORU^R01 over MLLP (vitals, and
// GCS and lactate as LOINC-coded OBX the gateway stores as lab results) reaches a gateway running
// the shipped risk model; the triage row stored in ClickHouse carries the risk HourlyHistory and
// the model give offline for the same readings, with the model's name and inputs; a restart
// keeps the patient's hours (the histories saved in the data directory).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { encodeOruR01, formatHl7Time } from '@neva/firmware-adapters'
import { DEFAULT_RISK_MANIFEST, FEATURES, FEATURE_SET, HourlyHistory, TriagePool, levelWithRisk, readModelFiles, type HourlyParameter } from '@neva/edge'
import { startTestCore, startTestGateway, sendMllp, tempDir } from './helpers.js'

const core = await startTestCore({ 'gw-live-risk': 'tok-live-risk' })
const offlinePool = new TriagePool({ threads: 1, spec: { featureSet: FEATURE_SET, features: FEATURES } })
after(async () => {
  await offlinePool.close()
  await core.close()
})

const MIN = 60_000
const T0 = Math.floor((Date.now() - 120 * MIN) / 1000) * 1000
const PATIENT = 'icu.risk1'

/** One monitor message: named vitals, then GCS and lactate coded in LOINC (lab results at the gateway). */
function message(id: string, time: number, v: { hr: number; rr: number; sbp: number; temp: number; spo2: number }, coded: Array<[string, string, number, string]>): string {
  const readings = [
    { vital: 'heart_rate' as const, value: v.hr, time }, { vital: 'respiratory_rate' as const, value: v.rr, time },
    { vital: 'nibp_systolic' as const, value: v.sbp, time }, { vital: 'temperature' as const, value: v.temp, time }, { vital: 'spo2' as const, value: v.spo2, time },
  ]
  let m = encodeOruR01({ controlId: id, time, sendingApplication: 'MON', sendingFacility: 'ICU', patientId: PATIENT, equipmentId: 'risk-mon-1', location: { pointOfCare: 'ICU', bed: '1' }, readings })
  coded.forEach(([code, name, value, unit], i) => {
    const n = readings.length + 2 + i
    m += `OBX|${n}|NM|${code}^${name}^LN|1.0.0.${n - 1}|${value}|${unit}^${unit}^UCUM|||||R|||${formatHl7Time(time, 0)}||||risk-mon-1\r`
  })
  return m
}

test('a live triage row carries the risk the model gives offline for the same readings (labs included)', async (t) => {
  const gateway = await startTestGateway('gw-live-risk', core.url, 'tok-live-risk', undefined, { mllp: { port: 0 } })
  try {
    const shipped = await readModelFiles(DEFAULT_RISK_MANIFEST)
    const manifest = await gateway.pool!.installRisk(shipped.manifest, shipped.bytes)
    const acks = await sendMllp(gateway.mllpPort!, [
      message('risk-1', T0, { hr: 112, rr: 22, sbp: 98, temp: 38.4, spo2: 93 }, [['9269-2', 'Glasgow coma score total', 14, '{score}'], ['2524-7', 'Lactate', 2.8, 'mmol/L']]),
      // NEWS2 changes (respiratory rate 28, SpO2 90): a new row is certain, scored from every reading.
      message('risk-2', T0 + 90 * MIN, { hr: 124, rr: 28, sbp: 90, temp: 38.9, spo2: 90 }, [['2524-7', 'Lactate', 4.1, 'mmol/L']]),
    ])
    assert.deepEqual(acks, ['AA', 'AA'])
    await gateway.drain(15_000)
    const rs = await core.clickhouse.client.query({
      query: 'SELECT level, news2_level, model_version, model_risk, model_risk_model, model_risk_inputs, model_risk_sparse FROM triage_results WHERE patient_id = {p:String} ORDER BY seq DESC LIMIT 1',
      query_params: { p: PATIENT },
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ level: string; news2_level: string; model_version: string; model_risk: number | null; model_risk_model: string; model_risk_inputs: string[]; model_risk_sparse: string }>()
    assert.ok(row, 'a triage row is stored')

    // Offline: the same readings in minutes since the first, into HourlyHistory, scored by the same model.
    const h = new HourlyHistory()
    const add = (minute: number, values: Array<[HourlyParameter, number]>) => values.forEach(([parameter, value]) => h.add({ minute, parameter, value }))
    add(0, [['pulse', 112], ['respiratory_rate', 22], ['systolic_bp', 98], ['temperature', 38.4], ['spo2', 93], ['gcs', 14], ['lactate', 2.8]])
    add(90, [['pulse', 124], ['respiratory_rate', 28], ['systolic_bp', 90], ['temperature', 38.9], ['spo2', 90], ['lactate', 4.1]])
    await offlinePool.installRisk(shipped.manifest, shipped.bytes)
    const offline = await offlinePool.risk(Float32Array.from(h.features(90, null)), 1)
    assert.ok(offline)

    assert.ok(row.model_risk !== null, 'the stored row has a risk')
    assert.ok(Math.abs(row.model_risk - offline.risk[0]!) < 1e-6, `stored ${row.model_risk}, offline ${offline.risk[0]}`)
    t.diagnostic(`stored risk ${row.model_risk}, offline ${offline.risk[0]}, level ${row.level} (NEWS2 ${row.news2_level})`)
    assert.equal(row.model_risk_model, `${manifest.id}@${manifest.version}`)
    assert.deepEqual(row.model_risk_inputs, ['gcs', 'lactate', 'pulse', 'respiratory_rate', 'spo2', 'systolic_bp', 'temperature'])
    assert.equal(row.model_risk_sparse, '')
    assert.match(row.model_version, /^triage-lr@/)
    assert.equal(row.level, levelWithRisk(row.news2_level as 'green', { risk: row.model_risk }, manifest.escalation))
  } finally {
    await gateway.stop()
  }
})

test("after a restart the gateway continues a patient's hours from its saved history", async () => {
  const patient = 'icu.risk2'
  const dataDir = tempDir('edge-risk-restart')
  const shipped = await readModelFiles(DEFAULT_RISK_MANIFEST)
  const withPatient = (m: string) => m.replaceAll(`PID|||${PATIENT}`, `PID|||${patient}`)
  const first = await startTestGateway('gw-live-risk', core.url, 'tok-live-risk', dataDir, { mllp: { port: 0 } })
  try {
    await first.pool!.installRisk(shipped.manifest, shipped.bytes)
    await sendMllp(first.mllpPort!, [withPatient(message('restart-1', T0, { hr: 96, rr: 18, sbp: 118, temp: 37.2, spo2: 96 }, [['9269-2', 'Glasgow coma score total', 15, '{score}']]))])
    await first.drain(15_000)
  } finally {
    await first.stop()
  }
  const second = await startTestGateway('gw-live-risk', core.url, 'tok-live-risk', dataDir, { mllp: { port: 0 } })
  try {
    await second.pool!.installRisk(shipped.manifest, shipped.bytes)
    await sendMllp(second.mllpPort!, [withPatient(message('restart-2', T0 + 100 * MIN, { hr: 128, rr: 27, sbp: 94, temp: 38.8, spo2: 91 }, [['2524-7', 'Lactate', 3.6, 'mmol/L']]))])
    await second.drain(15_000)
    const rs = await core.clickhouse.client.query({
      query: 'SELECT model_risk, model_risk_inputs FROM triage_results WHERE patient_id = {p:String} ORDER BY seq DESC LIMIT 1',
      query_params: { p: patient },
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ model_risk: number | null; model_risk_inputs: string[] }>()
    const h = new HourlyHistory()
    const add = (minute: number, values: Array<[HourlyParameter, number]>) => values.forEach(([parameter, value]) => h.add({ minute, parameter, value }))
    add(0, [['pulse', 96], ['respiratory_rate', 18], ['systolic_bp', 118], ['temperature', 37.2], ['spo2', 96], ['gcs', 15]])
    add(100, [['pulse', 128], ['respiratory_rate', 27], ['systolic_bp', 94], ['temperature', 38.8], ['spo2', 91], ['lactate', 3.6]])
    await offlinePool.installRisk(shipped.manifest, shipped.bytes)
    const offline = await offlinePool.risk(Float32Array.from(h.features(100, null)), 1)
    assert.ok(row && row.model_risk !== null && offline)
    // GCS came before the restart: it is among the inputs, and the hours count from the first message.
    assert.ok(row.model_risk_inputs.includes('gcs'))
    assert.ok(Math.abs(row.model_risk - offline.risk[0]!) < 1e-6, `stored ${row.model_risk}, offline ${offline.risk[0]}`)
  } finally {
    await second.stop()
  }
})
