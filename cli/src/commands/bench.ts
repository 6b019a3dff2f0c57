// neva bench SUITE: benchmarks that compare against a baseline measured in the same run.
//
// ingest: what exactly-once costs on the core's write path. The same realistic batches (2,000
// vital-sign readings from 50 patients each) are written to embedded ClickHouse three ways,
// interleaved round by round so that drift hits all three alike:
//   baseline   plain inserts, no idempotency
//   store      TelemetryStore.storeBatch: ledger check + per-table deduplication tokens
//   http       POST /v1/ingest on a running core: auth, schema validation, then the store
// and finally every batch is sent again, as a gateway that lost its acknowledgements would.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IngestBatch, Observation } from '@neva/contracts'
import { VITALS } from '@neva/contracts'
import { observationRow } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { numberOption, parse, UsageError } from '../args.js'

export function makeBatches(gateway: string, count: number, size: number, start: number): IngestBatch[] {
  const names = ['heart_rate', 'spo2', 'respiratory_rate', 'nibp_systolic', 'temperature'] as const
  let seq = 1
  return Array.from({ length: count }, (_, b) => {
    const observations: Observation[] = Array.from({ length: size }, (_, i) => {
      const def = VITALS[names[i % names.length]!]
      const t = start + (b * size + i) * 20
      return {
        gateway_id: gateway, seq: seq++, device_id: `mon-${i % 50}`, patient_id: `bench.p${i % 50}`, source: 'mqtt',
        mdc_code: def.mdc, loinc: def.loinc, name: def.name, value: def.name === 'temperature' ? 36.6 + (i % 10) / 10 : 60 + (i % 40),
        unit: def.unit, device_time: t, received_time: t + 30, flags: [],
      }
    })
    return { gateway_id: gateway, batch_id: `bench-${b}`, sent_time: start, observations, triage: [], rejected: [] }
  })
}

