// neva bench boards: from a device's MQTT publish to the pixel on the ICU board, in a real
// headless Chromium, through a real edge gateway and core. Each reading is a new heart rate for
// one bed; the page records when the cell's text changed and the next frame was drawn
// (requestAnimationFrame after the mutation). Baseline in the same run: the same reading's
// arrival on the live stream (SSE) read directly with fetch, as the page's own EventSource gets it.
// That reader runs in this process, beside the core and the gateway, while Chromium has its own:
// the stream figure carries this process's event loop, so the ratio flatters the page a little.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { chromium } from 'playwright-core'
import { EmrStore } from '@neva/analytics'
import { vitalsTopic } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'

export interface BoardsBenchOptions {
  readings: number
  /** Real time between two readings. */
  intervalMs: number
  chromium: string
  log: (line: string) => void
}

export interface BoardsBenchResult {
  readings: number
  /** Readings on screen: drawn, or superseded by a newer one drawn (see below). */
  seen_on_board: number
  /** Readings drawn themselves (the others came in the same event or frame as a newer one). */
  drawn_exactly: number
  seen_on_stream: number
  board_p50_ms: number
  board_p99_ms: number
  stream_p50_ms: number
  stream_p99_ms: number
  /** Board p99 over stream p99: what the page adds on top of the stream. */
  ratio_p99: number
}

const SITE = 'Bench Hospital'
const PATIENT = 'bench.icu1'
// Values a monitor may send (30–229 /min), never the same twice in a row, so each one changes the cell.
const valueOf = (i: number) => 30 + (i % 200)

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

export async function runBoardsBench(o: BoardsBenchOptions): Promise<BoardsBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'neva-bench-boards-'))
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: join(dir, 'ch') }, gateways: { 'gw-bench': hashToken('tok-bench') }, logLevel: 'silent', bodyLimit: 16 * 1024 * 1024 })
  const closers: Array<() => Promise<unknown>> = [() => core.close()]
  try {
    const gateway = await startGateway(parseGatewayConfig({
      gateway_id: 'gw-bench', data_dir: join(dir, 'edge'), mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 },
      core: { url: core.url, token: 'tok-bench', linger_ms: 5 }, triage: { sync_interval_ms: 0 }, log_level: 'silent',
    }), () => {})
    closers.unshift(() => gateway.stop())
    const now = Date.now()
    await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'bench-enc', patient_id: PATIENT, kind: 'icu_stay', site: SITE, ward: 'ICU', bed: '1', start_time: now, end_time: null, updated_time: now }], 'bench')
    core.live.load([{ board: 'icu', patient_id: PATIENT, site: SITE, ward: 'ICU' }])
    await core.people.add({ id: 'bench-nurse', name: 'Bench Nurse', password: 'bench nurse password', roles: ['nurse'], wards: [`${SITE}/ICU`] }, 'bench')

    const browser = await chromium.launch({ executablePath: o.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    closers.unshift(() => browser.close())
    const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage()
    await page.goto(`${core.url}/login?next=/boards/icu`)
    await page.fill('#username', 'bench-nurse')
    await page.fill('#password', 'bench nurse password')
    await Promise.all([page.waitForURL(/\/boards\/icu$/), page.click('button[type=submit]')])
    const cell = `tr[data-patient="${PATIENT}"] td[data-vital="heart_rate"] .reading`
    await page.waitForSelector(cell)
    // The page notes each value it drew, and when the frame after the change was painted.
    // A script string: this package is compiled without the DOM's types.
    await page.evaluate(`(() => {
      const seen = (window.benchSeen = {})
      const target = document.querySelector(${JSON.stringify(cell)})
      new MutationObserver(() => {
        const v = target.querySelector('.v')?.textContent
        if (v) requestAnimationFrame(() => { seen[v] ??= Date.now() })
      }).observe(target, { childList: true, subtree: true, characterData: true })
    })()`)

    // The baseline: the same stream, read with fetch and the nurse's own session.
    const login = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-nurse', password: 'bench nurse password' }) })
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0]
    if (!cookie) throw new Error(`bench nurse login failed: ${login.status}`)
    const stream = new AbortController()
    const onStream = new Map<number, number>()
    const res = await fetch(`${core.url}/v1/live?board=icu`, { headers: { cookie }, signal: stream.signal })
    const reading = (async () => {
      const decoder = new TextDecoder()
      let buffer = ''
      try {
        for await (const chunk of res.body!) {
          const at = Date.now()
          buffer += decoder.decode(chunk, { stream: true })
          let end
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            if (!block.startsWith('event: vitals')) continue
            const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { readings: Array<{ value: number }> }
            for (const r of data.readings) if (!onStream.has(r.value)) onStream.set(r.value, at)
          }
        }
      } catch (err) {
        if (!stream.signal.aborted) throw err
      }
    })()

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'bench-monitor' })
    closers.unshift(() => device.endAsync())
    const board: number[] = []
    const direct: number[] = []
    let exact = 0
    const batch = 200 // values repeat every 200 readings: measure in rounds of distinct values
    for (let start = 0; start < o.readings; start += batch) {
      const n = Math.min(batch, o.readings - start)
      const sent = new Map<number, number>()
      onStream.clear()
      await page.evaluate('for (const k of Object.keys(window.benchSeen)) delete window.benchSeen[k]')
      for (let i = start; i < start + n; i++) {
        const value = valueOf(i)
        const t = Date.now()
        sent.set(value, t)
        await device.publishAsync(vitalsTopic('bench-mon'), JSON.stringify({ patient_id: PATIENT, time: t, readings: [{ vital: 'heart_rate', value }] }), { qos: 1 })
        await new Promise((r) => setTimeout(r, Math.max(0, o.intervalMs - (Date.now() - t))))
      }
      // Let the last ones arrive, then read what the page saw.
      await new Promise((r) => setTimeout(r, 2000))
      const seen = (await page.evaluate('({ ...window.benchSeen })')) as Record<string, number>
      // A reading is on screen when it, or a newer one of the same bed, is drawn: readings that
      // arrive in one event or one frame show only the newest, as a monitor's screen does.
      const order = [...sent]
      let drawnAt: number | undefined
      const onScreen: Array<number | undefined> = []
      for (let k = order.length - 1; k >= 0; k--) {
        const own = seen[String(order[k]![0])]
        if (own !== undefined) { drawnAt = drawnAt === undefined ? own : Math.min(own, drawnAt); exact++ }
        onScreen[k] = drawnAt
      }
      order.forEach(([value, t], k) => {
        if (onScreen[k] !== undefined) board.push(onScreen[k]! - t)
        const got = onStream.get(value)
        if (got !== undefined) direct.push(got - t)
      })
      o.log(`boards: ${start + n}/${o.readings} readings, board p50 ${quantile(board, 0.5)} ms, stream p50 ${quantile(direct, 0.5)} ms`)
    }
    stream.abort()
    await reading
    const result: BoardsBenchResult = {
      readings: o.readings, seen_on_board: board.length, drawn_exactly: exact, seen_on_stream: direct.length,
      board_p50_ms: quantile(board, 0.5), board_p99_ms: quantile(board, 0.99), stream_p50_ms: quantile(direct, 0.5), stream_p99_ms: quantile(direct, 0.99),
      ratio_p99: 0,
    }
    result.ratio_p99 = Math.round((result.board_p99_ms / Math.max(1, result.stream_p99_ms)) * 100) / 100
    return result
  } finally {
    for (const close of closers) await close().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
}
