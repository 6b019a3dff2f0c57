// The patient's survey page in a real headless Chromium at a phone's size: the hospital's link
// (token in the fragment) opens today's survey, the patient answers fever 38.6 °C on cycle day 9
// and a few symptoms, sends home measurements; the answer reaches the chemotherapist's queue as
// high risk with its reason, and the measurements are stored once as patient-reported readings.
// Screenshots go to .test-artifacts/ (git-ignored).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { EmrStore } from '@neva/analytics'
import { DAY_MS, hashToken, reviewDeadline, startCore, SurveyStore } from '@neva/core'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install -y chromium)`

test('survey page in Chromium on a phone: answered, high risk in the chemotherapist\'s queue; home vitals stored', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({
    host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-home-browser-')) }, emrSystems: { his: hashToken('his-token') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
  }, { surveyRemindEveryMs: 0 })
  t.after(() => core.close())
  const now = Date.now()
  const S = 'City Hospital'
  await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-onc-1', patient_id: 'onc-1', kind: 'outpatient', site: S, ward: 'Oncology', start_time: now - 30 * DAY_MS, end_time: null, updated_time: now - 30 * DAY_MS }], 'test')
  const emr = async (path: string, body: unknown) => (await fetch(`${core.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer his-token', 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, any>>
  const issued = await emr('/v1/emr/patient-tokens', { patient_id: 'onc-1' })
  await emr('/v1/emr/survey-cycles', { cycle_id: 'cyc-1', patient_id: 'onc-1', regimen: 'q21d', start_time: Math.floor(now / DAY_MS) * DAY_MS - 8 * DAY_MS })

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`) })
  await page.goto(`${core.url}${issued.page}`)
  const form = page.locator('form.survey[data-response="cyc-1:d9"]')
  await form.waitFor({ timeout: 10_000 })
  // The token left the address bar.
  assert.equal(new URL(page.url()).hash, '')
  assert.match(await page.locator('#status').innerText(), /2 surveys to answer/)
  // Large targets: every answer row at least 44 px high, nothing wider than the phone.
  const row = await form.locator('.scale label').first().boundingBox()
  assert.ok(row!.height >= 44, String(row!.height))
  assert.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'))

  await form.locator('input[name="fever.presence"][value="1"]').check()
  await form.locator('input[name="fever.temperature_c"]').fill('38.6')
  await form.locator('input[name="nausea.frequency"][value="2"]').check()
  await form.locator('input[name="nausea.severity"][value="2"]').check()
  await form.locator('input[name="fatigue.severity"][value="2"]').check()
  await page.screenshot({ path: join(ARTIFACTS, 'home-survey.png'), fullPage: false })
  await form.locator('button[type=submit]').click()
  await page.locator('p.done').first().waitFor({ timeout: 10_000 })

  // Home measurements, then the same form sent again by a retry: stored once.
  const vitals = page.locator('form.vitals')
  await vitals.locator('input[name=systolic_bp]').fill('128')
  await vitals.locator('input[name=diastolic_bp]').fill('82')
  await vitals.locator('input[name=pulse]').fill('104')
  await vitals.locator('input[name=spo2]').fill('96')
  await vitals.locator('button[type=submit]').click()
  await page.locator('#status', { hasText: /^Measurements sent$/ }).waitFor({ timeout: 10_000 })
  await page.screenshot({ path: join(ARTIFACTS, 'home-survey-sent.png'), fullPage: true })
  assert.deepEqual(errors, [])

  // The chemotherapist's queue.
  await core.people.add({ id: 'dr-onc', name: 'Dr Onc', password: 'dr onc password 1', roles: ['clinician'], wards: [`${S}/Oncology`] }, 'test')
  const login = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dr-onc', password: 'dr onc password 1' }) })
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
  const queue = (await (await fetch(`${core.url}/v1/surveys/queue`, { headers: { cookie } })).json()) as { items: Array<Record<string, any>> }
  const item = queue.items.find((i) => i.id === 'cyc-1:d9')!
  assert.equal(item.risk, 'high')
  assert.match(item.reasons[0], /temperature 38\.6 °C on cycle day 9, in the neutropenic window/)
  assert.deepEqual(item.answers.fever, { presence: 1, temperature_c: 38.6 })
  const rs = await core.clickhouse.client.query({ query: "SELECT name, value FROM observations WHERE patient_id = 'onc-1' AND has(flags, 'patient_reported') ORDER BY name", format: 'JSONEachRow' })
  assert.deepEqual((await rs.json()).map((r: any) => [r.name, Number(r.value)]), [['nibp_diastolic', 82], ['nibp_systolic', 128], ['pulse_rate', 104], ['spo2', 96]])

  // The chemotherapist's patient page shows what came from home.
  const doc = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
  await doc.goto(`${core.url}/login?next=/patients/onc-1`)
  await doc.fill('#username', 'dr-onc')
  await doc.fill('#password', 'dr onc password 1')
  await Promise.all([doc.waitForURL(/\/patients\/onc-1$/), doc.click('button[type=submit]')])
  const survey = doc.locator('table.surveys tr[data-response="cyc-1:d9"]')
  await survey.waitFor({ timeout: 10_000 })
  assert.match(await survey.innerText(), /HIGH[\s\S]*38\.6 °C on cycle day 9/)
  assert.equal(await doc.locator('table.home-readings tbody tr.patient-reported').count(), 4)
  await doc.screenshot({ path: join(ARTIFACTS, 'home-survey-patient-page.png'), fullPage: true })

  // The queue page: an answer left unreviewed past its deadline is escalated above the high risk;
  // one click requests the teleconsultation, and its status shows.
  const old = now - 4 * DAY_MS
  await new SurveyStore(core.clickhouse).putResponse({ response_id: 'cyc-1:d4', patient_id: 'onc-1', cycle_id: 'cyc-1', cycle_day: 4, due_time: old, submitted_time: old, answers: '{"nausea":{"severity":2}}', answers_sha256: 'x', risk: 'low', reasons: ['low: Nausea: severity moderate'], review_due: reviewDeadline(old), site: S, ward: 'Oncology' })
  await doc.goto(`${core.url}/surveys`)
  const rows = doc.locator('table.survey-queue tbody tr')
  await rows.first().waitFor({ timeout: 10_000 })
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))), ['cyc-1:d4', 'cyc-1:d9'])
  assert.match(await rows.nth(0).innerText(), /LOW[\s\S]*OVERDUE since .* escalated/)
  assert.match(await rows.nth(1).innerText(), /HIGH[\s\S]*possible febrile neutropenia[\s\S]*left\)/)
  await rows.nth(1).locator('button.teleconsult').click()
  await doc.locator('tr[data-id="cyc-1:d9"] td.consult', { hasText: /^requested/ }).waitFor({ timeout: 10_000 })
  assert.equal(await doc.locator('tr[data-id="cyc-1:d9"] button.teleconsult').count(), 0)
  await doc.screenshot({ path: join(ARTIFACTS, 'home-survey-queue.png'), fullPage: true })
  await doc.locator('tr[data-id="cyc-1:d4"] button.review').click()
  await doc.locator('table.survey-queue caption', { hasText: '1 to review' }).waitFor({ timeout: 10_000 })
})
