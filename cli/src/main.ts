// neva: one command line for every part of the system.
import { UsageError } from './args.js'
import { COMMANDS } from './commands.js'

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
