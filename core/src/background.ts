// Work the core does on its own (re-reading accounts, sessions and gateway credentials): a failure
// is logged with the task's name and counted (neva_core_background_failures_total{task}), never
// swallowed, and a task failing several times in a row makes /healthz answer 503 "degraded".
import { Counter, type Registry } from 'prom-client'

export type BackgroundLog = (task: string, err: unknown, consecutive: number) => void

export class BackgroundTasks {
  private readonly failing = new Map<string, number>()
  private readonly failures: Counter<'task'>

  constructor(registry: Registry, private readonly log: BackgroundLog) {
    this.failures = new Counter({
      name: 'neva_core_background_failures_total',
      help: 'Failures of work the core does on its own, by task (people_changes, people_refresh, gateway_keys, people_change_notice, people_listeners)',
      labelNames: ['task'] as const,
      registers: [registry],
    })
  }

  /** Runs one round of `task`; a failure is logged and counted, and does not reject. */
  async run(task: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn()
      this.failing.delete(task)
    } catch (err) {
      const consecutive = (this.failing.get(task) ?? 0) + 1
      this.failing.set(task, consecutive)
      this.failures.inc({ task })
      this.log(task, err, consecutive)
    }
  }

  /** A one-off failure (logged and counted) that says nothing about the core's health. */
  report(task: string, err: unknown): void {
    this.failures.inc({ task })
    this.log(task, err, 1)
  }

  /** Tasks whose last `threshold` rounds all failed. */
  unhealthy(threshold = 3): string[] {
    return [...this.failing].filter(([, n]) => n >= threshold).map(([task]) => task).sort()
  }
}
