// Group commit: callers that arrive while one round trip to ClickHouse is in flight share the
// next one. The first caller never waits for company, so a lone gateway pays no extra latency;
// under load, N concurrent batches cost one ledger lookup and one ledger insert instead of N.

export type GroupRun<T, R> = (items: T[]) => Promise<R[]>

export function groupCommit<T, R>(run: GroupRun<T, R>): (item: T) => Promise<R> {
  let waiting: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = []
  let busy = false

  const flush = (): void => {
    if (busy || waiting.length === 0) return
    const group = waiting
    waiting = []
    busy = true
    run(group.map((w) => w.item)).then(
      (results) => {
        if (results.length !== group.length) throw new Error(`group commit: ${results.length} results for ${group.length} items`)
        group.forEach((w, i) => w.resolve(results[i]!))
      },
    ).catch((err: unknown) => {
      for (const w of group) w.reject(err)
    }).finally(() => {
      busy = false
      flush()
    })
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject })
      flush()
    })
}
