// A silent gateway on the ICU board in a real headless Chromium: a technical line above the beds
// for a nurse granted the gateway's site, gone live when the gateway is heard again; a nurse of
// another site never sees it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { hashToken, startCore } from '@neva/core'
import { tempDir } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(process.cwd(), '.test-artifacts')
const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install -y chromium)`

test('a silent gateway is a technical line on its site\'s ICU board, and leaves it when heard', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({
    host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch') }, logLevel: 'silent',
    gateways: { 'gw-s': hashToken('tok-s') }, gatewaySites: { 'gw-s': ['City Hospital'] },
    // Checked by the test (check()), not by the timer.
    gatewaySupervision: { silenceS: 0.2, checkEveryMs: 3_600_000 },
  })
  t.after(() => core.close())
  let batchNo = 1
  const ingest = async () => {
    const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer tok-s' }, body: JSON.stringify({ gateway_id: 'gw-s', batch_id: `s${batchNo++}`, sent_time: Date.now(), observations: [], triage: [], rejected: [] }) })
    assert.equal(res.status, 200)
  }
  await ingest()
  while (core.gatewaySupervisor.silent().length === 0) {
    await new Promise((r) => setTimeout(r, 100))
    await core.gatewaySupervisor.check()
  }
  await core.people.add({ id: 'nurse-site', name: 'Nurse Site', password: 'nurse site password', roles: ['nurse'], sites: ['City Hospital'] }, 'test')
  await core.people.add({ id: 'nurse-other', name: 'Nurse Other', password: 'nurse other password', roles: ['nurse'], sites: ['Other Hospital'] }, 'test')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const login = async (user: string, password: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
    await page.goto(`${core.url}/boards/icu`)
    await page.fill('#username', user)
    await page.fill('#password', password)
    await Promise.all([page.waitForURL(/\/boards\/icu$/), page.click('button[type=submit]')])
    await page.locator('table caption').waitFor()
    return page
  }

  const site = await login('nurse-site', 'nurse site password')
  const line = site.locator('.place-alarms [data-alarm]')
  await line.waitFor({ timeout: 5000 })
  assert.match(await line.innerText(), /^MEDIUM technical · City Hospital: no data from gateway gw-s for \d+ s \(since .+\)$/)
  await site.screenshot({ path: join(ARTIFACTS, 'icu-board-gateway-silent.png'), fullPage: true })

  const other = await login('nurse-other', 'nurse other password')
  assert.equal(await other.locator('.place-alarms').count(), 0)

  await ingest()
  await core.gatewaySupervisor.check()
  await line.waitFor({ state: 'detached', timeout: 5000 })
  assert.equal(await other.locator('.place-alarms').count(), 0)
})
