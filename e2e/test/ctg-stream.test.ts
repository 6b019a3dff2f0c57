// Real CTG, sample for sample: CTU-UHB records (../shared/fixtures/real/ctg, skipped when absent)
// sent as a central station sends them — ORU^R01 with FHR and UC as NA arrays, over MLLP to a
// real gateway, its outbox and uplink, the core, embedded ClickHouse — and every stored sample of
// both signals compared with the record's own integers (FHR and UC at gain 100: 0.01 per count).
// Then simulated patterns: classified live at the edge, the verdict and (pathological) the alarm
// reaching the core.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BoardStore } from '@neva/analytics'
import { readWfdbRecord } from '@neva/firmware-adapters'
import { ctgOruMessages, ctgTraceFromRecord, sendCtgMllp, simulateCtg } from '@neva/simulators'
import { startTestCore, startTestGateway } from './helpers.js'

const REAL = fileURLToPath(new URL('../../../shared/fixtures/real/ctg/', import.meta.url))
const skip = existsSync(REAL) ? false : 'no ../shared/fixtures/real/ctg'
const ctgCore = await startTestCore({ 'gw-ctg': 'tok-ctg' })
const core = skip ? undefined : ctgCore
after(() => ctgCore.close())

interface Row { lead: string; signal_kind: string; unit: string; t: string | number; samples: number[]; resolution_uv: number; sample_rate_hz: number }

for (const record of ['1001', '1004']) {
  test(`CTU-UHB ${record}: FHR and UC through HL7/MLLP, the gateway and the core, stored sample for sample`, { skip, timeout: 300_000 }, async () => {
    const r = readWfdbRecord(`${REAL}${record}.hea`)
    assert.ok(r.ok)
    const gateway = await startTestGateway('gw-ctg', core!.url, 'tok-ctg', undefined, { mllp: { port: 0 } })
    const patientId = `mother.${record}`
    try {
      const { messages, startTime, samples } = ctgOruMessages(ctgTraceFromRecord(r.record), { patientId, deviceId: `fm-${record}` })
      assert.equal(samples, r.record.samplesPerSignal)
      const acks = await sendCtgMllp('127.0.0.1', gateway.mllpPort!, messages)
      assert.deepEqual(new Set(acks), new Set(['AA']))
      await gateway.drain(120_000)
      const rows = await (await core!.clickhouse.client.query({
        query: `SELECT lead, signal_kind, unit, toUnixTimestamp64Milli(start_time) AS t, samples, resolution_uv, sample_rate_hz
          FROM waveforms WHERE patient_id = {p:String} ORDER BY lead, t`,
        query_params: { p: patientId },
        format: 'JSONEachRow',
      })).json<Row>()
      for (const [lead, kind, unit] of [['FHR', 'fhr', 'bpm'], ['UC', 'uc', 'toco']] as const) {
        const stored = rows.filter((x) => x.lead === lead)
        assert.equal(stored.length, messages.length, `${lead}: one chunk per message`)
        stored.forEach((x, k) => {
          assert.deepEqual([x.signal_kind, x.unit, x.sample_rate_hz, x.resolution_uv], [kind, unit, 4, 0.01])
          assert.equal(Number(x.t) - startTime, k * 60_000, `${lead} chunk ${k} starts a minute after the last`)
        })
        const all = stored.flatMap((x) => x.samples)
        const raw: ArrayLike<number> = r.record.signals.find((s) => s.spec.description === lead)!.samples!
        assert.equal(all.length, raw.length)
        for (let i = 0; i < raw.length; i++) if (all[i] !== raw[i]) assert.fail(`${lead} sample ${i}: stored ${all[i]}, record ${raw[i]}`)
      }
      // Classified live on the way: verdicts at the core, the last as `neva ctg classify --sliding` gives it (docs/ctg.md).
      const verdicts = await (await core!.clickhouse.client.query({ query: 'SELECT classification FROM ctg_verdicts WHERE patient_id = {p:String} ORDER BY time', query_params: { p: patientId }, format: 'JSONEachRow' })).json<{ classification: string }>()
      assert.ok(verdicts.length >= 6, `${verdicts.length} verdicts`)
      assert.equal(verdicts.at(-1)!.classification, 'pathological', 'both records end in a bradycardic last 10 min')
      // The ECG board's query does not take a fetal monitor's signals for leads.
      assert.deepEqual(await new BoardStore(core!.clickhouse).ecg([patientId]), {})
    } finally {
      await gateway.stop()
    }
  })
}

for (const [pattern, expected] of [['late-decelerations', 'pathological'], ['normal', 'normal']] as const) {
  test(`simulated ${pattern} through the gateway: classified ${expected} at the edge, the verdict at the core${expected === 'pathological' ? ', the alarm to the ward' : ', no alarm'}`, { timeout: 300_000 }, async () => {
    const gateway = await startTestGateway('gw-ctg', ctgCore.url, 'tok-ctg', undefined, { mllp: { port: 0 } })
    const patientId = `mother.sim.${pattern}`
    try {
      const sim = simulateCtg(pattern, { minutes: 60, seed: 'e2e' })
      const { messages } = ctgOruMessages({ hz: sim.hz, signals: { fhr: sim.fhr, uc: sim.uc } }, { patientId, deviceId: `fm-${pattern}`, location: { pointOfCare: 'LD', bed: '4' } })
      assert.deepEqual(new Set(await sendCtgMllp('127.0.0.1', gateway.mllpPort!, messages)), new Set(['AA']))
      await gateway.drain(120_000)
      const q = async <T>(query: string) => (await ctgCore.clickhouse.client.query({ query, query_params: { p: patientId }, format: 'JSONEachRow' })).json<T>()
      const verdicts = await q<{ classification: string; reasons: string[] }>('SELECT classification, reasons FROM ctg_verdicts WHERE patient_id = {p:String} ORDER BY time')
      assert.ok(verdicts.length >= 1)
      assert.equal(verdicts.at(-1)!.classification, expected, verdicts.at(-1)!.reasons.join('; '))
      const alarms = await q<{ event_name: string; state: string; ward: string; priority: string; event_text: string }>('SELECT event_name, state, ward, priority, event_text FROM alarms WHERE patient_id = {p:String}')
      if (expected === 'pathological') {
        assert.equal(alarms.length, 1)
        assert.deepEqual([alarms[0]!.event_name, alarms[0]!.state, alarms[0]!.ward, alarms[0]!.priority], ['CTG_PATHOLOGICAL', 'active', 'LD', 'high'])
        assert.match(alarms[0]!.event_text, /CTG pathological \(FIGO 2015\): .*repetitive late/)
      } else assert.deepEqual(alarms, [])
    } finally {
      await gateway.stop()
    }
  })
}
