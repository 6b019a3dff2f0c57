// neva sim ctg: a simulated pattern sent to a real gateway's HL7 listener as a central station
// does; the gateway acknowledges every message, stores the chunks and classifies them live. The
// core is unreachable here: the gateway keeps everything in its outbox, as it would.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import { run } from '../src/commands/sim.js'

test('neva sim ctg --pattern late-decelerations: every message AA, classified pathological at the gateway', { timeout: 120_000 }, async (t) => {
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-sim-ctg', data_dir: mkdtempSync(join(tmpdir(), 'neva-sim-ctg-')), mqtt: { port: 0 }, api: { port: 0 }, mllp: { port: 0 },
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000, backoff_max_ms: 5000 }, triage: { sync_interval_ms: 0 }, log_level: 'silent',
  }), () => {})
  t.after(() => gateway.stop())
  const out: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((s: string) => { out.push(String(s)); return true }) as typeof process.stdout.write
  let code: number
  try {
    code = await run(['ctg', '--mllp', `127.0.0.1:${gateway.mllpPort}`, '--pattern', 'late-decelerations', '--minutes', '30', '--patient-id', 'mother.cli', '--ward', 'LD'])
  } finally {
    process.stdout.write = write
  }
  assert.equal(code, 0)
  assert.match(out.join(''), /30 CTG messages \(7200 samples per signal, 30\.0 min\) sent to 127\.0\.0\.1:\d+: 30 AA, 0 not AA/)
  await new Promise((r) => setTimeout(r, 200))
  assert.equal(gateway.ctg.latest('mother.cli', 'fm-1'), 'pathological')
  assert.equal(gateway.ctg.counts.alarms, 1)
})
