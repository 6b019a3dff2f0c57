// Small helpers over node:util parseArgs shared by the commands.
import { parseArgs, type ParseArgsConfig } from 'node:util'

export class UsageError extends Error {}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

export function numberOption(value: string | undefined, name: string, fallback: number, { min = 0, integer = false } = {}): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(value)}`)
  }
  return n
}

/** Resolves on SIGINT/SIGTERM or abort of `signal`. */
export function untilInterrupted(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(why)
    }
    const onInt = () => done('SIGINT')
    const onTerm = () => done('SIGTERM')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
    signal?.addEventListener('abort', () => done('timeout'), { once: true })
  })
}
