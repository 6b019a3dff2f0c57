import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VITALS } from '@neva/contracts'
import { OpcuaMappingError, validateOpcuaMapping } from './mapping.js'

const device = (nodes: unknown[], extra: object = {}) => ({ device_id: 'vent-1', endpoint_url: 'opc.tcp://127.0.0.1:4840', security_mode: 'None', patient_id: 'icu.bed3', nodes, ...extra })

function problems(config: unknown): string[] {
  try {
    validateOpcuaMapping(config)
  } catch (err) {
    assert.ok(err instanceof OpcuaMappingError, String(err))
    assert.equal(err.code, 'NEVA_OPCUA_CONFIG')
    return err.problems
  }
  assert.fail('expected the configuration to be refused')
}

test('a valid section resolves every node through the code table, with defaults', () => {
  const [vent, ...rest] = validateOpcuaMapping([device([
    { node_id: 'ns=1;s=Vent.RespRate', mdc_code: 151562, unit: '/min' },
    { node_id: 'ns=1;s=Vent.FiO2', mdc_code: 152196, scale: 100 },
    // A 16-bit term is partition 2 (SCADA): 19384 is MDC_PULS_OXIM_SAT_O2.
    { node_id: 'ns=2;i=1001', mdc_code: 19384 },
  ])])
  assert.equal(rest.length, 0)
  assert.deepEqual({ ...vent, nodes: undefined }, { deviceId: 'vent-1', patientId: 'icu.bed3', endpointUrl: 'opc.tcp://127.0.0.1:4840', security: { mode: 'None', policy: 'None', acceptUnknownCertificates: false }, samplingIntervalMs: 1000, nodes: undefined })
  assert.deepEqual(vent!.nodes.map((n) => [n.nodeId, n.vital.name, n.scale, n.deviceId, n.patientId]), [
    ['ns=1;s=Vent.RespRate', 'respiratory_rate', 1, 'vent-1', 'icu.bed3'],
    ['ns=1;s=Vent.FiO2', 'fio2', 100, 'vent-1', 'icu.bed3'],
    ['ns=2;i=1001', 'spo2', 1, 'vent-1', 'icu.bed3'],
  ])
  assert.equal(vent!.nodes[1]!.vital, VITALS.fio2)
  assert.deepEqual(validateOpcuaMapping(undefined), [])
})

test('an unknown code or a unit that is not the table’s is refused, naming the node', () => {
  const found = problems([device([
    { node_id: 'ns=1;s=Vent.Ok', mdc_code: 151562 },
    { node_id: 'ns=1;s=Vent.Mystery', mdc_code: 999999 },
    { node_id: 'ns=1;s=Vent.PEEP', mdc_code: 151976, unit: 'mbar' },
  ])])
  assert.deepEqual(found, [
    'opcua/0/nodes/1 (ns=1;s=Vent.Mystery): MDC code 999999 is not in the code table',
    'opcua/0/nodes/2 (ns=1;s=Vent.PEEP): unit "mbar" differs from MDC_VENT_PRESS_AWAY_END_EXP_POS\'s "cm[H2O]" (convert with scale and state the table\'s unit)',
  ])
})

test('malformed and repeated node ids, repeated devices and schema errors are named', () => {
  const found = problems([
    device([{ node_id: 'Vent.RespRate', mdc_code: 151562 }, { node_id: 'ns=1;i=7', mdc_code: 151562 }, { node_id: 'ns=1;i=7', mdc_code: 150456 }]),
    device([{ node_id: 'ns=1;s=X', mdc_code: 151562 }]),
  ])
  assert.equal(found.length, 3)
  assert.match(found[0]!, /^opcua\/0\/nodes\/0 \(Vent\.RespRate\): node_id is not an OPC UA node id/)
  assert.match(found[1]!, /^opcua\/0\/nodes\/2 \(ns=1;i=7\): node_id is configured twice for device vent-1/)
  assert.match(found[2]!, /^opcua\/1\/device_id: vent-1 is configured twice/)

  const schema = problems([device([{ node_id: 'ns=1;s=X', mdc_code: 151562, scale: 0 }], { endpoint_url: 'http://x', extra: 1 })])
  assert.ok(schema.some((p) => p.startsWith('opcua/0/endpoint_url:')), schema.join('\n'))
  assert.ok(schema.some((p) => p.startsWith('opcua/0/nodes/0/scale:')), schema.join('\n'))
  assert.ok(schema.some((p) => p.startsWith('opcua/0')), schema.join('\n'))
  assert.match(problems([device([])])[0]!, /^opcua\/0\/nodes: /)
  assert.match(problems({ not: 'an array' })[0]!, /^opcua\/: /)
})

test('every ventilator parameter in the table can be mapped by its MDC code', () => {
  const names = ['fio2', 'peep', 'peak_airway_pressure', 'tidal_volume', 'minute_volume', 'etco2', 'ventilation_rate'] as const
  const [vent] = validateOpcuaMapping([device(names.map((name, i) => ({ node_id: `ns=1;i=${i + 1}`, mdc_code: VITALS[name].mdc, unit: VITALS[name].unit })))])
  assert.deepEqual(vent!.nodes.map((n) => n.vital.name), names)
})
