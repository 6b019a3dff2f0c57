// Properties of the ECG codec: arbitrary and corrupted payloads never throw and never yield an
// invalid waveform; every chunk the encoder can write decodes to what it was given.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { ECG_LEADS, WaveformChunk, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { ECG_ERRORS } from '../errors.js'
import { decodeEcgMessage, encodeEcgChunk, type EcgChunkInput } from './index.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/devices/amb-1-tablet/ecg'
const waveform = validator(WaveformChunk)

const chunkInput = fc
  .record({
    leads: fc.subarray([...ECG_LEADS], { minLength: 1 }),
    n: fc.integer({ min: 1, max: 300 }),
    rate: fc.integer({ min: 1, max: 10_000 }),
    resolutionNv: fc.integer({ min: 1, max: 1_000_000 }),
    startTime: fc.integer({ min: NOW - 86_400_000, max: NOW }),
    patientId: fc.stringMatching(/^[A-Za-z0-9._:/-]{1,128}$/),
    seed: fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 64 }),
    encoding: fc.constantFrom('delta' as const, 'int16' as const),
  })
  .map((r) => {
    // Samples from the seed: full-range jumps as well as small steps.
    const input: EcgChunkInput = { patientId: r.patientId, startTime: r.startTime, sampleRateHz: r.rate, resolutionUv: r.resolutionNv / 1000, leads: {} }
    r.leads.forEach((lead, l) => {
      input.leads[lead] = Array.from({ length: r.n }, (_, i) => r.seed[(i * 7 + l) % r.seed.length]!)
    })
    return { input, encoding: r.encoding }
  })

function checkDecoded(payload: Uint8Array): void {
  const d = decodeEcgMessage(TOPIC, payload, NOW)
  assert.equal(d.observations.length, 0)
  if (d.problems.length > 0) {
    assert.equal(d.problems.length, 1)
    assert.equal(d.waveforms, undefined)
    assert.ok(Object.hasOwn(ECG_ERRORS, d.problems[0]!.code))
    assert.ok(d.problems[0]!.reason.length > 0 && d.problems[0]!.payload.length <= 200)
    return
  }
  assert.ok(d.waveforms!.length >= 1 && d.waveforms!.length <= 16)
  for (const w of d.waveforms!) {
    const full = { ...w, gateway_id: 'gw', seq: 1 }
    assert.ok(waveform.check(full), waveform.explain(full))
  }
}

test('fuzz: arbitrary bytes never throw and are refused with one problem', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048, size: 'max' }), (bytes) => {
      checkDecoded(bytes)
      assert.equal(decodeEcgMessage(TOPIC, bytes, NOW).problems.length, 1)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: corrupted chunks, resealed with a valid CRC or not, never throw and never yield an invalid waveform', () => {
  fc.assert(
    fc.property(
      chunkInput,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.boolean(),
      ({ input, encoding }, edits, cut, reseal) => {
        let bytes = Buffer.from(encodeEcgChunk(input, encoding))
        for (const [at, value] of edits) bytes[at % bytes.length] = value
        if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1))
        if (reseal && bytes.length >= 4) bytes.writeUInt32LE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4)
        checkDecoded(bytes)
      },
    ),
    { numRuns: fuzzRuns() },
  )
})

test('property: every chunk the encoder writes decodes to what it was given', () => {
  fc.assert(
    fc.property(chunkInput, ({ input, encoding }) => {
      const d = decodeEcgMessage(TOPIC, encodeEcgChunk(input, encoding), NOW)
      assert.deepEqual(d.problems, [])
      assert.equal(d.patientId, input.patientId)
      assert.deepEqual(d.waveforms!.map((w) => w.lead), ECG_LEADS.filter((l) => input.leads[l]))
      for (const w of d.waveforms!) {
        assert.deepEqual(w.samples, input.leads[w.lead])
        assert.equal(w.start_time, input.startTime)
        assert.equal(w.sample_rate_hz, input.sampleRateHz)
        assert.equal(w.resolution_uv, input.resolutionUv)
      }
      assert.equal(d.key!.time, input.startTime)
    }),
    { numRuns: fuzzRuns() },
  )
})
