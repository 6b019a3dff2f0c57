// Real messages from device vendors, IHE and lab middleware (../shared/fixtures/real/hl7, never
// copied into the repository). Expected values were read from the files by hand.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Alarm, LabResult, Observation, validator } from '@neva/contracts'
import { decodeHl7, type DecodedHl7 } from './decode.js'

const DIR = fileURLToPath(new URL('../../../../shared/fixtures/real/hl7/', import.meta.url))
const skip = existsSync(DIR) ? false : 'no ../shared/fixtures/real/hl7'
const RECEIVED = Date.UTC(2025, 10, 26, 12)
const read = (name: string) => readFileSync(DIR + name)
const decode = (name: string) => decodeHl7(read(name), RECEIVED)
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString())
const observation = validator(Observation)
const labResult = validator(LabResult)
const alarm = validator(Alarm)
const readings = (d: DecodedHl7) => d.observations.filter((o) => o.value !== undefined).map((o) => [o.name, o.mdc_code, o.value, o.unit, iso(o.device_time), o.patient_id, o.flags])

test('every real HL7 file decodes or is refused with a stated reason', { skip }, () => {
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.hl7'))) {
    const d = decode(name)
    const stored = d.observations.length + d.labResults.length + d.alarms.length + d.infusionEvents.length
    const heartbeat = d.ignored.some((i) => i.code === 'NEVA_HL7V2_ALARM_HEARTBEAT')
    assert.ok(stored > 0 || heartbeat || (d.ack.code === 'AR' && d.problems.length === 1 && d.problems[0]!.reason.length > 20), name)
    for (const a of d.alarms) assert.ok(alarm.check({ ...a, gateway_id: 'gw', seq: 1 }), `${name}: ${alarm.explain({ ...a, gateway_id: 'gw', seq: 1 })}`)
    for (const o of d.observations) assert.ok(observation.check({ ...o, gateway_id: 'gw', seq: 1 }), `${name}: ${observation.explain({ ...o, gateway_id: 'gw', seq: 1 })}`)
    for (const l of d.labResults) assert.ok(labResult.check({ ...l, gateway_id: 'gw', seq: 1 }), `${name}: ${labResult.explain({ ...l, gateway_id: 'gw', seq: 1 })}`)
  }
})

test('Philips monitor (IHE PCD TF E.1.1): NIBP at its own OBX-14, HR and RR at OBR-7; QT and QTc kept by code, the ECG rhythm as words; hierarchy skipped', { skip }, () => {
  const d = decode('ihe_pcd_tf_E1.1_philips_pcd01_physio_monitor.hl7')
  assert.equal(d.ack.code, 'AA')
  assert.equal(d.patientId, 'HO2009001')
  assert.deepEqual(d.location, { pointOfCare: 'HO Surgery', room: 'OR', bed: '1' })
  // OBX-18 of the MDS entry, the first OBX naming its equipment.
  assert.equal(d.deviceId, 'e86c094f-f751-4acf-92b2-38f11c1f6f57-Device')
  // Every OBX carries OBX-11 X ("cannot be obtained") although the metrics have values: kept, flagged.
  const q = ['questionable']
  assert.deepEqual(readings(d), [
    ['nibp_systolic', 150021, 117, 'mm[Hg]', '2015-01-22T11:50:00.000Z', 'HO2009001', q],
    ['nibp_diastolic', 150022, 82, 'mm[Hg]', '2015-01-22T11:50:00.000Z', 'HO2009001', q],
    ['nibp_mean', 150023, 90, 'mm[Hg]', '2015-01-22T11:50:00.000Z', 'HO2009001', q],
    ['heart_rate', 147842, 80, '/min', '2015-01-22T18:26:56.000Z', 'HO2009001', q],
    ['other', 147232, 360, 'ms', '2015-01-22T18:26:56.000Z', 'HO2009001', q],
    ['other', 147236, 416, 'ms', '2015-01-22T18:26:56.000Z', 'HO2009001', q],
    ['respiratory_rate', 151562, 30, '/min', '2015-01-22T18:26:56.000Z', 'HO2009001', q],
  ])
  assert.deepEqual(d.observations.map((o) => o.loinc), ['8480-6', '8462-4', '8478-0', '8867-4', '8634-8', '8636-3', '9279-1', '8884-9'])
  assert.deepEqual(d.observations.filter((o) => o.name === 'other' && o.value !== undefined).map((o) => [o.device_label, o.unit_as_sent]), [
    ['MDC_ECG_TIME_PD_QT_GL', '264338^MDC_DIM_MILLI_SEC^MDC'], ['MDC_ECG_TIME_PD_QTc', '264338^MDC_DIM_MILLI_SEC^MDC'],
  ])
  assert.deepEqual(d.ignored.map((i) => i.reason.split(':')[0] + ' ' + i.code), [
    'OBX 1 NEVA_HL7V2_DEVICE_ENTRY', 'OBX 2 NEVA_HL7V2_DEVICE_ENTRY', 'OBX 3 NEVA_HL7V2_DEVICE_ENTRY', 'OBX 7 NEVA_HL7V2_DEVICE_ENTRY',
    'OBX 8 NEVA_HL7V2_DEVICE_ENTRY', 'OBX 14 NEVA_HL7V2_DEVICE_ENTRY',
  ])
  // The ECG rhythm (OBX 13, ST) is kept as words, with its code; no number.
  assert.deepEqual(d.observations.filter((o) => o.value_text !== undefined).map((o) => [o.mdc_code, o.device_label, o.value_text, o.value]), [[184327, 'MDC_ECG_STAT_RHY', 'MDC_ECG_SINUS_RHY', undefined]])
  assert.deepEqual(d.problems, [])
  assert.deepEqual({ device: d.key?.device, time: iso(d.key?.time ?? null) }, { device: d.deviceId, time: '2015-01-22T11:50:00.000Z' })
})

