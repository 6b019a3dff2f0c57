// A board left open: logs in as a person, holds the live stream (SSE) and, for every vital-sign
// reading delivered, notes how long after its device timestamp it arrived. Reconnects (with a
// fresh snapshot) when the stream ends, as the page does.

export interface LatencySink {
  /** Milliseconds from a reading's device time to its arrival on a stream. */
  add(ms: number): void
}

export interface BoardWatch {
  /** Streams opened, the first included. */
  readonly opens: number
  stop(): Promise<void>
}

export async function login(coreUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${coreUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0]
  if (!res.ok || !cookie) throw new Error(`soak: ${username} could not log in (${res.status})`)
  return cookie
}

export function watchBoard(coreUrl: string, cookie: string, board: 'ed' | 'icu', sink: LatencySink): BoardWatch {
  const controller = new AbortController()
  let opens = 0
  const once = async () => {
    opens++
    const res = await fetch(`${coreUrl}/v1/live?board=${board}`, { headers: { cookie }, signal: controller.signal })
    if (!res.ok || !res.body) throw new Error(`soak: the ${board} stream answered ${res.status}`)
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body) {
      const at = Date.now()
      buffer += decoder.decode(chunk as Uint8Array, { stream: true })
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (!block.startsWith('event: vitals')) continue
        const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { readings: Array<{ time: number }> }
        for (const r of data.readings) sink.add(at - r.time)
      }
    }
  }
  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        await once()
      } catch {
        // A dropped stream or a core that is busy: try again, as the page's EventSource does.
      }
      if (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 1000))
    }
  })()
  return {
    get opens() {
      return opens
    },
    async stop() {
      controller.abort()
      await loop
    },
  }
}
