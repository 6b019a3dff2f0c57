// The patient page in a real headless Chromium: a nurse opens the ICU board, clicks her patient's
// row and sees the trend chart (canvas, values on hover in the legend), the labs with their flags
// and the alarm with who acknowledged it; the search box opens a page by id; a patient on a ward
// not granted to her is refused, and the audit table holds both the view and the refusal. The
// print stylesheet gives a one-page handover (checked on Chromium's own PDF). Screenshots go to
// .test-artifacts/ (git-ignored).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { AlarmStore, EmrStore } from '@neva/analytics'
import { startCore } from '@neva/core'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install -y chromium)`
const temp = (p: string) => mkdtempSync(join(tmpdir(), `neva-patient-page-${p}-`))

test('patient page in Chromium: from the ICU board row to charts, labs and alarms; a patient not granted refused and audited', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: temp('ch') }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024 })
  t.after(() => core.close())
  const now = Date.now()
  const S = 'City Hospital'
  await new EmrStore(core.clickhouse).store([
    { type: 'encounter', encounter_id: 'enc-1', patient_id: 'icu.p1', kind: 'icu_stay', site: S, ward: 'ICU-A', bed: 'A1', start_time: now - 3 * 3600_000, end_time: null, updated_time: now - 3 * 3600_000 },
    { type: 'encounter', encounter_id: 'enc-2', patient_id: 'icu.p2', kind: 'icu_stay', site: S, ward: 'ICU-B', bed: 'B1', start_time: now - 3600_000, end_time: null, updated_time: now - 3600_000 },
    { type: 'encounter', encounter_id: 'enc-3', patient_id: 'ed.p1', kind: 'ed_arrival', site: S, ward: 'ED', start_time: now - 600_000, end_time: null, updated_time: now - 600_000 },
    { type: 'diagnosis', diagnosis_id: 'dx-1', encounter_id: 'enc-1', patient_id: 'icu.p1', icd10: 'J18.9', kind: 'preliminary', set_by: 'clinician', author_id: 'dr-1', time: now - 2 * 3600_000 },
  ], 'test')
  core.live.load([{ board: 'icu', patient_id: 'icu.p1', site: S, ward: 'ICU-A' }, { board: 'icu', patient_id: 'icu.p2', site: S, ward: 'ICU-B' }, { board: 'triage', patient_id: 'ed.p1', site: S, ward: 'ED' }])

  // Two hours of readings a minute apart: heart rate rising 80 → 139, SpO2 95 %.
  let seq = 1
  const observations = []
  for (let i = 0; i < 120; i++) {
    const time = now - (120 - i) * 60_000
    observations.push({ gateway_id: 'gw-1', seq: seq++, device_id: 'mon-a1', patient_id: 'icu.p1', source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 80 + Math.floor(i / 2), unit: '/min', device_time: time, received_time: time + 50, flags: [] })
    observations.push({ gateway_id: 'gw-1', seq: seq++, device_id: 'mon-a1', patient_id: 'icu.p1', source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 95, unit: '%', device_time: time, received_time: time + 50, flags: [] })
  }
  const lab = (test_code: string, value: number, range: string, flag: string | null) => ({
    gateway_id: 'gw-1', seq: seq++, device_id: 'analyzer-1', source: 'astm', order_id: 'ord-1', patient_id: 'icu.p1', test_code, loinc: null, value: String(value), numeric_value: value,
    unit: 'mmol/L', reference_range: range, abnormal_flag: flag, status: 'F', result_time: now - 30 * 60_000, received_time: now - 29 * 60_000, comments: [],
  })
  const alarm = {
    gateway_id: 'gw-1', seq: seq++, alarm_id: 'mon-a1/hr-hi-1', device_id: 'mon-a1', source: 'mqtt', patient_id: 'icu.p1', ward: 'ICU-A', room: null, bed: 'A1', facility: null,
    event_code: 196648, event_name: 'MDC_EVT_HI', event_text: 'HR high', source_code: 147842, source_name: 'MDC_ECG_HEART_RATE', alert_type: 'physiological', priority: 'high',
    state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: null, value: 135, unit: '/min', limit_low: 50, limit_high: 120, device_time: now - 10 * 60_000, received_time: now - 10 * 60_000 + 100,
  }
  const triage = {
    gateway_id: 'gw-1', seq: seq++, patient_id: 'icu.p1', time: now - 5 * 60_000, level: 'yellow', model_version: 'news2-rcp-2017',
    news2: { score: 3, partial: true, subscores: { respiratory_rate: null, spo2: 1, on_oxygen: null, systolic_bp: null, pulse: 2, consciousness: null, temperature: null }, missing: ['respiratory_rate', 'on_oxygen', 'systolic_bp', 'consciousness', 'temperature'], level: 'yellow', spo2_scale: 1 },
    inputs: { respiratory_rate: null, spo2: { value: 95, time: now - 5 * 60_000 }, on_oxygen: null, systolic_bp: null, pulse: { value: 128, time: now - 5 * 60_000 }, consciousness: null, temperature: null },
  }
  await core.store.storeBatch({ gateway_id: 'gw-1', batch_id: 'seed-1', sent_time: now, observations, triage: [triage], rejected: [], lab_results: [lab('K', 6.2, '3.5-5.1', 'H'), lab('NA', 139, '135-145', null)], alarms: [alarm] } as never)
  await new AlarmStore(core.clickhouse).acknowledge('mon-a1/hr-hi-1', 'nurse-a', 'rate control given')
  await core.people.add({ id: 'nurse-a', name: 'Nurse A', password: 'nurse a password', roles: ['nurse'], wards: [`${S}/ICU-A`, `${S}/ED`] }, 'test')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
  await page.goto(`${core.url}/login?next=/boards/icu`)
  await page.fill('#username', 'nurse-a')
  await page.fill('#password', 'nurse a password')
  await Promise.all([page.waitForURL(/\/boards\/icu$/), page.click('button[type=submit]')])

  // The board row's heading links to the patient page.
  const link = page.locator('tr[data-patient="icu.p1"] a.patient-link')
  await link.waitFor({ timeout: 10_000 })
  await Promise.all([page.waitForURL(/\/patients\/icu\.p1$/), link.click()])
  const hr = page.locator('figure.chart[data-vital="heart_rate"]')
  await hr.locator('canvas').waitFor({ timeout: 10_000 })
  assert.match(await hr.locator('figcaption').innerText(), /Heart rate \(beats\/min\)/)
  // Hover the middle of the chart: the legend shows the exact values under the cursor.
  const box = (await hr.locator('.u-over').boundingBox())!
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2)
  const legend = await hr.locator('.u-legend').innerText()
  assert.match(legend, /mean\s*\d+(\.\d)? beats\/min/, legend)
  assert.equal(await page.locator('.latest dd[data-vital="heart_rate"]').innerText(), '139 beats/min')
  // Drag to zoom into the last two hours (the readings are the last 8 % of the 24 h): the same
  // spot on the chart is then a later reading.
  const timeAt = async (fraction: number) => {
    await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2)
    return hr.locator('.u-legend .u-series').first().locator('.u-value').innerText()
  }
  const before = await timeAt(0.93)
  await page.mouse.move(box.x + box.width * 0.92, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.995, box.y + box.height / 2, { steps: 5 })
  await page.mouse.up()
  const zoomed = await timeAt(0.93)
  assert.notEqual(zoomed, before)
  // Live while open: a new reading, published on the live bus as the ingest route does after its
  // commit, reaches the page through the patient's stream (no polling), and the zoom stays.
  const fresh = { gateway_id: 'gw-1', batch_id: 'live-1', sent_time: Date.now(), observations: [
    { gateway_id: 'gw-1', seq: seq++, device_id: 'mon-a1', patient_id: 'icu.p1', source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 150, unit: '/min', device_time: Date.now(), received_time: Date.now(), flags: [] },
  ], triage: [], rejected: [] }
  await core.store.storeBatch(fresh as never)
  core.live.publishBatch(fresh as never)
  await page.locator('.latest dd[data-vital="heart_rate"]').filter({ hasText: '150 beats/min' }).waitFor({ timeout: 15_000 })
  assert.equal(await timeAt(0.93), zoomed)
  // Labs with reference ranges and flags; the alarm with who acknowledged it; triage with its model.
  assert.match(await page.locator('table.labs tr[data-test="K"]').innerText(), /6\.2 mmol\/L\s+3\.5-5\.1\s+H/)
  assert.match(await page.locator('table.labs tr[data-test="NA"] .flag').innerText(), /normal/)
  assert.match(await page.locator('table.alarms tr[data-alarm="mon-a1/hr-hi-1"]').innerText(), /HIGH\s+HR high\s+active\s+nurse-a at .*\(rate control given\)/)
  assert.match(await page.locator('table.triage tbody tr').first().innerText(), /YELLOW\s+3 \(partial.*news2-rcp-2017.*pulse 128/)
  assert.match(await page.locator('.summary').innerText(), /J18\.9/)
  await page.screenshot({ path: join(ARTIFACTS, 'patient-page.png'), fullPage: true })

  // Other windows: 7 days is averaged per minute (120 points here), still drawn.
  await page.click('.windows button[data-hours="168"]')
  await page.locator('.windows button[data-hours="168"][aria-pressed="true"]').waitFor()
  await hr.locator('canvas').waitFor()
  // On a tablet held upright the charts stack in one column.
  await page.setViewportSize({ width: 768, height: 1024 })
  await page.screenshot({ path: join(ARTIFACTS, 'patient-page-tablet.png'), fullPage: true })

  // The handover print: one A4 page, no charts, the abnormal lab and the alarm kept.
  await page.emulateMedia({ media: 'print' })
  assert.equal(await page.locator('.charts').isVisible(), false)
  assert.equal(await page.locator('table.labs tr[data-test="K"]').isVisible(), true)
  assert.equal(await page.locator('table.labs tr[data-test="NA"]').isVisible(), false)
  const pdf = (await page.pdf({ format: 'A4' })).toString('latin1')
  assert.equal(pdf.match(/\/Type\s*\/Page(?!s)/g)?.length, 1, 'the handover fits one page')
  await page.emulateMedia({ media: 'screen' })

  // The search box on a board opens a patient by id.
  await page.goto(`${core.url}/boards/icu`)
  await page.fill('header .search input[name="id"]', 'icu.p1')
  await Promise.all([page.waitForURL(/\/patients\/icu\.p1$/), page.click('header .search button[type=submit]')])

  // The triage queue's rows link the same way.
  await page.goto(`${core.url}/boards/triage`)
  const edLink = page.locator('tr[data-patient="ed.p1"] a.patient-link')
  await edLink.waitFor({ timeout: 10_000 })
  await Promise.all([page.waitForURL(/\/patients\/ed\.p1$/), edLink.click()])
  await page.getByText('No vital signs in this window.').waitFor({ timeout: 10_000 })
  assert.match(await page.locator('.summary').innerText(), /ed arrival · City Hospital \/ ED/)

  // Nurse A may not open ICU-B's patient: a refusal page, no data.
  const refused = await page.goto(`${core.url}/patients/icu.p2`)
  assert.equal(refused?.status(), 403)
  assert.match(await page.locator('.refused').innerText(), /may not open patient icu\.p2/)
  assert.equal(await page.locator('canvas').count(), 0)
  await page.screenshot({ path: join(ARTIFACTS, 'patient-page-refused.png'), fullPage: true })

  const rs = await core.clickhouse.client.query({ query: "SELECT patient_id, what FROM record_views WHERE user_id = 'nurse-a' AND what LIKE 'patient %' ORDER BY at", format: 'JSONEachRow' })
  const rows = await rs.json<{ patient_id: string; what: string }>()
  assert.ok(rows.some((r) => r.patient_id === 'icu.p1' && r.what === 'patient summary 24h'), JSON.stringify(rows))
  assert.ok(rows.some((r) => r.patient_id === 'icu.p2' && r.what === 'patient page refused'), JSON.stringify(rows))
  assert.ok(!rows.some((r) => r.patient_id === 'icu.p2' && !r.what.endsWith('refused')), JSON.stringify(rows))
})
