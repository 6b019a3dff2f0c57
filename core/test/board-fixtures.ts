// Test users for the stream tests without sessions: the user named in the x-test-user header,
// refused as the core's login refuses (401 unknown, 403 without the role), grants decided by its
// canSee. Test-only; the core never reads this header (the browser tests log in for real).
import type { FastifyRequest } from 'fastify'
import { canSee, CoreError, type BoardAccess, type BoardUser } from '@neva/core'

export const USERS: Record<string, BoardUser> = {
  'dr-icu-a': { id: 'dr-icu-a', name: 'Dr ICU A', roles: ['clinician'], wards: ['city-1/icu-a'], sites: [] },
  'nurse-icu-a': { id: 'nurse-icu-a', name: 'Nurse ICU A', roles: ['nurse'], wards: ['city-1/icu-a'], sites: [] },
  'nurse-icu-b': { id: 'nurse-icu-b', name: 'Nurse ICU B', roles: ['nurse'], wards: ['city-1/icu-b'], sites: [] },
  'dr-ed-1': { id: 'dr-ed-1', name: 'Dr ED', roles: ['clinician'], wards: [], sites: ['city-1'] },
  'dr-ed-2': { id: 'dr-ed-2', name: 'Dr ED elsewhere', roles: ['clinician'], wards: [], sites: ['city-2'] },
  analyst: { id: 'analyst', name: 'Analyst', roles: ['analyst'], wards: [], sites: ['city-1'] },
}

export const audited: Array<{ user: string; patient_id: string; what: string }> = []

const who = (request: FastifyRequest) => USERS[String(request.headers['x-test-user'] ?? '')]

export const testAccess: BoardAccess = {
  require: (...roles) => async (request) => {
    const user = who(request)
    if (!user) throw new CoreError('NEVA_CORE_UNAUTHENTICATED', 'no test user')
    if (!user.roles.some((r) => roles.includes(r))) throw new CoreError('NEVA_CORE_FORBIDDEN', `needs ${roles.join(' or ')}`)
  },
  user: (request) => who(request)!,
  current: (request) => who(request),
  watch: () => () => {},
  canSee,
  auditView: async (request, view) => {
    audited.push({ user: who(request)!.id, ...view })
  },
}

/** Server-Sent Events read off a fetch body: each event as { event, data }. */
export async function* sse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: any }> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true })
    let at
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at)
      buffer = buffer.slice(at + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message'
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (data !== undefined) yield { event, data: JSON.parse(data) }
    }
  }
}
