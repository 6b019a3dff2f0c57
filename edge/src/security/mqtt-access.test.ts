import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Decoded } from '@neva/firmware-adapters'
import { MqttAccess } from './mqtt-access.js'
import { hashPassword } from './password-hash.js'

const credentials = [{ username: 'amb-7-tablet', password_hash: hashPassword('pw-for-the-tablet', { m: 64, t: 1, p: 1 }), device_ids: ['amb-7.*'] }]
const decoded = (deviceId: string | undefined, patientId?: string): Decoded => ({ source: 'mqtt', deviceId, patientId, observations: [], problems: [] })
const none = { username: null, via: 'none' } as const
const tablet = { username: 'amb-7-tablet', via: 'password' } as const

test('modes: open allows everything; mixed protects claimed devices; required allows nothing without a login', () => {
  const open = new MqttAccess({ credentials: [], requireCredentials: false })
  assert.equal(open.mode, 'open')
  assert.equal(open.checkPublish(none, 'anything', decoded(undefined)), undefined)
  assert.equal(open.checkSubscribe(none, '#'), undefined)

  const mixed = new MqttAccess({ credentials, requireCredentials: false })
  assert.equal(mixed.mode, 'mixed')
  assert.equal(mixed.checkPublish(none, 't', decoded('ward-spo2')), undefined)
  assert.equal(mixed.checkPublish(none, 't', decoded('amb-7.p1-monitor'))?.code, 'NEVA_EDGE_MQTT_TOPIC_DENIED')
  assert.equal(mixed.checkPublish(none, 'x/y', decoded(undefined))?.code, 'NEVA_EDGE_MQTT_TOPIC_DENIED')

  const required = new MqttAccess({ credentials, requireCredentials: true })
  assert.equal(required.checkPublish(none, 't', decoded('ward-spo2'))?.code, 'NEVA_EDGE_MQTT_TOPIC_DENIED', 'a will without a login')
  assert.equal(required.checkPublish(tablet, 't', decoded('amb-7.p1-monitor', 'anyone')), undefined, 'no patient_ids: any patient')
  assert.equal(required.checkPublish(tablet, 't', decoded('amb-8.p1-monitor'))?.code, 'NEVA_EDGE_MQTT_TOPIC_DENIED')
  assert.deepEqual(required.denied, { '(none)': { NEVA_EDGE_MQTT_TOPIC_DENIED: 1 }, 'amb-7-tablet': { NEVA_EDGE_MQTT_TOPIC_DENIED: 1 } })
})

test('logins checked at once are bounded; beyond the waiting list, CONNACK 3', async () => {
  const access = new MqttAccess({ credentials, requireCredentials: true, maxConcurrentChecks: 1, maxWaitingChecks: 1 })
  const client = () => ({ conn: {} }) as never
  const attempts = await Promise.all([1, 2, 3].map(() => access.authenticate(client(), 'amb-7-tablet', Buffer.from('wrong'))))
  assert.deepEqual(attempts.map((a) => a?.returnCode).sort(), [3, 4, 4])
  assert.equal(await access.authenticate(client(), 'amb-7-tablet', Buffer.from('pw-for-the-tablet')), null)
})
