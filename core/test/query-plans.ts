// For the tests that prove a route reads by key: the queries a request sends through the real
// client, and each one's plan from EXPLAIN json = 1, indexes = 1 on the same embedded ClickHouse.
import type { ClickHouse } from '@neva/analytics'

export type SentQuery = { query: string; query_params?: Record<string, unknown>; clickhouse_settings?: Record<string, unknown> }
export type PlanNode = { 'Node Type'?: string; Description?: string; Indexes?: Array<Record<string, unknown>>; Plans?: PlanNode[] }

/** What `run` returns, and every query the client was asked meanwhile (in order). */
export async function captureQueries<T>(ch: ClickHouse, run: () => Promise<T>): Promise<{ result: T; seen: SentQuery[] }> {
  const client = ch.client as unknown as { query: (a: SentQuery) => Promise<unknown> }
  const original = client.query
  const seen: SentQuery[] = []
  client.query = function (this: unknown, a: SentQuery) {
    seen.push(a)
    return original.call(this, a)
  }
  try {
    return { result: await run(), seen }
  } finally {
    client.query = original
  }
}

/** The top plan nodes of `query` (sent with the captured query's parameters and settings). */
export async function explainPlans(ch: ClickHouse, query: string, sent: SentQuery): Promise<PlanNode[]> {
  const rs = await ch.client.query({ query: `EXPLAIN json = 1, indexes = 1 ${query}`, query_params: sent.query_params, clickhouse_settings: sent.clickhouse_settings as never, format: 'JSONEachRow' })
  const [row] = await rs.json<{ explain: string }>()
  return (JSON.parse(row!.explain) as Array<{ Plan: PlanNode }>).map((p) => p.Plan)
}