async function ingestBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, batches: { type: 'string' }, size: { type: 'string' }, 'flush-gateways': { type: 'string' }, 'flush-batches': { type: 'string' } })
  const count = numberOption(values.batches, 'batches', 60, { min: 3, integer: true })
  const size = numberOption(values.size, 'size', 2000, { min: 1, integer: true })
  const flushGateways = numberOption(values['flush-gateways'], 'flush-gateways', 40, { min: 0, integer: true })
  const flushBatches = numberOption(values['flush-batches'], 'flush-batches', 5, { min: 1, integer: true })
  const { flushGatewayIds, runFlushPhase } = await import('../bench/ingest-flush.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  const dir = mkdtempSync(join(tmpdir(), 'neva-bench-'))
  const tokens = { baseline: 't-base', store: 't-store', http: 't-http' }
  const core = await startCore({
    host: '127.0.0.1', port: 0, clickhouse: { path: join(dir, 'clickhouse') }, logLevel: 'silent', bodyLimit: 64 * 1024 * 1024,
    gateways: {
      ...Object.fromEntries(Object.entries(tokens).map(([g, t]) => [`bench-${g}`, hashToken(t)])),
      ...Object.fromEntries(flushGatewayIds(flushGateways).map((g) => [g, hashToken(`token-${g}`)])),
    },
  })
  try {
    const start = Date.UTC(2026, 10, 1)
    const sets = {
      baseline: makeBatches('bench-baseline', count, size, start),
      store: makeBatches('bench-store', count, size, start),
      http: makeBatches('bench-http', count, size, start),
    }
    const elapsed = { baseline: 0, store: 0, http: 0, resend: 0 }
    const timed = async (key: keyof typeof elapsed, fn: () => Promise<unknown>) => {
      const t0 = performance.now()
      await fn()
      elapsed[key] += performance.now() - t0
    }
    const post = async (batch: IngestBatch) => {
      const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.http}` }, body: JSON.stringify(batch) })
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
      return (await res.json()) as { stored: boolean }
    }
    say(`ingest: ${count} batches × ${size} readings per method, embedded ClickHouse`)
    for (let i = 0; i < count; i++) {
      await timed('baseline', () => core.clickhouse.client.insert({
        table: 'observations', values: sets.baseline[i]!.observations.map(observationRow), format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: '' },
      }))
      await timed('store', () => core.store.storeBatch(sets.store[i]!))
      await timed('http', () => post(sets.http[i]!))
    }
    let duplicatesStored = 0
    await timed('resend', async () => {
      for (const b of sets.http) if ((await post(b)).stored) duplicatesStored++
    })
    const rows = count * size
    const perSecond = (ms: number) => Math.round(rows / (ms / 1000))
    for (const key of ['baseline', 'store', 'http'] as const) {
      const stored = await core.store.count('observations', 'gateway_id = {g:String}', { g: `bench-${key}` })
      if (stored !== rows) throw new Error(`${key}: stored ${stored} of ${rows}`)
    }
    const flush = flushGateways > 0 ? await runFlushPhase(core, { gateways: flushGateways, batches: flushBatches, size, start }) : undefined
    const result = {
      baseline_rows_per_s: perSecond(elapsed.baseline),
      exactly_once_rows_per_s: perSecond(elapsed.store),
      http_rows_per_s: perSecond(elapsed.http),
      ratio: Number((elapsed.baseline / elapsed.store).toFixed(3)),
      http_ratio: Number((elapsed.baseline / elapsed.http).toFixed(3)),
      resent_batches_per_s: Math.round(count / (elapsed.resend / 1000)),
      duplicates_stored: duplicatesStored,
      ...flush,
    }
    say(`  baseline (plain insert)          ${result.baseline_rows_per_s.toLocaleString('en')} rows/s`)
    say(`  exactly-once store               ${result.exactly_once_rows_per_s.toLocaleString('en')} rows/s   ratio ${result.ratio}`)
    say(`  POST /v1/ingest (auth+validate)  ${result.http_rows_per_s.toLocaleString('en')} rows/s   ratio ${result.http_ratio}`)
    say(`  every batch resent               ${result.resent_batches_per_s} batches/s answered "already stored", ${duplicatesStored} stored twice`)
    if (flush) {
      say(`  flush: ${flushGateways} gateways with ${flushBatches} batches each come back at once (the gateway's uplink on its own thread)`)
      say(`    one gateway alone (baseline)   ${flush.one_gateway_flush_rows_per_s.toLocaleString('en')} rows/s`)
      say(`    ${String(flushGateways).padEnd(4)}gateways at once         ${flush.flush_rows_per_s.toLocaleString('en')} rows/s   ratio ${flush.flush_ratio}; ${flush.flush_busy_answers} answered 429 and waited; ${flush.flush_errors} timeouts or errors${flush.flush_last_error ? ` (last: ${flush.flush_last_error})` : ''}; RSS max ${flush.flush_rss_mb_max} MB; every reading stored once`)
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return duplicatesStored === 0 && (flush?.flush_errors ?? 0) === 0 ? 0 : 1
  } finally {
    await core.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function outboxBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, 'outage-s': { type: 'string' }, 'round-s': { type: 'string' }, rate: { type: 'string' } })
  const { runOutboxBench } = await import('../bench/outbox.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  const outageS = numberOption(values['outage-s'], 'outage-s', 600, { min: 1 })
  say(`outbox: 20 devices × 10 readings a message, QoS 1; outage ${outageS} s`)
  const result = await runOutboxBench({
    roundSeconds: numberOption(values['round-s'], 'round-s', 5, { min: 1 }),
    outageS,
    liveReadingsPerS: numberOption(values.rate, 'rate', 2000, { min: 10 }),
    log: say,
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return 0
}

async function triageBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, model: { type: 'string' }, rows: { type: 'string' }, threads: { type: 'string' }, seconds: { type: 'string' }, patients: { type: 'string' }, risk: { type: 'boolean', default: false } })
  if (values.risk) {
    // The deterioration model (docs/model-card.md) through the pool against the main thread.
    const { runRiskBench } = await import('../bench/risk.js')
    const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
    say('triage --risk: the deterioration model through the worker pool against the same model on the main thread')
    const result = await runRiskBench({ rows: numberOption(values.rows, 'rows', 5_000, { min: 100, integer: true }), threads: numberOption(values.threads, 'threads', 1, { min: 1, integer: true }), ...(values.model ? { manifestPath: values.model } : {}), log: say })
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return 0
  }
  const { runTriageBench } = await import('../bench/triage.js')
  const { DEFAULT_MODEL_MANIFEST } = await import('@neva/edge')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  say('triage: the model through the worker pool against the same model on the main thread')
  const result = await runTriageBench({
    manifestPath: values.model ?? DEFAULT_MODEL_MANIFEST,
    rows: numberOption(values.rows, 'rows', 20_000, { min: 100, integer: true }),
    // One worker leaves the other core to the gateway's event loop, broker and outbox.
    threads: numberOption(values.threads, 'threads', 1, { min: 1, integer: true }),
    latencySeconds: numberOption(values.seconds, 'seconds', 10, { min: 1 }),
    patients: numberOption(values.patients, 'patients', 500, { min: 1, integer: true }),
    log: say,
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return 0
}

async function decodeBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, 'hl7-messages': { type: 'string' }, connections: { type: 'string' }, 'astm-messages': { type: 'string' }, 'oximeter-lines': { type: 'string' } })
  const { runDecodeBench } = await import('../bench/decode.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  say('decode: device messages through a gateway, from the wire to the acknowledgement after the outbox commit')
  const result = await runDecodeBench({
    hl7Messages: numberOption(values['hl7-messages'], 'hl7-messages', 20_000, { min: 10, integer: true }),
    // A 50-bed unit: one connection per bedside monitor.
    hl7Connections: numberOption(values.connections, 'connections', 50, { min: 1, integer: true }),
    astmMessages: numberOption(values['astm-messages'], 'astm-messages', 300, { min: 1, integer: true }),
    oximeterLines: numberOption(values['oximeter-lines'], 'oximeter-lines', 20_000, { min: 10, integer: true }),
    parseRounds: 6,
    log: say,
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return 0
}

async function analyticsBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, rows: { type: 'string' }, patients: { type: 'string' }, batches: { type: 'string' }, writers: { type: 'string' }, repeats: { type: 'string' }, city: { type: 'string' } })
  const { runAnalyticsBench } = await import('../bench/analytics.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  const tty = process.stderr.isTTY
  say('analytics: ingest through the core against direct inserts; named queries over a synthetic city')
  const result = await runAnalyticsBench({
    city: values.city,
    rows: numberOption(values.rows, 'rows', 100_000_000, { integer: true }),
    patients: numberOption(values.patients, 'patients', 100_000, { min: 1, integer: true }),
    batches: numberOption(values.batches, 'batches', 20, { min: 2, integer: true }),
    batchSize: 2000,
    writers: numberOption(values.writers, 'writers', 4, { min: 1, integer: true }),
    repeats: numberOption(values.repeats, 'repeats', 10, { min: 1, integer: true }),
    log: say,
    progress: (line, done) => {
      if (values.json) return
      if (tty) process.stderr.write(`\r${line}${done ? '\n' : ''}`)
      else if (done) process.stderr.write(`${line}\n`)
    },
  })
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return 0
}

