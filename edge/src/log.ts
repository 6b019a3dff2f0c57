// The gateway's logger: one structured line per event; components take it, never a console.
export type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void

const LEVELS = { error: 0, warn: 1, info: 2 } as const

export function consoleLog(level: string): Log {
  const max = level === 'silent' ? -1 : (LEVELS[level as keyof typeof LEVELS] ?? 2)
  return (l, message, fields) => {
    if (LEVELS[l] > max) return
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: l, component: 'edge', msg: message, ...fields })}\n`)
  }
}
