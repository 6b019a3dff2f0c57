// Real ECG, sample for sample: WFDB recordings (../shared/fixtures/real/ecg, skipped when absent)
// streamed through the ambulance's ECG path — MQTT chunks to a real gateway, its outbox and
// uplink, the core, embedded ClickHouse — and every stored sample of every lead compared with
// the decoded recording. Stored: the record's integers (ADC − baseline) and µV per count from
// its gain (5 µV for 200 adu/mV, 0.5 µV for 2000), both exact.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readWfdbRecord } from '@neva/firmware-adapters'
import { ecgRecordLeads, streamEcgRecord } from '@neva/simulators'
import { startTestCore, startTestGateway } from './helpers.js'

const REAL = fileURLToPath(new URL('../../../shared/fixtures/real/ecg/', import.meta.url))
const skip = existsSync(REAL) ? false : 'no ../shared/fixtures/real/ecg'
const core = skip ? undefined : await startTestCore({ 'gw-wfdb': 'tok-wfdb' })
after(() => core?.close())

interface Row { lead: string; t: string | number; samples: number[]; resolution_uv: number; sample_rate_hz: number; mdc_code: number }

async function streamAndCompare(file: string, patientId: string, seconds?: number) {
  const r = readWfdbRecord(REAL + file)
  assert.ok(r.ok)
  const gateway = await startTestGateway('gw-wfdb', core!.url, 'tok-wfdb')
  try {
    const report = await streamEcgRecord({ brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`, ambulanceId: 'rec', patientId, record: r.record, timeScale: Infinity, ...(seconds === undefined ? {} : { seconds }) })
    assert.equal(report.unacknowledged, 0)
    await gateway.drain(120_000)
    const rows = await (await core!.clickhouse.client.query({
      query: 'SELECT lead, toUnixTimestamp64Milli(start_time) AS t, samples, resolution_uv, sample_rate_hz, mdc_code FROM waveforms WHERE patient_id = {p:String} ORDER BY lead, t',
      query_params: { p: patientId },
      format: 'JSONEachRow',
    })).json<Row>()
    const { leads } = ecgRecordLeads(r.record)
    const n = report.samplesPerLead
    const compared: Record<string, number> = {}
    for (const l of leads) {
      const stored = rows.filter((x) => x.lead.toLowerCase() === l.lead.toLowerCase())
      // Chunks join end to end: one a second from the first sample's time.
      stored.forEach((x, k) => assert.equal(Number(x.t) - report.startTime, k * 1000, `${l.lead} chunk ${k}`))
      for (const x of stored) assert.deepEqual([x.sample_rate_hz, x.resolution_uv], [r.record.header.samplingHz, l.resolutionUv])
      const all = stored.flatMap((x) => x.samples)
      assert.equal(all.length, n, `${l.lead}: ${all.length} samples stored of ${n}`)
      for (let i = 0; i < n; i++) if (all[i] !== l.samples[i]) assert.fail(`${l.lead} sample ${i}: stored ${all[i]}, recording ${l.samples[i]}`)
      compared[l.lead] = all.length
    }
    return { report, compared, rows: rows.length }
  } finally {
    await gateway.stop()
  }
}

test('MIT-BIH 100, the whole 30 min: 2 leads (MLII, V5) at 360 Hz stored sample for sample', { skip, timeout: 600_000 }, async () => {
  const { report, compared, rows } = await streamAndCompare('100.hea', 'rec.100')
  assert.deepEqual(report.leads, ['MLII', 'V5'])
  assert.deepEqual(compared, { MLII: 650_000, V5: 650_000 })
  assert.equal(rows, 2 * 1806)
})

test('PTB s0010_re: the 12 leads its files hold at 1000 Hz, sample for sample (vx, vy, vz: their file is not in the fixtures)', { skip, timeout: 600_000 }, async () => {
  const { report, compared } = await streamAndCompare('s0010_re.hea', 'rec.s0010')
  assert.equal(Object.keys(compared).length, 12)
  assert.ok(Object.values(compared).every((n) => n === 38_400))
  assert.deepEqual(report.skipped, ['vx: its file was not read', 'vy: its file was not read', 'vz: its file was not read'])
})

test('a103l: its gain (7247 adu/mV) is not exact in whole nanovolts, and PLETH is no voltage: refused by name, not rounded', { skip }, () => {
  const r = readWfdbRecord(`${REAL}a103l.hea`)
  assert.ok(r.ok)
  assert.throws(() => ecgRecordLeads(r.record), /II: 7247 adu\/mV is 137\.98.* nV per count, not exact/)
})
