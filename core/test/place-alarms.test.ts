// A gateway silent too long shows on the ICU boards of its site (a technical line above the beds),
// to users granted that site only, and leaves them when the gateway is heard again.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GATEWAY_SILENCE_PREFIX, hashToken, startCore } from '@neva/core'
import { sse, testAccess } from './board-fixtures.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-place-alarms-')) },
  gateways: { gw: hashToken('gw-token') }, gatewaySites: { gw: ['city-1'] }, logLevel: 'silent', metricsTokens: { scraper: hashToken('scrape') },
  // Checked by the test (check()), not by the timer.
  gatewaySupervision: { silenceS: 0.2, checkEveryMs: 3_600_000 },
}, { boardAccess: testAccess, live: { heartbeatMs: 300 } })
after(() => core.close())

let batchNo = 1
const ingest = async () => {
  const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer gw-token' }, body: JSON.stringify({ gateway_id: 'gw', batch_id: `b${batchNo++}`, sent_time: Date.now(), observations: [], triage: [], rejected: [] }) })
  assert.equal(res.status, 200, await res.text())
}
const silentGauge = async () => {
  const text = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer scrape' } })).text()
  return Number(/^neva_core_gateways_silent (\d+)$/m.exec(text)?.[1])
}
const open = async (user: string) => {
  const controller = new AbortController()
  const res = await fetch(`${core.url}/v1/live?board=icu`, { headers: { 'x-test-user': user }, signal: controller.signal })
  assert.equal(res.status, 200)
  return { events: sse(res.body!), close: () => controller.abort() }
}
async function next(events: AsyncGenerator<{ event: string; data: any }>, event: string): Promise<any> {
  for (;;) {
    const r = await events.next()
    if (r.done) throw new Error(`stream ended before ${event}`)
    if (r.value.event === event) return r.value.data
  }
}

test('on the ICU board of its site for users granted the site; ended live when the gateway is heard', async () => {
  await ingest()
  while (core.gatewaySupervisor.silent().length === 0) {
    await new Promise((r) => setTimeout(r, 100))
    await core.gatewaySupervisor.check()
  }
  assert.equal(await silentGauge(), 1)
  const site = await open('dr-ed-1')
  const elsewhere = await open('dr-ed-2')
  const wardOnly = await open('nurse-icu-a')
  try {
    const snapshot = await next(site.events, 'snapshot')
    assert.equal(snapshot.place_alarms.length, 1)
    const [alarm] = snapshot.place_alarms
    assert.ok(alarm.alarm_id.startsWith(`${GATEWAY_SILENCE_PREFIX}gw/`))
    assert.deepEqual([alarm.site, alarm.ward, alarm.alert_type, alarm.priority, alarm.state], ['city-1', null, 'technical', 'medium', 'active'])
    assert.match(alarm.event_text, /^no data from gateway gw for \d+ s$/)
    // Another site's clinician, and a nurse granted one ward only (the alarm is the whole site's), see none.
    assert.deepEqual((await next(elsewhere.events, 'snapshot')).place_alarms, [])
    assert.deepEqual((await next(wardOnly.events, 'snapshot')).place_alarms, [])

    await ingest()
    await core.gatewaySupervisor.check()
    const ended = await next(site.events, 'place_alarm')
    assert.deepEqual([ended.alarm.alarm_id, ended.alarm.state, ended.alarm.site], [alarm.alarm_id, 'inactive', 'city-1'])
    assert.equal(await silentGauge(), 0)
    // The others hear heartbeats, never the alarm.
    for (const other of [elsewhere, wardOnly]) {
      for (let i = 0; i < 3; i++) {
        const r = await other.events.next()
        assert.notEqual(r.value?.event, 'place_alarm')
      }
    }
  } finally {
    site.close(); elsewhere.close(); wardOnly.close()
  }
})
