// The bulk export's template lines are the resources the API maps, byte for byte: any patient,
// gateway, device, name, unit and code, valid R4 each.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { BulkVitalRow } from '@neva/analytics'
import { vitalResource } from '../src/fhir/observation.js'
import { bulkRowObject, VitalLines } from '../src/fhir/vital-lines.js'
import { schemaErrors } from './fhir-schema.js'

const asRow = (r: BulkVitalRow) => bulkRowObject(r) as never

const row = fc.tuple(
  fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 4102444800000 }), fc.oneof(fc.constantFrom('heart_rate', 'spo2', 'other'), fc.string({ minLength: 1, maxLength: 30 })),
  fc.string({ minLength: 1, maxLength: 30 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.string({ minLength: 1, maxLength: 30 }),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom('', '8867-4', '59408-5', '8480-6', '2708-6'), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()),
  fc.constantFrom('', ' ', '/min', '%', 'mm[Hg]', 'Cel', 'é"\\'),
  // device_label, value_text, value_code, value_system, patient_reported: mostly a plain number.
  fc.constantFrom('', 'QTc', 'Pulse (NIBP)'), fc.oneof(fc.constant(''), fc.constant(''), fc.constantFrom('Sinus rhythm', 'VVI', 'é"\\')),
  fc.constantFrom('', '197288'), fc.constantFrom('', 'MDC', 'LN', 'XX'), fc.constantFrom(0, 0, 1),
) as fc.Arbitrary<BulkVitalRow>

test('a template line is JSON.stringify(vitalResource(row)), for any row', () => {
  const lines = new VitalLines()
  fc.assert(fc.property(row, (r) => {
    assert.equal(lines.line(r), `${JSON.stringify(vitalResource(asRow(r)))}\n`)
  }), { numRuns: 2000 })
})

test('template lines of the named vitals are valid R4', () => {
  const lines = new VitalLines()
  for (const [name, loinc, mdc, unit] of [['heart_rate', '8867-4', 147842, '/min'], ['spo2', '59408-5', 150456, '%'], ['other', '', 0, '']] as const) {
    const resource = JSON.parse(lines.line(['pat 1', Date.UTC(2026, 10, 20), name, 'gw|1', '42', 'mon-1', mdc, loinc, 61.5, unit, '', '', '', '', 0]))
    assert.deepEqual(schemaErrors(resource), [], name)
  }
})

test('an SpO2 line carries LOINC 2708-6 (the R4 oxygensat profile), then 59408-5, then MDC', () => {
  const resource = JSON.parse(new VitalLines().line(['p1', Date.UTC(2026, 10, 20), 'spo2', 'gw-1', '7', 'mon-1', 150456, '59408-5', 96, '%', '', '', '', '', 0]))
  assert.deepEqual(resource.code.coding, [{ system: 'http://loinc.org', code: '2708-6' }, { system: 'http://loinc.org', code: '59408-5' }, { system: 'urn:iso:std:iso:11073:10101', code: '150456' }])
  assert.deepEqual(resource.meta.profile, ['http://hl7.org/fhir/StructureDefinition/vitalsigns', 'http://hl7.org/fhir/StructureDefinition/oxygensat'])
  assert.deepEqual(schemaErrors(resource), [])
})
