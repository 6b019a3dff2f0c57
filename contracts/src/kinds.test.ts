// The kind registry builds the ingest batch and its ack: the wire format stays what it was.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IngestAck, IngestBatch } from './batch.js'
import { DECODED_KIND_NAMES, KIND_CAMEL_FIELDS, KIND_NAMES, RECORD_KINDS } from './kinds.js'
import { validator } from './validate.js'

const FIRST = ['observations', 'triage', 'rejected']
const BEFORE_REGISTRY = ['observation', 'triage', 'rejected', 'lab_result', 'waveform', 'alarm', 'transport']

test('IngestBatch and IngestAck: the same fields and optionality as before the registry; kinds added since are optional', () => {
  assert.deepEqual(Object.keys(IngestBatch.properties).slice(0, 3), ['gateway_id', 'batch_id', 'sent_time'])
  assert.deepEqual(Object.keys(IngestBatch.properties).slice(3), KIND_NAMES.map((k) => RECORD_KINDS[k].field))
  assert.deepEqual(IngestBatch.required, ['gateway_id', 'batch_id', 'sent_time', ...FIRST])
  assert.equal(IngestBatch.additionalProperties, false)
  assert.deepEqual(Object.keys(IngestAck.properties), ['batch_id', 'stored', ...KIND_NAMES.map((k) => RECORD_KINDS[k].field)])
  assert.deepEqual(IngestAck.required, ['batch_id', 'stored', ...FIRST, 'lab_results', 'waveforms'])
  for (const kind of KIND_NAMES) assert.equal(IngestBatch.properties[RECORD_KINDS[kind].field].maxItems, 10_000)
  // Older gateways and cores do not know a kind added later: it must be optional both ways.
  for (const kind of KIND_NAMES.filter((k) => !BEFORE_REGISTRY.includes(k))) {
    assert.ok(RECORD_KINDS[kind].optionalInBatch && RECORD_KINDS[kind].optionalInAck, `${kind} must be optional in IngestBatch and IngestAck`)
  }
})

test('a batch from a gateway older than the added kinds is accepted; an unknown field is not', () => {
  const check = validator(IngestBatch)
  const old = { gateway_id: 'gw-1', batch_id: 'e-1', sent_time: 1, observations: [], triage: [], rejected: [] }
  assert.equal(check.explain(old), undefined)
  assert.equal(check.check({ ...old, transports: [], alarms: [], lab_results: [], waveforms: [] }), true)
  assert.equal(check.check({ ...old, not_a_kind: [] }), false)
  const { rejected: _, ...missing } = old
  assert.equal(check.check(missing), false)
})

test('the registry: outbox priorities, camelCased fields and the decoded kinds as they were', () => {
  // Their order is the wire's and the outbox's: kinds are added at the end.
  assert.deepEqual(KIND_NAMES.slice(0, BEFORE_REGISTRY.length), BEFORE_REGISTRY)
  const pick = <T>(m: Record<string, T>) => Object.fromEntries(BEFORE_REGISTRY.map((k) => [k, m[k]]))
  assert.deepEqual(pick(Object.fromEntries(KIND_NAMES.map((k) => [k, RECORD_KINDS[k].priority]))), { alarm: 2, triage: 2, rejected: 1, lab_result: 1, transport: 1, observation: 0, waveform: 0 })
  assert.deepEqual(pick(KIND_CAMEL_FIELDS), { observation: 'observations', triage: 'triage', rejected: 'rejected', lab_result: 'labResults', waveform: 'waveforms', alarm: 'alarms', transport: 'transports' })
  assert.deepEqual(DECODED_KIND_NAMES.slice(0, 5), ['observation', 'lab_result', 'waveform', 'alarm', 'transport'])
  assert.equal(new Set(KIND_NAMES.map((k) => RECORD_KINDS[k].table)).size, KIND_NAMES.length)
})
