// neva sim replay --physionet2012 DIR: recorded ICU stays played through the real path — a core
// on embedded ClickHouse, one gateway, each bed's monitor over HL7/MLLP, the lab analyzer over
// ASTM on a socat serial pair, the ventilators' OPC UA server — then every stored value read
// back and compared with the recording.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VITALS } from '@neva/contracts'
import { coreConfigFromEnv, hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import {
  AstmAnalyzer, PHYSIONET2012_PARAMETERS, ReplayVentilators, compareReplay, physionet2012LabCodes, planPhysionet2012Replay, readPhysionet2012,
  replayNodeId, runPhysionet2012Replay, startPtyPair, type ReplayComparison, type ReplayPath, type ReplayPlan, type ReplayRunReport, type ReplayStoredRow,
} from '@neva/simulators'

export const REPLAY_GATEWAY_ID = 'replay-gw'
const MARKER = '.neva-replay'

export interface ReplayOptions {
  source: string
  patients: number
  timeScale: number
  /** Where ClickHouse and the gateway keep their data; a fresh temporary folder (removed) by default. */
  dataDir?: string
  /** Admission time of every stay; default so that the last recorded minute lands about when it is sent. */
  admission?: number
  log: (line: string) => void
}

export interface ReplaySummary {
  patients: number
  patient_ids: string[]
  admission: number
  time_scale: number
  sent: Record<ReplayPath, number>
  stored: { observations: number; lab_results: number; rejected: number }
  expected: number
  equal: number
  missing: number
  unexpected: number
  by_path: ReplayComparison['byPath']
  excluded: ReplayPlan['excluded']
  devices: Omit<ReplayRunReport, 'sent'>
  data_dir: string | null
}

/** A data folder replay made itself (it leaves a marker) is cleared; any other non-empty one is refused. */
function freshDirectory(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, MARKER))) throw new Error(`${dir} holds data that neva sim replay did not create; choose another directory with --data`)
    for (const part of ['clickhouse', 'edge', 'opcua', 'serial']) rmSync(join(dir, part), { recursive: true, force: true })
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, MARKER), 'created by neva sim replay; cleared at the start of each replay\n')
}

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const stays = readPhysionet2012(options.source, options.patients)
  const hours = Math.max(48, ...stays.flatMap((s) => s.readings.map((r) => Math.ceil(r.minute / 60))))
  const started = Date.now()
  // Recorded times in the past: the last minute of the stays lands about when it is sent.
  const admission = options.admission ?? Math.floor((started + (hours * 3_600_000) / options.timeScale - hours * 3_600_000) / 60_000) * 60_000
  const runTag = randomBytes(3).toString('hex')
  const plan = planPhysionet2012Replay(stays, { admission, runTag })
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'neva-replay-'))
  freshDirectory(dir)
  const host = '127.0.0.1'
  const token = randomBytes(24).toString('base64url')
  const fromEnv = coreConfigFromEnv()
  const core = await startCore({ ...fromEnv, host, port: 0, clickhouse: { ...fromEnv.clickhouse, path: join(dir, 'clickhouse') }, gateways: { [REPLAY_GATEWAY_ID]: hashToken(token) }, logLevel: 'warn' })
  const ventilators = new ReplayVentilators({ pkiDir: join(dir, 'opcua'), patientIds: plan.patientIds, host })
  mkdirSync(join(dir, 'serial'), { recursive: true })
  let pty
  let gateway
  let analyzer: AstmAnalyzer | undefined
  let report: ReplayRunReport | undefined
  try {
    pty = await startPtyPair({ dir: join(dir, 'serial') })
    await ventilators.start()
    gateway = await startGateway(parseGatewayConfig({
      gateway_id: REPLAY_GATEWAY_ID,
      data_dir: join(dir, 'edge'),
      mqtt: { host, port: 0 },
      api: { host, port: 0 },
      core: { url: core.url, token },
      // Every bed's monitor connects from loopback: the per-address limit (16) would refuse beds.
      mllp: { host, port: 0, max_connections_per_address: plan.patientIds.length + 4, max_connections: Math.max(256, plan.patientIds.length + 4) },
      serial: [{ device_id: 'replay-analyzer', path: pty.b, protocol: 'astm' }],
      opcua: plan.patientIds.map((patientId) => ({
        device_id: `${patientId}-ventilator`, endpoint_url: ventilators.endpointUrl, security_mode: 'None', patient_id: patientId, sampling_interval_ms: 100,
        nodes: [{ node_id: replayNodeId(patientId, 'FiO2'), mdc_code: VITALS.fio2.mdc, unit: VITALS.fio2.unit, scale: fio2Scale() }],
      })),
      lab_codes: physionet2012LabCodes(),
      triage: { model: null, sync_interval_ms: 0 },
      log_level: 'warn',
    }))
    analyzer = new AstmAnalyzer({ path: pty.a, automatic: false, name: 'replay-analyzer', sender: { busyRetryMs: 200, contentionRetryMs: 100, abortRetryMs: 200 } })
    await analyzer.start()
    // The ventilators' values are changes: the gateway must be subscribed before the first one.
    await untilVentilatorsHeard(gateway.apiUrl, plan.patientIds.map((p) => `${p}-ventilator`))
    options.log(`replaying ${stays.length} stays (${plan.steps.length} recorded minutes) at ×${options.timeScale}: admission ${new Date(admission).toISOString()}, gateway MLLP ${host}:${gateway.mllpPort}, ASTM ${pty.b}, OPC UA ${ventilators.endpointUrl}`)
    const stop = new AbortController()
    const onSignal = () => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      report = await runPhysionet2012Replay(plan, {
        mllp: { host, port: gateway.mllpPort! }, analyzer, ventilators, timeScale: options.timeScale, signal: stop.signal,
        onProgress: (p) => options.log(`  … hour ${(p.minute / 60).toFixed(1)} of the stays · ${p.done}/${p.steps} minutes sent · outbox ${gateway!.outbox.stats().depth} waiting`),
      })
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    await gateway.drain(60_000)
  } finally {
    await analyzer?.stop()
    await gateway?.stop()
    await ventilators.stop()
    await pty?.stop()
  }
  try {
    const rows = await storedRows(core.clickhouse.client, plan.patientIds)
    const rejected = await core.store.count('rejected_readings', 'gateway_id = {g:String}', { g: REPLAY_GATEWAY_ID })
    const comparison = compareReplay(plan.expected, rows)
    const { sent, ...devices } = report!
    return {
      patients: stays.length, patient_ids: plan.patientIds, admission, time_scale: options.timeScale, sent,
      stored: { observations: rows.filter((r) => r.table === 'observations').length, lab_results: rows.filter((r) => r.table === 'lab_results').length, rejected },
      expected: plan.expected.length, equal: comparison.equal, missing: comparison.missing.length, unexpected: comparison.unexpected.length,
      by_path: comparison.byPath, excluded: plan.excluded, devices, data_dir: options.dataDir ?? null,
    }
  } finally {
    await core.close()
    if (!options.dataDir) rmSync(dir, { recursive: true, force: true })
  }
}

