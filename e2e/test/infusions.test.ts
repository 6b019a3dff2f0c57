// Infusion pumps and silent devices end to end: a pump gateway's ORU^R42 (IHE PCD-10) over MLLP
// is acknowledged once durable, sent to the core and stored in ClickHouse's infusion_events (a
// resend stored once); a monitor that stops sending raises a technical alarm that the core stores
// with the monitor's patient, and ends it when the monitor is back.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { AlarmStore } from '@neva/analytics'
import { encodeOruR01, encodeOruR42 } from '@neva/firmware-adapters'
import { startTestCore, startTestGateway, sendMllp } from './helpers.js'

const core = await startTestCore({ 'gw-pump': 'tok-pump' })
after(() => core.close())

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

test('ORU^R42 over MLLP reaches ClickHouse once; a silent monitor is a stored technical alarm, ended when it is back', async () => {
  const gateway = await startTestGateway('gw-pump', core.url, 'tok-pump', undefined, {
    mllp: { port: 0 },
    supervision: { check_interval_ms: 200, devices: [{ device_id: 'icu-mon-3', silence_ms: 2000 }] },
  })
  try {
    const now = Date.now()
    const r42 = (controlId: string, rate: number, state: string) => encodeOruR42({
      controlId, time: now - 1000, sendingApplication: 'PUMP-GW', patientId: 'icu.p3', location: { pointOfCare: 'ICU', room: '3', bed: '3' },
      equipmentId: 'icu-pump-3', orderId: 'ord-3', event: state === 'delivering' ? 'start' : 'stop', drug: 'Noradrenaline', concentration: 0.08, rate, volumeInfused: 1.5, volumeToBeInfused: 50, state,
    })
    assert.deepEqual(await sendMllp(gateway.mllpPort!, [r42('p-1', 4.5, 'delivering'), r42('p-2', 0, 'stopped'), r42('p-1', 4.5, 'delivering')]), ['AA', 'AA', 'AA'])
    await gateway.drain(30_000)
    assert.equal(await core.store.count('infusion_events', "gateway_id = 'gw-pump'"), 2)
    const rs = await core.clickhouse.client.query({
      query: "SELECT drug, rate, rate_unit, program_state, patient_id, ward, bed, order_id FROM infusion_events WHERE gateway_id = 'gw-pump' ORDER BY received_time, seq",
      format: 'JSONEachRow',
    })
    assert.deepEqual((await rs.json<Record<string, unknown>>()).map((r) => [r.drug, r.rate, r.rate_unit, r.program_state, r.patient_id, r.ward, r.bed, r.order_id]), [
      ['Noradrenaline', 4.5, 'mL/h', 'pump-delivery-status-delivering', 'icu.p3', 'ICU', '3', 'ord-3'],
      ['Noradrenaline', 0, 'mL/h', 'pump-delivery-status-stopped', 'icu.p3', 'ICU', '3', 'ord-3'],
    ])

    const r01 = (controlId: string) => encodeOruR01({ controlId, time: Date.now(), sendingApplication: 'MON', patientId: 'icu.p3', location: { pointOfCare: 'ICU', room: '3', bed: '3' }, equipmentId: 'icu-mon-3', readings: [{ vital: 'heart_rate', value: 80 }] })
    assert.deepEqual(await sendMllp(gateway.mllpPort!, [r01('m-1')]), ['AA'])
    const alarms = new AlarmStore(core.clickhouse)
    const silent = async () => (await alarms.active()).find((a) => a.device_id === 'icu-mon-3' && a.patient_id === 'icu.p3')
    await until('the silence alarm in ClickHouse', async () => (await silent()) !== undefined)
    const raised = (await silent())!
    assert.deepEqual([raised.alert_type, raised.priority, raised.event_name, raised.bed], ['technical', 'medium', 'NEVA_EDGE_DEVICE_SILENT', '3'])
    assert.match(raised.event_text ?? '', /^no data from bed 3's device icu-mon-3 for \d+ s$/)

    assert.deepEqual(await sendMllp(gateway.mllpPort!, [r01('m-2')]), ['AA'])
    await until('the silence alarm ended', async () => (await alarms.get(raised.alarm_id))?.state === 'inactive')
  } finally {
    await gateway.stop()
  }
})
