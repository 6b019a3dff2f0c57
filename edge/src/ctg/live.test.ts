// Live CTG at the edge: simulated traces, chunk by chunk as a monitor sends them, classified over
// the sliding window every minute of trace; verdicts kept on change, an alarm raised once when
// pathological and ended when the trace no longer is.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Alarm, CtgVerdict, validator, type KindDraft } from '@neva/contracts'
import { simulateCtg, type CtgPattern } from '@neva/simulators'
import type { Decoded } from '@neva/firmware-adapters'
import type { Outbox, OutboxEntry } from '../outbox/types.js'
import { CtgStage } from './live.js'

const T0 = Date.UTC(2026, 11, 3, 8)

function fakeOutbox(): { outbox: Outbox; entries: OutboxEntry[] } {
  const entries: OutboxEntry[] = []
  return { entries, outbox: { append: async (e: OutboxEntry[]) => { entries.push(...e); return e.map((_, i) => entries.length + i) } } as unknown as Outbox }
}

/** One message a minute: FHR and UC drafts of 240 samples (0.01 per count). */
function messages(pattern: CtgPattern, startMin: number, minutes: number, seed = 's'): Decoded[] {
  const sim = simulateCtg(pattern, { minutes, seed })
  const out: Decoded[] = []
  for (let m = 0; m < minutes; m++) {
    const start = T0 + (startMin + m) * 60_000
    const draft = (lead: string, kind: 'fhr' | 'uc', v: number[]): KindDraft<'waveform'> => ({
      device_id: 'fm-1', patient_id: 'mother-1', lead, mdc_code: 0, start_time: start, sample_rate_hz: 4, resolution_uv: 0.01,
      samples: v.slice(m * 240, (m + 1) * 240).map((x) => Math.round(x * 100)), received_time: start + 60_000, signal_kind: kind, unit: kind === 'fhr' ? 'bpm' : 'toco',
    })
    out.push({ source: 'hl7v2', deviceId: 'fm-1', patientId: 'mother-1', observations: [], waveforms: [draft('FHR', 'fhr', sim.fhr), draft('UC', 'uc', sim.uc)], problems: [], location: { pointOfCare: 'LD', bed: '3' } } as Decoded)
  }
  return out
}

const verdictOk = validator(CtgVerdict)
const alarmOk = validator(Alarm)

test('a normal trace: a verdict at 10 min, kept every 10 min, never an alarm', async () => {
  const { outbox, entries } = fakeOutbox()
  const ctg = new CtgStage({ outbox, now: () => T0 })
  for (const d of messages('normal', 0, 40)) await ctg.consume(d)
  const verdicts = entries.filter((e) => e.kind === 'ctg_verdict').map((e) => e.body as KindDraft<'ctg_verdict'>)
  assert.equal(ctg.counts.classified, 31, 'every minute from the 10th')
  assert.deepEqual(verdicts.map((v) => v.classification), ['normal', 'normal', 'normal', 'normal'])
  assert.deepEqual(verdicts.map((v) => (v.time - T0) / 60_000), [10, 20, 30, 40])
  for (const v of verdicts) assert.equal(verdictOk.explain({ ...v, gateway_id: 'gw', seq: 1 }), undefined)
  assert.equal(entries.filter((e) => e.kind === 'alarm').length, 0)
})

test('late decelerations: pathological with its reasons, one alarm to the ward; back to normal ends it', async () => {
  const { outbox, entries } = fakeOutbox()
  const ctg = new CtgStage({ outbox, now: () => T0 })
  for (const d of [...messages('late-decelerations', 0, 60), ...messages('normal', 60, 60)]) await ctg.consume(d)
  const verdicts = entries.filter((e) => e.kind === 'ctg_verdict').map((e) => e.body as KindDraft<'ctg_verdict'>)
  const first = verdicts.find((v) => v.classification === 'pathological')
  assert.ok(first, verdicts.map((v) => v.classification).join())
  assert.match(first.reasons.join('; '), /repetitive late/)
  assert.ok(first.late_decelerations >= 3)
  const alarms = entries.filter((e) => e.kind === 'alarm').map((e) => e.body as KindDraft<'alarm'>)
  assert.deepEqual(alarms.map((a) => [a.state, a.event_name, a.ward, a.bed, a.alarm_id]), [['active', 'CTG_PATHOLOGICAL', 'LD', '3', 'fm-1/ctg-figo'], ['inactive', 'CTG_PATHOLOGICAL', 'LD', '3', 'fm-1/ctg-figo']])
  for (const a of alarms) assert.equal(alarmOk.explain({ ...a, gateway_id: 'gw', seq: 1 }), undefined)
  assert.notEqual(verdicts.at(-1)!.classification, 'pathological')
  assert.ok(verdicts.at(-1)!.minutes <= 60, 'the window, not the whole trace')
})

test('a chunk missing in the middle is a gap, not a shift; older chunks than the window are ignored', async () => {
  const { outbox, entries } = fakeOutbox()
  const ctg = new CtgStage({ outbox, now: () => T0 })
  const all = messages('normal', 0, 30)
  for (const [i, d] of all.entries()) if (i !== 12) await ctg.consume(d)
  const last = entries.filter((e) => e.kind === 'ctg_verdict').at(-1)!.body as KindDraft<'ctg_verdict'>
  assert.equal(last.minutes, 30)
  assert.ok(last.signal_loss_pct >= 3, `a lost minute of 30: ${last.signal_loss_pct}%`)
  assert.equal(last.baseline_bpm, 140)
})

test('a finding at the window edge does not raise and end the alarm minute after minute (clearAfter)', async () => {
  const run = async (clearAfter: number) => {
    const { outbox, entries } = fakeOutbox()
    const ctg = new CtgStage({ outbox, now: () => T0, clearAfter })
    for (const d of messages('late-decelerations', 0, 30, '1')) await ctg.consume(d)
    return entries.filter((e) => e.kind === 'alarm').map((e) => (e.body as KindDraft<'alarm'>).state)
  }
  const flapping = await run(1)
  assert.ok(flapping.length > 1, `without it the alarm flaps: ${flapping.join()}`)
  assert.deepEqual(await run(5), ['active'])
})