async function boardsBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, readings: { type: 'string' }, 'interval-ms': { type: 'string' }, chromium: { type: 'string' } })
  const { runBoardsBench } = await import('../bench/boards.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  say('boards: MQTT publish → gateway → core → ICU board in headless Chromium (next frame after the change), against the same reading on the SSE stream read with fetch')
  const r = await runBoardsBench({
    readings: numberOption(values.readings, 'readings', 400, { min: 1, integer: true }),
    intervalMs: numberOption(values['interval-ms'], 'interval-ms', 50, { min: 0 }),
    chromium: values.chromium ?? '/usr/bin/chromium',
    log: (line) => process.stderr.write(`${line}\n`),
  })
  say(`  on the board   p50 ${r.board_p50_ms} ms   p99 ${r.board_p99_ms} ms   (${r.seen_on_board}/${r.readings} on screen, ${r.drawn_exactly} drawn themselves, the others superseded within a frame)`)
  say(`  on the stream  p50 ${r.stream_p50_ms} ms   p99 ${r.stream_p99_ms} ms   (${r.seen_on_stream}/${r.readings} received)`)
  say(`  board / stream at p99: ${r.ratio_p99}×`)
  process.stdout.write(`${JSON.stringify(r)}\n`)
  return 0
}

async function fhirBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, hours: { type: 'string' }, count: { type: 'string' }, repeats: { type: 'string' }, 'city-patients': { type: 'string' }, 'city-rows': { type: 'string' }, city: { type: 'string' } })
  const { runFhirBench } = await import('../bench/fhir.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  say('fhir: Observation search over HTTP (grants, audit, mapping) and the export, against a raw ClickHouse select of the same rows')
  const r = await runFhirBench({
    hours: numberOption(values.hours, 'hours', 24, { min: 1, integer: true }),
    count: numberOption(values.count, 'count', 1000, { min: 1, integer: true }),
    repeats: numberOption(values.repeats, 'repeats', 20, { min: 1, integer: true }),
    cityPatients: numberOption(values['city-patients'], 'city-patients', 0, { min: 0, integer: true }),
    cityRows: numberOption(values['city-rows'], 'city-rows', 0, { min: 0, integer: true }),
    city: values.city,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  if (r.city_patients > 0) say(`  among a city of ${r.city_patients} patients and ${r.city_rows} telemetry rows`)
  say(`  patient page summary (24 h) p50 ${r.page_summary_24h_p50_ms} ms (${r.page_points} vital points)`)
  say(`  page reads p50: one query ${r.page_reads_one_query_p50_ms} ms, separately (as before) ${r.page_reads_separate_p50_ms} ms   ${r.page_reads_ratio}×; CPU ${r.page_reads_one_query_cpu_p50_ms} ms against ${r.page_reads_separate_cpu_p50_ms} ms   ${r.page_reads_cpu_ratio}×`)
  say(`  vitals 24 h read alone p50: per minute (before) ${r.vitals_24h.per_minute_p50_ms} ms, per 5 minutes (now) ${r.vitals_24h.per_5min_p50_ms} ms   ${r.vitals_24h.ratio}×; CPU ${r.vitals_24h.per_minute_cpu_p50_ms} ms against ${r.vitals_24h.per_5min_cpu_p50_ms} ms   ${r.vitals_24h.cpu_ratio}×`)
  say(`  search  p50 ${r.search_p50_ms} ms   raw select p50 ${r.raw_select_p50_ms} ms   ${r.search_ratio}× (${r.count} of ${r.readings} readings)`)
  say(`  export  ${r.export_per_s} resources/s, ${r.export_per_cpu_s} per CPU-second (${r.export_resources} Observations, ${r.export_mb} MB NDJSON)   raw select ${r.raw_per_s} rows/s   export / raw ${r.export_ratio}×`)
  for (const t of r.types.filter((t) => t.resources > 0)) say(`  export  ${t.type}: ${t.resources} resources, object + stringify ${t.object_per_s}/s (${t.object_per_cpu_s} per CPU-second), NDJSON ${t.ndjson_per_s}/s (${t.ndjson_per_cpu_s}): ${t.ratio}× per CPU-second`)
  process.stdout.write(`${JSON.stringify(r)}\n`)
  return 0
}

async function pressureBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, rate: { type: 'string' }, seconds: { type: 'string' }, window: { type: 'string' }, connections: { type: 'string' }, 'backlog-s': { type: 'string' }, 'backlog-rate': { type: 'string' }, live: { type: 'string' }, 'mllp-messages': { type: 'string' } })
  const { runPressureBench } = await import('../bench/pressure.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  const o = {
    rate: numberOption(values.rate, 'rate', 10_000, { min: 10 }),
    seconds: numberOption(values.seconds, 'seconds', 10, { min: 1 }),
    window: numberOption(values.window, 'window', 10_000, { min: 1, integer: true }),
    connections: numberOption(values.connections, 'connections', 100, { min: 1, integer: true }),
    // Scaled down by default; --backlog-s 600 is the 10 minutes of the issue.
    backlogS: numberOption(values['backlog-s'], 'backlog-s', 60, { min: 1 }),
    backlogRate: numberOption(values['backlog-rate'], 'backlog-rate', 100, { min: 1 }),
    liveDevices: numberOption(values.live, 'live', 20, { min: 1, integer: true }),
    mllpMessages: numberOption(values['mllp-messages'], 'mllp-messages', 20_000, { min: 0, integer: true }),
    log: say,
  }
  say(`pressure: QoS 1 over one connection paced at ${o.rate}/s then offered ${o.rate * 2}/s (window ${o.window}) against a bare aedes broker; ${o.connections} connections; a backlog while others stream live; HL7 over one MLLP connection without waiting, against a bare MLLP sink`)
  const result = await runPressureBench(o)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return result.stored_once ? 0 : 1
}

