// Alarms end to end: a monitor's ORU^R40 over MLLP (TCP) and a device's MQTT alarm message reach
// the gateway, are made durable, acknowledged, sent to the core and stored in ClickHouse's alarms
// table, where the board's AlarmStore reads each alarm's current state. A resent message is
// stored once; a bad alarm message is kept aside as a refused reading.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { AlarmStore } from '@neva/analytics'
import { MDC_EVT, encodeOruR40, type OruR40Input } from '@neva/firmware-adapters'
import { startTestCore, startTestGateway, sendMllp } from './helpers.js'

const core = await startTestCore({ 'gw-alarm': 'tok-alarm' })
after(() => core.close())

const NOW = Date.now()
const r40 = (controlId: string, extra: Partial<OruR40Input> = {}) => encodeOruR40({
  controlId, time: NOW - 5000, sendingApplication: 'ICU-CENTRAL', patientId: 'icu.p7', equipmentId: 'icu-mon-7', location: { pointOfCare: 'ICU', room: '7', bed: '1' },
  alertId: 'hr-hi-1', event: { code: MDC_EVT.HI[0], name: MDC_EVT.HI[1], text: 'HR high' }, vital: 'heart_rate', value: 142, limits: { low: 45, high: 130 },
  priority: 'medium', alertType: 'physiological', phase: 'start', state: 'active', ...extra,
})

test('ORU^R40 over MLLP and alarms over MQTT reach ClickHouse once each; the board sees each alarm as its latest update', async () => {
  const gateway = await startTestGateway('gw-alarm', core.url, 'tok-alarm', undefined, { mllp: { port: 0 } })
  try {
    // A heart-rate alarm raised and ended, another raised; the first message resent (a lost ACK).
    const acks = await sendMllp(gateway.mllpPort!, [
      r40('m-1'), r40('m-2', { phase: 'end', state: 'inactive', value: 118 }), r40('m-3', { alertId: 'spo2-lo-1', event: { code: MDC_EVT.LO[0], name: MDC_EVT.LO[1] }, vital: 'spo2', value: 84, limits: { low: 90 }, priority: 'high' }), r40('m-1'),
    ])
    assert.deepEqual(acks, ['AA', 'AA', 'AA', 'AA'])

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'amb-alarm', reconnectPeriod: 0 })
    const message = Buffer.from(JSON.stringify({ alarm_id: 'rr-hi-2', patient_id: 'amb.p2', time: NOW - 2000, event: 'MDC_EVT_HI', vital: 'respiratory_rate', value: 31, limit_high: 28, priority: 'medium', state: 'active', location: { ward: 'AMB-2' } }))
    await client.publishAsync('neva/v1/devices/amb-2.mon/alarms', message, { qos: 1 })
    await client.publishAsync('neva/v1/devices/amb-2.mon/alarms', message, { qos: 1 })
    await client.publishAsync('neva/v1/devices/amb-2.mon/alarms', Buffer.from('{"alarm_id":"x","priority":"loud","state":"active","event":"MDC_EVT_HI"}'), { qos: 1 })
    await client.endAsync()
    await gateway.drain(20_000)

    assert.equal(await core.store.count('alarms', "gateway_id = 'gw-alarm'"), 4)
    assert.equal(await core.store.count('rejected_readings', "gateway_id = 'gw-alarm' AND code = 'NEVA_DECODE_SCHEMA' AND origin = 'mqtt:neva/v1/devices/amb-2.mon/alarms'"), 1)
    const board = new AlarmStore(core.clickhouse)
    const active = await board.active()
    assert.deepEqual(active.map((a) => [a.alarm_id, a.priority, a.source, a.patient_id, a.ward, a.value, a.unit]), [
      ['icu-mon-7/spo2-lo-1^ICU-CENTRAL', 'high', 'hl7v2', 'icu.p7', 'ICU', 84, '%'],
      ['amb-2.mon/rr-hi-2', 'medium', 'mqtt', 'amb.p2', 'AMB-2', 31, '/min'],
    ])
    const ended = await board.get('icu-mon-7/hr-hi-1^ICU-CENTRAL')
    assert.deepEqual([ended?.state, ended?.phase, ended?.value, ended?.updates], ['inactive', 'end', 118, 2])
    assert.deepEqual((await board.active({ wards: ['ICU'] })).map((a) => a.bed), ['1'])
    const { created } = await board.acknowledge('icu-mon-7/spo2-lo-1^ICU-CENTRAL', 'nurse.ana')
    assert.equal(created, true)
    assert.equal((await board.active({ wards: ['ICU'] }))[0]!.ack?.user, 'nurse.ana')
  } finally {
    await gateway.stop()
  }
})
