// FHIR paging cursors across a real restart: a next link made by one core is followed on the next
// core started on the same data (the key kept in the embedded ClickHouse's directory, owner-only,
// or the configured key), still bound to its search and its user; a core with another key
// refuses it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, startCore, type Core, type CoreConfigInput } from '@neva/core'
import { admit, login, TEST_SITE, type Client } from './people-helpers.js'
import { seedPatient } from './fhir-fixtures.js'

const path = mkdtempSync(join(tmpdir(), 'neva-fhir-restart-'))
const T0 = Date.UTC(2026, 10, 20, 9)
const PASSWORD = 'restart-password-1'
const KEY = 'k'.repeat(20) + '-configured-cursor-key'

type Get = (user: string, url: string) => Promise<{ status: number; body: any }>

async function withCore<T>(extra: CoreConfigInput, run: (get: Get, core: Core) => Promise<T>): Promise<T> {
  const core = await startCore({ host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024, clickhouse: { path }, gateways: { 'gw-1': hashToken('t') }, ...extra })
  try {
    const clients = new Map<string, Client>()
    const get: Get = async (user, url) => {
      if (!clients.has(user)) clients.set(user, await login(core, user, PASSWORD))
      const u = new URL(url, core.url)
      const res = await clients.get(user)!.fetch(`${u.pathname}${u.search}`)
      return { status: res.status, body: (await res.json()) as any }
    }
    return await run(get, core)
  } finally {
    await core.close()
  }
}

const nextOf = (body: any): string => body.link.find((l: any) => l.relation === 'next').url
const refusedAsBadCursor = (r: { status: number; body: any }) => {
  assert.equal(r.status, 400, JSON.stringify(r.body))
  assert.equal(r.body.issue[0].details.coding[0].code, 'NEVA_CORE_FHIR_BAD_CURSOR')
}

test('a next link outlives the core that made it, for its user only; a core with another key refuses it', async () => {
  const first = await withCore({}, async (get, core) => {
    await admit(core, ['restart-1'])
    await seedPatient(core, 'restart-1', T0, { vitals: 4 })
    for (const id of ['nurse-a', 'nurse-b']) await core.people.add({ id, name: id, roles: ['nurse'], wards: [`${TEST_SITE}/ICU`], password: PASSWORD }, 'test')
    const page = await get('nurse-a', '/fhir/R4/Observation?patient=restart-1&category=vital-signs&_count=3')
    assert.equal(page.status, 200)
    return { next: nextOf(page.body), ids: page.body.entry.map((e: any) => e.resource.id) as string[] }
  })
  assert.equal(statSync(join(path, 'neva-fhir-cursor.key')).mode & 0o777, 0o600)

  // Restarted on the same data: the link goes on where it stopped, for nurse-a only.
  const second = await withCore({}, async (get) => {
    const page = await get('nurse-a', first.next)
    assert.equal(page.status, 200, JSON.stringify(page.body))
    const ids = page.body.entry.map((e: any) => e.resource.id) as string[]
    assert.equal(ids.length, 3)
    assert.ok(ids.every((id) => !first.ids.includes(id)))
    refusedAsBadCursor(await get('nurse-b', first.next))
    return { next: nextOf(page.body) }
  })

  // A core given its own key refuses the old links; its own links survive its restart.
  const configured = await withCore({ fhir: { cursorKey: KEY } }, async (get) => {
    refusedAsBadCursor(await get('nurse-a', second.next))
    const page = await get('nurse-a', '/fhir/R4/Observation?patient=restart-1&category=vital-signs&_count=2')
    return nextOf(page.body)
  })
  await withCore({ fhir: { cursorKey: KEY } }, async (get) => {
    assert.equal((await get('nurse-a', configured)).status, 200)
  })
})
