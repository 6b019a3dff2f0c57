// The simulated analyzer writes to one end of a socat pseudo-terminal pair; the other end is
// read by the E1381 receiver machine and the E1394 decoder of firmware-adapters, as the
// gateway does (the gateway itself is tested in edge/src/sources/astm-protocol.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { AstmReceiver, decodeAstmMessage, type LabResultDraft } from '@neva/firmware-adapters'
import { AstmAnalyzer } from './astm-analyzer.js'
import { startPtyPair } from './pty.js'

async function until(what: string, check: () => boolean, timeoutMs = 20_000, show: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${JSON.stringify(show())}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A laboratory system on the other end: ACKs frames, decodes each message, keeps the results. */
async function lis(path: string) {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  port.on('error', () => {})
  const rx = new AstmReceiver()
  const results: LabResultDraft[] = []
  const specimens = new Map<string, number>()
  const write = (bytes: Uint8Array[]) => bytes.forEach((b) => port.write(Buffer.from(b)))
  port.on('data', (chunk: Buffer) => {
    const out = rx.receive(chunk, Date.now())
    write(out.write)
    for (const m of out.messages) {
      const d = decodeAstmMessage(m.bytes, { deviceId: 'chem-sim', receivedTime: Date.now() })
      assert.deepEqual(d.problems, [])
      const id = d.labResults[0]!.order_id!
      // A message resent after a lost ACK arrives twice; the gateway's outbox keeps it once.
      if (!specimens.has(id)) results.push(...d.labResults)
      specimens.set(id, (specimens.get(id) ?? 0) + 1)
      write(rx.ack(m.id, true, Date.now()).write)
    }
  })
  const timer = setInterval(() => write(rx.tick(Date.now()).write), 100)
  return {
    results,
    specimens,
    close: async () => {
      clearInterval(timer)
      if (port.isOpen) await new Promise<void>((r) => port.close(() => r()))
    },
  }
}

test('results follow the patients: a septic patient has high lactate and CRP, a stable one normal values, all acknowledged', async () => {
  const pair = await startPtyPair()
  const host = await lis(pair.b)
  const analyzer = new AstmAnalyzer({
    path: pair.a,
    intervalMs: 150,
    maxMessages: 6,
    patients: [
      { id: 'p-sepsis', scenario: 'sepsis', seed: 3, onsetS: 0, courseS: 60 },
      { id: 'p-stable', scenario: 'stable', seed: 4 },
    ],
    timeScale: 200,
  })
  await analyzer.start()
  await until('six messages acknowledged', () => analyzer.stats().acked === 6, 20_000, () => analyzer.stats())
  const stats = analyzer.stats()
  assert.deepEqual([stats.produced, stats.sent, stats.acked, stats.resent, stats.queued, stats.framesResent, stats.connected], [6, 6, 6, 0, 0, 0, true])
  assert.equal(host.results.length, 36)
  assert.deepEqual([...new Set(host.results.map((r) => `${r.test_code} ${r.loinc} ${r.unit}`))], [
    'GLU 2345-7 mmol/L', 'LACT 2524-7 mmol/L', 'K 2823-3 mmol/L', 'NA 2951-2 mmol/L', 'CREA 2160-0 umol/L', 'CRP 1988-5 mg/L',
  ])
  const last = (patient: string, code: string) => host.results.filter((r) => r.patient_id === patient && r.test_code === code).at(-1)!
  assert.ok(last('p-sepsis', 'LACT').numeric_value! > 4, `septic lactate ${last('p-sepsis', 'LACT').value}`)
  assert.ok(last('p-sepsis', 'CRP').numeric_value! > 100)
  assert.equal(last('p-sepsis', 'LACT').abnormal_flag, 'H')
  assert.ok(last('p-stable', 'LACT').numeric_value! < 2.2)
  assert.ok(last('p-stable', 'NA').numeric_value! >= 130 && last('p-stable', 'NA').numeric_value! <= 150)
  for (const r of host.results) {
    const [low, high] = r.reference_range.split('-').map(Number) as [number, number]
    assert.equal(r.abnormal_flag, r.numeric_value! > high ? 'H' : r.numeric_value! < low ? 'L' : 'N', `${r.test_code} ${r.value} ${r.reference_range}`)
    assert.equal(r.status, 'F')
    assert.ok(r.result_time !== null && Math.abs(r.result_time - Date.now()) < 60_000)
  }
  await analyzer.stop()
  await host.close()
  await pair.stop()
})

test('results are held while the cable is out and sent when it is back; nothing is lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-pty-'))
  // The analyzer starts with no port at all: it runs, and queues.
  const analyzer = new AstmAnalyzer({ path: join(dir, 'a'), intervalMs: 100, maxMessages: 12, randomPatients: 2, seed: 9, sender: { abortRetryMs: 200, busyRetryMs: 200 } })
  await analyzer.start()
  await until('results queued', () => analyzer.stats().produced >= 4)
  assert.deepEqual([analyzer.stats().acked, analyzer.stats().connected], [0, false])

  let pair = await startPtyPair({ dir })
  let host = await lis(pair.b)
  await until('some acknowledged', () => analyzer.stats().acked >= 3, 20_000, () => analyzer.stats())
  // Pull the cable: the transfer in progress is lost, the analyzer keeps its results.
  await host.close()
  await pair.stop()
  const seen = new Map(host.specimens)
  await until('the analyzer sees the port gone', () => !analyzer.stats().connected)
  await until('all produced', () => analyzer.stats().produced === 12)
  assert.ok(analyzer.stats().queued > 0)
  assert.ok(!existsSync(join(dir, 'a')))

  pair = await startPtyPair({ dir })
  host = await lis(pair.b)
  await until('all acknowledged', () => analyzer.stats().acked === 12, 30_000, () => analyzer.stats())
  const all = new Set([...seen.keys(), ...host.specimens.keys()])
  assert.equal(all.size, 12, 'every specimen reached the laboratory system')
  assert.deepEqual([...analyzer.delivered].sort(), [...all].sort())
  const stats = analyzer.stats()
  assert.deepEqual([stats.produced, stats.sent, stats.acked, stats.queued, stats.dropped], [12, 12, 12, 0, 0])
  await analyzer.stop()
  await host.close()
  await pair.stop()
})
