// The WFDB reader on the real recordings (../shared/fixtures/real, never copied here): every
// signal's checksum and initial value hold — the proof each sample was read exactly — and on
// small headers written here for each rule.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { FirmwareErrorCode } from '../errors.js'
import { decodeWfdb, parseWfdbHeader, physical, readWfdbRecord, wfdbSummary } from './index.js'

const REAL = fileURLToPath(new URL('../../../../shared/fixtures/real/', import.meta.url))
const skip = existsSync(REAL) ? false : 'no ../shared/fixtures/real'

function real(path: string) {
  const r = readWfdbRecord(REAL + path)
  assert.ok(r.ok, r.ok ? '' : r.problem.reason)
  return r.record
}

test('MIT-BIH 100: format 212, 2 leads at 360 Hz, 30 min, every checksum', { skip }, () => {
  const r = real('ecg/100.hea')
  assert.equal(r.header.samplingHz, 360)
  assert.equal(r.samplesPerSignal, 650_000)
  assert.deepEqual(r.signals.map((s) => s.spec.description), ['MLII', 'V5'])
  assert.deepEqual(r.problems, [])
  assert.ok(r.signals.every((s) => s.verified && s.samples?.length === 650_000))
  assert.equal(r.signals[0]!.samples![0], 995)
  assert.equal(physical(r.signals[0]!.spec, 995), -0.145) // (995 − 1024) / 200 mV
})

