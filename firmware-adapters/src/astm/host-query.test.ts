// The host query's records: the analyzer's Q, the host's answer of P and O records (or L|1|I),
// and the analyzer's reading of the answer; arbitrary bytes never throw.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { astmHostMessageKind, astmOrdersOf, astmQueries, encodeAstmOrderAnswer, encodeAstmOrderDownload, encodeAstmQuery } from './host-query.js'
import { fuzzRuns } from '../fuzz-runs.js'

const bytes = (s: string) => new TextEncoder().encode(s)

test('a Q record names the specimen in component 2 (LIS2-A2) or 1 (many analyzers)', () => {
  assert.deepEqual(astmQueries(bytes(encodeAstmQuery(['SP-1', 'SP-2'], Date.UTC(2026, 0, 1)))).map((q) => q.specimenId), ['SP-1', 'SP-2'])
  assert.deepEqual(astmQueries(bytes('H|\\^&\rQ|1|AC2202023321^^0^1^N||ALL||||||||O\rL|1|N\r')).map((q) => q.specimenId), ['AC2202023321'])
  assert.deepEqual(astmQueries(bytes('H|\\^&\rQ|1|^^||ALL\rL|1|N\r')), [], 'no id: nothing to look up')
  assert.deepEqual(astmQueries(bytes('Q|1|^SP-1||ALL\r')), [], 'no header: no delimiters')
})

test('the answer: P and O per order with tests, priority and report type Q; none found is L|1|I', () => {
  const text = encodeAstmOrderAnswer([{ patient_id: 'MRN-1', specimen_id: 'SP-1', tests: ['GLU', 'K'], priority: 'stat' }], Date.UTC(2026, 0, 1))
  const records = text.split('\r').filter(Boolean)
  assert.equal(records[0]!.slice(0, 5), 'H|\\^&')
  assert.equal(records[1], 'P|1|MRN-1')
  assert.equal(records[2], 'O|1|SP-1||^^^GLU\\^^^K|S||||||N||||||||||||||Q')
  assert.equal(records.at(-1), 'L|1|N')
  assert.deepEqual(astmOrdersOf(bytes(text)), [{ patient_id: 'MRN-1', specimen_id: 'SP-1', tests: ['GLU', 'K'], priority: 'S' }])
  assert.equal(encodeAstmOrderAnswer([], 0).split('\r').filter(Boolean).at(-1), 'L|1|I')
})

test('arbitrary bytes: the readers never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
    astmQueries(b)
    astmOrdersOf(b)
  }), { numRuns: fuzzRuns() })
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    astmQueries(bytes(`H|\\^&\r${s}\r`))
  }), { numRuns: fuzzRuns() })
})

test('a download: the same P and O records with report type O, L|1|N; the analyzer tells it from an answer', () => {
  const text = encodeAstmOrderDownload([{ patient_id: 'MRN-1', specimen_id: 'SP-1', tests: ['NA'], priority: 'routine' }], Date.UTC(2026, 0, 1))
  const records = text.split('\r').filter(Boolean)
  assert.equal(records[2], 'O|1|SP-1||^^^NA|R||||||N||||||||||||||O')
  assert.equal(records.at(-1), 'L|1|N')
  assert.equal(astmHostMessageKind(bytes(text)), 'download')
  assert.equal(astmHostMessageKind(bytes(encodeAstmOrderAnswer([], 0))), 'answer')
  assert.equal(astmHostMessageKind(bytes(encodeAstmOrderAnswer([{ patient_id: 'P', specimen_id: 'S', tests: ['K'], priority: 'stat' }], 0))), 'answer')
  assert.equal(astmHostMessageKind(bytes('H|\\^&\rL|1|N\r')), 'other')
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
    astmHostMessageKind(b)
  }), { numRuns: fuzzRuns() })
})
