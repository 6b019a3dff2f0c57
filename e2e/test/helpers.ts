// Shared set-up for the tests across packages: a real core on embedded ClickHouse and gateways
// on fresh directories and ephemeral ports.
import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmrStore } from '@neva/analytics'
import { hashToken, startCore, type Core } from '@neva/core'
import { parseGatewayConfig, startGateway, type Gateway } from '@neva/edge'
import { MllpDeframer, mllpFrame, parseHl7 } from '@neva/firmware-adapters'

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `neva-${prefix}-`))

/** `gatewaySites`: the sites whose ED board each gateway's transports may name (others are kept aside). */
export async function startTestCore(gateways: Record<string, string>, gatewaySites: Record<string, string[]> = {}): Promise<Core> {
  return startCore({
    host: '127.0.0.1',
    port: 0,
    clickhouse: { path: tempDir('ch') },
    gateways: Object.fromEntries(Object.entries(gateways).map(([id, token]) => [id, hashToken(token)])),
    gatewaySites,
    logLevel: 'silent',
    bodyLimit: 32 * 1024 * 1024,
  })
}

/**
 * Patient data at the core is for granted clinicians and nurses only: admits `patients` to a test
 * ICU, creates a nurse granted it, logs in and returns a fetch for core paths with the session.
 */
export async function nurseFetch(core: Core, patients: string[]): Promise<(path: string) => Promise<Response>> {
  const now = Date.now()
  await new EmrStore(core.clickhouse).store(patients.map((p) => ({
    type: 'encounter' as const, encounter_id: `enc-${p}`, patient_id: p, kind: 'icu_stay' as const, site: 'Edge Test Hospital', ward: 'ICU', start_time: now, end_time: null, updated_time: now,
  })), 'test')
  await core.people.add({ id: 'edge-nurse', name: 'Edge Nurse', password: 'edge test password', roles: ['nurse'], wards: ['Edge Test Hospital/ICU'] }, 'test')
  const res = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'edge-nurse', password: 'edge test password' }) })
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0]
  if (res.status !== 200 || !cookie) throw new Error(`test nurse login failed: ${res.status}`)
  return (path) => fetch(`${core.url}${path}`, { headers: { cookie } })
}

/** `extra`: more gateway config (e.g. `{ mllp: { port: 0 } }` for an HL7 listener). */
export async function startTestGateway(gatewayId: string, coreUrl: string, token: string, dataDir = tempDir('edge'), extra: Record<string, unknown> = {}): Promise<Gateway & { dataDir: string }> {
  const gateway = await startGateway(
    parseGatewayConfig({
      gateway_id: gatewayId,
      data_dir: dataDir,
      mqtt: { port: 0 },
      api: { port: 0 },
      core: { url: coreUrl, token, linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
      // These tests count the requests the core gets; model distribution has its own tests.
      triage: { sync_interval_ms: 0 },
      log_level: 'silent',
      ...extra,
    }),
    () => {},
  )
  return Object.assign(gateway, { dataDir })
}

/** Sends MLLP frames one by one, as a monitor does, and returns MSA-1 of each ACK. */
export async function sendMllp(port: number, messages: string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const deframer = new MllpDeframer()
  const acks: string[] = []
  let waiting: (() => void) | undefined
  socket.on('data', (b) => {
    for (const m of deframer.push(b).messages) acks.push(parseHl7(m).message!.segment('MSA')!.value(1))
    waiting?.()
  })
  for (const [i, m] of messages.entries()) {
    socket.write(mllpFrame(m))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ACK for message ${i}`)), 15_000)
      waiting = () => { if (acks.length > i) { clearTimeout(timer); resolve() } }
      waiting()
    })
  }
  socket.end()
  return acks
}
