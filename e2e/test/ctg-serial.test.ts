// A fetal monitor on a serial port (socat pseudo-terminals, the CTG line protocol): 30 min of
// late decelerations written a line a second; the gateway gathers the lines into chunks, stores
// them sample for sample, classifies them live and raises the alarm; a garbage line is refused by
// name and kept aside at the core while the lines around it are stored.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createWriteStream } from 'node:fs'
import { simulateCtg, startPtyPair } from '@neva/simulators'
import { startTestCore, startTestGateway } from './helpers.js'

test('CTG line protocol over a pty: stored sample for sample, pathological trace alarmed, a bad line kept aside', { timeout: 300_000 }, async (t) => {
  const core = await startTestCore({ 'gw-fm': 'tok-fm' })
  t.after(() => core.close())
  const pty = await startPtyPair()
  t.after(() => pty.stop())
  const gateway = await startTestGateway('gw-fm', core.url, 'tok-fm', undefined, { serial: [{ device_id: 'fm-serial', path: pty.b, protocol: 'ctg-lines' }] })
  t.after(() => gateway.stop())
  const sim = simulateCtg('late-decelerations', { minutes: 30, seed: 'serial' })
  const start = Date.UTC(2026, 11, 3, 6)
  const fmt = (v: number) => (v === 0 ? '-' : String(v))
  let text = 'PID mother.serial\r\n'
  for (let s = 0; s < 30 * 60; s++) {
    const fhr = sim.fhr.slice(s * 4, s * 4 + 4).map(fmt).join(',')
    const uc = sim.uc.slice(s * 4, s * 4 + 4).join(',')
    text += `CTG ${s === 0 ? new Date(start).toISOString() : '-'} FHR1=${fhr} UA=${uc}\r\n`
    if (s === 600) text += 'GARBAGE FROM A LOOSE CABLE\r\n'
  }
  // The gateway's port opens in the background: wait until it is heard before writing.
  await new Promise((r) => setTimeout(r, 500))
  const port = createWriteStream(pty.a)
  for (let i = 0; i < text.length; i += 4096) if (!port.write(text.slice(i, i + 4096))) await new Promise<void>((r) => port.once('drain', () => r()))
  await new Promise<void>((r) => port.end(r))

  const q = async <T>(query: string) => (await core.clickhouse.client.query({ query, query_params: { p: 'mother.serial' }, format: 'JSONEachRow' })).json<T>()
  let rows: Array<{ lead: string; samples: number[] }> = []
  for (let tries = 0; tries < 200; tries++) {
    await gateway.drain(30_000)
    rows = await q('SELECT lead, samples FROM waveforms WHERE patient_id = {p:String} ORDER BY lead, start_time')
    if (rows.filter((r) => r.lead === 'FHR').flatMap((r) => r.samples).length >= sim.fhr.length) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const fhr = rows.filter((r) => r.lead === 'FHR').flatMap((r) => r.samples)
  const uc = rows.filter((r) => r.lead === 'UC').flatMap((r) => r.samples)
  assert.equal(fhr.length, sim.fhr.length)
  for (let i = 0; i < fhr.length; i++) if (fhr[i] !== (sim.fhr[i] === 0 ? -32768 : Math.round(sim.fhr[i]! * 100))) assert.fail(`FHR sample ${i}: ${fhr[i]} for ${sim.fhr[i]}`)
  for (let i = 0; i < uc.length; i++) if (uc[i] !== Math.round(sim.uc[i]! * 100)) assert.fail(`UC sample ${i}: ${uc[i]} for ${sim.uc[i]}`)
  const verdicts = await q<{ classification: string }>('SELECT classification FROM ctg_verdicts WHERE patient_id = {p:String} ORDER BY time')
  assert.equal(verdicts.at(-1)?.classification, 'pathological')
  const alarms = await q<{ event_name: string; state: string }>('SELECT event_name, state FROM alarms WHERE patient_id = {p:String}')
  assert.deepEqual(alarms, [{ event_name: 'CTG_PATHOLOGICAL', state: 'active' }])
  const refused = await (await core.clickhouse.client.query({ query: "SELECT code, reason FROM rejected_readings WHERE gateway_id = 'gw-fm'", format: 'JSONEachRow' })).json<{ code: string; reason: string }>()
  assert.deepEqual(refused.map((r) => r.code), ['NEVA_CTG_BAD_LINE'])
})