test('ACME gateway (IHE PCD TF E.1.2): UCUM units, episodic NIBP; the pulse rate from the cuff is kept by its code', { skip }, () => {
  const d = decode('ihe_pcd_tf_E1.2_acme_gateway_pcd01_episodic_nibp.hl7')
  assert.equal(d.ack.code, 'AA')
  assert.deepEqual([d.patientId, d.deviceId], ['12345', '080019FFFE3ED02D172.16.172.135'])
  assert.deepEqual(d.location, { pointOfCare: 'COLWELL', bed: 'SOLAR' })
  const t = '2011-06-02T04:58:42.000Z'
  assert.deepEqual(readings(d), [
    ['nibp_systolic', 150021, 111, 'mm[Hg]', t, '12345', []],
    ['nibp_diastolic', 150022, 60, 'mm[Hg]', t, '12345', []],
    ['nibp_mean', 150023, 80, 'mm[Hg]', t, '12345', []],
    // {beat}/min^{beat}/min^UCUM: UCUM for /min.
    ['other', 149546, 63, '/min', t, '12345', []],
  ])
})

test('ACME WAN blood pressure (IHE PCD TF App. J): no PV1; time inherited from the NIBP entry, +05:00', { skip }, () => {
  const d = decode('ihe_pcd_tf_AppJ_acme_wan_pcd01_bp_soap_payload.hl7')
  assert.equal(d.ack.code, 'AA')
  assert.deepEqual([d.patientId, d.deviceId, d.location], ['789567', '0123456789ABCDEF', undefined])
  const t = '2009-08-13T04:57:15.000Z'
  assert.deepEqual(readings(d), [
    ['nibp_systolic', 150021, 120, 'mm[Hg]', t, '789567', []],
    ['nibp_diastolic', 150022, 80, 'mm[Hg]', t, '789567', []],
    ['nibp_mean', 150023, 100, 'mm[Hg]', t, '789567', []],
  ])
  assert.deepEqual(d.ignored.map((i) => i.code), ['NEVA_HL7V2_DEVICE_ENTRY', 'NEVA_HL7V2_NO_VALUE'])
})

