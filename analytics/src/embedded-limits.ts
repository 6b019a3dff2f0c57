// Limits of embedded ClickHouse's caches and idle threads. ClickHouse sizes them for a server of
// its own (5 GiB each for marks and primary indexes, 1,000 idle threads kept): in a core beside
// Node they would grow with the data read and the queries' peaks until the machine runs out, so
// the embedded engine starts with these instead.

export interface EmbeddedCaches {
  /** Marks of MergeTree parts (where each granule starts): `mark_cache_size`. */
  markCacheBytes: number
  /** Primary indexes of parts not kept in memory by the table: `primary_index_cache_size`. */
  primaryIndexCacheBytes: number
  /** Marks of skipping indexes: `index_mark_cache_size`. */
  indexMarkCacheBytes: number
  /** Which granules a filter ruled out, by query condition: `query_condition_cache_size`. */
  queryConditionCacheBytes: number
  /** JIT-compiled expressions: `compiled_expression_cache_size`. */
  compiledExpressionCacheBytes: number
}

const MiB = 1024 * 1024

export const EMBEDDED_CACHE_DEFAULTS: EmbeddedCaches = {
  markCacheBytes: 64 * MiB,
  primaryIndexCacheBytes: 64 * MiB,
  indexMarkCacheBytes: 16 * MiB,
  queryConditionCacheBytes: 16 * MiB,
  compiledExpressionCacheBytes: 32 * MiB,
}

const SERVER_SETTING: Record<keyof EmbeddedCaches, string> = {
  markCacheBytes: 'mark_cache_size',
  primaryIndexCacheBytes: 'primary_index_cache_size',
  indexMarkCacheBytes: 'index_mark_cache_size',
  queryConditionCacheBytes: 'query_condition_cache_size',
  compiledExpressionCacheBytes: 'compiled_expression_cache_size',
}

/** At most 1 TiB: a limit, not a size any machine here has. */
export const MAX_CACHE_BYTES = 2 ** 40

/**
 * The engine's start-up arguments for `caches` (defaults for what is absent). Each value must be a
 * whole number of bytes in [0, 1 TiB]; anything else is refused with its name, never passed on.
 */
export function embeddedCacheArgs(caches: Partial<EmbeddedCaches> = {}): string[] {
  const merged = { ...EMBEDDED_CACHE_DEFAULTS, ...caches }
  return (Object.keys(SERVER_SETTING) as Array<keyof EmbeddedCaches>).map((key) => {
    const value = merged[key] ?? EMBEDDED_CACHE_DEFAULTS[key]
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_CACHE_BYTES) {
      throw new RangeError(`embedded ClickHouse cache limit ${key} must be a whole number of bytes from 0 to ${MAX_CACHE_BYTES}, not ${JSON.stringify(value)}`)
    }
    return `--${SERVER_SETTING[key]}=${value}`
  })
}

/**
 * Idle threads the engine's global pool keeps for the next query (`max_thread_pool_free_size`);
 * threads above it exit when their work ends. ClickHouse keeps 1,000.
 */
export const EMBEDDED_IDLE_THREADS_DEFAULT = 32
export const MAX_IDLE_THREADS = 10_000

/** The start-up argument for the idle threads kept, refused by name unless a whole number in [0, 10,000]. */
export function embeddedIdleThreadArgs(idleThreads: number = EMBEDDED_IDLE_THREADS_DEFAULT): string[] {
  if (!Number.isSafeInteger(idleThreads) || idleThreads < 0 || idleThreads > MAX_IDLE_THREADS) {
    throw new RangeError(`embedded ClickHouse idleThreads must be a whole number from 0 to ${MAX_IDLE_THREADS}, not ${JSON.stringify(idleThreads)}`)
  }
  return [`--max_thread_pool_free_size=${idleThreads}`]
}
