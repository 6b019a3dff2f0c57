// The MLLP sender both the ward monitors and the PhysioNet replay send through, against a
// scripted gateway over TCP: one message in flight, in order; an AE resent or given up by option;
// idle() once everything is settled; a full queue drops its oldest message not in flight.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeOruR01 } from '@neva/firmware-adapters'
import { MllpSender } from '../src/mllp-sender.js'
import { scriptedGateway } from './scripted-mllp-gateway.js'

const message = (controlId: string) => encodeOruR01({ controlId, time: Date.UTC(2026, 0, 1), sendingApplication: 'MON', patientId: 'p1', equipmentId: 'mon-1', readings: [{ vital: 'heart_rate', value: 72 }] })

test('as the replay sends: in order, one at a time; AE and AR given up at once and counted; idle() when all are settled', async () => {
  const gw = await scriptedGateway((id) => (id === 'm2' ? 'AE' : id === 'm3' ? 'AR' : 'AA'))
  const sender = new MllpSender({ host: '127.0.0.1', port: gw.port, maxErrorResends: 0, reconnectMaxMs: 250 })
  try {
    for (const id of ['m1', 'm2', 'm3', 'm4']) sender.send(id, message(id))
    await sender.idle()
    assert.deepEqual(gw.seen, ['m1', 'm2', 'm3', 'm4'])
    assert.deepEqual(sender.counters, { sent: 4, resent: 0, acked: 2, errors: 1, rejected: 2, dropped: 0, reconnects: 0 })
    assert.equal(sender.queued, 0)
  } finally {
    await sender.close()
    await gw.stop()
  }
})

test('as a monitor sends: an AE is resent until accepted; a full queue drops its oldest waiting message, never the one in flight', async () => {
  let hold = true
  const gw = await scriptedGateway((id, n) => (id === 'm1' && n === 1 ? 'AE' : hold && id === 'm1' ? null : 'AA'))
  const sender = new MllpSender({ host: '127.0.0.1', port: gw.port, reconnectMinMs: 20, ackTimeoutMs: 60_000, maxQueue: 2 })
  try {
    sender.send('m1', message('m1'))
    // m1 is in flight (its resend unanswered while held): m2 waits, m3 pushes m2 out.
    while (gw.seen.length < 2) await new Promise((r) => setTimeout(r, 10))
    sender.send('m2', message('m2'))
    sender.send('m3', message('m3'))
    assert.equal(sender.counters.dropped, 1)
    hold = false
    // The held copy is answered only when sent again: the connection dropped (as the ACK timeout
    // would, later), the sender reconnects and resends it.
    sender['socket']?.destroy()
    await sender.idle()
    assert.deepEqual(gw.seen.filter((id) => id !== 'm1'), ['m3'])
    assert.equal(sender.counters.errors, 1)
    assert.equal(sender.counters.acked, 2)
  } finally {
    await sender.close()
    await gw.stop()
  }
})