async function untilVentilatorsHeard(apiUrl: string, deviceIds: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = await (await fetch(`${apiUrl}/status`)).json() as { devices?: { device_id: string; connected: boolean }[] }
    const connected = new Set((status.devices ?? []).filter((d) => d.connected).map((d) => d.device_id))
    const waiting = deviceIds.filter((id) => !connected.has(id))
    if (waiting.length === 0) return
    if (Date.now() > deadline) throw new Error(`the gateway did not subscribe to the ventilators of ${waiting.join(', ')} within ${timeoutMs / 1000} s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const fio2Scale = () => {
  const route = PHYSIONET2012_PARAMETERS.FiO2!.route
  return route.path === 'opcua' ? route.scale ?? 1 : 1
}

interface Queryable {
  query(q: { query: string; query_params: Record<string, unknown>; format: 'JSONEachRow' }): Promise<{ json<T>(): Promise<T[]> }>
}

/** Every reading stored for the replayed patients, both tables, times in epoch ms. */
export async function storedRows(client: Queryable, patientIds: string[]): Promise<ReplayStoredRow[]> {
  const obs = await client.query({
    // A coded metric outside the named vitals is keyed by its MDC code ("mdc:188736"), as the plan expects it.
    query: "SELECT patient_id, if(name = 'other', concat('mdc:', toString(mdc_code)), name) AS name, toUnixTimestamp64Milli(device_time) AS t, value FROM observations WHERE gateway_id = {g:String} AND has({ids:Array(String)}, patient_id)",
    query_params: { g: REPLAY_GATEWAY_ID, ids: patientIds }, format: 'JSONEachRow',
  })
  const labs = await client.query({
    query: 'SELECT patient_id, test_code, toUnixTimestamp64Milli(result_time) AS t, numeric_value FROM lab_results WHERE gateway_id = {g:String} AND has({ids:Array(String)}, ifNull(patient_id, \'\'))',
    query_params: { g: REPLAY_GATEWAY_ID, ids: patientIds }, format: 'JSONEachRow',
  })
  return [
    ...(await obs.json<{ patient_id: string; name: string; t: string; value: number }>()).map((r) => ({ table: 'observations' as const, patientId: r.patient_id, key: r.name, time: Number(r.t), value: r.value })),
    ...(await labs.json<{ patient_id: string; test_code: string; t: string | null; numeric_value: number | null }>()).map((r) => ({ table: 'lab_results' as const, patientId: r.patient_id, key: r.test_code, time: Number(r.t), value: r.numeric_value })),
  ]
}
