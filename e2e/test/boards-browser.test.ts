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
import { BoardStore, EmrStore } from '@neva/analytics'
import { alarmsTopic, transportTopic, vitalsTopic } from '@neva/contracts'
import { connect } from 'node:net'
import { encodeOruR01, encodeOruR42, mllpFrame } from '@neva/firmware-adapters'
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

  // Nurse A's account disabled while her board is open: the stream ends and the page goes to the login.
  const stored = () => a.evaluate(() => [...Object.keys(sessionStorage), ...Object.keys(localStorage)].filter((k) => k.startsWith('neva.seen')))
  assert.deepEqual(await stored(), ['neva.seen.icu'], 'the last look is kept in this tab only')
  await core.people.setDisabled('nurse-a', 'test', true)
  await a.waitForURL(/\/login\?next=%2Fboards%2Ficu$/, { timeout: 5000 })
  assert.equal(await a.locator('tr[data-patient="icu.p1"]').count(), 0)
  // A shared workstation: nothing of the patients' last values stays in the browser after the session.
  assert.deepEqual(await stored(), [])
})


test('boards in Chromium: ED transport live with its ETA, triage queue order, an alarm acknowledged on one page shows on another, a denial per board', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: temp('ch2') }, gateways: { 'gw-c': hashToken('tok-c') }, gatewaySites: { 'gw-c': ['City Hospital'] }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024 })
  t.after(() => core.close())
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-c', data_dir: temp('edge2'), mqtt: { port: 0 }, api: { port: 0 },
    core: { url: core.url, token: 'tok-c', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
    triage: { sync_interval_ms: 0 }, log_level: 'silent',
  }), () => {})
  t.after(() => gateway.stop())
  const now = Date.now()
  const S = 'City Hospital'
  const arrival = (id: string, minutesAgo: number) => ({ type: 'encounter' as const, encounter_id: `enc-${id}`, patient_id: id, kind: 'ed_arrival' as const, site: S, ward: 'ED', start_time: now - minutesAgo * 60_000, end_time: null, updated_time: now - minutesAgo * 60_000 })
  await new EmrStore(core.clickhouse).store([
    { type: 'encounter', encounter_id: 'enc-icu', patient_id: 'icu.p1', kind: 'icu_stay', site: S, ward: 'ICU-A', bed: 'A1', start_time: now - 60_000, end_time: null, updated_time: now - 60_000 },
    arrival('ed.green-long', 50), arrival('ed.red', 5), arrival('ed.yellow', 20), arrival('ed.green-short', 10),
  ], 'test')
  core.live.load(await new BoardStore(core.clickhouse).places())
  await core.people.add({ id: 'nurse-a', name: 'Nurse A', password: 'nurse a password', roles: ['nurse'], wards: [`${S}/ICU-A`] }, 'test')
  await core.people.add({ id: 'nurse-a2', name: 'Nurse A2', password: 'nurse a2 password', roles: ['nurse'], wards: [`${S}/ICU-A`] }, 'test')
  await core.people.add({ id: 'ed-doc', name: 'ED Doctor', password: 'ed doctor password', roles: ['clinician'], wards: [`${S}/ED`] }, 'test')
  await core.people.add({ id: 'analyst', name: 'Analyst', password: 'analyst password', roles: ['analyst'], sites: [S] }, 'test')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const login = async (user: string, password: string, board: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
    await page.goto(`${core.url}/login?next=/boards/${board}`)
    await page.fill('#username', user)
    await page.fill('#password', password)
    await Promise.all([page.waitForURL(new RegExp(`/boards/${board}$`)), page.click('button[type=submit]')])
    return page
  }
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'browser-devices' })
  t.after(() => device.endAsync())

  // ED: nothing en route, then the crew's tablet says en_route with an ETA in 12 minutes.
  const ed = await login('ed-doc', 'ed doctor password', 'ed')
  await ed.getByText('No ambulance en route to your sites.').waitFor()
  await device.publishAsync(transportTopic('amb-3'), JSON.stringify({ patient_id: 'amb-3.p1', destination_site: S, state: 'en_route', eta: Date.now() + 12 * 60_000 + 20_000, time: Date.now() }), { qos: 1 })
  const row = ed.locator('tr[data-patient="amb-3.p1"]')
  await row.waitFor({ timeout: 10_000 })
  assert.match(await row.locator('th').innerText(), /amb-3 · amb-3\.p1/)
  assert.match(await row.locator('td.eta').innerText(), /\(in 12 min\)/)
  await ed.screenshot({ path: join(ARTIFACTS, 'ed-board-transport.png'), fullPage: true })

  // Triage queue: the gateway's triage results order it (red, yellow, green; then the longest wait).
  // NEWS2: red 9 (RR, SpO2 and HR each 3), yellow (RR alone scores 3), green 0.
  const sets = { red: [30, 85, 140], yellow: [26, 97, 80], green: [14, 97, 75] }
  for (const [patient, l] of [['ed.red', 'red'], ['ed.yellow', 'yellow'], ['ed.green-long', 'green'], ['ed.green-short', 'green']] as const) {
    const [rr, spo2, hr] = sets[l]
    const readings = [{ vital: 'respiratory_rate', value: rr }, { vital: 'spo2', value: spo2 }, { vital: 'heart_rate', value: hr }]
    await device.publishAsync(vitalsTopic(`mon-${patient}`), JSON.stringify({ patient_id: patient, time: Date.now(), readings }), { qos: 1 })
  }
  const triage = await login('ed-doc', 'ed doctor password', 'triage')
  const order = async () => triage.locator('tbody tr[data-patient]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-patient')))
  const expected = ['ed.red', 'ed.yellow', 'ed.green-long', 'ed.green-short']
  for (let i = 0; i < 100 && JSON.stringify(await order()) !== JSON.stringify(expected); i++) await triage.waitForTimeout(100)
  assert.deepEqual(await order(), expected)
  assert.match(await triage.locator('tr[data-patient="ed.red"] .level').innerText(), /RED/)
  await triage.screenshot({ path: join(ARTIFACTS, 'triage-queue.png'), fullPage: true })

  // ICU: an alarm from the bed's monitor; nurse A acknowledges it, nurse A2 sees who did, live.
  const a = await login('nurse-a', 'nurse a password', 'icu')
  const a2 = await login('nurse-a2', 'nurse a2 password', 'icu')
  await a.waitForSelector('tr[data-patient="icu.p1"]')
  await a2.waitForSelector('tr[data-patient="icu.p1"]')
  await device.publishAsync(alarmsTopic('mon-icu.p1'), JSON.stringify({
    alarm_id: 'spo2-lo-1', patient_id: 'icu.p1', time: Date.now(), event: 'MDC_EVT_LO', text: 'SpO2 low', vital: 'spo2', value: 84, limit_low: 90, priority: 'high', state: 'active', location: { ward: 'ICU-A', bed: 'A1' },
  }), { qos: 1 })
  const alarmOn = (p: Page) => p.locator('tr[data-patient="icu.p1"] .alarm[data-alarm="mon-icu.p1/spo2-lo-1"]')
  await alarmOn(a).waitFor({ timeout: 10_000 })
  assert.match(await alarmOn(a).locator('.alarm-priority').innerText(), /HIGH/)
  // The alarm keeps its numbers: the value that raised it and the limit it crossed.
  assert.match(await alarmOn(a).innerText(), /SpO2 low · 84 % \(low limit 90 %\)/)
  // Units as clinicians read them; the UCUM code stays in the data (the unit's title).
  await device.publishAsync(vitalsTopic('mon-icu.p1'), JSON.stringify({ patient_id: 'icu.p1', time: Date.now(), readings: [{ vital: 'temperature', value: 38.2 }, { vital: 'respiratory_rate', value: 22 }, { vital: 'heart_rate', value: 96 }] }), { qos: 1 })
  const icuRow = a.locator('tr[data-patient="icu.p1"]')
  await icuRow.getByText('°C').first().waitFor({ timeout: 10_000 })
  const units = await icuRow.locator('.reading .u[title]').evaluateAll((us) => us.map((u) => `${u.textContent!.trim()}=${u.getAttribute('title')}`))
  for (const u of ['°C=Cel', 'breaths/min=/min', 'beats/min=/min']) assert.ok(units.includes(u), `${u} in ${units.join(', ')}`)
  await alarmOn(a2).locator('button.ack').waitFor({ timeout: 10_000 })
  await alarmOn(a).locator('button.ack').click()
  await alarmOn(a2).locator('.alarm-ack').filter({ hasText: 'acknowledged by nurse-a' }).waitFor({ timeout: 10_000 })
  assert.equal(await alarmOn(a2).locator('button.ack').count(), 0)
  await a2.screenshot({ path: join(ARTIFACTS, 'icu-alarm-acknowledged.png'), fullPage: true })

  // A denial per board: the ICU nurse sees no ED transport nor queue; the ED doctor no ICU bed; the analyst no board.
  const nurseEd = await a.evaluate(async () => (await fetch('/v1/boards/ed')).json() as Promise<{ transports: unknown[] }>)
  assert.deepEqual(nurseEd.transports, [])
  const nurseTriage = await a.evaluate(async () => (await fetch('/v1/boards/triage')).json() as Promise<{ encounters: unknown[] }>)
  assert.deepEqual(nurseTriage.encounters, [])
  await ed.goto(`${core.url}/boards/icu`)
  await ed.getByText('No ICU bed on your wards.').waitFor()
  const ack = await ed.evaluate(async () => (await fetch('/v1/alarms/mon-icu.p1%2Fspo2-lo-1/ack', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status)
  assert.equal(ack, 403)
  const analyst = await (await browser.newContext()).newPage()
  await analyst.goto(`${core.url}/login?next=/boards/ed`)
  await analyst.fill('#username', 'analyst')
  await analyst.fill('#password', 'analyst password')
  await analyst.click('button[type=submit]')
  await analyst.waitForLoadState()
  for (const board of ['ed', 'icu', 'triage']) {
    const status = await analyst.evaluate(async (b) => (await fetch(`/boards/${b}`)).status, board)
    assert.equal(status, 403, board)
  }
})

