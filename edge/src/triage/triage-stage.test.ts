import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ModelVerdict } from '@neva/contracts'
import { SqliteOutbox } from '../outbox/sqlite-outbox.js'
import { TriageStage, type ModelScorer, type ScoredObservation } from './triage-stage.js'

const reading = (name: ScoredObservation['name'], value: number, t: number): ScoredObservation => ({ patient_id: 'p1', name, value, device_time: t, flags: [] })

/** A scorer whose verdicts the test chooses, or that fails like a dying worker. */
class Scripted implements ModelScorer {
  next: ModelVerdict | Error | null = null
  observe(): void {}
  async verdict(): Promise<ModelVerdict | null> {
    if (this.next instanceof Error) throw this.next
    return this.next
  }
}

const verdict = (level: ModelVerdict['level']): ModelVerdict => ({ id: 'm', version: '7', level, probabilities: { green: 0.1, yellow: 0.1, red: 0.8 }, drivers: [] })

test('the model escalates, never de-escalates; when it fails NEWS2 scores alone and says so', async () => {
  const outbox = new SqliteOutbox({ path: join(mkdtempSync(join(tmpdir(), 'neva-stage-')), 'o.db'), gatewayId: 'gw' })
  const model = new Scripted()
  const results: Array<{ level: string; model_version: string; model?: ModelVerdict | null; news2: { level: string } }> = []
  const stage = new TriageStage({ outbox, model, onResult: (r) => results.push(r) })
  const t = Date.now()

  model.next = verdict('red')
  await stage.consume([reading('respiratory_rate', 16, t), reading('spo2', 97, t)])
  assert.deepEqual([results[0]!.level, results[0]!.news2.level, results[0]!.model_version], ['red', 'green', 'm@7'])

  // NEWS2 red (respiratory rate 30 scores 3, SpO2 88 scores 3, …), the model says green: red stays.
  model.next = verdict('green')
  await stage.consume([reading('respiratory_rate', 30, t + 1000), reading('spo2', 88, t + 1000), reading('pulse_rate', 140, t + 1000)])
  assert.deepEqual([results[1]!.level, results[1]!.news2.level, results[1]!.model?.level], ['red', 'red', 'green'])

  // The worker died: the result still comes, from NEWS2, naming no model.
  model.next = new Error('worker exited')
  await stage.consume([reading('respiratory_rate', 18, t + 2000), reading('spo2', 96, t + 2000), reading('pulse_rate', 80, t + 2000)])
  assert.deepEqual([results[2]!.level, results[2]!.model, results[2]!.model_version], [results[2]!.news2.level, null, 'news2-rcp-2017'])
  assert.equal(outbox.stats().depth, 3)
  await outbox.close()
})

test("the gateway's snapshot shows the final level of each patient, with the model's verdict", async () => {
  const outbox = new SqliteOutbox({ path: join(mkdtempSync(join(tmpdir(), 'neva-stage-')), 'o.db'), gatewayId: 'gw' })
  const model = new Scripted()
  const stage = new TriageStage({ outbox, model })
  model.next = verdict('red')
  await stage.consume([reading('respiratory_rate', 16, Date.now())])
  const [p] = stage.snapshot()
  assert.deepEqual([p!.level, p!.news2.level, p!.model?.level], ['red', 'green', 'red'])
  await outbox.close()
})
