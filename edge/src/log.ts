// The gateway's logger: one structured line per event; components take it, never a console.
export type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void