test('PixCell HemoScreen (ORU^R01 v2.4): vendor mnemonics become lab results; patient from PID-2', { skip }, () => {
  const d = decode('senaite_pixcell_hemoscreen_fresh_blood_oru_r01.hl7')
  assert.equal(d.ack.code, 'AA')
  assert.deepEqual(d.observations, [])
  assert.equal(d.labResults.length, 20)
  assert.deepEqual([d.patientId, d.deviceId], ['35', 'HemoScreen'])
  const [wbc, , hgb] = d.labResults
  assert.deepEqual({ ...wbc, result_time: iso(wbc!.result_time) }, {
    device_id: 'HemoScreen', source: 'hl7v2', order_id: null, patient_id: '35', test_code: 'WBC', loinc: '6690-2', value: '11.7', numeric_value: 11.7,
    unit: '10*3/uL', reference_range: '', abnormal_flag: null, status: 'F', result_time: '2023-12-10T11:18:00.000Z', received_time: RECEIVED, comments: [],
  })
  assert.deepEqual([hgb!.test_code, hgb!.loinc, hgb!.numeric_value, hgb!.unit], ['HGB', '718-7', 14.25, 'g/dL'])
  const byCode = new Map(d.labResults.map((l) => [l.test_code, l]))
  assert.equal(byCode.get('MCH')!.loinc, null) // not in the default table: stored without LOINC, never guessed
  assert.equal(byCode.get('BAS%')!.numeric_value, 0) // "0.00" is a zero the analyzer measured
  assert.equal(byCode.get('PLT')!.numeric_value, 120)
})

test('PixCell with flags: "LL" and "---" stay text (ST), NTE comments attach to their OBX, "*" flags', { skip }, () => {
  const d = decode('senaite_pixcell_hemoscreen_with_flags_oru_r01.hl7')
  assert.equal(d.ack.code, 'AA')
  const byCode = new Map(d.labResults.map((l) => [l.test_code, l]))
  assert.deepEqual([byCode.get('HGB')!.value, byCode.get('HGB')!.numeric_value], ['LL', null])
  assert.deepEqual([byCode.get('MPV')!.value, byCode.get('MPV')!.numeric_value], ['---', null])
  assert.deepEqual([byCode.get('HCT')!.numeric_value, byCode.get('RBC')!.comments], [3.44, []])
  const neu = byCode.get('NEU#')!
  assert.deepEqual([neu.abnormal_flag, neu.comments], ['*', ['Abnormal cells may affect marked results']])
  assert.equal(d.labResults.filter((l) => l.comments.length === 1).length, 10)
  // Both PixCell messages carry MSH-10 "0": MSH-7 keeps their identities apart.
  const fresh = decode('senaite_pixcell_hemoscreen_fresh_blood_oru_r01.hl7')
  assert.equal(d.key!.time, fresh.key!.time)
  assert.notEqual(d.key!.hash, fresh.key!.hash)
})

const alarmOf = (name: string) => {
  const d = decode(name)
  // Numbers an alert carries besides its source measurement are readings (checked per file).
  assert.deepEqual([d.ack.code, d.problems, d.alarms.length], ['AA', [], 1], name)
  return { d, a: d.alarms[0]! }
}

test('Mindray eGateway low SpO2 (IHE PCD TF E.3.1): event, source with value and limits, OBX-8 priority and type', { skip }, () => {
  const { d, a } = alarmOf('ihe_pcd_tf_E3.1_mindray_egateway_pcd04_oru_r40_low_spo2_alarm.hl7')
  assert.deepEqual(d.location, { pointOfCare: 'HO Surgery', room: 'OR', bed: '1' })
  // The SpO2 that raised it is stored with the alarm (value, limits), not again as a reading.
  assert.deepEqual(d.observations, [])
  assert.deepEqual(a, {
    // OBR-29's parent alert (^1&MINDRAY_EGATEWAY&00A037EB2175780F&EUI-64), behind the device (OBX-18 of the event).
    alarm_id: 'F1519EFX/1^MINDRAY_EGATEWAY^00A037EB2175780F^EUI-64', device_id: 'F1519EFX', source: 'hl7v2', patient_id: 'HO2009001',
    ward: 'HO Surgery', room: 'OR', bed: '1', facility: null,
    event_code: 196670, event_name: 'MDC_EVT_LO', event_text: 'Low SpO2', source_code: 150456, source_name: 'MDC_PULS_OXIM_SAT_O2',
    // OBX-8 "L~PM~SP": abnormally low, medium priority, physiological.
    alert_type: 'physiological', priority: 'medium', state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: 'enabled',
    value: 88, unit: '%', limit_low: 90, limit_high: 96,
    device_time: Date.parse('2012-01-11T21:04:57Z'), received_time: RECEIVED,
  })
  assert.deepEqual([d.key?.device, iso(d.key?.time ?? null)], ['F1519EFX', '2012-01-11T21:04:57.000Z'])
})

