// One holder at a time per key, inside this process: a lab order's state change (the route, the
// matcher) reads the order and writes the next row, so two at once on one order must queue.
// Keys with nobody waiting are forgotten, so the map holds only orders being changed now.
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>()

  /** Runs `fn` once every earlier holder of `key` is done; its result or error is the caller's. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    const mine = before.catch(() => {}).then(fn)
    const tail = mine.catch(() => {})
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return mine
  }

  /** Keys held or waited for now. */
  get size(): number {
    return this.tails.size
  }
}
