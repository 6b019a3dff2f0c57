// Properties of both oximeter decoders over arbitrary and corrupted input: they never throw,
// stay within bounds, find good records next to garbage, and read back what the encoders wrote.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Observation, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import type { Decoded } from '../decoded.js'
import { OXIMETER_ERRORS } from '../errors.js'
import {
  MASIMO_EXCEPTION,
  NONIN_PACKET_BYTES,
  OximeterAsciiDecoder,
  OximeterBinaryDecoder,
  encodeNoninPacket,
  encodeOximeterAsciiRecord,
  masimoExceptionFlags,
  noninStatusFlags,
  type OximeterOptions,
} from './index.js'

const OPTIONS: OximeterOptions = { deviceId: 'ox-1', patientId: 'p-1', defaultUtcOffsetMinutes: 0 }
const NOW = Date.UTC(2026, 10, 25, 12)
const observation = validator(Observation)

type Decoder = OximeterAsciiDecoder | OximeterBinaryDecoder

function run(decoder: Decoder, chunks: Uint8Array[], now = NOW): Decoded {
  const out: Decoded = { source: 'serial', observations: [], problems: [], ignored: [] }
  for (const c of [...chunks.map((chunk) => decoder.push(chunk, now)), decoder.end(now)]) {
    out.observations.push(...c.observations)
    out.problems.push(...c.problems)
    out.ignored!.push(...(c.ignored ?? []))
  }
  return out
}

function checkBounds(d: Decoded, total: number): void {
  for (const o of d.observations) {
    const full = { ...o, gateway_id: 'gw', seq: 1 }
    assert.ok(observation.check(full), observation.explain(full))
  }
  for (const p of [...d.problems, ...(d.ignored ?? [])]) {
    assert.ok(Object.hasOwn(OXIMETER_ERRORS, p.code), p.code)
    assert.ok(p.reason.length > 0)
    assert.ok(p.offset !== undefined && p.offset >= 0 && p.offset <= total, `offset ${p.offset} of ${total}`)
    assert.ok(p.payload.length <= 1024)
  }
  assert.ok(d.problems.length <= total + 1)
  assert.ok(d.observations.length <= 2 * Math.ceil(total / 5))
}

/** Splits bytes at the given cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p))
    from = p
  }
  return out
}

const GOOD_LINE = '11/25/26 11:59:58 SN=0000123456 SPO2=098% BPM=072 PI=03.45 SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800'
/** Fragments of real records, so that arbitrary text often gets past the first checks. */
const FRAGMENT = fc.constantFrom('11/25/26', '10:30:01', ' ', 'SPO2=', 'BPM=', '098%', '---', '072', 'EXC=', '000820', 'PI=03.45', '\r\n', '\n', '=', '%', 'SN=1', '\u00ff', '\t', '999')
const asciiInput = fc.oneof(
  fc.uint8Array({ maxLength: 1500, size: 'max' }),
  fc.array(FRAGMENT, { maxLength: 120, size: 'max' }).map((parts) => Buffer.from(parts.join(''), 'latin1')),
)

