// The rest of the patient page in a real headless Chromium: the pumps' infusions beside their
// orders, the decision-support suggestions with whether the clinician agreed, and the ECG in full
// disclosure (pick any stored minute, see every lead of it, 10 s a row, drawn like the boards').
// The ECG read is checked (a minute that is not a minute's start is a 400; a patient not granted
// a 403) and audited. Screenshots go to .test-artifacts/ (git-ignored).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { EmrStore, OrderStore } from '@neva/analytics'
import { startCore } from '@neva/core'
import { ECG_LEAD_MDC, ECG_LEADS } from '@neva/contracts'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install -y chromium)`

test('patient page in Chromium: infusions with their orders, suggestions and agreement, ECG of any stored minute with every lead', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-patient-record-')) }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024 })
  t.after(() => core.close())
  const now = Date.now()
  const S = 'City Hospital'
  await new EmrStore(core.clickhouse).store([
    { type: 'encounter', encounter_id: 'enc-r1', patient_id: 'rec.p1', kind: 'icu_stay', site: S, ward: 'ICU-A', bed: 'A1', start_time: now - 3 * 3600_000, end_time: null, updated_time: now - 3 * 3600_000 },
    { type: 'encounter', encounter_id: 'enc-r2', patient_id: 'rec.other', kind: 'icu_stay', site: S, ward: 'ICU-B', bed: 'B1', start_time: now - 3600_000, end_time: null, updated_time: now - 3600_000 },
    { type: 'diagnosis', diagnosis_id: 'dx-r1', encounter_id: 'enc-r1', patient_id: 'rec.p1', icd10: 'I21.4', kind: 'final', set_by: 'clinician', author_id: 'dr-1', time: now - 3600_000 },
  ], 'test')
  await new OrderStore(core.clickhouse).put({ order_id: 'ord-r1', patient_id: 'rec.p1', encounter_id: 'enc-r1', ordered_by: 'dr-1', code: '', text: 'Noradrenaline 0.1 µg/kg/min', status: 'in_progress', updated_by: 'nurse-a', placed_time: now - 2 * 3600_000, updated_time: now - 3600_000 })
  await core.clickhouse.client.insert({
    table: 'dx_suggestions', format: 'JSONEachRow',
    values: [
      { suggestion_id: 's-1', encounter_id: 'enc-r1', patient_id: 'rec.p1', kind: 'final_check', model_id: 'dx-nb', model_version: 3, suggested_icd10: ['I21.4', 'I20.0', 'R07.4'], suggested_p: [0.62, 0.21, 0.08], physician_icd10: 'I21.4', verdict: 'agree', source: 'his', time: new Date(now - 50 * 60_000).toISOString().replace('T', ' ').slice(0, 23) },
      { suggestion_id: 's-2', encounter_id: 'enc-r1', patient_id: 'rec.p1', kind: 'preliminary', model_id: 'dx-nb', model_version: 3, suggested_icd10: ['J18.9'], suggested_p: [0.4], physician_icd10: null, verdict: null, source: 'his', time: new Date(now - 150 * 60_000).toISOString().replace('T', ' ').slice(0, 23) },
    ],
  })

  // ECG: a whole 12-lead minute (250 Hz, 10 s chunks) and, ten minutes before, 10 s of lead II.
  const minute = Math.floor((now - 5 * 60_000) / 60_000) * 60_000
  const earlier = minute - 10 * 60_000
  let seq = 1
  const wave = (lead: string, start: number) => ({
    gateway_id: 'gw-1', seq: seq++, device_id: 'ecg-a1', patient_id: 'rec.p1', lead, mdc_code: ECG_LEAD_MDC[lead as (typeof ECG_LEADS)[number]] ?? 0, start_time: start, sample_rate_hz: 250, resolution_uv: 5,
    samples: Array.from({ length: 2500 }, (_, i) => Math.round(200 * Math.exp(-(((i % 200) - 100) ** 2) / 20))), received_time: start + 10_500,
  })
  const waveforms = [...ECG_LEADS.flatMap((lead) => [0, 1, 2, 3, 4, 5].map((k) => wave(lead, minute + k * 10_000))), wave('II', earlier)]
  const pump = {
    gateway_id: 'gw-1', seq: seq++, event_id: 'pump-ev-1', device_id: 'icu-pump-1', source: 'hl7', patient_id: 'rec.p1', ward: 'ICU-A', room: null, bed: 'A1', facility: null, order_id: 'ord-r1',
    event_code: null, event_name: null, channel: '1', channel_label: null, drug: 'Noradrenaline', concentration: null, concentration_unit: null, rate: 5, rate_unit: 'mL/h', dose_rate: null, dose_rate_unit: null,
    volume_infused: 12.5, volume_to_be_infused: 50, volume_remaining: 37.5, volume_unit: 'mL', program_state: 'infusing', pump_state: 'running', delivery_mode: null, alerts: [], device_time: now - 60_000, received_time: now - 59_000,
  }
  await core.store.storeBatch({ gateway_id: 'gw-1', batch_id: 'rec-1', sent_time: now, observations: [], triage: [], rejected: [], waveforms, infusion_events: [pump] } as never)
  await core.people.add({ id: 'nurse-a', name: 'Nurse A', password: 'nurse a password', roles: ['nurse'], wards: [`${S}/ICU-A`] }, 'test')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
  await page.goto(`${core.url}/login?next=/patients/rec.p1`)
  await page.fill('#username', 'nurse-a')
  await page.fill('#password', 'nurse a password')
  await Promise.all([page.waitForURL(/\/patients\/rec\.p1$/), page.click('button[type=submit]')])

  // The pump beside its order.
  const infusion = page.locator('table.infusions tr[data-pump="icu-pump-1"]')
  await infusion.waitFor({ timeout: 15_000 })
  assert.match(await infusion.innerText(), /icu-pump-1 ch 1\s+Noradrenaline\s+5 mL\/h\s+12\.5 mL\s+infusing · running\s+Noradrenaline 0\.1 µg\/kg\/min \(ord-r1\)/)
  assert.match(await page.locator('table.orders tr[data-order="ord-r1"]').innerText(), /in_progress/)
  // Suggestions and whether the clinician agreed.
  assert.match(await page.locator('table.suggestions tr[data-suggestion="s-1"]').innerText(), /final check\s+I21\.4 62%, I20\.0 21%, R07\.4 8%\s+dx-nb@3\s+agreed \(I21\.4\)\s+agree/)
  assert.match(await page.locator('table.suggestions tr[data-suggestion="s-2"]').innerText(), /preliminary\s+J18\.9 40%\s+dx-nb@3\s+set I21\.4 instead/)

  // ECG: the newest stored minute first, every lead of it, six 10 s rows.
  const strips = page.locator(`.ecg-strips[data-minute="${minute}"]`)
  await strips.waitFor({ timeout: 15_000 })
  assert.deepEqual((await strips.getAttribute('data-leads'))!.split(',').sort(), [...ECG_LEADS].sort())
  assert.equal(await strips.locator('canvas.ecg').count(), 6)
  const inked = await strips.locator('canvas.ecg').first().evaluate((node) => {
    const c = node as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
    let dark = 0
    for (let i = 0; i < d.length; i += 4) if (d[i]! < 80 && d[i + 1]! < 80 && d[i + 2]! < 80) dark++
    return dark
  })
  assert.ok(inked > 500, `the trace is drawn (${inked} dark pixels)`)
  await page.screenshot({ path: join(ARTIFACTS, 'patient-record.png'), fullPage: true })
  // Any stored minute: pick the earlier one, see its one lead.
  await page.selectOption('.ecg-pick select', String(earlier))
  const other = page.locator(`.ecg-strips[data-minute="${earlier}"]`)
  await other.waitFor({ timeout: 15_000 })
  assert.equal(await other.getAttribute('data-leads'), 'II')
  assert.equal(await other.locator('canvas.ecg').count(), 1)
  // The read is checked and audited.
  const status = (path: string) => page.evaluate((p) => fetch(p).then((r) => r.status), path)
  assert.equal(await status(`/v1/patients/rec.p1/ecg?minute=${minute + 1}`), 400)
  assert.equal(await status(`/v1/patients/rec.p1/ecg?minute=abc`), 400)
  assert.equal(await status(`/v1/patients/rec.other/ecg?minute=${minute}`), 403)
  const rs = await core.clickhouse.client.query({ query: `SELECT patient_id, what FROM record_views WHERE what LIKE 'patient ecg%' ORDER BY patient_id, what`, format: 'JSONEachRow' })
  const seen = (await rs.json<{ patient_id: string; what: string }>()).map((r) => `${r.patient_id} ${r.what}`)
  assert.ok(seen.includes('rec.p1 patient ecg') && seen.includes('rec.other patient ecg refused'), seen.join('; '))
})