test("ICU board in Chromium: a pump (ORU^R42 over MLLP) beside the bed's orders, live; a silent monitor's technical alarm on the bed", { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: temp('ch3') }, gateways: { 'gw-p': hashToken('tok-p') }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024 })
  t.after(() => core.close())
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-p', data_dir: temp('edge3'), mqtt: { port: 0 }, api: { port: 0 }, mllp: { port: 0 },
    core: { url: core.url, token: 'tok-p', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
    triage: { sync_interval_ms: 0 }, log_level: 'silent',
    supervision: { check_interval_ms: 200, devices: [{ device_id: 'icu-mon-a1', silence_ms: 2000 }] },
  }), () => {})
  t.after(() => gateway.stop())
  const now = Date.now()
  const S = 'City Hospital'
  await new EmrStore(core.clickhouse).store([
    { type: 'encounter', encounter_id: 'enc-p', patient_id: 'icu.p1', kind: 'icu_stay', site: S, ward: 'ICU-A', bed: 'A1', start_time: now - 60_000, end_time: null, updated_time: now - 60_000 },
  ], 'test')
  core.live.load(await new BoardStore(core.clickhouse).places())
  await core.people.add({ id: 'nurse-a', name: 'Nurse A', password: 'nurse a password', roles: ['nurse'], wards: [`${S}/ICU-A`] }, 'test')
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  t.after(() => browser.close())
  const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
  await page.goto(`${core.url}/login?next=/boards/icu`)
  await page.fill('#username', 'nurse-a')
  await page.fill('#password', 'nurse a password')
  await Promise.all([page.waitForURL(/\/boards\/icu$/), page.click('button[type=submit]')])
  await page.waitForSelector('tr[data-patient="icu.p1"]')

  const socket = connect(gateway.mllpPort!, '127.0.0.1')
  t.after(() => socket.destroy())
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const loc = { pointOfCare: 'ICU-A', bed: 'A1' }
  const r42 = (controlId: string, rate: number, state: string) => encodeOruR42({
    controlId, time: Date.now(), sendingApplication: 'PUMP-GW', patientId: 'icu.p1', location: loc, equipmentId: 'icu-pump-a1', orderId: 'ord-a1',
    event: state === 'delivering' ? 'start' : 'stop', drug: 'Noradrenaline', concentration: 0.08, rate, volumeInfused: 1.5, volumeToBeInfused: 50, state,
  })
  socket.write(mllpFrame(r42('p-1', 4.5, 'delivering')))
  const pump = page.locator('tr[data-patient="icu.p1"] .infusion[data-pump="icu-pump-a1"]')
  await pump.filter({ hasText: 'Noradrenaline 4.5 mL/h, 1.5 mL infused' }).waitFor({ timeout: 15_000 })
  assert.equal(await pump.locator('.pump-state').innerText(), 'delivering')
  socket.write(mllpFrame(r42('p-2', 0, 'stopped')))
  await pump.locator('.pump-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 15_000 })
  await page.screenshot({ path: join(ARTIFACTS, 'icu-board-pump.png'), fullPage: true })
  // A reload reads it back from ClickHouse (the snapshot), not only from the live stream.
  await page.reload()
  await pump.locator('.pump-state').filter({ hasText: 'stopped' }).waitFor({ timeout: 15_000 })

  // The bed's monitor sends once, then goes silent: a technical alarm on the bed, gone when it is back.
  const r01 = (controlId: string) => encodeOruR01({ controlId, time: Date.now(), sendingApplication: 'MON', patientId: 'icu.p1', location: loc, equipmentId: 'icu-mon-a1', readings: [{ vital: 'heart_rate', value: 80 }] })
  socket.write(mllpFrame(r01('m-1')))
  const silent = page.locator('tr[data-patient="icu.p1"] .alarm').filter({ hasText: "no data from bed A1's device icu-mon-a1" })
  await silent.waitFor({ timeout: 30_000 })
  await page.screenshot({ path: join(ARTIFACTS, 'icu-board-silent-monitor.png'), fullPage: true })
  socket.write(mllpFrame(r01('m-2')))
  await silent.waitFor({ state: 'detached', timeout: 30_000 })
})
