import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32 } from 'node:zlib'
import { ECG_LEADS, MAX_WAVEFORM_SAMPLES, WaveformChunk, validator, type EcgLead } from '@neva/contracts'
import { decodeEcgMessage, encodeEcgChunk, encodeEcgMessage, parseEcgTopic, type EcgChunkInput } from './index.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/devices/amb-1-tablet/ecg'
const waveform = validator(WaveformChunk)

function chunk(leads: readonly EcgLead[] = ECG_LEADS, n = 500): EcgChunkInput {
  const out: EcgChunkInput = { patientId: 'amb-1.p1', startTime: NOW - 1000, sampleRateHz: 500, resolutionUv: 2.5, leads: {} }
  leads.forEach((lead, l) => {
    out.leads[lead] = Array.from({ length: n }, (_, i) => Math.round(400 * Math.sin((i + 17 * l) / 20)) - 3 * l)
  })
  return out
}

/** Re-seals a payload edited by a test, so that the check after the CRC is reached. */
function reseal(payload: Buffer): Buffer {
  payload.writeUInt32LE(crc32(payload.subarray(0, payload.length - 4)), payload.length - 4)
  return payload
}

test('topics: the ECG topic gives the device; other neva/ topics are refused; others are not ours', () => {
  assert.equal(parseEcgTopic(TOPIC), 'amb-1-tablet')
  assert.equal(parseEcgTopic('neva/v1/devices//ecg'), null)
  assert.equal(parseEcgTopic('neva/v1/devices/a/b/ecg'), null)
  assert.equal(parseEcgTopic('hospital/ecg'), undefined)
  assert.deepEqual(decodeEcgMessage('hospital/ecg', Buffer.alloc(0), NOW), { source: 'mqtt', observations: [], problems: [] })
  assert.equal(decodeEcgMessage('neva/v1/devices/x y/ecg', Buffer.alloc(0), NOW).problems[0]?.code, 'NEVA_ECG_UNKNOWN_TOPIC')
})

for (const encoding of ['delta', 'int16'] as const) {
  test(`round trip (${encoding}): 12 leads decode to one waveform per lead with its MDC code, samples and timing`, () => {
    const input = chunk()
    const { topic, payload } = encodeEcgMessage('amb-1-tablet', input, encoding)
    assert.equal(topic, TOPIC)
    const d = decodeEcgMessage(topic, payload, NOW)
    assert.deepEqual(d.problems, [])
    assert.equal(d.deviceId, 'amb-1-tablet')
    assert.equal(d.patientId, 'amb-1.p1')
    assert.equal(d.waveforms!.length, 12)
    assert.deepEqual(d.waveforms!.map((w) => w.lead), [...ECG_LEADS])
    const ii = d.waveforms![1]!
    assert.deepEqual({ ...ii, samples: ii.samples.length }, {
      device_id: 'amb-1-tablet', patient_id: 'amb-1.p1', lead: 'II', mdc_code: 131330, start_time: NOW - 1000,
      sample_rate_hz: 500, resolution_uv: 2.5, samples: 500, received_time: NOW,
    })
    for (const w of d.waveforms!) {
      assert.deepEqual(w.samples, Array.from(input.leads[w.lead]!))
      const full = { ...w, gateway_id: 'gw', seq: 1 }
      assert.ok(waveform.check(full), waveform.explain(full))
    }
    assert.equal(d.waveforms!.find((w) => w.lead === 'aVF')!.mdc_code, 131392)
  })
}

test('delta encoding keeps a real-looking ECG near one byte per sample', () => {
  const input = chunk()
  const delta = encodeEcgChunk(input, 'delta')
  const raw = encodeEcgChunk(input, 'int16')
  assert.ok(raw.length > 12 * 500 * 2)
  assert.ok(delta.length < 12 * 500 * 1.1, `${delta.length}`)
})

test('a subset of leads is sent and decoded as that subset', () => {
  const d = decodeEcgMessage(TOPIC, encodeEcgChunk(chunk(['I', 'II', 'V1'], 10)), NOW)
  assert.deepEqual(d.waveforms!.map((w) => [w.lead, w.mdc_code, w.samples.length]), [['I', 131329, 10], ['II', 131330, 10], ['V1', 131331, 10]])
})

test('a chunk has an identity (device, start time, payload hash): a resend is recognized', () => {
  const payload = encodeEcgChunk(chunk())
  const first = decodeEcgMessage(TOPIC, payload, NOW)
  const again = decodeEcgMessage(TOPIC, payload, NOW + 3000)
  assert.deepEqual(first.key!.device, 'amb-1-tablet')
  assert.equal(first.key!.time, NOW - 1000)
  assert.equal(first.key!.hash.length, 22)
  assert.deepEqual(again.key, first.key)
  const next = decodeEcgMessage(TOPIC, encodeEcgChunk({ ...chunk(), startTime: NOW }), NOW)
  assert.notEqual(next.key!.hash, first.key!.hash)
})

test('an implausible tablet clock keeps the ECG, ending at the receive time, without an identity', () => {
  const d = decodeEcgMessage(TOPIC, encodeEcgChunk({ ...chunk(), startTime: 5000 }), NOW)
  assert.equal(d.waveforms!.length, 12)
  assert.equal(d.waveforms![0]!.start_time, NOW - 1000)
  assert.equal(d.key, undefined)
  assert.equal(d.ignored![0]!.code, 'NEVA_ECG_CLOCK_SUSPECT')
  assert.equal(decodeEcgMessage(TOPIC, encodeEcgChunk({ ...chunk(), startTime: NOW + 2 * 86_400_000 }), NOW).waveforms![0]!.start_time, NOW - 1000)
})