async function patientPageBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, hours: { type: 'string' }, repeats: { type: 'string' } })
  const hours = numberOption(values.hours, 'hours', 24, { min: 1, integer: true })
  if (![1, 8, 24, 168].includes(hours)) throw new UsageError(`--hours must be 1, 8, 24 or 168 (the page's windows), not ${hours}`)
  const { runPatientPageBench } = await import('../bench/patient-page.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  say('patient-page: the page\'s summary over HTTP (grants, audit, vitals averaged in ClickHouse, labs, alarms, triage) against a raw select of the window\'s readings')
  const r = await runPatientPageBench({
    hours: hours as 1 | 8 | 24 | 168,
    repeats: numberOption(values.repeats, 'repeats', 20, { min: 1, integer: true }),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  say(`  summary  p50 ${r.summary_p50_ms} ms (${r.points} points)   raw select p50 ${r.raw_select_p50_ms} ms (${r.raw_rows} rows)   ${r.ratio}×`)
  process.stdout.write(`${JSON.stringify(r)}\n`)
  return 0
}

async function liveBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, subscribers: { type: 'string' }, rate: { type: 'string' }, patients: { type: 'string' }, seconds: { type: 'string' } })
  const subscribers = (values.subscribers ?? '1,100,300').split(',').map((x) => numberOption(x, 'subscribers', 1, { min: 1, integer: true }))
  if (subscribers[0] !== 1) subscribers.unshift(1)
  const { runLiveBench } = await import('../bench/live.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  const o = {
    subscribers,
    batchesPerS: numberOption(values.rate, 'rate', 20, { min: 0.1 }),
    patients: numberOption(values.patients, 'patients', 10, { min: 1, integer: true }),
    seconds: numberOption(values.seconds, 'seconds', 10, { min: 1 }),
    log: say,
  }
  say(`live: the ICU board's stream to ${subscribers.join(', ')} subscribers (one baseline subscriber first), ${o.batchesPerS} ingest batches/s of one reading for each of ${o.patients} patients, for ${o.seconds} s each; delay from the ingest request to the event`)
  const r = await runLiveBench(o)
  say(`  ${r.phases.at(-1)!.subscribers} vs 1 subscriber: events/s ${r.ratio_events_per_s}×, p99 delay ${r.ratio_p99}×   load average ${r.load_avg.join(' ')}`)
  process.stdout.write(`${JSON.stringify(r)}\n`)
  return r.phases.every((p) => p.received === p.expected) ? 0 : 1
}

