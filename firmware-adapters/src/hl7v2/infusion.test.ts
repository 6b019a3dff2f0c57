// IHE PCD-10 infusion events (ORU^R42): the real IHE example (../shared/fixtures/real/hl7), held-out
// variants of it (values changed, re-framed as a pump gateway sends it), the encoder's messages,
// and a fuzz property: never throws, and every event it gives meets the contract.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { InfusionEvent, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeHl7 } from './decode.js'
import { encodeOruR42 } from './encode-infusion.js'
import { MllpDeframer, mllpFrame } from './mllp.js'

const DIR = fileURLToPath(new URL('../../../../shared/fixtures/real/hl7/', import.meta.url))
const FILE = 'ihe_pcd_tf_M1.2.2_pump_pcd10_orur42_infusion_event.hl7'
const skip = existsSync(DIR + FILE) ? false : 'no ../shared/fixtures/real/hl7'
const RECEIVED = Date.UTC(2025, 10, 26, 12)
const contract = validator(InfusionEvent)
const real = () => readFileSync(DIR + FILE, 'latin1')

test('the IHE PCD-10 example: one infusion event, Dopamine 1.6 mg/mL at 15.4 mL/h, delivering, AA', { skip }, () => {
  const d = decodeHl7(real(), RECEIVED)
  assert.deepEqual([d.ack.code, d.problems, d.alarms], ['AA', [], []])
  // What the event does not carry is kept as coded readings: 9 numeric OBX, 9 numbers out; the
  // drug library's version, the active sources and the care area as text (no number).
  assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.value, o.unit, o.value_text]), [
    ['other', 184517, undefined, '', 'DL1'], ['other', 158014, 15.4, 'mL/h', undefined], ['other', 158016, undefined, '', 'pump-source-info-primary'],
    ['other', 157916, 974, 'min', undefined], ['other', 184516, undefined, '', 'Crit Care'], ['other', 68063, 82, 'kg', undefined],
  ])
  assert.equal(d.infusionEvents.length, 1)
  const e = d.infusionEvents[0]!
  assert.deepEqual(e, {
    event_id: 'E0002/6358051206735492253:1', device_id: 'E0002', source: 'hl7v2', patient_id: 'HO2009002',
    ward: '3 West ICU', room: '3002', bed: '1', facility: null, order_id: 'AB12345',
    event_code: 197288, event_name: 'MDC_EVT_PUMP_DELIV_START', channel: '1.1.2', channel_label: 'Primary',
    drug: 'Dopamine', concentration: 1.6, concentration_unit: 'mg/mL', rate: 15.4, rate_unit: 'mL/h', dose_rate: 5, dose_rate_unit: 'ug/kg/min',
    volume_infused: 0, volume_to_be_infused: 250, volume_remaining: 250, volume_unit: 'mL',
    program_state: 'pump-delivery-status-delivering', pump_state: 'pump-status-infusing', delivery_mode: 'pump-program-delivery-mode-continuous',
    alerts: [], device_time: Date.parse('2015-10-15T18:21:06Z'), received_time: RECEIVED,
  })
  assert.ok(contract.check({ ...e, gateway_id: 'gw', seq: 1 }), contract.explain({ ...e, gateway_id: 'gw', seq: 1 }))
  assert.ok(d.key, 'a resent event is stored once')
})

test('held-out variants: values changed, LF line ends, MLLP-framed; a missing metric is null, never 0', { skip }, () => {
  const variant = real()
    .replace('|15.4|265266^MDC_DIM_MILLI_L_PER_HR^MDC^mL/h^mL/h^UCUM|||||R\rOBX|15', '|42.5|265266^MDC_DIM_MILLI_L_PER_HR^MDC^mL/h^mL/h^UCUM|||||R\rOBX|15')
    .replace('|Dopamine|', '|Noradrenaline|')
    .replace('|0.0|263762', '|17.25|263762')
    .replace('^pump-delivery-status-delivering', '^pump-delivery-status-paused')
    .replace(/OBX\|21\|[^\r]*\r/, '')
    .replace('6358051206735492253', 'v-2')
  const deframer = new MllpDeframer()
  const [frame] = deframer.push(mllpFrame(variant.replace(/\r/g, '\n'))).messages
  const d = decodeHl7(frame!, RECEIVED)
  assert.equal(d.ack.code, 'AA')
  const e = d.infusionEvents[0]!
  assert.deepEqual([e.drug, e.rate, e.volume_infused, e.program_state, e.concentration, e.concentration_unit, e.event_id], ['Noradrenaline', 42.5, 17.25, 'pump-delivery-status-paused', null, null, 'E0002/v-2:1'])
})

test('an R42 without any infusion metric is refused with the reason (AR), kept aside', () => {
  const msg = 'MSH|^~\\&|PUMP||||20251126120000||ORU^R42^ORU_R01|x1|P|2.6\rPID|||p1\rOBR|1|o1|f1|2222^X|||20251126120000\rOBX|1||70049^MDC_DEV_PUMP_INFUS_LVP_MDS^MDC|1.0.0.0|||||||X|||||||pump-1\r'
  const d = decodeHl7(msg, RECEIVED)
  assert.deepEqual([d.ack.code, d.infusionEvents.length, d.problems.map((p) => p.code)], ['AR', 0, ['NEVA_HL7V2_NO_INFUSION_DATA']])
})

test('the encoder round-trips through the decoder', () => {
  const msg = encodeOruR42({ controlId: 'p-1', time: RECEIVED - 1000, sendingApplication: 'PUMPSIM', patientId: 'icu.bed2', location: { pointOfCare: 'ICU', bed: '2' }, equipmentId: 'icu-pump-2', orderId: 'ord-7', event: 'start', drug: 'Heparin', concentration: 100, rate: 12.5, volumeInfused: 3.5, volumeToBeInfused: 250, state: 'delivering' })
  const d = decodeHl7(msg, RECEIVED)
  assert.equal(d.ack.code, 'AA')
  const e = d.infusionEvents[0]!
  assert.deepEqual([e.device_id, e.patient_id, e.bed, e.order_id, e.drug, e.rate, e.rate_unit, e.volume_infused, e.program_state, e.event_name], ['icu-pump-2', 'icu.bed2', '2', 'ord-7', 'Heparin', 12.5, 'mL/h', 3.5, 'pump-delivery-status-delivering', 'MDC_EVT_PUMP_DELIV_START'])
})

test('fuzz: a mutated R42 never throws, and every event decoded meets the contract', () => {
  const good = Buffer.from(encodeOruR42({ controlId: 'f-1', time: RECEIVED - 1000, sendingApplication: 'PUMPSIM', patientId: 'p1', equipmentId: 'pump-1', orderId: 'o1', event: 'stop', drug: 'Insulin', concentration: 1, rate: 2, volumeInfused: 5, volumeToBeInfused: 50, state: 'stopped' }))
  const mutated = fc.array(fc.tuple(fc.nat(good.length), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 8 }).map((edits) => {
    let b = Buffer.from(good)
    for (const [at, byte, insert] of edits) b = insert ? Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]) : (b[Math.min(at, b.length - 1)] = byte, b)
    return b
  })
  fc.assert(fc.property(mutated, (bytes) => {
    const d = decodeHl7(bytes, RECEIVED, { maxMessageBytes: 8192 })
    for (const e of d.infusionEvents) assert.ok(contract.check({ ...e, gateway_id: 'gw', seq: 1 }), contract.explain({ ...e, gateway_id: 'gw', seq: 1 }))
    assert.ok(['AA', 'AE', 'AR'].includes(d.ack.code))
  }), { numRuns: fuzzRuns(300) })
})
