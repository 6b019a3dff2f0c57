// neva bench lab: the core's lab matcher over a city day's results, per result (the earlier pass:
// a read of the specimen's orders and an insert per result) against the batched pass (one read of
// every specimen's orders, one insert of the match rows, each order advanced once), on two
// embedded ClickHouse stores seeded alike in the same run. Both must reach the same decisions.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, LabMatchStore, LabOrderStore, migrate } from '@neva/analytics'
import { LabMatcher } from '@neva/core'
import type { LabOrder } from '@neva/contracts'

const TESTS = [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }, { loinc: '2951-2', lab_code: 'NA' }]

export interface LabBenchReport {
  orders: number
  results: number
  per_result_ms: number
  batched_ms: number
  ratio: number
  same_decisions: boolean
  matched: number
  unmatched: number
}

async function seeded(dir: string, orders: number, t0: number) {
  const ch = await connectClickHouse({ path: dir })
  await migrate(ch)
  const store = new LabOrderStore(ch)
  for (let i = 0; i < orders; i++) {
    const order: LabOrder = {
      order_id: `bench-o-${i}`, patient_id: `bench-p-${i % 50}`, encounter_id: `bench-e-${i % 50}`, site: 'City Lab', ward: 'Ward 1', specimen_id: `BS-${i}`,
      tests: TESTS, priority: 'routine', diagnosis_code: '', diagnosis_text: '', ordered_by: 'system:bench', state: 'ordered',
      placed_time: t0, updated_time: t0, history: [{ state: 'ordered', by: 'system:bench', time: t0 }],
    }
    await store.record(order)
  }
  // Every test of every order resulted, plus one result in ten for a tube nobody ordered.
  const rows = []
  let seq = 0
  for (let i = 0; i < orders; i++) {
    for (const t of TESTS) rows.push({ specimen: `BS-${i}`, t })
    if (i % 10 === 0) rows.push({ specimen: `NO-ORDER-${i}`, t: TESTS[0]! })
  }
  const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23)
  await ch.client.insert({
    table: 'lab_results', format: 'JSONEachRow',
    values: rows.map((r) => ({
      gateway_id: 'gw-bench', seq: ++seq, device_id: 'chem-1', source: 'astm', order_id: r.specimen, patient_id: null, test_code: r.t.lab_code, loinc: r.t.loinc,
      value: '4.2', numeric_value: 4.2, unit: 'mmol/L', reference_range: '', abnormal_flag: null, status: 'F', result_time: at(t0 + 60_000), received_time: at(t0 + 60_000 + seq), comments: [],
    })),
    clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
  })
  return { ch, results: rows.length, orders: store }
}

async function decisions(ch: Awaited<ReturnType<typeof connectClickHouse>>): Promise<string> {
  const rs = await ch.client.query({ query: 'SELECT seq, argMax(outcome, matched_time) AS o, argMax(order_id, matched_time) AS ord FROM lab_result_matches GROUP BY seq ORDER BY seq', format: 'JSONEachRow' })
  return JSON.stringify(await rs.json())
}

export async function runLabMatcherBench(orders: number, log: (line: string) => void = () => {}): Promise<LabBenchReport> {
  const root = mkdtempSync(join(tmpdir(), 'neva-bench-lab-'))
  const t0 = Date.now() - 3600_000
  try {
    const timings: number[] = []
    const outcomes: string[] = []
    let counts = { matched: 0, unmatched: 0, results: 0 }
    for (const batch of [false, true]) {
      const s = await seeded(join(root, batch ? 'batched' : 'per-result'), orders, t0)
      log(`${batch ? 'batched' : 'per result'}: ${orders} orders, ${s.results} results seeded`)
      const matcher = new LabMatcher(new LabMatchStore(s.ch), s.orders, undefined, undefined, batch)
      const started = performance.now()
      counts = { matched: 0, unmatched: 0, results: s.results }
      // Passes take 1000 results each, as the core's timer would.
      for (;;) {
        const pass = await matcher.run()
        counts.matched += pass.matched
        counts.unmatched += pass.unmatched
        if (pass.examined === 0 || counts.matched + counts.unmatched >= s.results) break
      }
      timings.push(performance.now() - started)
      outcomes.push(await decisions(s.ch))
      await s.ch.close()
    }
    const [perResult, batched] = timings as [number, number]
    return {
      orders, results: counts.results, per_result_ms: Math.round(perResult), batched_ms: Math.round(batched), ratio: Math.round((perResult / batched) * 10) / 10,
      same_decisions: outcomes[0] === outcomes[1], matched: counts.matched, unmatched: counts.unmatched,
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
