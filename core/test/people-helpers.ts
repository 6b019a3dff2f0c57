// Test helpers for the people locks: a logged-in browser-like client (session cookie, Origin of
// the core), and patients placed on a ward by record events, so tests can read patient data the
// way a granted nurse would.
import { randomBytes } from 'node:crypto'
import { EmrStore } from '@neva/analytics'
import type { Core } from '@neva/core'
import type { NewUser } from '@neva/contracts'

export const TEST_SITE = 'Test Hospital'

export interface Client {
  user: string
  cookie: string
  fetch(path: string, init?: RequestInit): Promise<Response>
  json(path: string, init?: Omit<RequestInit, 'body'> & { body?: unknown }): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>
}

export function cookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => /^(__Host-)?neva_session=/.test(c))
  if (!set) throw new Error(`no session cookie in the answer (${res.status})`)
  return set.split(';')[0]!
}

/** Logs in through POST /login (JSON) and returns a client that sends the cookie and this site's Origin. */
export async function login(core: Core, username: string, password: string): Promise<Client> {
  const res = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`)
  const cookie = cookieOf(res)
  const client: Client = {
    user: username,
    cookie,
    fetch: (path, init = {}) => fetch(`${core.url}${path}`, { ...init, headers: { origin: core.url, cookie, ...(init.headers as Record<string, string> | undefined) } }),
    async json(path, init = {}) {
      const { body, ...rest } = init
      const res = await client.fetch(path, {
        ...rest,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string> | undefined) },
      })
      const text = await res.text()
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, headers: res.headers }
    },
  }
  return client
}

/** Creates an account directly (as `neva user add` does) and logs it in. */
export async function userClient(core: Core, user: Omit<NewUser, 'password'> & { password?: string }): Promise<Client> {
  const password = user.password ?? randomBytes(12).toString('base64url')
  await core.people.add({ ...user, password }, 'test')
  return login(core, user.id, password)
}

/** Opens an encounter for each patient on `ward` of TEST_SITE (or the site alone when ward is null). */
export async function admit(core: Core, patients: string[], ward: string | null = 'ICU', site = TEST_SITE, start = Date.now() - 3600_000, end: number | null = null): Promise<void> {
  await new EmrStore(core.clickhouse).store(patients.map((p) => ({
    type: 'encounter' as const, encounter_id: `enc-${p}-${ward ?? 'site'}-${start}`, patient_id: p, kind: ward === 'ICU' ? 'icu_stay' as const : 'admission' as const,
    site, ward, start_time: start, end_time: end, updated_time: end ?? start,
  })), 'test')
}

/** A nurse granted the ICU of TEST_SITE, with the patients admitted there. */
export async function icuNurse(core: Core, patients: string[], id = `nurse-${randomBytes(3).toString('hex')}`): Promise<Client> {
  await admit(core, patients)
  return userClient(core, { id, name: 'Test Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
}
