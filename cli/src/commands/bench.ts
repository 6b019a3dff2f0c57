// neva bench SUITE: benchmarks that compare against a baseline measured in the same run.
import { UsageError } from '../args.js'

export async function run(argv: string[]): Promise<number> {
  const [suite] = argv
  throw new UsageError(`unknown suite ${JSON.stringify(suite ?? '')}; available: ingest`)
}