async function labBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false }, orders: { type: 'string' } })
  const { runLabMatcherBench } = await import('../bench/lab-matcher.js')
  const say = (s: string) => { if (!values.json) process.stdout.write(`${s}\n`) }
  say('lab: the core\'s lab matcher, per result (baseline) against batched by specimen, on two embedded stores seeded alike')
  const r = await runLabMatcherBench(numberOption(values.orders, 'orders', 300, { min: 1, integer: true }), (line) => process.stderr.write(`${line}\n`))
  say(`  ${r.results} results of ${r.orders} orders: per result ${r.per_result_ms} ms, batched ${r.batched_ms} ms   ${r.ratio}×   same decisions: ${r.same_decisions}`)
  process.stdout.write(`${JSON.stringify(r)}\n`)
  return r.same_decisions ? 0 : 1
}

export async function run(argv: string[]): Promise<number> {
  const [suite, ...rest] = argv
  if (suite === 'ingest') return ingestBench(rest)
  if (suite === 'outbox') return outboxBench(rest)
  if (suite === 'triage') return triageBench(rest)
  if (suite === 'decode') return decodeBench(rest)
  if (suite === 'analytics') return analyticsBench(rest)
  if (suite === 'boards') return boardsBench(rest)
  if (suite === 'fhir') return fhirBench(rest)
  if (suite === 'pressure') return pressureBench(rest)
  if (suite === 'patient-page') return patientPageBench(rest)
  if (suite === 'live') return liveBench(rest)
  if (suite === 'lab') return labBench(rest)
  throw new UsageError(`unknown suite ${JSON.stringify(suite ?? '')}; available: ingest, outbox, triage, decode, analytics, boards, fhir, pressure, patient-page, live, lab`)
}
