// ClickHouse's memory as the engine accounts it, on the core's /metrics beside the process's
// RSS: in the embedded engine most of a core's RSS is ClickHouse's, and this says which part.
import { ENGINE_MEMORY_METRICS, engineMemory, type ClickHouse } from '@neva/analytics'
import { Gauge, type Registry } from 'prom-client'

export function registerEngineMemory(registry: Registry, clickhouse: ClickHouse, onError: (err: unknown) => void): void {
  new Gauge({
    name: 'neva_core_clickhouse_memory_bytes',
    help: `ClickHouse's own memory accounting (system.metrics), bytes: ${ENGINE_MEMORY_METRICS.join(', ')}`,
    labelNames: ['metric'] as const,
    registers: [registry],
    async collect() {
      // A figure that could not be read is absent from the scrape, never zero.
      this.reset()
      try {
        for (const [metric, value] of Object.entries(await engineMemory(clickhouse))) this.set({ metric }, value)
      } catch (err) {
        onError(err)
      }
    },
  })
}
