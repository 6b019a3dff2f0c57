// A real recording on the ED board in Chromium: MIT-BIH 100 (MLII and V5 at 360 Hz, not the
// standard twelve) streamed through the ambulance's ECG path is drawn as a strip per lead.
// Skipped without Chromium or ../shared. Screenshot in .test-artifacts/ (git-ignored).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { chromium } from 'playwright-core'
import { transportTopic } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import { readWfdbRecord } from '@neva/firmware-adapters'
import { streamEcgRecord } from '@neva/simulators'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const RECORD = fileURLToPath(new URL('../../../shared/fixtures/real/ecg/100.hea', import.meta.url))
const skip = !existsSync(CHROMIUM) ? `no chromium at ${CHROMIUM}` : !existsSync(RECORD) ? 'no ../shared/fixtures/real/ecg' : false
const temp = (p: string) => mkdtempSync(join(tmpdir(), `neva-ecgboard-${p}-`))

test('ED board in Chromium: a 2-lead recording at 360 Hz drawn as a strip per lead', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const S = 'City Hospital'
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: temp('ch') }, gateways: { 'gw-e': hashToken('tok-e') }, gatewaySites: { 'gw-e': [S] }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024 })
  t.after(() => core.close())
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-e', data_dir: temp('edge'), mqtt: { port: 0 }, api: { port: 0 },
    core: { url: core.url, token: 'tok-e', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
    triage: { sync_interval_ms: 0 }, log_level: 'silent',
  }), () => {})
  t.after(() => gateway.stop())
  await core.people.add({ id: 'ed-doc', name: 'ED Doctor', password: 'ed doctor password', roles: ['clinician'], wards: [`${S}/ED`] }, 'test')
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const page = await (await browser.newContext({ viewport: { width: 1024, height: 900 } })).newPage()
  await page.goto(`${core.url}/login?next=/boards/ed`)
  await page.fill('#username', 'ed-doc')
  await page.fill('#password', 'ed doctor password')
  await Promise.all([page.waitForURL(/\/boards\/ed$/), page.click('button[type=submit]')])

  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'ecgboard-tablet' })
  t.after(() => device.endAsync())
  await device.publishAsync(transportTopic('rec'), JSON.stringify({ patient_id: 'rec.100', destination_site: S, state: 'en_route', eta: Date.now() + 10 * 60_000, time: Date.now() }), { qos: 1 })
  await page.locator('tr[data-patient="rec.100"]').waitFor({ timeout: 10_000 })

  const r = readWfdbRecord(RECORD)
  assert.ok(r.ok)
  const report = await streamEcgRecord({ brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`, ambulanceId: 'rec', patientId: 'rec.100', record: r.record, seconds: 12, timeScale: Infinity })
  assert.equal(report.chunks, 12)
  const canvas = page.locator('tr[data-ecg="rec.100"] canvas.ecg')
  await page.waitForFunction(`/a strip per lead: V5, MLII/.test(document.querySelector('tr[data-ecg="rec.100"] canvas.ecg')?.getAttribute('aria-label') ?? '')`, undefined, { timeout: 15_000 })
  assert.match((await canvas.getAttribute('aria-label'))!, /^ECG of rec\.100, last 10 seconds, a strip per lead: V5, MLII$/)
  // The trace was drawn (dark ink over the pink grid).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a canvas in the page (no DOM types here)
  const inked = await canvas.evaluate((c: any) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data as Uint8ClampedArray
    let dark = 0
    for (let i = 0; i < d.length; i += 4) if (d[i]! < 80 && d[i + 1]! < 80 && d[i + 2]! < 80) dark++
    return dark
  })
  assert.ok(inked > 1000, `${inked} dark pixels`)
  await page.screenshot({ path: join(ARTIFACTS, 'ed-board-mitbih-100.png'), fullPage: true })
})
