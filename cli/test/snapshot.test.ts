// Snapshot triage (emergency-like single lines with an outcome): the parser names bad lines, the
// escalation chosen keeps the false flags it adds within budget and never lowers NEWS2, and
// `neva model snapshots` + `neva model eval --snapshot --json` on 200 stays of set A.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { chooseEscalation, parseSnapshots, summarize, VISITS } from '../src/model/snapshot.js'

const DATA = fileURLToPath(new URL('../../../shared/data/physionet-2012/', import.meta.url))
const noData = existsSync(join(DATA, 'set-a.tar.gz')) ? false : 'no ../shared/data/physionet-2012'
const root = join(import.meta.dirname, '..', '..')

test('snapshot lines: outcome required, bad vitals named, each line its own patient', () => {
  const { cases, errors } = parseSnapshots([
    '{"age":70,"pulse":120,"respiratory_rate":26,"systolic_bp":88,"temperature":38.9,"consciousness":"A","outcome":1}',
    '{"pulse":80,"outcome":false}',
    '{"pulse":80}',
    '{"pulse":900,"outcome":0}',
    'nope',
    '',
  ].join('\n'))
  assert.equal(cases.length, 2)
  assert.deepEqual(cases.map((c) => [c.line, c.outcome, c.vitalsPresent]), [[1, 1, 5], [2, 0, 1]])
  assert.equal(cases[0]!.news2Level, 'red')
  assert.deepEqual(errors.map((e) => e.line), [3, 4, 5])
  assert.match(errors[0]!.error, /outcome/)
  assert.match(errors[1]!.error, /pulse: 900/)
})

test('the escalation chosen adds at most its budget of false flags and never lowers NEWS2', () => {
  const line = fc.record({
    outcome: fc.constantFrom(0, 0, 0, 1), pulse: fc.integer({ min: 40, max: 150 }), respiratory_rate: fc.integer({ min: 8, max: 30 }),
    systolic_bp: fc.integer({ min: 80, max: 200 }), temperature: fc.double({ min: 35, max: 40, noNaN: true }), risk: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 8 }), (rows, budget) => {
    const { cases } = parseSnapshots(rows.map(({ risk, ...r }) => JSON.stringify(r)).join('\n'))
    const risk = rows.map((r) => r.risk)
    const e = chooseEscalation(cases, risk, 3, budget)
    const s = summarize(cases, risk, e, 3)
    assert.ok(s.extra_false_flags <= Math.floor((budget * cases.length) / VISITS))
    assert.ok(s.final.flagged.nonEvents >= s.news2.flagged.nonEvents && s.final.flagged.events >= s.news2.flagged.events)
    if (e.yellow !== null && e.red !== null) assert.ok(e.red >= e.yellow)
  }), { numRuns: 200 })
})

test('neva model snapshots and eval --snapshot on 200 stays of set A', { skip: noData }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-snapshot-'))
  try {
    const file = join(dir, 'snap.ndjson')
    const neva = (args: string[]) => promisify(execFile)(join(root, 'bin', 'neva'), args, { maxBuffer: 16 << 20 })
    await neva(['model', 'snapshots', '--physionet2012', join(DATA, 'set-a.tar.gz'), '--outcomes', join(DATA, 'Outcomes-a.txt'), '--patients', '200', '--out', file])
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(lines.length, 200)
    assert.ok(lines.every((l) => !('spo2' in l) && (l.outcome === 0 || l.outcome === 1)))
    const { stdout } = await neva(['model', 'eval', '--snapshot', file, '--json'])
    assert.match(stdout, /AUROC +model\.risk/)
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { n: number; events: number; risk_auroc: number; news2_auroc: number; news2: { flagged: { nonEvents: number } }; final: { flagged: { nonEvents: number } }; extra_false_flags: number }
    assert.ok(r.n + 5 >= 200 && r.events > 0)
    assert.ok(r.risk_auroc > 0.5 && r.news2_auroc > 0.4)
    assert.equal(r.extra_false_flags, r.final.flagged.nonEvents - r.news2.flagged.nonEvents)
    assert.ok(r.extra_false_flags >= 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
