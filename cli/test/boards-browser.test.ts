// The boards in a real headless Chromium: log in through the login page, see the ICU board, see a
// reading published by a simulated device over MQTT through a real edge gateway arrive on screen,
// and be refused a ward that is not yours (page, live stream and API). Screenshots go to
// .test-artifacts/ (git-ignored).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { chromium, type Browser, type Page } from 'playwright-core'
import { EmrStore } from '@neva/analytics'
import { vitalsTopic } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install -y chromium)`
const temp = (p: string) => mkdtempSync(join(tmpdir(), `neva-browser-${p}-`))

test('boards in Chromium: login, live reading from an MQTT device, a ward not yours refused', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: temp('ch') }, gateways: { 'gw-b': hashToken('tok-b') }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024 })
  t.after(() => core.close())
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-b', data_dir: temp('edge'), mqtt: { port: 0 }, api: { port: 0 },
    core: { url: core.url, token: 'tok-b', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
    triage: { sync_interval_ms: 0 }, log_level: 'silent',
  }), () => {})
  t.after(() => gateway.stop())
  const now = Date.now()
  await new EmrStore(core.clickhouse).store([
    { type: 'encounter', encounter_id: 'enc-1', patient_id: 'icu.p1', kind: 'icu_stay', site: 'City Hospital', ward: 'ICU-A', bed: 'A1', start_time: now - 60_000, end_time: null, updated_time: now - 60_000 },
    { type: 'encounter', encounter_id: 'enc-2', patient_id: 'icu.p2', kind: 'icu_stay', site: 'City Hospital', ward: 'ICU-B', bed: 'B1', start_time: now - 60_000, end_time: null, updated_time: now - 60_000 },
  ], 'test')
  // The core learns where patients are from record events it receives; these were written directly.
  core.live.load([{ board: 'icu', patient_id: 'icu.p1', site: 'City Hospital', ward: 'ICU-A' }, { board: 'icu', patient_id: 'icu.p2', site: 'City Hospital', ward: 'ICU-B' }])
  await core.people.add({ id: 'nurse-a', name: 'Nurse A', password: 'nurse a password', roles: ['nurse'], wards: ['City Hospital/ICU-A'] }, 'test')
  await core.people.add({ id: 'nurse-b', name: 'Nurse B', password: 'nurse b password', roles: ['nurse'], wards: ['City Hospital/ICU-B'] }, 'test')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const login = async (user: string, password: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
    await page.goto(`${core.url}/boards/icu`)
    assert.match(page.url(), /\/login\?next=/)
    await page.fill('#username', user)
    await page.fill('#password', password)
    await Promise.all([page.waitForURL(/\/boards\/icu$/), page.click('button[type=submit]')])
    return page
  }

  const a = await login('nurse-a', 'nurse a password')
  await a.waitForSelector('tr[data-patient="icu.p1"]')
  assert.equal(await a.locator('tr[data-patient="icu.p2"]').count(), 0)
  // Level as text, not colour alone; table semantics.
  assert.match(await a.locator('tr[data-patient="icu.p1"] .level').innerText(), /NOT TRIAGED|GREEN|YELLOW|RED/)
  assert.equal(await a.locator('table caption').innerText(), 'ICU beds')

  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'icu-monitor-a1' })
  t.after(() => device.endAsync())
  const publish = (patient_id: string, value: number) => device.publishAsync(vitalsTopic(`mon-${patient_id}`), JSON.stringify({ patient_id, time: Date.now(), readings: [{ vital: 'heart_rate', value }] }), { qos: 1 })
  await publish('icu.p1', 123)
  await publish('icu.p2', 77)
  const cell = a.locator('tr[data-patient="icu.p1"] td[data-vital="heart_rate"] .v')
  await cell.filter({ hasText: '123' }).waitFor({ timeout: 5000 })
  await a.screenshot({ path: join(ARTIFACTS, 'icu-board-live.png'), fullPage: true })

  // Nurse B: sees bed B1 only, live too; nurse A's patient never reaches that page.
  const b = await login('nurse-b', 'nurse b password')
  await b.waitForSelector('tr[data-patient="icu.p2"]')
  assert.equal(await b.locator('tr[data-patient="icu.p1"]').count(), 0)
  await publish('icu.p2', 88)
  await b.locator('tr[data-patient="icu.p2"] td[data-vital="heart_rate"] .v').filter({ hasText: '88' }).waitFor({ timeout: 5000 })
  await b.screenshot({ path: join(ARTIFACTS, 'icu-board-other-ward.png'), fullPage: true })
  // The API and the stream from nurse B's own session: ICU-A's patient is not there.
  const api = await b.evaluate(async () => (await fetch('/v1/boards/icu')).json() as Promise<{ encounters: Array<{ patient_id: string }> }>)
  assert.deepEqual(api.encounters.map((e) => e.patient_id), ['icu.p2'])
  const latest = await b.evaluate(async () => (await fetch('/v1/patients/icu.p1/latest')).status)
  assert.equal(latest, 403)
  // Without a session: the page goes to the login, the stream and the API answer 401.
  assert.equal((await fetch(`${core.url}/v1/live?board=icu`)).status, 401)
  assert.equal((await fetch(`${core.url}/v1/boards/icu`)).status, 401)
})

after(() => {})
