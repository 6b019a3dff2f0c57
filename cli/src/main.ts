// neva: one command line for every part of the system.
import { UsageError } from './args.js'

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  demo: { summary: 'run core, gateway and a simulated ambulance on embedded ClickHouse', load: () => import('./commands/demo.js') },
  core: { summary: 'run the core (Fastify + ClickHouse)', load: () => import('./commands/core.js') },
  edge: { summary: 'run an edge gateway: neva edge --config FILE', load: () => import('./commands/edge.js') },
  sim: { summary: 'run a simulator: neva sim ambulance --broker mqtt://…', load: () => import('./commands/sim.js') },
  triage: { summary: 'NDJSON vital-sign sets on stdin → NDJSON triage results', load: () => import('./commands/triage.js') },
  sql: { summary: 'run a read-only query against the configured ClickHouse', load: () => import('./commands/sql.js') },
  bench: { summary: 'benchmarks against a baseline in the same run: neva bench ingest', load: () => import('./commands/bench.js') },
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length))
  return ['usage: neva <command> [options]', '', ...Object.entries(COMMANDS).map(([c, { summary }]) => `  ${c.padEnd(width)}  ${summary}`)].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${usage()}\n`)
    return command ? 0 : 2
  }
  const entry = COMMANDS[command]
  if (!entry) {
    process.stderr.write(`neva: unknown command ${JSON.stringify(command)}\n${usage()}\n`)
    return 2
  }
  try {
    return await (await entry.load()).run(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`neva ${command}: ${err.message}\n`)
      return 2
    }
    process.stderr.write(`neva ${command}: ${(err as Error).message}\n`)
    if ((err as Error).cause) process.stderr.write(`  cause: ${String(((err as Error).cause as Error).message ?? (err as Error).cause)}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
