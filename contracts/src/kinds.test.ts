// The kind registry builds the ingest batch and its ack: the wire format stays what it was.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IngestAck, IngestBatch } from './batch.js'
import { DECODED_KIND_NAMES, KIND_CAMEL_FIELDS, KIND_NAMES, RECORD_KINDS } from './kinds.js'
import { validator } from './validate.js'

test('IngestBatch and IngestAck: the same fields and optionality as before the registry', () => {
  assert.deepEqual(Object.keys(IngestBatch.properties).sort(), ['alarms', 'batch_id', 'gateway_id', 'lab_results', 'observations', 'rejected', 'sent_time', 'transports', 'triage', 'waveforms'])
  assert.deepEqual(IngestBatch.required, ['gateway_id', 'batch_id', 'sent_time', 'observations', 'triage', 'rejected'])
  assert.equal(IngestBatch.additionalProperties, false)
  assert.deepEqual(Object.keys(IngestAck.properties).sort(), ['alarms', 'batch_id', 'lab_results', 'observations', 'rejected', 'stored', 'transports', 'triage', 'waveforms'])
  assert.deepEqual(IngestAck.required, ['batch_id', 'stored', 'observations', 'triage', 'rejected', 'lab_results', 'waveforms'])
  for (const kind of KIND_NAMES) assert.equal(IngestBatch.properties[RECORD_KINDS[kind].field].maxItems, 10_000)
})

test('a batch from a gateway older than the added kinds is accepted; an unknown field is not', () => {
  const check = validator(IngestBatch)
  const old = { gateway_id: 'gw-1', batch_id: 'e-1', sent_time: 1, observations: [], triage: [], rejected: [] }
  assert.equal(check.explain(old), undefined)
  assert.equal(check.check({ ...old, transports: [], alarms: [], lab_results: [], waveforms: [] }), true)
  assert.equal(check.check({ ...old, infusions: [] }), false)
  const { rejected: _, ...missing } = old
  assert.equal(check.check(missing), false)
})

test('the registry: outbox priorities, camelCased fields and the decoded kinds as they were', () => {
  assert.deepEqual(KIND_NAMES, ['observation', 'triage', 'rejected', 'lab_result', 'waveform', 'alarm', 'transport'])
  assert.deepEqual(Object.fromEntries(KIND_NAMES.map((k) => [k, RECORD_KINDS[k].priority])), { alarm: 2, triage: 2, rejected: 1, lab_result: 1, transport: 1, observation: 0, waveform: 0 })
  assert.deepEqual(KIND_CAMEL_FIELDS, { observation: 'observations', triage: 'triage', rejected: 'rejected', lab_result: 'labResults', waveform: 'waveforms', alarm: 'alarms', transport: 'transports' })
  assert.deepEqual(DECODED_KIND_NAMES, ['observation', 'lab_result', 'waveform', 'alarm', 'transport'])
  assert.equal(new Set(KIND_NAMES.map((k) => RECORD_KINDS[k].table)).size, KIND_NAMES.length)
})
