// Properties of the WFDB reader: any header text and any signal bytes give a record or one
// catalogued problem — never a throw, never a hang — and a header/file pair written from known
// samples reads back exactly, its checksums holding.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fuzzRuns } from '../fuzz-runs.js'
import { WFDB_ERRORS } from '../errors.js'
import { decodeWfdb } from './index.js'

const VALID = 'rec 2 4 3\nrec.dat 16 100(0)/bpm 12 0 100 600 0 FHR\nrec.dat 212 100/nd 12 0 5 15 0 UC\n'
const headerish = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.array(fc.constantFrom('r', '2', '360', '100', 'r.dat', '16', '212', '80', '+24', '200(3)/mV', 'x', '#', '\n', ' ', '/', '-1', '1e309', '9999999999', 'a.b'), { maxLength: 40 }).map((t) => t.join(' ')),
  fc.tuple(fc.nat(VALID.length), fc.nat(VALID.length), fc.string({ maxLength: 8 })).map(([a, b, s]) => VALID.slice(0, Math.min(a, b)) + s + VALID.slice(Math.max(a, b))),
)

test('arbitrary and garbled headers with arbitrary bytes: a record or one catalogued problem, never a throw', () => {
  fc.assert(fc.property(headerish, fc.uint8Array({ maxLength: 200 }), (text, bytes) => {
    const r = decodeWfdb(text, () => bytes)
    if (!r.ok) {
      assert.ok(r.problem.code in WFDB_ERRORS, r.problem.code)
      assert.ok(r.problem.reason.length > 0)
      return
    }
    for (const p of r.record.problems) assert.ok(p.code in WFDB_ERRORS, p.code)
    for (const s of r.record.signals) if (s.samples) assert.equal(s.samples.length, r.record.samplesPerSignal)
  }), { numRuns: fuzzRuns() })
})

/** Writes samples as the format stores them (the inverse the reader must match). */
function write(format: 16 | 212 | 80, frames: number[][]): Uint8Array {
  const stream = frames.flat()
  if (format === 16) return new Uint8Array(new Int16Array(stream).buffer)
  if (format === 80) return Uint8Array.from(stream, (v) => v + 128)
  const out = new Uint8Array(Math.ceil((stream.length * 3) / 2))
  for (let k = 0; k < stream.length; k += 2) {
    const a = stream[k]! & 0xfff
    const b = (stream[k + 1] ?? 0) & 0xfff
    const p = (k / 2) * 3
    out[p] = a & 0xff
    out[p + 1] = ((a >> 8) & 0x0f) | ((b >> 4) & 0xf0)
    if (k + 1 < stream.length) out[p + 2] = b & 0xff
  }
  return out
}

test('written records read back sample for sample, every checksum holding', () => {
  const rec = fc.record({ format: fc.constantFrom(16 as const, 212 as const, 80 as const), nsig: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 60 }), seed: fc.integer() })
  fc.assert(fc.property(rec, ({ format, nsig, n, seed }) => {
    const range = format === 16 ? 32768 : format === 212 ? 2048 : 128
    let x = seed
    const next = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff), (x % (2 * range)) - range)
    const frames = Array.from({ length: n }, () => Array.from({ length: nsig }, next))
    const lines = [`r ${nsig} 500 ${n}`]
    for (let j = 0; j < nsig; j++) {
      const sum = frames.reduce((s, f) => (s + f[j]!) & 0xffff, 0)
      lines.push(`r.dat ${format} 200 12 0 ${frames[0]![j]} ${sum >= 0x8000 ? sum - 0x10000 : sum} 0 s${j}`)
    }
    const r = decodeWfdb(lines.join('\n'), () => write(format, frames))
    assert.ok(r.ok)
    assert.deepEqual(r.record.problems, [])
    for (let j = 0; j < nsig; j++) assert.deepEqual([...r.record.signals[j]!.samples!], frames.map((f) => f[j]))
  }), { numRuns: fuzzRuns() })
})
