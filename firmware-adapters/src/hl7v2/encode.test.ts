// Round trip: what the simulator's encoder writes, the gateway's decoder reads back unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ACVPU, VITALS, VITAL_NAMES, type VitalName } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeHl7 } from './decode.js'
import { encodeOruR01, formatNm, type OruReadingInput } from './encode.js'
import type { Hl7Encoding } from './encoding.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const ID = fc.stringMatching(/^[A-Za-z0-9._:/-]{1,24}$/)
const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '|', '^', '~', '\\', '&', '#', '@', '%', '*', '\r', '\n', 'é', '5'), maxLength: 12 }).map((s) => s.trim()).filter((s) => s !== '' && !/[\r\n]$|^[\r\n]/.test(s))
const delimiters = fc.shuffledSubarray(['|', '^', '~', '\\', '&', '#', '@', '%', '*', '!', '$'], { minLength: 5, maxLength: 5 })
  .map(([field, component, repetition, escape, subcomponent]): Hl7Encoding => ({ field: field!, component: component!, repetition: repetition!, escape: escape!, subcomponent: subcomponent! }))

/** A reading inside the table's range, with up to two decimals (monitors send one or two). */
const reading = fc.constantFrom(...VITAL_NAMES).chain((vital: VitalName) => {
  const def = VITALS[vital]
  const value = def.ordinal ? fc.integer({ min: 0, max: 4 }) : fc.integer({ min: Math.ceil(def.min * 100), max: Math.floor(def.max * 100) }).map((n) => n / 100)
  return fc.record({
    vital: fc.constant(vital),
    value,
    time: fc.option(fc.integer({ min: NOW - 86_400_000, max: NOW }), { nil: undefined }),
    flags: fc.constantFrom([], ['questionable'] as const),
  })
})

test('decode(encode(x)) gives back every reading, the patient, the bed and the device, whatever the delimiters', () => {
  fc.assert(
    fc.property(fc.array(reading, { minLength: 1, maxLength: 12 }), ID, ID, text, text, text, delimiters, fc.integer({ min: -720, max: 840 }), (readings, patient, device, ward, room, bed, encoding, offset) => {
      const time = NOW - 1000
      const message = encodeOruR01({
        controlId: 'c-1', time, utcOffsetMinutes: offset, sendingApplication: 'SIM', patientId: patient, equipmentId: device,
        location: { pointOfCare: ward, room, bed }, readings: readings as OruReadingInput[], encoding,
      })
      const d = decodeHl7(message, NOW)
      assert.deepEqual(d.problems, [])
      assert.equal(d.ack.code, 'AA')
      assert.deepEqual([d.patientId, d.deviceId, d.location], [patient, device, { pointOfCare: ward, room, bed }])
      assert.deepEqual(
        d.observations.map((o) => [o.name, o.value, o.unit, o.device_time, o.flags, o.patient_id, o.device_id, o.mdc_code, o.loinc]),
        readings.map((r) => {
          const def = VITALS[r.vital]
          return [r.vital, r.value, def.unit, r.time ?? time, [...r.flags], patient, device, def.mdc, def.loinc]
        }),
      )
      // The device entry is skipped, not refused.
      assert.deepEqual(d.ignored.map((i) => i.code), ['NEVA_HL7V2_DEVICE_ENTRY'])
    }),
    { numRuns: fuzzRuns() },
  )
})

test('the encoder writes IHE PCD-01 shaped messages: MDC codes and units, ACVPU as a letter', () => {
  const m = encodeOruR01({
    controlId: 'c-9', time: Date.UTC(2026, 0, 2, 3, 4, 5), sendingApplication: 'SIM^1', patientId: 'p1', equipmentId: 'bed-3',
    location: { pointOfCare: 'W3', room: '12', bed: 'A' },
    readings: [{ vital: 'spo2', value: 97 }, { vital: 'consciousness', value: ACVPU.indexOf('V') }, { vital: 'nibp_systolic', value: 121.5, time: Date.UTC(2026, 0, 2, 3, 0), flags: ['questionable'] }],
  }).split('\r')
  assert.deepEqual(m.slice(0, 4), [
    'MSH|^~\\&|SIM\\S\\1||||20260102030405+0000||ORU^R01^ORU_R01|c-9|P|2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO',
    'PID|||p1^^^^MR', 'PV1||I|W3^12^A', 'OBR|1|c-9|c-9|182777000^monitoring of patient^SCT|||20260102030405+0000',
  ])
  assert.deepEqual(m.slice(5, 8), [
    'OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.0.0.1|97|262688^MDC_DIM_PERCENT^MDC|||||R|||||||bed-3',
    'OBX|3|ST|67775-7^^LN|1.0.0.2|V||||||R|||||||bed-3',
    'OBX|4|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.0.3|121.5|266016^MDC_DIM_MMHG^MDC||QUES|||R|||20260102030000+0000||||bed-3',
  ])
  assert.deepEqual([formatNm(1e-7), formatNm(36.85), formatNm(-0)], ['0.0000001', '36.85', '0'])
})