test('B. Braun pump occlusion (IHE PCD TF E.3.2): MDC_EVT_ALARM names the event in its CWE; a technical alarm without a priority', { skip }, () => {
  const { a } = alarmOf('ihe_pcd_tf_E3.2_bbraun_pump_pcd04_oru_r40_occlusion_start.hl7')
  assert.deepEqual(a, {
    alarm_id: 'P6013/E0001_27^PAT_DEVICE_BBRAUN^0012211839000001^EUI-64', device_id: 'P6013', source: 'hl7v2', patient_id: 'HO2009003',
    ward: 'HO 3 West ICU', room: '10', bed: '1', facility: null,
    event_code: 196940, event_name: 'MDC_EVT_FLUID_LINE_OCCL', event_text: 'Occlusion', source_code: 69985, source_name: 'MDC_DEV_PUMP_INFUS_MDS',
    // OBX-8 is only "ST" (technical): the pump gave no priority, and none is guessed.
    alert_type: 'technical', priority: null, state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: 'enabled',
    value: null, unit: null, limit_low: null, limit_high: null,
    device_time: Date.parse('2012-01-09T23:54:17Z'), received_time: RECEIVED,
  })
})

test('Dräger ACM mock, CO2 sensor unplugged: priority and type from their own OBX; the MDS/VMD entries are not alarms', { skip }, () => {
  const { d, a } = alarmOf('draeger_ihe_acm_mock_pcd04_oru_r40_co2_sensor_disconnect.hl7')
  assert.deepEqual(a, {
    alarm_id: 'urn:uuid:f9bd67ba-10f9-11ea-bab1-0050b612afeb/0^3d313edb-6fab-4718-9d38-82262c83aea5^0000000000000001^EUI-64',
    device_id: 'urn:uuid:f9bd67ba-10f9-11ea-bab1-0050b612afeb', source: 'hl7v2', patient_id: '8888',
    ward: 'CU1', room: null, bed: 'Bed001', facility: 'TAM',
    event_code: 196916, event_name: 'MDC_EVT_SENSOR_DISCONN', event_text: 'CO2 Sensor unplugged',
    // MDC_ATTR_ALERT_SOURCE NM 42: a handle, kept as sent.
    source_code: null, source_name: '42',
    alert_type: 'physiological', priority: 'low', state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: 'enabled',
    value: null, unit: null, limit_low: null, limit_high: null,
    device_time: Date.parse('2019-11-27T15:05:43Z'), received_time: RECEIVED,
  })
  assert.deepEqual(d.ignored, [])
  // The number the alert carries is kept too, by its code.
  assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.value, o.device_label, o.patient_id]), [['other', 68480, 42, 'MDC_ATTR_ALERT_SOURCE', '8888']])
})

test('Dräger ACM mock watchdog: the MDC_EVT_ACTIVE heartbeat is acknowledged and counted, not stored as an alarm', { skip }, () => {
  const d = decode('draeger_ihe_acm_mock_pcd04_oru_r40_watchdog.hl7')
  assert.deepEqual([d.ack.code, d.alarms, d.problems], ['AA', [], []])
  assert.deepEqual(d.ignored.map((i) => i.code), ['NEVA_HL7V2_ALARM_HEARTBEAT'])
  // Its period (MDC_ATTR_CONFIRM_TIMEOUT 5 s) is a number the device sent: kept by its code.
  assert.deepEqual(d.observations.map((o) => [o.mdc_code, o.value, o.unit]), [[67860, 5, 's']])
  assert.equal(d.controlId, '2df8823a-f8fb-44e0-a4ba-1d826e0809f1')
})

// ORU^R42 (IHE PCD-10 infusion events): infusion.test.ts.
