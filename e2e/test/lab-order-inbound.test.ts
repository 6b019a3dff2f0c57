// The attack it stops: a device or middleware on the gateway's MLLP listener sends lab orders
// (OML^O21, ORM^O01, OML^O33) for a real patient with an open encounter, hoping the gateway
// carries them to the core as orders. Real core + gateway over loopback: each is answered AR with
// an ERR saying why, counted against the sender, kept aside as a rejected reading at the core
// (payload for the lab to look at), and no order exists afterwards; the sender's ORU results on
// the same connection are still taken (AA) and stored.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { EmrStore } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { FirmwareErrorCode, MllpDeframer, encodeHl7LabOrder, encodeLabResultOru, mllpFrame, parseHl7, type Hl7Message } from '@neva/firmware-adapters'
import { startTestGateway, tempDir } from './helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch-lab-inbound') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
  gateways: { 'gw-in': hashToken('gw-in-token') }, gatewaySites: { 'gw-in': ['City 1'] }, emrSystems: { his: hashToken('his-token') },
}, { labMatchEveryMs: 0 })
after(() => core.close())

async function exchange(port: number, messages: string[]): Promise<Hl7Message[]> {
  const socket = connect(port, '127.0.0.1')
  const deframer = new MllpDeframer()
  const answers: Hl7Message[] = []
  socket.on('data', (b) => answers.push(...deframer.push(b).messages.map((m) => parseHl7(m).message!)))
  for (const [i, m] of messages.entries()) {
    socket.write(mllpFrame(m))
    const deadline = Date.now() + 15_000
    while (answers.length <= i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  }
  socket.destroy()
  return answers
}

test('orders sent to the gateway by a device are refused AR, counted, kept aside, and never become orders', async () => {
  const start = Date.now() - 3600_000
  await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-in1', patient_id: 'MRN-IN1', kind: 'admission', site: 'City 1', ward: 'Ward 1', start_time: start, end_time: null, updated_time: start }], 'test')
  const gateway = await startTestGateway('gw-in', core.url, 'gw-in-token', tempDir('edge-lab-inbound'), { mllp: { port: 0 } })
  try {
    const t = Date.now()
    const base = { time: t, sendingApplication: 'rogue-mw', patient_id: 'MRN-IN1', tests: [{ loinc: '2823-3', lab_code: 'K' }], priority: 'stat' as const }
    const oml = encodeHl7LabOrder({ ...base, type: 'OML^O21', controlId: 'EVIL-1', specimen_id: 'EVIL-SP-1' })
    const orm = encodeHl7LabOrder({ ...base, type: 'ORM^O01', controlId: 'EVIL-2', specimen_id: 'EVIL-SP-2' })
    const o33 = oml.replace('OML^O21^OML_O21|EVIL-1', 'OML^O33^OML_O33|EVIL-3').replace(/EVIL-SP-1/g, 'EVIL-SP-3')
    const result = encodeLabResultOru({ controlId: 'GOOD-1', time: t, sendingApplication: 'rogue-mw', patientId: 'MRN-IN1', specimenId: 'SP-REAL', tests: [{ lab_code: 'K', loinc: '2823-3', value: 4.1, unit: 'mmol/L' }] })
    const answers = await exchange(gateway.mllpPort!, [oml, result, orm, o33])
    assert.deepEqual(answers.map((a) => [a.segment('MSA')!.value(1), a.segment('MSA')!.value(2)]), [['AR', 'EVIL-1'], ['AA', 'GOOD-1'], ['AR', 'EVIL-2'], ['AR', 'EVIL-3']])
    for (const a of [answers[0]!, answers[2]!, answers[3]!]) {
      assert.match(a.segment('MSA')!.value(3), /is an order: this gateway takes no orders from devices or middleware/)
      assert.equal(a.segment('ERR')!.value(3, 1), '200')
    }
    // Counted against the sender.
    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { devices: Array<{ device_id: string; errors: Record<string, number> }> }
    assert.equal(status.devices.find((d) => d.device_id === 'rogue-mw')?.errors[FirmwareErrorCode.NEVA_HL7V2_ORDER_FROM_DEVICE], 3, JSON.stringify(status.devices))
    await gateway.drain(10_000)
    // Kept aside at the core with the payload; the result beside them stored.
    const q = async <T>(query: string) => (await (await core.clickhouse.client.query({ query, format: 'JSONEachRow' })).json<T>())
    const rejected = await q<{ code: string; payload: string }>(`SELECT code, payload FROM rejected_readings WHERE gateway_id = 'gw-in' ORDER BY seq`)
    assert.deepEqual(rejected.map((r) => r.code), Array(3).fill(FirmwareErrorCode.NEVA_HL7V2_ORDER_FROM_DEVICE))
    assert.ok(rejected.every((r) => r.payload.includes('EVIL-SP-')))
    const results = await q<{ order_id: string }>(`SELECT order_id FROM lab_results WHERE gateway_id = 'gw-in'`)
    assert.deepEqual(results.map((r) => r.order_id), ['SP-REAL'])
    // No order was created, by any of them.
    const orders = (await (await fetch(`${core.url}/v1/lab/orders?patient_id=MRN-IN1`, { headers: { authorization: 'Bearer his-token' } })).json()) as { orders: unknown[] }
    assert.deepEqual(orders.orders, [])
    const worklist = (await (await fetch(`${core.url}/v1/lab/worklist`, { headers: { authorization: 'Bearer gw-in-token' } })).json()) as { orders: unknown[] }
    assert.deepEqual(worklist.orders, [])
  } finally {
    await gateway.stop()
  }
})
