// The CTG page in a real headless Chromium: a midwife opens her patient's page, follows its CTG
// link and sees the trace on the paper's grid (1 cm a minute, FHR 50–210 over UA 0–100) with the
// edge's FIGO classification and reasons beside it; then a window from the record; a mother on a
// ward not granted to her is refused; the audit holds the views and the refusal. Screenshots go
// to .test-artifacts/ (git-ignored).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { EmrStore } from '@neva/analytics'
import { startCore } from '@neva/core'
import type { CtgVerdict, WaveformChunk } from '@neva/contracts'
import { simulateCtg } from '@neva/simulators'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install -y chromium)`
const temp = (p: string) => mkdtempSync(join(tmpdir(), `neva-ctg-page-${p}-`))

test('CTG page in Chromium: from the patient page to the trace on its grid with the FIGO verdict; from the record; a mother not granted refused and audited', { skip, timeout: 120_000 }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: temp('ch') }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024 })
  t.after(() => core.close())
  const now = Date.now()
  const S = 'City Hospital'
  await new EmrStore(core.clickhouse).store([
    { type: 'encounter', encounter_id: 'enc-m1', patient_id: 'mother.1', kind: 'icu_stay', site: S, ward: 'Labour', bed: 'L3', start_time: now - 3 * 3600_000, end_time: null, updated_time: now - 3 * 3600_000 },
    { type: 'encounter', encounter_id: 'enc-m2', patient_id: 'mother.2', kind: 'icu_stay', site: S, ward: 'Antenatal', bed: 'A1', start_time: now - 3600_000, end_time: null, updated_time: now - 3600_000 },
  ], 'test')

  // 40 minutes of late decelerations, a chunk a minute, ending a minute ago; the edge's verdict at its end.
  const sim = simulateCtg('late-decelerations', { minutes: 40, seed: 'page' })
  const start = now - 41 * 60_000
  let seq = 1
  const waveforms: WaveformChunk[] = []
  for (let m = 0; m < 40; m++) {
    for (const [lead, kind, v] of [['FHR', 'fhr', sim.fhr], ['UC', 'uc', sim.uc]] as const) {
      waveforms.push({
        gateway_id: 'gw-1', seq: seq++, device_id: 'fm-1', patient_id: 'mother.1', lead, mdc_code: 0, start_time: start + m * 60_000, sample_rate_hz: 4, resolution_uv: 0.01,
        samples: v.slice(m * 240, (m + 1) * 240).map((x) => Math.round(x * 100)), received_time: start + (m + 1) * 60_000, signal_kind: kind, unit: kind === 'fhr' ? 'bpm' : 'toco',
      })
    }
  }
  const verdict: CtgVerdict = {
    gateway_id: 'gw-1', seq: seq++, patient_id: 'mother.1', device_id: 'fm-1', window_start: start, time: start + 40 * 60_000, minutes: 40, classification: 'pathological',
    reasons: ['repetitive late decelerations: after 12 of 13 contractions from 1 min'], notes: [], baseline_bpm: 140, variability_bpm: 11.2, accelerations: 0,
    early_decelerations: 0, variable_decelerations: 0, late_decelerations: 12, prolonged_decelerations: 0, contractions: 13, signal_loss_pct: 0, received_time: now,
  }
  const earlier: CtgVerdict = { ...verdict, seq: seq++, time: start + 10 * 60_000, minutes: 10, classification: 'suspicious', reasons: ['repetitive decelerations'], late_decelerations: 3 }
  await core.store.storeBatch({ gateway_id: 'gw-1', batch_id: 'ctg-1', sent_time: now, observations: [], triage: [], rejected: [], waveforms, ctg_verdicts: [earlier, verdict] } as never)
  await core.people.add({ id: 'midwife-a', name: 'Midwife A', password: 'midwife a password', roles: ['nurse'], wards: [`${S}/Labour`] }, 'test')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
  await page.goto(`${core.url}/login?next=/patients/mother.1`)
  await page.fill('#username', 'midwife-a')
  await page.fill('#password', 'midwife a password')
  await Promise.all([page.waitForURL(/\/patients\/mother\.1$/), page.click('button[type=submit]')])
  await Promise.all([page.waitForURL(/\/patients\/mother\.1\/ctg$/), page.click('a.ctg-link')])

  const canvas = page.locator('canvas.ctg-trace')
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await canvas.waitFor({ timeout: 10_000 }).catch(async (e: Error) => assert.fail(`${e.message}\nstatus: ${await page.locator('#status').innerText()}\n${errors.join('\n')}`))
  const aside = page.locator('aside.ctg-verdict')
  assert.equal(await aside.getAttribute('data-classification'), 'pathological')
  assert.match(await aside.locator('.ctg-reasons').innerText(), /repetitive late decelerations/)
  assert.match(await aside.innerText(), /12 late/)
  assert.equal(await page.locator('main').getAttribute('data-mode'), 'live')
  // The paper: 1 cm a minute (CSS cm: 96 px per 2.54 cm), 60 min shown; every FHR sample of the 40 min drawn.
  assert.equal(await canvas.getAttribute('data-px-per-minute'), '37.80')
  assert.equal(await canvas.getAttribute('data-minutes'), '60')
  const box = (await canvas.boundingBox())!
  assert.ok(Math.abs(box.width - 60 * 37.795) < 2, `width ${box.width}`)
  // FHR 160 bpm at 20 bpm/cm = 8 cm, a gap, UA 100 at 25/cm = 4 cm.
  assert.ok(Math.abs(box.height - (12 * 37.795 + 0.6 * 37.795)) < 2, `height ${box.height}`)
  assert.equal(Number(await canvas.getAttribute('data-fhr-samples')), sim.fhr.filter((v) => v >= 50 && v <= 210).length)
  // Beside the trace, not under it.
  const side = (await aside.boundingBox())!
  assert.ok(side.x > 0 && side.y < box.y + box.height, `aside at ${side.x},${side.y}`)
  await page.screenshot({ path: join(ARTIFACTS, 'ctg-page.png'), fullPage: true })

  // From the record: the 20 min ending at the 15th minute of the trace shows the earlier verdict.
  await page.selectOption('#minutes', '20')
  await page.locator('canvas.ctg-trace[data-minutes="20"]').waitFor({ timeout: 10_000 })
  const at = new Date(start + 15 * 60_000)
  const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
  await page.fill('#at', local)
  await page.click('#show')
  await page.locator('main[data-mode="record"]').waitFor({ timeout: 10_000 })
  assert.equal(await page.locator('aside.ctg-verdict').getAttribute('data-classification'), 'suspicious')
  await page.screenshot({ path: join(ARTIFACTS, 'ctg-page-record.png'), fullPage: true })

  // Another ward's mother: refused, nothing read; her data API refused too.
  const refused = await page.goto(`${core.url}/patients/mother.2/ctg`)
  assert.equal(refused?.status(), 403)
  assert.match(await page.locator('.refused').innerText(), /may not open the CTG of patient mother\.2/)
  assert.equal((await page.request.get(`${core.url}/v1/patients/mother.2/ctg`)).status(), 403)

  const rs = await core.clickhouse.client.query({ query: "SELECT patient_id, what FROM record_views WHERE user_id = 'midwife-a' AND what LIKE 'ctg%' ORDER BY at", format: 'JSONEachRow' })
  const rows = await rs.json<{ patient_id: string; what: string }>()
  assert.ok(rows.some((r) => r.patient_id === 'mother.1' && r.what === 'ctg 60 min live'), JSON.stringify(rows))
  assert.ok(rows.some((r) => r.patient_id === 'mother.1' && r.what === 'ctg 20 min'), JSON.stringify(rows))
  assert.ok(rows.some((r) => r.patient_id === 'mother.2' && r.what === 'ctg page refused'), JSON.stringify(rows))
  assert.ok(!rows.some((r) => r.patient_id === 'mother.2' && !r.what.endsWith('refused')), JSON.stringify(rows))
})
