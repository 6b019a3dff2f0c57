// ClickHouse's own memory accounting (system.metrics), for the core's /metrics: what the engine
// believes it holds in total and in each cache, beside the process's RSS.
import type { ClickHouse } from './connection.js'

/** The figures read, all bytes; a cache the engine does not report is left out, never zero. */
export const ENGINE_MEMORY_METRICS = [
  'MemoryTracking',
  'MergesMutationsMemoryTracking',
  'MarkCacheBytes',
  'PrimaryIndexCacheBytes',
  'IndexMarkCacheBytes',
  'UncompressedCacheBytes',
  'IndexUncompressedCacheBytes',
  'QueryConditionCacheBytes',
  'CompiledExpressionCacheBytes',
  'QueryCacheBytes',
  'PageCacheBytes',
] as const

export type EngineMemoryMetric = (typeof ENGINE_MEMORY_METRICS)[number]

export async function engineMemory(ch: ClickHouse): Promise<Partial<Record<EngineMemoryMetric, number>>> {
  const rs = await ch.client.query({
    query: 'SELECT metric, value FROM system.metrics WHERE has({names:Array(String)}, metric)',
    query_params: { names: [...ENGINE_MEMORY_METRICS] },
    format: 'JSONEachRow',
  })
  const out: Partial<Record<EngineMemoryMetric, number>> = {}
  for (const row of await rs.json<{ metric: EngineMemoryMetric; value: string | number }>()) {
    const value = Number(row.value)
    if (Number.isFinite(value)) out[row.metric] = value
  }
  return out
}
