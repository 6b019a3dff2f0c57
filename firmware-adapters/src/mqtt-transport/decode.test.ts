import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeTransportMessage, parseTransportTopic } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/ambulances/amb-7/transport'
const json = (o: unknown) => Buffer.from(JSON.stringify(o))
const good = { patient_id: 'amb-7.p1', destination_site: 'city-1', state: 'en_route', eta: NOW + 600_000, time: NOW - 1000 }

test('an en_route message becomes one transport of the topic\'s unit, with its ETA and a resend key', () => {
  const d = decodeTransportMessage(TOPIC, json(good), NOW)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.transports, [{ unit: 'amb-7', patient_id: 'amb-7.p1', destination_site: 'city-1', state: 'en_route', eta: NOW + 600_000, updated_time: NOW - 1000, received_time: NOW }])
  assert.equal(d.deviceId, 'amb-7')
  assert.deepEqual([d.key?.device, d.key?.time], ['amb-7', NOW - 1000])
  assert.equal(decodeTransportMessage(TOPIC, json(good), NOW + 5).key?.hash, d.key?.hash)
})

test('no ETA is missing, not zero; arrived carries none', () => {
  const { eta: _, ...noEta } = good
  assert.equal(decodeTransportMessage(TOPIC, json(noEta), NOW).transports?.[0]?.eta, null)
  assert.equal(decodeTransportMessage(TOPIC, json({ ...good, eta: null }), NOW).transports?.[0]?.eta, null)
  const arrived = decodeTransportMessage(TOPIC, json({ ...good, state: 'arrived', eta: null }), NOW)
  assert.equal(arrived.transports?.[0]?.state, 'arrived')
})

test('refused whole, naming what was wrong', () => {
  const problem = (topic: string, payload: Uint8Array) => {
    const d = decodeTransportMessage(topic, payload, NOW)
    assert.deepEqual(d.transports, [])
    assert.equal(d.problems.length, 1)
    return d.problems[0]!
  }
  assert.equal(problem('neva/v1/ambulances/a b/transport', json(good)).code, 'NEVA_DECODE_UNKNOWN_TOPIC')
  assert.equal(problem(TOPIC, Buffer.from('{"patient_id":')).code, 'NEVA_DECODE_INVALID_JSON')
  assert.equal(problem(TOPIC, Buffer.from([0xff, 0xfe])).code, 'NEVA_DECODE_INVALID_JSON')
  assert.match(problem(TOPIC, json({ ...good, state: 'parked' })).reason, /state/)
  assert.match(problem(TOPIC, json({ ...good, destination_site: '' })).reason, /destination_site/)
  assert.match(problem(TOPIC, json({ ...good, extra: 1 })).reason, /extra|additional/i)
  assert.match(problem(TOPIC, json({ ...good, time: 5 })).reason, /^\/time/)
  assert.match(problem(TOPIC, json({ ...good, eta: NOW + 2 * 24 * 3600_000 })).reason, /^\/eta/)
  assert.match(problem(TOPIC, json({ ...good, state: 'arrived' })).reason, /only a transport en_route/)
})

test('topics: only neva/v1/ambulances/{unit}/transport', () => {
  assert.equal(parseTransportTopic(TOPIC), 'amb-7')
  assert.equal(parseTransportTopic('neva/v1/ambulances/amb-7/vitals'), null)
  assert.equal(parseTransportTopic('neva/v1/ambulances//transport'), null)
  assert.equal(parseTransportTopic('neva/v1/ambulances/a/b/transport'), null)
})