test('PTB s0010_re: 15 leads at 1000 Hz in format 16; the .xyz file (vx, vy, vz) is absent from the fixtures and said so', { skip }, () => {
  const r = real('ecg/s0010_re.hea')
  assert.equal(r.header.samplingHz, 1000)
  assert.equal(r.signals.length, 15)
  const read = r.signals.filter((s) => s.samples)
  assert.deepEqual(read.map((s) => s.spec.description), ['i', 'ii', 'iii', 'avr', 'avl', 'avf', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6'])
  assert.ok(read.every((s) => s.verified && s.samples!.length === 38_400))
  assert.deepEqual(r.problems.map((p) => p.code), [FirmwareErrorCode.NEVA_WFDB_FILE_MISSING])
  assert.match(r.problems[0]!.reason, /s0010_re\.xyz \(signals vx, vy, vz\)/)
})

test('a103l: format 16 after the 24-byte MATLAB v4 header (16+24), gains like 1.052e+04/mV', { skip }, () => {
  const r = real('ecg/a103l.hea')
  assert.deepEqual(r.problems, [])
  assert.deepEqual(r.signals.map((s) => [s.spec.description, s.spec.gain, s.spec.units, s.spec.byteOffset]), [['II', 7247, 'mV', 24], ['V', 10520, 'mV', 24], ['PLETH', 12530, 'NU', 24]])
  assert.ok(r.signals.every((s) => s.verified))
  assert.deepEqual(r.header.comments, ['Asystole', 'False alarm'])
})

test('CTU-UHB 1001–1010: FHR and UC at 4 Hz, gain 100(0)/bpm, every checksum, outcome comments', { skip }, () => {
  for (let n = 1001; n <= 1010; n++) {
    const r = real(`ctg/${n}.hea`)
    assert.equal(r.header.samplingHz, 4)
    assert.deepEqual(r.signals.map((s) => [s.spec.description, s.spec.gain, s.spec.units]), [['FHR', 100, 'bpm'], ['UC', 100, 'nd']])
    assert.deepEqual(r.problems, [], `record ${n}`)
    assert.ok(r.header.comments.some((c) => /^pH\s+\d/.test(c)), `record ${n} has its pH`)
  }
})

const HEA = 'rec 2 4 3\nrec.dat 16 100(0)/bpm 12 0 100 600 0 FHR\nrec.dat 16 100/nd 12 0 5 15 0 UC\n'
const int16 = (...v: number[]) => new Uint8Array(new Int16Array(v).buffer)

test('a small record: interleaved samples, checksum and initial value held or refused by name', () => {
  const ok = decodeWfdb(HEA, () => int16(100, 5, 200, 5, 300, 5))
  assert.ok(ok.ok)
  assert.deepEqual(ok.record.problems, [])
  assert.deepEqual([...ok.record.signals[0]!.samples!], [100, 200, 300])
  const bad = decodeWfdb(HEA, () => int16(100, 5, 200, 5, 301, 5))
  assert.ok(bad.ok)
  assert.deepEqual(bad.record.problems.map((p) => p.code), [FirmwareErrorCode.NEVA_WFDB_CHECKSUM])
  assert.match(bad.record.problems[0]!.reason, /^FHR: samples sum to 601, the header says 600/)
  assert.equal(wfdbSummary(bad.record).signals[0]!.checksum, 'mismatch')
  const short = decodeWfdb(HEA, () => int16(100, 5, 200))
  assert.ok(short.ok)
  assert.deepEqual(short.record.problems.map((p) => p.code), [FirmwareErrorCode.NEVA_WFDB_TRUNCATED])
})

test('format 212 packs two 12-bit samples in three bytes, signed', () => {
  // samples 0x123 = 291 and −1 (0xfff): byte0 0x23, byte1 high nibble of s1 | low nibble of s0, byte2
  const r = decodeWfdb('r 2 360 1\nr.dat 212 200 12 0 291 291 0 a\nr.dat 212 200 12 0 -1 -1 0 b\n', () => new Uint8Array([0x23, 0xf1, 0xff]))
  assert.ok(r.ok)
  assert.deepEqual(r.record.problems, [])
  assert.deepEqual(r.record.signals.map((s) => s.samples![0]), [291, -1])
})

test('headers the reader refuses, each with the code and line that says why', () => {
  const refuse = (text: string, code: string, reason: RegExp) => {
    const r = decodeWfdb(text, () => undefined)
    assert.ok(!r.ok, text)
    assert.equal(r.problem.code, code, text)
    assert.match(r.problem.reason, reason)
  }
  refuse('', FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, /no record line/)
  refuse('r/2 2 360\n', FirmwareErrorCode.NEVA_WFDB_UNSUPPORTED, /multi-segment/)
  refuse('r 2 360 10\nr.dat 16\n', FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, /announces 2 signals, the header describes 1/)
  refuse('r 1 360 10\n../etc/passwd 16\n', FirmwareErrorCode.NEVA_WFDB_BAD_FILE_NAME, /line 2/)
  refuse('r 1 360 10\nr.dat 311\n', FirmwareErrorCode.NEVA_WFDB_UNSUPPORTED, /storage format 311/)
  refuse('r 1 360 10\nr.dat 16 abc\n', FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, /gain "abc"/)
  refuse('r 1 -4 10\n', FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, /sampling frequency/)
  refuse('r 65 360 10\n', FirmwareErrorCode.NEVA_WFDB_TOO_LARGE, /65 signals/)
  refuse('r 1 360 9999999999\nr.dat 16\n', FirmwareErrorCode.NEVA_WFDB_TOO_LARGE, /at most/)
  refuse('r 1 360 1\nr.dat 16\nr.dat 16\n', FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, /more signal lines/)
  refuse('r 1 360\u0000 1\n', FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, /control characters/)
})

test('defaults: no gain means 200 adu/mV, baseline the ADC zero; no sample count means the file says', () => {
  const h = parseWfdbHeader('r 1 250\nr.dat 16 0 12 7\n')
  assert.deepEqual([h.signals[0]!.gain, h.signals[0]!.units, h.signals[0]!.baseline], [200, 'mV', 7])
  const r = decodeWfdb('r 1 250\nr.dat 16\n', () => int16(1, 2, 3, 4))
  assert.ok(r.ok)
  assert.equal(r.record.samplesPerSignal, 4)
})
