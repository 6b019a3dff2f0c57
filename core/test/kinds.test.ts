// Every record kind of the registry is counted by the core's per-kind row counter, transports too.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IngestBatch, Transport } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'

const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-kinds-')) },
  gateways: { 'gw-k': hashToken('secret-gw-k') },
  gatewaySites: { 'gw-k': ['city-1'] },
  metricsTokens: { prometheus: hashToken('metrics-token') },
  logLevel: 'silent',
  bodyLimit: 8 * 1024 * 1024,
})
after(() => core.close())

test('transports stored are counted in neva_core_ingest_rows_total{kind="transports"}', async () => {
  const now = Date.now()
  const transport: Transport = { gateway_id: 'gw-k', seq: 1, unit: 'amb-1', patient_id: 'p-k', destination_site: 'city-1', state: 'en_route', eta: now + 600_000, updated_time: now, received_time: now }
  const batch: IngestBatch = { gateway_id: 'gw-k', batch_id: 'k-1', sent_time: now, observations: [], triage: [], rejected: [], transports: [transport] }
  const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer secret-gw-k' }, body: JSON.stringify(batch) })
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { batch_id: 'k-1', stored: true, observations: 0, triage: 0, rejected: 0, lab_results: 0, waveforms: 0, alarms: 0, transports: 1, infusion_events: 0, ctg_verdicts: 0 })
  const metrics = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text()
  assert.match(metrics, /neva_core_ingest_rows_total\{kind="transports"\} 1\b/)
  assert.match(metrics, /neva_core_ingest_rows_total\{kind="alarms"\} 0\b/)
})
