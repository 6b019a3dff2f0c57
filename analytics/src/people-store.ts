// Rows of migrations 0010 and 0015: accounts, sessions, record-view and login audits, gateway
// credentials, and the change notices other cores poll (people_changes).
// Storage only; who may do what is decided in core/src/plugins/people.ts.
import type { Place, Role, UserAccount } from '@neva/contracts'
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

export interface StoredUser extends UserAccount {
  password_hash: string
  version: number
}

export interface StoredSession {
  session_sha256: string
  user_id: string
  created_at: number
  expires_at: number
  address: string
  user_agent: string
  revoked: boolean
}

export interface StoredCredential {
  gateway_id: string
  credential_id: string
  token_sha256: string
  issued_at: number
  issued_by: string
  revoked_at: number | null
  revoked_by: string
}

export interface RecordView {
  at: number
  user_id: string
  user_name: string
  via: string
  roles: Role[]
  patient_id: string
  what: string
  address: string
  user_agent: string
}

export type LoginOutcome = 'ok' | 'wrong_password' | 'unknown_user' | 'disabled' | 'rate_limited'
  /** A bearer token from the OpenID Connect provider refused (expired, bad signature, wrong claims, unknown key). */
  | 'oidc_expired' | 'oidc_claim_invalid' | 'oidc_signature_invalid' | 'oidc_no_key' | 'oidc_invalid'

/** A change to an account or a session, as other cores learn of it (migration 0015). */
export interface PeopleChange {
  kind: 'user' | 'session'
  /** user_id, or the session's sha256 */
  key: string
  /** The store's clock, microseconds since the epoch. */
  at: number
}

export interface LoginAttempt {
  at: number
  username: string
  address: string
  user_agent: string
  outcome: LoginOutcome
  via: 'session' | 'oidc'
}

// Small tables written rarely: synchronous inserts. No deduplication token: a second, identical
// audit row is a second event.
const settings = { async_insert: 0 } as const

export class PeopleStore {
  constructor(readonly ch: ClickHouse) {}

