// The simulated HL7 analyzer between the gateway's real order sender and its real MLLP listener,
// over TCP on loopback: each order answered AA and run once, results for exactly its tests; a malformed order refused AR with an ERR naming the field; a resend
// with the same control id answered again, not run twice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { MllpDeframer, decodeHl7OrderAnswer, encodeHl7LabOrder, mllpFrame, parseHl7, type Decoded, type DecodedHl7 } from '@neva/firmware-adapters'
import { Hl7LabAnalyzerSim } from './hl7-lab-analyzer.js'

// The simulators package does not depend on the gateway; its components are loaded by path.
const edge = (path: string) => import(new URL(`../../edge/src/sources/${path}`, import.meta.url).href)
interface Order { patient_id: string; specimen_id: string; tests: string[]; priority: 'routine' | 'urgent' | 'stat' }

async function listener() {
  const { MllpSource } = await edge('mllp-source.ts')
  const { DeviceRegistry } = await edge('devices.ts')
  const received: DecodedHl7[] = []
  const source = new MllpSource({ host: '127.0.0.1', port: 0, devices: new DeviceRegistry(), next: { consume: async (d: Decoded) => { received.push(d as DecodedHl7) } } })
  await source.start()
  return { source: source as { port: number; stop(): Promise<void> }, received }
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Sends raw order messages and returns the answers' bytes as text. */
async function exchange(port: number, messages: string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1')
  const deframer = new MllpDeframer()
  const answers: string[] = []
  socket.on('data', (b) => answers.push(...deframer.push(b).messages.map((m) => Buffer.from(m).toString('utf8'))))
  for (const [i, m] of messages.entries()) {
    socket.write(mllpFrame(m))
    await until(`answer ${i + 1}`, () => answers.length > i)
  }
  socket.destroy()
  return answers
}

for (const type of ['OML^O21', 'ORM^O01'] as const) {
  test(`${type} from the gateway's order sender: AA, exactly the ordered tests resulted with placer/filler numbers, LOINC, unit, range and flag`, async () => {
    const gw = await listener()
    const sim = await Hl7LabAnalyzerSim.start({ deviceId: 'xn-1', resultsHost: '127.0.0.1', resultsPort: gw.source.port })
    const { Hl7OrderSender } = await edge('hl7-order-sender.ts')
    const pending: Order[] = [
      { patient_id: 'MRN-1', specimen_id: 'SP-1', tests: ['HGB', 'WBC'], priority: 'stat' },
      { patient_id: 'MRN-2', specimen_id: 'SP-2', tests: ['CRP'], priority: 'routine' },
    ]
    const loinc: Record<string, string> = { HGB: '718-7', WBC: '6690-2' }
    const sender = new Hl7OrderSender({ deviceId: 'xn-1', host: '127.0.0.1', port: sim.port, message: type, pending: () => pending, loincOf: (c: string) => loinc[c], log: () => {}, everyMs: 20 })
    sender.start()
    try {
      await until('both orders accepted and resulted', () => sender.stats.accepted === 2 && gw.received.reduce((a, d) => a + d.labResults.length, 0) === 3)
      assert.equal(sim.stats.accepted, 2)
      assert.equal(sim.stats.rejected, 0)
      assert.deepEqual(sim.received.map((o) => [o.specimen_id, o.tests.map((t) => t.lab_code)]), [['SP-1', ['HGB', 'WBC']], ['SP-2', ['CRP']]])
      const results = gw.received.flatMap((d) => d.labResults)
      assert.deepEqual(results.map((r) => [r.order_id, r.test_code, r.loinc]).sort(), [['SP-1', 'HGB', '718-7'], ['SP-1', 'WBC', '6690-2'], ['SP-2', 'CRP', '1988-5']])
      const crp = results.find((r) => r.test_code === 'CRP')!
      assert.equal(crp.device_id, 'xn-1')
      assert.equal(crp.patient_id, 'MRN-2')
      assert.equal(crp.numeric_value, 12)
      assert.equal(crp.unit, 'mg/L')
      assert.equal(crp.reference_range, '0-5')
      assert.equal(crp.abnormal_flag, 'H')
      assert.equal(crp.status, 'F')
      await until('results acknowledged', () => sim.pendingResults === 0)
      assert.equal(sim.stats.resultsAcked, 2)
    } finally {
      sender.stop()
      await sim.close()
      await gw.source.stop()
    }
  })
}

test('a malformed order is refused AR with an ERR naming the field, and not run; a resend is answered again, not run twice', async () => {
  const gw = await listener()
  const sim = await Hl7LabAnalyzerSim.start({ deviceId: 'xn-3', resultsHost: '127.0.0.1', resultsPort: gw.source.port })
  try {
    const t = Date.now()
    const noSpecimen = 'MSH|^~\\&|LIS||xn-3||20260301080000||OML^O21^OML_O21|BAD-1|P|2.5.1\rPID|1||MRN-1^^^^MR\rORC|NW\rOBR|1|||718-7^^LN\r'
    const noTest = 'MSH|^~\\&|LIS||xn-3||20260301080000||ORM^O01|BAD-2|P|2.3.1\rPID|1||MRN-1^^^^MR\rORC|NW|SP-77\rOBR|1|SP-77\r'
    const notOrder = 'MSH|^~\\&|LIS||xn-3||20260301080000||ADT^A01|BAD-3|P|2.5.1\rPID|1||MRN-1\r'
    const good = encodeHl7LabOrder({ type: 'ORM^O01', controlId: 'OK-1', time: t, sendingApplication: 'NEVA', patient_id: 'MRN-1', specimen_id: 'SP-8', tests: [{ lab_code: 'GLU' }], priority: 'routine' })
    const answers = await exchange(sim.port, [noSpecimen, noTest, notOrder, good, good])
    const read = answers.map((a) => parseHl7(a).message!)
    assert.deepEqual(read.map((m) => m.segment('MSA')!.value(1)), ['AR', 'AR', 'AR', 'AA', 'AA'])
    assert.deepEqual(read.map((m) => m.segment('MSA')!.value(2)), ['BAD-1', 'BAD-2', 'BAD-3', 'OK-1', 'OK-1'])
    assert.match(read[0]!.segment('MSA')!.value(3), /SPM-2, OBR-2, ORC-2, OBR-3 and ORC-3 are empty/)
    assert.equal(read[0]!.segment('ERR')!.value(3, 1), '101')
    assert.match(read[1]!.segment('MSA')!.value(3), /OBR-4/)
    assert.match(read[2]!.segment('MSA')!.value(3), /MSH-9/)
    assert.equal(read[2]!.segment('ERR')!.value(3, 1), '200')
    assert.equal(read[4]!.segment('ERR'), undefined)
    assert.equal(sim.stats.repeats, 1)
    await until('the one result', () => gw.received.length === 1)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(gw.received.length, 1, 'the resend was not run again')
    assert.deepEqual([...sim.ran], ['SP-8'])
  } finally {
    await sim.close()
    await gw.source.stop()
  }
})