test('fuzz: the ASCII decoder never throws, stays within bounds, and chunking does not change what it finds', () => {
  fc.assert(
    fc.property(asciiInput, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
      const whole = run(new OximeterAsciiDecoder({ ...OPTIONS, maxLineBytes: 200 }), [bytes])
      checkBounds(whole, bytes.length)
      const chunked = run(new OximeterAsciiDecoder({ ...OPTIONS, maxLineBytes: 200 }), split(bytes, cuts))
      assert.deepEqual(chunked, whole)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: a good ASCII record next to garbage still decodes', () => {
  fc.assert(
    fc.property(asciiInput, asciiInput, (before, after) => {
      const bytes = Buffer.concat([before, Buffer.from(`\r\n${GOOD_LINE}\r\n`), after])
      const d = run(new OximeterAsciiDecoder(OPTIONS), [bytes])
      const good = d.observations.filter((o) => o.device_time === Date.UTC(2026, 10, 25, 11, 59, 58))
      assert.deepEqual(good.map((o) => [o.name, o.value, o.flags]), [['spo2', 98, []], ['pulse_rate', 72, []]])
    }),
    { numRuns: fuzzRuns() },
  )
})

test('property: ASCII records round-trip through the encoder and decoder', () => {
  const E = MASIMO_EXCEPTION
  const bit = fc.constantFrom(0, E.NO_SENSOR, E.DEFECTIVE_SENSOR, E.LOW_PERFUSION, E.PULSE_SEARCH, E.INTERFERENCE, E.SENSOR_OFF, E.AMBIENT_LIGHT, E.LOW_SIGNAL_IQ, E.SET_MODE)
  fc.assert(
    fc.property(
      fc.record({
        secondsAgo: fc.integer({ min: 0, max: 3600 }),
        spo2: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        pulseRate: fc.option(fc.integer({ min: 0, max: 350 }), { nil: undefined }),
        exception: fc.array(bit, { maxLength: 4 }).map((bits) => bits.reduce<number>((a, b) => a | b, 0)),
        offset: fc.integer({ min: -720, max: 840 }),
        key: fc.constantFrom('EXC' as const, 'EXCPT' as const),
      }),
      (r) => {
        const time = NOW - r.secondsAgo * 1000
        const line = encodeOximeterAsciiRecord({ time, spo2: r.spo2, pulseRate: r.pulseRate, exception: r.exception }, { utcOffsetMinutes: r.offset, exceptionKey: r.key })
        const d = run(new OximeterAsciiDecoder({ ...OPTIONS, defaultUtcOffsetMinutes: r.offset }), [Buffer.from(line)])
        assert.deepEqual(d.problems, [])
        const padded = (r.exception & (E.NO_SENSOR | E.SENSOR_OFF | E.PULSE_SEARCH)) !== 0
        const expected: Array<[string, number]> = []
        if (r.spo2 !== undefined && !(r.spo2 === 0 && padded)) expected.push(['spo2', r.spo2])
        if (r.pulseRate !== undefined && !(r.pulseRate === 0 && padded)) expected.push(['pulse_rate', r.pulseRate])
        assert.deepEqual(d.observations.map((o) => [o.name, o.value]), expected)
        for (const o of d.observations) {
          assert.equal(o.device_time, time)
          assert.deepEqual(o.flags, masimoExceptionFlags(r.exception))
        }
      },
    ),
    { numRuns: fuzzRuns() },
  )
})

const packetInput = fc.record({
  spo2: fc.option(fc.integer({ min: 0, max: 127 }), { nil: undefined }),
  pulseRate: fc.option(fc.integer({ min: 0, max: 511 }), { nil: undefined }),
  status: fc.integer({ min: 0, max: 0x7e }),
  pleth: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 25, maxLength: 25 }),
})

/** Valid packets with some bytes corrupted, and plain noise: what a bad cable delivers. */
const binaryInput = fc.oneof(
  fc.uint8Array({ maxLength: 1500, size: 'max' }),
  fc.tuple(fc.array(packetInput, { maxLength: 6, size: 'max' }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 4 }))
    .map(([packets, corruptions, deletions]) => {
      const bytes = Array.from(Buffer.concat(packets.map(encodeNoninPacket)))
      for (const [at, value] of corruptions) if (bytes.length) bytes[at % bytes.length] = value
      for (const at of deletions) if (bytes.length) bytes.splice(at % bytes.length, 1)
      return Uint8Array.from(bytes)
    }),
)

test('fuzz: the binary decoder never throws, stays within bounds, and chunking does not change what it finds', () => {
  fc.assert(
    fc.property(binaryInput, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
      const whole = run(new OximeterBinaryDecoder(OPTIONS), [bytes])
      checkBounds(whole, bytes.length)
      assert.ok(whole.observations.length <= 2 * Math.floor(bytes.length / NONIN_PACKET_BYTES))
      const chunked = run(new OximeterBinaryDecoder(OPTIONS), split(bytes, cuts))
      assert.deepEqual(chunked, whole)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: a good packet after garbage still decodes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1000, size: 'max' }), fc.uint8Array({ maxLength: 300, size: 'max' }), (before, after) => {
      const a = encodeNoninPacket({ spo2: 94, pulseRate: 101 })
      const b = encodeNoninPacket({ spo2: 95, pulseRate: 102 })
      const d = run(new OximeterBinaryDecoder(OPTIONS), [Buffer.concat([before, a, b, after])])
      // Garbage may end in a false frame that swallows the first packet's start, never the second's.
      const values = d.observations.map((o) => o.value)
      assert.ok(values.includes(95) && values.includes(102), JSON.stringify(values))
    }),
    { numRuns: fuzzRuns() },
  )
})

test('property: binary packets round-trip through the encoder and decoder', () => {
  fc.assert(
    fc.property(packetInput, (p) => {
      const d = run(new OximeterBinaryDecoder(OPTIONS), [encodeNoninPacket(p)])
      const flags = noninStatusFlags(p.status)
      const off = flags.includes('sensor_off')
      const expect = (value: number | undefined, none: number, max: number) =>
        value === undefined || value === none || (value === 0 && off) ? 'absent' : value > max ? 'refused' : value
      const spo2 = expect(p.spo2, 127, 100)
      const hr = expect(p.pulseRate, 511, 350)
      const got = (name: string) => d.observations.find((o) => o.name === name)?.value ?? (d.problems.some((x) => x.reason.includes(name)) ? 'refused' : 'absent')
      assert.equal(got('spo2'), spo2)
      assert.equal(got('pulse_rate'), hr)
      for (const o of d.observations) assert.deepEqual(o.flags, flags)
    }),
    { numRuns: fuzzRuns() },
  )
})
