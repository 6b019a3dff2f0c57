// The order set on the patient page in a real headless Chromium (docs/lab.md): a clinician sees
// the latest preliminary suggestion's tests pre-checked, each with the diagnoses it confirms or
// excludes and its guideline, unticks one, picks a priority and orders in one click; the order
// (without the unticked test) is stored with the order-set use recorded and shows on the page with
// its state. A nurse sees the list without an order button and the API refuses her; a session POST
// without this site's Origin is refused as cross-site. Screenshots go to .test-artifacts/.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { EmrStore, LabOrderStore } from '@neva/analytics'
import { startCore } from '@neva/core'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install -y chromium)`
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23)

test('order set on the patient page in Chromium: untick a test, order in one click, the use recorded; a nurse may not order', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-order-set-')) }, logLevel: 'silent' })
  t.after(() => core.close())
  const now = Date.now()
  const S = 'City Hospital'
  await new EmrStore(core.clickhouse).store([
    { type: 'encounter', encounter_id: 'enc-os1', patient_id: 'os.p1', kind: 'icu_stay', site: S, ward: 'ICU-A', bed: 'A1', start_time: now - 3 * 3600_000, end_time: null, updated_time: now - 3 * 3600_000 },
  ], 'test')
  // An older suggestion (COPD) and the latest (pneumonia, heart failure, headache without a lab set):
  // the page offers the latest one's sets only.
  await core.clickhouse.client.insert({
    table: 'dx_suggestions', format: 'JSONEachRow',
    values: [
      { suggestion_id: 'os-old', encounter_id: 'enc-os1', patient_id: 'os.p1', kind: 'preliminary', model_id: 'dx-nb', model_version: 3, suggested_icd10: ['J44.1'], suggested_p: [0.5], physician_icd10: null, verdict: null, source: 'his', time: chTime(now - 120 * 60_000) },
      { suggestion_id: 'os-1', encounter_id: 'enc-os1', patient_id: 'os.p1', kind: 'preliminary', model_id: 'dx-nb', model_version: 3, suggested_icd10: ['J18.9', 'I50.9', 'R51'], suggested_p: [0.5, 0.3, 0.1], physician_icd10: null, verdict: null, source: 'his', time: chTime(now - 20 * 60_000) },
    ],
  })
  await core.people.add({ id: 'dr-a', name: 'Dr A', password: 'doctor a password', roles: ['clinician'], wards: [`${S}/ICU-A`] }, 'test')
  await core.people.add({ id: 'nurse-a', name: 'Nurse A', password: 'nurse a password', roles: ['nurse'], wards: [`${S}/ICU-A`] }, 'test')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const login = async (user: string, password: string) => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${core.url}/login?next=/patients/os.p1`)
    await page.fill('#username', user)
    await page.fill('#password', password)
    await Promise.all([page.waitForURL(/\/patients\/os\.p1$/), page.click('button[type=submit]')])
    return { context, page }
  }

  const { context: drContext, page } = await login('dr-a', 'doctor a password')
  const set = page.locator('section.order-set')
  await set.locator('li[data-loinc]').first().waitFor({ timeout: 15_000 })
  assert.equal(await set.getAttribute('data-suggestion'), 'os-1')
  // Pneumonia's four tests, then heart failure's five (creatinine… once each); all checked.
  const codes = await set.locator('li[data-loinc]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-lab-code')))
  assert.deepEqual(codes, ['CRP', 'WBC', 'UREA', 'BCULT', 'NTBNP', 'CREA', 'NA', 'K', 'HGB'])
  assert.equal(await set.locator('input[name="test"]:checked').count(), 9)
  assert.match(await set.locator('li[data-lab-code="CRP"]').innerText(), /C-reactive protein \(CRP, LOINC 1988-5\) — confirms J18\.9 · NICE CG191/)
  assert.match(await set.locator('li[data-lab-code="K"]').innerText(), /confirms I50\.9 · NICE NG106/)
  assert.match(await set.innerText(), /No lab set for R51/)
  assert.equal(await page.locator('table.lab-orders tr[data-lab-order]').count(), 0)
  assert.equal(await set.locator('.order-set-used').getAttribute('data-orders'), '0')

  // Untick urea, choose urgent, order.
  await set.locator('li[data-lab-code="UREA"] input').uncheck()
  await set.locator('select[name="priority"]').selectOption('urgent')
  const specimen = await set.locator('input[name="specimen_id"]').inputValue()
  await page.screenshot({ path: join(ARTIFACTS, 'order-set.png'), fullPage: true })
  await set.locator('button.place-order').click()
  await set.locator('.order-set-result.placed').waitFor({ timeout: 15_000 })
  const orderId = await set.locator('.order-set-result').getAttribute('data-order')
  assert.ok(orderId)
  // The page reads its summary again: the order is listed with its state.
  const listed = page.locator(`table.lab-orders tr[data-lab-order="${orderId}"]`)
  await listed.waitFor({ timeout: 15_000 })
  assert.match(await listed.innerText(), new RegExp(`CRP, WBC, BCULT, NTBNP, CREA, NA, K, HGB\\s+${specimen}\\s+urgent\\s+ordered\\s+.*user:dr-a`))
  // The set says it was used (a second click would be a second order), and what was unticked stays unticked.
  await set.locator('.order-set-used[data-orders="1"]').waitFor({ timeout: 15_000 })
  assert.equal(await set.locator('li[data-lab-code="UREA"] input').isChecked(), false)
  await page.screenshot({ path: join(ARTIFACTS, 'order-set-placed.png'), fullPage: true })

  // The same tube again is refused with the reason on the page, and nothing more is stored.
  await set.locator('input[name="specimen_id"]').fill(specimen)
  await set.locator('button.place-order').click()
  await set.locator('.order-set-result.refused').waitFor({ timeout: 15_000 })
  assert.match(await set.locator('.order-set-result').innerText(), /Not ordered \(409 NEVA_CORE_LAB_SPECIMEN_IN_USE\)/)

  // Stored: the order without urea, from the clinician, for the encounter; the use recorded.
  const [order] = await new LabOrderStore(core.clickhouse).forPatient('os.p1')
  assert.equal(order?.order_id, orderId)
  assert.deepEqual(order!.tests.map((x) => x.lab_code), ['CRP', 'WBC', 'BCULT', 'NTBNP', 'CREA', 'NA', 'K', 'HGB'])
  assert.equal(order!.priority, 'urgent')
  assert.equal(order!.encounter_id, 'enc-os1')
  assert.equal(order!.ordered_by, 'user:dr-a')
  assert.equal(order!.specimen_id, specimen)
  const rs = await core.clickhouse.client.query({ query: 'SELECT suggestion_id, order_id, encounter_id, offered, ordered FROM lab_order_set_uses', format: 'JSONEachRow' })
  const uses = await rs.json<{ suggestion_id: string; order_id: string; encounter_id: string; offered: string[]; ordered: string[] }>()
  assert.equal(uses.length, 1)
  assert.equal(uses[0]!.suggestion_id, 'os-1')
  assert.equal(uses[0]!.order_id, orderId)
  assert.ok(uses[0]!.offered.includes('3094-0') && !uses[0]!.ordered.includes('3094-0'), JSON.stringify(uses[0]))
  assert.equal(uses[0]!.offered.length - uses[0]!.ordered.length, 1)

  // CSRF: the clinician's session cookie without this site's Origin places nothing.
  const cookie = (await drContext.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
  const forged = await fetch(`${core.url}/v1/lab/orders`, {
    method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: 'https://elsewhere.example' },
    body: JSON.stringify({ patient_id: 'os.p1', encounter_id: 'enc-os1', specimen_id: 'SP-FORGED', priority: 'stat', tests: [{ loinc: '2823-3', lab_code: 'K' }], order_set: { suggestion_id: 'os-1' } }),
  })
  assert.equal(forged.status, 403)
  assert.equal(((await forged.json()) as { error: string }).error, 'NEVA_CORE_CSRF')

  // A nurse sees the set, read-only: no order button, boxes disabled; the API refuses her.
  const { page: nursePage } = await login('nurse-a', 'nurse a password')
  const nurseSet = nursePage.locator('section.order-set')
  await nurseSet.locator('li[data-loinc]').first().waitFor({ timeout: 15_000 })
  assert.equal(await nurseSet.locator('button.place-order').count(), 0)
  assert.equal(await nurseSet.locator('input[name="test"]:disabled').count(), 9)
  assert.match(await nurseSet.innerText(), /needs the clinician role/)
  assert.match(await nurseSet.locator('.order-set-used').innerText(), /Already ordered from this set: 1 order/)
  await nursePage.locator(`table.lab-orders tr[data-lab-order="${orderId}"]`).waitFor({ timeout: 15_000 })
  const refused = await nursePage.evaluate(async () => {
    const res = await fetch('/v1/lab/orders', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patient_id: 'os.p1', encounter_id: 'enc-os1', specimen_id: 'SP-NURSE', priority: 'stat', tests: [{ loinc: '2823-3', lab_code: 'K' }], order_set: { suggestion_id: 'os-1' } }),
    })
    return { status: res.status, body: (await res.json()) as { error: string } }
  })
  assert.equal(refused.status, 403)
  assert.equal(refused.body.error, 'NEVA_CORE_FORBIDDEN')
  assert.equal((await new LabOrderStore(core.clickhouse).forPatient('os.p1')).length, 1)
})