  private async rows<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
    const rs = await this.ch.client.query({ query, query_params, format: 'JSONEachRow' })
    return rs.json<T>()
  }

  private async insert(table: string, values: object[]): Promise<void> {
    await this.ch.client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: settings })
  }

  async users(id?: string): Promise<StoredUser[]> {
    const rows = await this.rows<Omit<StoredUser, 'updated_at' | 'version'> & { updated_at: string; version: string }>(
      `SELECT user_id AS id, name, password_hash, roles, wards, sites, disabled, updated_by, toUnixTimestamp64Milli(updated_at) AS updated_at, version
       FROM users FINAL ${id === undefined ? '' : 'WHERE user_id = {id:String}'} ORDER BY user_id`,
      id === undefined ? {} : { id },
    )
    return rows.map((r) => ({ ...r, disabled: Boolean(r.disabled), updated_at: Number(r.updated_at), version: Number(r.version) }))
  }

  async user(id: string): Promise<StoredUser | null> {
    return (await this.users(id))[0] ?? null
  }

  /** Writes a new version of the account; `previous` is the version it replaces, if any. */
  async putUser(user: Omit<StoredUser, 'version' | 'updated_at'>, previous?: StoredUser | null): Promise<StoredUser> {
    const now = Date.now()
    const stored: StoredUser = { ...user, updated_at: now, version: Math.max(now, (previous?.version ?? 0) + 1) }
    await this.insert('users', [{
      user_id: stored.id, name: stored.name, password_hash: stored.password_hash, roles: stored.roles, wards: stored.wards,
      sites: stored.sites, disabled: stored.disabled, updated_by: stored.updated_by, updated_at: toDateTime64(now), version: stored.version,
    }])
    return stored
  }

  async putSession(session: StoredSession): Promise<void> {
    await this.insert('user_sessions', [{
      ...session, created_at: toDateTime64(session.created_at), expires_at: toDateTime64(session.expires_at), version: Date.now() * 2 + (session.revoked ? 1 : 0),
    }])
  }

  /** Sessions neither expired nor revoked at `now`. */
  async liveSessions(now = Date.now()): Promise<StoredSession[]> {
    const rows = await this.rows<StoredSession & { created_at: string; expires_at: string }>(
      `SELECT session_sha256, user_id, toUnixTimestamp64Milli(created_at) AS created_at, toUnixTimestamp64Milli(expires_at) AS expires_at,
              address, user_agent, revoked
       FROM user_sessions FINAL WHERE NOT revoked AND expires_at > fromUnixTimestamp64Milli({now:Int64}, 'UTC')`,
      { now },
    )
    return rows.map((r) => ({ ...r, created_at: Number(r.created_at), expires_at: Number(r.expires_at), revoked: false }))
  }

  /** One session by the SHA-256 of its token, whatever its state; null when never stored. */
  async session(sessionSha256: string): Promise<StoredSession | null> {
    return (await this.sessionsByHash([sessionSha256]))[0] ?? null
  }

  /** The latest version of each of these sessions (revoked and expired ones included). */
  async sessionsByHash(hashes: readonly string[]): Promise<StoredSession[]> {
    if (hashes.length === 0) return []
    const rows = await this.rows<StoredSession & { created_at: string; expires_at: string }>(
      `SELECT session_sha256, user_id, toUnixTimestamp64Milli(created_at) AS created_at, toUnixTimestamp64Milli(expires_at) AS expires_at,
              address, user_agent, revoked
       FROM user_sessions FINAL WHERE session_sha256 IN {hashes:Array(String)}`,
      { hashes },
    )
    return rows.map((r) => ({ ...r, created_at: Number(r.created_at), expires_at: Number(r.expires_at), revoked: Boolean(r.revoked) }))
  }

  /** The latest version of each of these accounts. */
  async usersById(ids: readonly string[]): Promise<StoredUser[]> {
    if (ids.length === 0) return []
    const rows = await this.rows<Omit<StoredUser, 'updated_at' | 'version'> & { updated_at: string; version: string }>(
      `SELECT user_id AS id, name, password_hash, roles, wards, sites, disabled, updated_by, toUnixTimestamp64Milli(updated_at) AS updated_at, version
       FROM users FINAL WHERE user_id IN {ids:Array(String)} ORDER BY user_id`,
      { ids },
    )
    return rows.map((r) => ({ ...r, disabled: Boolean(r.disabled), updated_at: Number(r.updated_at), version: Number(r.version) }))
  }

  /** Tells the other cores that an account or a session changed (they poll `changesSince`). */
  async noteChange(kind: PeopleChange['kind'], key: string): Promise<void> {
    // `at` is left to ClickHouse (DEFAULT now64(6)): one clock for every core.
    await this.insert('people_changes', [{ kind, key }])
  }

  /** Changes noted after `sinceMicros` (the store's clock), the latest per key; and the store's clock now. */
  async changesSince(sinceMicros: number): Promise<{ changes: PeopleChange[]; now: number }> {
    const rows = await this.rows<{ kind: PeopleChange['kind'] | ''; key: string; last: string; now: string }>(
      `SELECT kind, key, toString(toUnixTimestamp64Micro(max(at))) AS last, toString(toUnixTimestamp64Micro(now64(6))) AS now
       FROM people_changes WHERE at > fromUnixTimestamp64Micro({since:Int64}, 'UTC') GROUP BY kind, key
       UNION ALL SELECT '', '', '0', toString(toUnixTimestamp64Micro(now64(6)))`,
      { since: sinceMicros },
    )
    const now = Math.max(...rows.map((r) => Number(r.now)))
    return { changes: rows.flatMap((r) => (r.kind === '' ? [] : [{ kind: r.kind, key: r.key, at: Number(r.last) }])), now }
  }

  /** Whether `username` logged in successfully from `address` after `since` (ms): a known-good address. */
  async loggedInFrom(username: string, address: string, since: number): Promise<boolean> {
    const [row] = await this.rows<{ n: string }>(
      `SELECT count() AS n FROM login_audit
       WHERE at > fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND outcome = 'ok' AND address = {address:String} AND lower(trim(BOTH ' ' FROM username)) = {username:String}`,
      { since, address, username },
    )
    return Number(row?.n ?? 0) > 0
  }

  async recordView(view: RecordView): Promise<void> {
    await this.insert('record_views', [{ ...view, at: toDateTime64(view.at) }])
  }

  /** Many views in one insert (an export: a row for every patient whose data left). */
  async recordViews(views: RecordView[]): Promise<void> {
    if (views.length > 0) await this.insert('record_views', views.map((view) => ({ ...view, at: toDateTime64(view.at) })))
  }

  async loginAttempt(attempt: LoginAttempt): Promise<void> {
    await this.insert('login_audit', [{ ...attempt, at: toDateTime64(attempt.at) }])
  }

  async credentials(): Promise<StoredCredential[]> {
    const rows = await this.rows<Omit<StoredCredential, 'issued_at' | 'revoked_at'> & { issued_at: string; revoked_at: string | null }>(
      `SELECT gateway_id, credential_id, token_sha256, toUnixTimestamp64Milli(issued_at) AS issued_at, issued_by,
              toUnixTimestamp64Milli(revoked_at) AS revoked_at, revoked_by
       FROM gateway_credentials FINAL ORDER BY gateway_id, issued_at`,
    )
    return rows.map((r) => ({ ...r, issued_at: Number(r.issued_at), revoked_at: r.revoked_at === null ? null : Number(r.revoked_at) }))
  }

  async putCredential(credential: StoredCredential): Promise<void> {
    await this.insert('gateway_credentials', [{
      ...credential,
      issued_at: toDateTime64(credential.issued_at),
      revoked_at: credential.revoked_at === null ? null : toDateTime64(credential.revoked_at),
      // A revocation always outranks the issue it revokes.
      version: Date.now() * 2 + (credential.revoked_at === null ? 0 : 1),
    }])
  }

  /** The site and ward of the patient's open encounter (the latest one if several are open), or null. */
  async currentPlace(patientId: string): Promise<Place | null> {
    const [row] = await this.rows<Place>(
      `SELECT site, ward FROM encounters FINAL
       WHERE patient_id = {p:String} AND end_time IS NULL
       ORDER BY start_time DESC, updated_time DESC LIMIT 1`,
      { p: patientId },
    )
    return row ? { site: row.site, ward: row.ward ?? null } : null
  }
}