test('bad input: each refusal is one problem naming what was wrong, with its offset; nothing is stored from it', () => {
  const good = encodeEcgChunk(chunk(['I', 'II'], 50))
  const refused = (payload: Uint8Array) => {
    const d = decodeEcgMessage(TOPIC, payload, NOW)
    assert.equal(d.waveforms, undefined)
    assert.equal(d.problems.length, 1)
    assert.equal(d.deviceId, 'amb-1-tablet')
    return [d.problems[0]!.code, d.problems[0]!.reason, d.problems[0]!.offset]
  }
  assert.deepEqual(refused(good.subarray(0, 10)).slice(0, 2), ['NEVA_ECG_TRUNCATED', 'payload is 10 bytes; the header alone takes 33'])
  assert.equal(refused(good.subarray(0, good.length - 1))[0], 'NEVA_ECG_TRUNCATED')
  assert.equal(refused(Buffer.concat([good, Buffer.from([0])]))[0], 'NEVA_ECG_LENGTH_MISMATCH')
  assert.deepEqual(refused(Buffer.from(JSON.stringify({ patient_id: 'p', samples: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }))).slice(0, 2), ['NEVA_ECG_BAD_MAGIC', 'starts with 0x7b227061, not "NECG"'])
  assert.equal(refused(Buffer.alloc(400_000))[0], 'NEVA_ECG_TOO_LARGE')

  const edit = (at: number, value: number, resealed = true) => {
    const b = Buffer.from(good)
    b[at] = value
    return resealed ? reseal(b) : b
  }
  assert.deepEqual(refused(edit(4, 3)).slice(0, 2), ['NEVA_ECG_UNSUPPORTED_VERSION', 'version 3; this gateway reads versions 1 and 2'])
  const crc = refused(edit(60, good[60]! ^ 1, false))
  assert.equal(crc[0], 'NEVA_ECG_CHECKSUM')
  assert.match(String(crc[1]), /^CRC-32 is 0x[0-9a-f]{8}, payload gives 0x[0-9a-f]{8}$/)
  assert.deepEqual(refused(edit(5, 7)), ['NEVA_ECG_BAD_HEADER', 'encoding 7 is neither 0 (int16) nor 1 (delta)', 5])
  assert.deepEqual(refused(edit(7, 0x10)), ['NEVA_ECG_BAD_HEADER', 'lead mask 0x1003 names no lead or bits beyond the 12 leads', 6])
  const resolution = Buffer.from(good)
  resolution.writeUInt32LE(2_000_000, 12)
  assert.deepEqual(refused(reseal(resolution)), ['NEVA_ECG_BAD_HEADER', 'resolution 2000000 nV is outside 1–1000000', 12])
  const samples = Buffer.from(good)
  samples.writeUInt16LE(MAX_WAVEFORM_SAMPLES + 1, 8)
  assert.deepEqual(refused(reseal(samples)), ['NEVA_ECG_BAD_HEADER', '10001 samples per lead is outside 1–10000', 8])
  assert.deepEqual(refused(edit(25, 0x20)).slice(0, 2), ['NEVA_ECG_BAD_HEADER', 'patient id " mb-1.p1" is not an identifier'])

  // Samples: a sample count the section does not hold, a varint that never ends, a value past 16 bits.
  const fewer = Buffer.from(good)
  fewer.writeUInt16LE(49, 8)
  assert.match(String(refused(reseal(fewer))[1]), /^\d+ bytes left after the last sample$/)
  const bodyAt = 25 + 'amb-1.p1'.length + 4
  const endless = Buffer.from(good)
  endless.fill(0xff, bodyAt, bodyAt + 3)
  assert.deepEqual(refused(reseal(endless)), ['NEVA_ECG_BAD_SAMPLES', `varint longer than 3 bytes at byte ${bodyAt + 3}`, bodyAt])
  const high = encodeEcgChunk({ ...chunk(['I'], 2), leads: { I: [32767, 32767] } })
  high[bodyAt + 3] = 0x02 // second difference +1: 32768
  assert.match(String(refused(reseal(high))[1]), /^sample 1 of lead 1 is 32768, outside signed 16 bits/)
  const raw = encodeEcgChunk(chunk(['I'], 4), 'int16')
  raw[5] = 1 // claims delta: 8 bytes of int16 do not decode to 4 varints exactly
  assert.equal(refused(reseal(raw))[0], 'NEVA_ECG_BAD_SAMPLES')
})

test('the encoder refuses chunks it cannot represent', () => {
  assert.throws(() => encodeEcgChunk({ ...chunk(), leads: {} }), RangeError)
  assert.throws(() => encodeEcgChunk({ ...chunk(['I', 'II'], 3), leads: { I: [1, 2, 3], II: [1, 2] } }), /lead II has 2 samples/)
  assert.throws(() => encodeEcgChunk({ ...chunk(['I'], 1), leads: { I: [40000] } }), /not a signed 16-bit count/)
  assert.throws(() => encodeEcgChunk({ ...chunk(['I'], 1), patientId: 'a b' }), /not an identifier/)
})
