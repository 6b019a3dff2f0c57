// neva triage: NDJSON vital-sign sets on stdin → one NDJSON triage result per line.
// A malformed line gets an error object naming the problem; the other lines are still scored.
import { createInterface } from 'node:readline'
import { NEWS2_MODEL_VERSION, news2, parseVitalSet } from '@neva/edge'
import { parse } from '../args.js'

export function triageLine(line: string, lineNo: number): object | undefined {
  if (line.trim() === '') return undefined
  let input: unknown
  try {
    input = JSON.parse(line)
  } catch (err) {
    return { line: lineNo, error: `invalid JSON: ${(err as Error).message}` }
  }
  const parsed = parseVitalSet(input)
  if (!parsed.ok) return { line: lineNo, error: parsed.error }
  const score = news2(parsed.value)
  // Until a learned model is deployed the final level is NEWS2's own.
  return { news2: score, level: score.level, model_version: NEWS2_MODEL_VERSION }
}

export async function run(argv: string[]): Promise<number> {
  parse(argv, {})
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  let n = 0
  for await (const line of lines) {
    const out = triageLine(line, ++n)
    if (!out) continue
    if (!process.stdout.write(`${JSON.stringify(out)}\n`)) await new Promise((r) => process.stdout.once('drain', r))
  }
  return 0
}
