// Paging cursors: the position after the last row of a page, bound to the search it pages (type,
// every other parameter) and to the user, and signed with the configured key (or one kept beside
// the embedded ClickHouse), so a cursor outlives a restart. A cursor changed, moved to another
// search (another patient) or shown by another user is refused.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { FhirPosition } from '@neva/analytics'
import { fhirError } from './outcome.js'
import type { Query } from './search-params.js'

/**
 * The signing key: the configured one; else a key file in the embedded ClickHouse's data directory
 * (made once, owner-only); else (a ClickHouse server, no key configured) one per process.
 */
export function cursorKeyOf(configured: string | undefined, embeddedPath: string | undefined): Buffer {
  if (configured !== undefined) return createHash('sha256').update(`neva fhir cursor\u0000${configured}`).digest()
  if (embeddedPath === undefined) return randomBytes(32)
  const file = join(resolve(embeddedPath), 'neva-fhir-cursor.key')
  if (!existsSync(file)) {
    // 'wx': two cores starting at once cannot both write it; the loser reads the winner's.
    try {
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    chmodSync(file, 0o600)
  }
  return cursorKeyOf(readFileSync(file, 'utf8').trim(), undefined)
}

export class Cursors {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  /** The search a cursor belongs to: its type and every parameter but _cursor, in a fixed order. */
  static searchOf(type: string, query: Query, user: string): string {
    const params = Object.entries(query).filter(([k, v]) => k !== '_cursor' && v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return createHash('sha256').update(JSON.stringify([type, user, params])).digest('base64url')
  }

  make(search: string, at: FhirPosition): string {
    const body = Buffer.from(JSON.stringify({ s: search, t: at.t, k: at.k })).toString('base64url')
    return `${body}.${this.sign(body)}`
  }

  read(search: string, cursor: string): FhirPosition {
    const [body, sig, extra] = cursor.split('.')
    if (!body || !sig || extra !== undefined || !/^[\w-]+$/.test(body)) throw fhirError('NEVA_CORE_FHIR_BAD_CURSOR')
    const expected = Buffer.from(this.sign(body))
    const given = Buffer.from(sig)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw fhirError('NEVA_CORE_FHIR_BAD_CURSOR')
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { s: string; t: number; k: string }
    if (parsed.s !== search) throw fhirError('NEVA_CORE_FHIR_BAD_CURSOR', 'it belongs to another search')
    return { t: parsed.t, k: parsed.k }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url')
  }
}
