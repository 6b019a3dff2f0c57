// HL7 orders over real MLLP on loopback: the gateway connects to a listening analyzer, sends each
// pending order once (OML^O21 or ORM^O01) and reads the answer; an error answer (AE) is sent again
// with the same control id, a rejection (AR) is counted and not sent again; the analyzer's
// decoder sees exactly the ordered tests.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { MllpDeframer, decodeHl7LabOrders, mllpFrame, type AstmOrderAnswer, type Hl7LabOrder, type Hl7OrderType } from '@neva/firmware-adapters'
import { Hl7OrderSender } from './hl7-order-sender.js'
import { until } from '../../test/pty.js'

/** A listening analyzer: answers each order ORL^O22 with the MSA code `answer` picks. */
async function analyzer(answer: (order: Hl7LabOrder, seen: number) => 'AA' | 'AE' | 'AR') {
  const received: Array<{ controlId: string; type?: string; orders: Hl7LabOrder[] }> = []
  const seen = new Map<string, number>()
  const server = createServer((socket) => {
    const deframer = new MllpDeframer()
    socket.on('data', (b) => {
      for (const m of deframer.push(b).messages) {
        const decoded = decodeHl7LabOrders(m)
        received.push({ controlId: decoded.controlId, type: decoded.type, orders: decoded.orders })
        const order = decoded.orders[0]!
        const n = (seen.get(order.specimen_id) ?? 0) + 1
        seen.set(order.specimen_id, n)
        socket.write(mllpFrame(`MSH|^~\\&|XN|LAB|NEVA||20260301||ORL^O22^ORL_O22|a${received.length}|P|2.5.1\rMSA|${answer(order, n)}|${decoded.controlId}|why\r`))
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { received, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) }
}

const PENDING: AstmOrderAnswer[] = [
  { patient_id: 'MRN-1', specimen_id: 'SP-1', tests: ['GLU', 'K'], priority: 'stat' },
  { patient_id: 'MRN-2', specimen_id: 'SP-2', tests: ['NA'], priority: 'routine' },
  { patient_id: 'MRN-3', specimen_id: 'SP-3', tests: ['CRP'], priority: 'urgent' },
]
const LOINC: Record<string, string> = { GLU: '2345-7', K: '2823-3', NA: '2951-2' }

for (const message of ['OML^O21', 'ORM^O01'] as Hl7OrderType[]) {
  test(`${message}: each order accepted once, an AE sent again with its control id, an AR not again`, async () => {
    const peer = await analyzer((o, n) => (o.specimen_id === 'SP-2' && n === 1 ? 'AE' : o.specimen_id === 'SP-3' ? 'AR' : 'AA'))
    const errors: string[] = []
    const sender = new Hl7OrderSender({
      deviceId: 'xn-1', host: '127.0.0.1', port: peer.port, message, pending: () => PENDING, loincOf: (c) => LOINC[c],
      log: () => {}, error: (code) => errors.push(code), everyMs: 10, retryMs: 50,
    })
    sender.start()
    try {
      await until('every order answered', () => sender.done.size === 3, 20_000, () => [sender.stats, peer.received.length])
      await new Promise((r) => setTimeout(r, 200))
      assert.deepEqual(Object.fromEntries(sender.done), { 'SP-1': 'accepted', 'SP-2': 'accepted', 'SP-3': 'rejected' })
      assert.deepEqual(peer.received.map((r) => r.orders[0]!.specimen_id), ['SP-1', 'SP-2', 'SP-3', 'SP-2'], 'SP-2 again after its AE; nothing else twice')
      assert.equal(peer.received[1]!.controlId, peer.received[3]!.controlId, 'a resend keeps MSH-10')
      assert.ok(peer.received.every((r) => r.type === message))
      assert.deepEqual(peer.received[0]!.orders, [{ control: 'NW', specimen_id: 'SP-1', patient_id: 'MRN-1', priority: 'stat', tests: [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }] }])
      assert.deepEqual(peer.received[2]!.orders[0]!.tests, [{ lab_code: 'CRP' }], 'a test without a LOINC goes by the lab code alone')
      assert.deepEqual(errors.sort(), ['NEVA_EDGE_HL7_ORDER_FAILED', 'NEVA_EDGE_HL7_ORDER_REJECTED'])
      assert.deepEqual(sender.stats, { sent: 4, accepted: 2, errors: 1, rejected: 1, timeouts: 0 })
    } finally {
      sender.stop()
      await peer.close()
    }
  })
}

test('no peer listening: nothing is lost, the order is sent once the analyzer is up', async () => {
  const probe = await analyzer(() => 'AA')
  const port = probe.port
  await probe.close()
  const sender = new Hl7OrderSender({ deviceId: 'xn-2', host: '127.0.0.1', port, message: 'OML^O21', pending: () => [PENDING[1]!], log: () => {}, everyMs: 20, retryMs: 20 })
  sender.start()
  try {
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(sender.done.size, 0)
    const server = createServer((socket) => {
      const deframer = new MllpDeframer()
      socket.on('data', (b) => {
        for (const m of deframer.push(b).messages) socket.write(mllpFrame(`MSH|^~\\&|A|B|||20260301||ACK^O21^ACK|x|P|2.5.1\rMSA|AA|${decodeHl7LabOrders(m).controlId}\r`))
      })
    })
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
    try {
      await until('accepted', () => sender.done.get('SP-2') === 'accepted', 20_000, () => sender.stats)
    } finally {
      sender.stop()
      server.close()
    }
  } finally {
    sender.stop()
  }
})
