// Who is calling: local accounts (argon2id passwords, server-side sessions) and, when configured,
// the hospital's OpenID Connect tokens. Accounts and sessions are held in memory so that a
// request's user is found without a ClickHouse query; every change made through this core
// updates memory before it is answered (a disabled account is refused at once).
//
// Several cores share one ClickHouse (docs/security/sessions.md): each notes its changes in
// people_changes and polls that table every `changesPollMs` (1 s), re-reading the accounts and
// sessions named there; a session token this core has not seen is looked up in the store (a
// session made on another core works here); and every `usersRefreshS` all accounts and the
// cached sessions are re-read in full, in case a change notice was lost. Listeners (the live
// streams) hear of every account or session that changed, to re-check themselves at once.
//
// Sessions are stored rather than stateless signed cookies: logout, disabling an account and a
// core restart must all end or keep a session exactly, and a signed token would need a
// revocation list anyway. Only the SHA-256 of the random session token is stored.
import { createHash, randomBytes } from 'node:crypto'
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose'
import { canSee, ROLES, type NewUser, type Grants, type Place, type Role, type User, type UserAccount } from '@neva/contracts'
import type { LoginOutcome, PeopleStore, StoredSession, StoredUser } from '@neva/analytics'
import type { BackgroundTasks } from './background.js'
import type { OidcConfig, PeopleConfig } from './config.js'
import { CoreError } from './errors.js'
import { hashPassword, verifyDecoy, verifyPassword } from './passwords.js'

export { canSee }

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

export function accountOf({ password_hash: _, version: __, ...account }: StoredUser): UserAccount {
  return account
}

function asUser(u: StoredUser, via: User['via']): User {
  return { id: u.id, name: u.name, roles: [...u.roles], wards: [...u.wards], sites: [...u.sites], via }
}

/** Failed attempts per key (account, address, or both) within a sliding window. */
export class FailureWindow {
  private readonly failures = new Map<string, number[]>()
  constructor(private readonly windowMs: number, private readonly max: number) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs)
    if (list.length === 0) this.failures.delete(key)
    else this.failures.set(key, list)
    return list
  }

  /** Milliseconds until another attempt is allowed, or 0. */
  blockedFor(key: string, now = Date.now()): number {
    const list = this.recent(key, now)
    return list.length >= this.max ? list[list.length - this.max]! + this.windowMs - now : 0
  }

  fail(key: string, now = Date.now()): void {
    this.failures.set(key, [...this.recent(key, now), now].slice(-this.max))
    // Bounded memory under a spray of made-up names: forget the quiet keys.
    if (this.failures.size > 100_000) for (const k of [...this.failures.keys()]) this.recent(k, now)
  }

  clear(key: string): void {
    this.failures.delete(key)
  }
}

/** Which accounts and sessions changed (here or, through people_changes, on another core). */
export interface PeopleChanged {
  users: ReadonlySet<string>
  sessions: ReadonlySet<string>
}

/** How far back each poll of people_changes looks again (µs): inserts that land a little late. */
const CHANGES_OVERLAP_US = 5_000_000
/** An unknown session token is looked up at most this often (ms). */
const SESSION_MISS_MS = 2000
/** Unknown session tokens one address may have looked up in vain per minute; then no more lookups for it. */
const LOOKUP_MISSES_PER_MINUTE = 60
/** A successful login from an address makes it known-good for the account this long (ms). */
const KNOWN_GOOD_MS = 30 * 24 * 3600_000
/** The same refused OIDC token (address, subject, reason) is audited at most once this often (ms). */
const OIDC_AUDIT_EVERY_MS = 60_000

const OIDC_OUTCOMES: Record<string, LoginOutcome> = {
  ERR_JWT_EXPIRED: 'oidc_expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'oidc_claim_invalid',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'oidc_signature_invalid',
  ERR_JWKS_NO_MATCHING_KEY: 'oidc_no_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'oidc_no_key',
}

/** Keeps a Map under `max` entries by forgetting the oldest insertions. */
function bound<K, V>(map: Map<K, V>, max: number): void {
  if (map.size <= max) return
  for (const k of map.keys()) {
    map.delete(k)
    if (map.size <= max * 0.9) break
  }
}

export type LoginResult =
  | { ok: true; user: User; token: string; expiresAt: number }
  | { ok: false; outcome: 'wrong_password' | 'unknown_user' | 'disabled' | 'rate_limited'; retryAfterMs?: number }

export class People {
  private readonly users = new Map<string, StoredUser>()
  /** sha256(session token) → session */
  private readonly sessions = new Map<string, StoredSession>()
  /** Sessions known to be ended (logout here, or revoked in the store) → when they would have expired: never cached again. */
  private readonly ended = new Map<string, number>()
  /** Unknown session tokens recently looked up in vain → when to look again. */
  private readonly misses = new Map<string, number>()
  private readonly lookups = new Map<string, Promise<StoredSession | undefined>>()
  /** Lookups of unknown tokens that found nothing, per address: random cookies cannot buy a query each. */
  private readonly lookupMisses = new FailureWindow(60_000, LOOKUP_MISSES_PER_MINUTE)
  /** Per (account, address): the owner's address is not locked by failures from another. */
  private readonly byPair: FailureWindow
  private readonly byAddress: FailureWindow
  /** Per account from any address: a higher threshold, which known-good addresses are exempt from. */
  private readonly byAccount: FailureWindow
  /** account → address → last successful login from it (this core's; the store's login_audit otherwise). */
  private readonly goodAddresses = new Map<string, Map<string, number>>()
  private readonly oidc: OidcVerifier | undefined
  private readonly oidcExpiry = new WeakMap<User, number>()
  private readonly oidcScopes = new WeakMap<User, { scopes: string[]; patient: string | undefined }>()
  private readonly oidcAudited = new Map<string, number>()
  private readonly views = new WeakMap<StoredUser, User>()
  private readonly listeners = new Set<(changed: PeopleChanged) => void>()
  /** The store's clock (µs) at the last poll of people_changes. */
  private cursor = 0
  private readonly applied = new Map<string, number>()
  private timers: NodeJS.Timeout[] = []

  constructor(readonly store: PeopleStore, readonly config: PeopleConfig, private readonly background?: BackgroundTasks) {
    const windowMs = config.loginWindowS * 1000
    this.byPair = new FailureWindow(windowMs, config.loginFailuresPerAccount)
    this.byAddress = new FailureWindow(windowMs, config.loginFailuresPerAddress)
    this.byAccount = new FailureWindow(windowMs, config.loginFailuresPerAccountTotal)
    this.oidc = config.oidc ? new OidcVerifier(config.oidc) : undefined
  }

  async start(): Promise<void> {
    // The cursor first: a change noted while the rest loads is seen by the first poll.
    this.cursor = (await this.store.changesSince(Date.now() * 1000)).now
    await this.reload()
    for (const s of await this.store.liveSessions()) this.sessions.set(s.session_sha256, s)
    const every = (ms: number, task: string, fn: () => Promise<void>) => {
      let running = false
      const timer = setInterval(() => {
        if (running) return
        running = true
        const round = this.background ? this.background.run(task, fn) : fn().catch((err: unknown) => console.error(`${task} failed`, err))
        void round.finally(() => (running = false))
      }, ms)
      timer.unref()
      this.timers.push(timer)
    }
    every(this.config.changesPollMs, 'people_changes', () => this.poll())
    every(this.config.usersRefreshS * 1000, 'people_refresh', () => this.refresh())
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
  }

  /** Hears of every account or session that changed; returns the unsubscribe. */
  onChange(listener: (changed: PeopleChanged) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private notify(users: Iterable<string>, sessions: Iterable<string>): void {
    const changed = { users: new Set(users), sessions: new Set(sessions) }
    if (changed.users.size === 0 && changed.sessions.size === 0) return
    for (const listener of this.listeners) {
      try {
        listener(changed)
      } catch (err) {
        // A listener's failure is its own (logged and counted); the others still hear of the change.
        if (this.background) this.background.report('people_listeners', err)
        else console.error('people change listener failed', err)
      }
    }
  }

  /** Re-reads every account; drops expired sessions. */
  async reload(): Promise<void> {
    const fresh = await this.store.users()
    const changed = fresh.filter((u) => this.remember(u)).map((u) => u.id)
    const now = Date.now()
    for (const [hash, s] of this.sessions) if (s.expires_at <= now) this.sessions.delete(hash)
    for (const [hash, expires] of this.ended) if (expires <= now) this.ended.delete(hash)
    this.notify(changed, [])
  }

  /** One poll of people_changes: re-reads the accounts and the cached sessions named there (and forgets expired sessions). */
  async poll(): Promise<void> {
    // Sessions that expired since the last poll: their streams close now, not at their next heartbeat.
    const expired: string[] = []
    const clock = Date.now()
    for (const [hash, session] of this.sessions) {
      if (session.expires_at > clock) continue
      this.sessions.delete(hash)
      expired.push(hash)
    }
    this.notify([], expired)
    const { changes, now } = await this.store.changesSince(this.cursor - CHANGES_OVERLAP_US)
    const users = new Set<string>()
    const sessions = new Set<string>()
    for (const c of changes) {
      const id = `${c.kind}:${c.key}`
      if ((this.applied.get(id) ?? -1) >= c.at) continue
      this.applied.set(id, c.at)
      if (c.kind === 'user') users.add(c.key)
      else if (this.sessions.has(c.key) || this.lookups.has(c.key)) sessions.add(c.key)
    }
    await this.apply(users, sessions)
    this.cursor = Math.max(this.cursor, now)
    for (const [id, at] of this.applied) if (at < this.cursor - 2 * CHANGES_OVERLAP_US) this.applied.delete(id)
  }

  /** The full re-read (every usersRefreshS): all accounts, and every cached session. */
  async refresh(): Promise<void> {
    await this.reload()
    const hashes = [...this.sessions.keys()]
    for (let i = 0; i < hashes.length; i += 1000) await this.apply([], hashes.slice(i, i + 1000))
  }

  private async apply(userIds: Iterable<string>, hashes: Iterable<string>): Promise<void> {
    const ids = [...userIds]
    const changedUsers = (await this.store.usersById(ids)).filter((u) => this.remember(u)).map((u) => u.id)
    const ended: string[] = []
    const now = Date.now()
    for (const s of await this.store.sessionsByHash([...hashes])) {
      if (!s.revoked && s.expires_at > now) continue
      this.ended.set(s.session_sha256, s.expires_at)
      if (this.sessions.delete(s.session_sha256)) ended.push(s.session_sha256)
    }
    this.notify(changedUsers, ended)
  }

  /** Keeps the newer of two versions (a reload may race a change made here); true when it changed. */
  private remember(u: StoredUser): boolean {
    const known = this.users.get(u.id)
    if (known && known.version >= u.version) return false
    this.users.set(u.id, u)
    return true
  }

  /** Tells the other cores (logged and counted when it cannot: they learn at their next full re-read). */
  private async noteChange(kind: 'user' | 'session', key: string): Promise<void> {
    try {
      await this.store.noteChange(kind, key)
    } catch (err) {
      if (!this.background) throw err
      this.background.report('people_change_notice', err)
    }
  }

  get oidcEnabled(): boolean {
    return this.oidc !== undefined
  }

  async login(username: string, password: string, address: string, userAgent: string): Promise<LoginResult> {
    const id = username.trim().toLowerCase()
    const pair = `${id}\n${address}`
    // Failures from one address lock that address (for this account, or for all after many);
    // they never lock the account's owner out from the addresses the owner uses.
    const blocked = Math.max(this.byPair.blockedFor(pair), this.byAddress.blockedFor(address))
    if (blocked > 0) return { ok: false, outcome: 'rate_limited', retryAfterMs: blocked }
    const accountWide = this.byAccount.blockedFor(id)
    if (accountWide > 0 && !(await this.knownGood(id, address))) return { ok: false, outcome: 'rate_limited', retryAfterMs: accountWide }
    // Read fresh: an account disabled by another process is refused here too.
    const stored = await this.store.user(id)
    if (stored && this.remember(stored)) this.notify([stored.id], [])
    let outcome: 'wrong_password' | 'unknown_user' | 'disabled' | undefined
    if (!stored) outcome = (await verifyDecoy(password), 'unknown_user')
    else if (!(await verifyPassword(password, stored.password_hash))) outcome = 'wrong_password'
    else if (stored.disabled) outcome = 'disabled'
    if (outcome || !stored) {
      this.byPair.fail(pair)
      this.byAddress.fail(address)
      this.byAccount.fail(id)
      return { ok: false, outcome: outcome ?? 'unknown_user' }
    }
    this.byPair.clear(pair)
    let good = this.goodAddresses.get(id)
    if (!good) this.goodAddresses.set(id, (good = new Map()))
    good.delete(address)
    good.set(address, Date.now())
    bound(good, 50)
    bound(this.goodAddresses, 100_000)
    const token = randomBytes(32).toString('base64url')
    const now = Date.now()
    const session: StoredSession = {
      session_sha256: sha256(token), user_id: stored.id, created_at: now, expires_at: now + this.config.sessionTtlS * 1000,
      address, user_agent: userAgent.slice(0, 300), revoked: false,
    }
    await this.store.putSession(session)
    this.sessions.set(session.session_sha256, session)
    return { ok: true, user: asUser(stored, 'session'), token, expiresAt: session.expires_at }
  }

  /** An address the account logged in from successfully in the last 30 days (this core's memory, else the login audit). */
  private async knownGood(id: string, address: string): Promise<boolean> {
    const at = this.goodAddresses.get(id)?.get(address)
    if (at !== undefined && at > Date.now() - KNOWN_GOOD_MS) return true
    return this.store.loggedInFrom(id, address, Date.now() - KNOWN_GOOD_MS)
  }

  /**
   * The user of a session token, or undefined when unknown, expired, revoked or disabled. A token
   * this core has not seen is looked up in the store (made on another core); throws when the store
   * cannot be read for it.
   */
  async sessionUser(token: string, address = '', now = Date.now()): Promise<{ user: User; sessionHash: string } | undefined> {
    const hash = sha256(token)
    const session = this.sessions.get(hash) ?? (await this.lookupSession(hash, address, now))
    if (!session) return undefined
    if (session.expires_at <= now) {
      this.sessions.delete(hash)
      return undefined
    }
    let stored = this.users.get(session.user_id)
    if (!stored) {
      // Made on another core moments ago, before this core's next poll.
      const fresh = await this.store.user(session.user_id)
      if (fresh) this.remember(fresh)
      stored = this.users.get(session.user_id)
    }
    if (!stored || stored.disabled) return undefined
    return { user: asUser(stored, 'session'), sessionHash: hash }
  }

  private lookupSession(hash: string, address: string, now: number): Promise<StoredSession | undefined> {
    if (this.ended.has(hash) || (this.misses.get(hash) ?? 0) > now || this.lookupMisses.blockedFor(address, now) > 0) return Promise.resolve(undefined)
    let lookup = this.lookups.get(hash)
    if (!lookup) {
      lookup = this.store.session(hash).then((s) => {
        if (!s || s.revoked || s.expires_at <= Date.now() || this.ended.has(hash)) {
          this.lookupMisses.fail(address)
          this.misses.set(hash, Date.now() + SESSION_MISS_MS)
          bound(this.misses, 10_000)
          return undefined
        }
        this.sessions.set(hash, s)
        return s
      }).finally(() => this.lookups.delete(hash))
      this.lookups.set(hash, lookup)
    }
    return lookup
  }

  /**
   * The user of a session as of now, from memory only (no query): what a live stream checks on
   * every delivery. Undefined once the session ended or expired or the account was disabled.
   */
  sessionUserNow(sessionHash: string, now = Date.now()): User | undefined {
    const session = this.sessions.get(sessionHash)
    if (!session || session.expires_at <= now) return undefined
    const stored = this.users.get(session.user_id)
    if (!stored || stored.disabled) return undefined
    let view = this.views.get(stored)
    if (!view) this.views.set(stored, (view = asUser(stored, 'session')))
    return view
  }

  async logout(sessionHash: string): Promise<void> {
    const session = this.sessions.get(sessionHash)
    // Ended here first: a lookup racing the store's write must not bring it back.
    this.ended.set(sessionHash, session?.expires_at ?? Date.now() + this.config.sessionTtlS * 1000)
    this.sessions.delete(sessionHash)
    this.notify([], [sessionHash])
    if (session) {
      await this.store.putSession({ ...session, revoked: true })
      await this.noteChange('session', sessionHash)
    }
  }

  async oidcUser(token: string): Promise<User> {
    if (!this.oidc) throw new CoreError('NEVA_CORE_UNAUTHENTICATED', 'OpenID Connect is not configured')
    const { user, expiresAt, scopes, patient } = await this.oidc.verify(token)
    this.oidcExpiry.set(user, expiresAt)
    this.oidcScopes.set(user, { scopes, patient })
    return user
  }

  /** An OIDC user's token scopes ("scope" or "scp" claim) and its SMART patient claim; undefined for a session. */
  oidcScopesOf(user: User): { scopes: string[]; patient: string | undefined } | undefined {
    return this.oidcScopes.get(user)
  }

  /** When an OIDC user's token expires (ms), for streams opened with it. */
  oidcExpiresAt(user: User): number | undefined {
    return this.oidcExpiry.get(user)
  }

  /**
   * Writes a refused OIDC token to login_audit: the subject it claims (unverified: it shows who
   * was tried), the address and why. The same (address, subject, reason) at most once a minute,
   * so a client retrying a stale token does not write a row per request.
   */
  async oidcRefused(token: string, err: unknown, address: string, userAgent: string): Promise<void> {
    const code = String((err as { cause?: { code?: unknown } }).cause?.code ?? '')
    const outcome = OIDC_OUTCOMES[code] ?? 'oidc_invalid'
    let subject = ''
    try {
      const claims = decodeJwt(token)
      subject = String(claims.preferred_username ?? claims.sub ?? '')
    } catch {
      subject = ''
    }
    const username = `oidc:${subject}`.slice(0, 64)
    const key = `${address}\n${username}\n${outcome}`
    const now = Date.now()
    if ((this.oidcAudited.get(key) ?? 0) > now - OIDC_AUDIT_EVERY_MS) return
    this.oidcAudited.set(key, now)
    bound(this.oidcAudited, 10_000)
    await this.store.loginAttempt({ at: now, username, address, user_agent: userAgent.slice(0, 300), outcome, via: 'oidc' })
  }

  // ── accounts (admin API and CLI) ──────────────────────────────────────────────────────────

  list(): UserAccount[] {
    return [...this.users.values()].sort((a, b) => a.id.localeCompare(b.id)).map(accountOf)
  }

  async add(user: NewUser, by: string): Promise<UserAccount> {
    const existing = await this.store.user(user.id)
    if (existing) throw new CoreError('NEVA_CORE_USER_EXISTS', user.id)
    const stored = await this.store.putUser({
      id: user.id, name: user.name, password_hash: await hashPassword(user.password), roles: unique(user.roles),
      wards: unique(user.wards ?? []), sites: unique(user.sites ?? []), disabled: false, updated_by: by,
    })
    this.remember(stored)
    await this.noteChange('user', stored.id)
    return accountOf(stored)
  }

  /** Applies a change to the latest version of an account and stores the result. */
  async change(id: string, by: string, fn: (u: StoredUser) => Omit<StoredUser, 'version' | 'updated_at'> | Promise<Omit<StoredUser, 'version' | 'updated_at'>>): Promise<UserAccount> {
    const current = await this.store.user(id)
    if (!current) throw new CoreError('NEVA_CORE_USER_NOT_FOUND', id)
    const next = await fn(current)
    const stored = await this.store.putUser({ ...next, updated_by: by }, current)
    // Memory first (this core refuses at once), then the listeners (its streams), then the other cores.
    if (this.remember(stored)) this.notify([stored.id], [])
    await this.noteChange('user', stored.id)
    return accountOf(stored)
  }

  grant(id: string, by: string, grants: Grants): Promise<UserAccount> {
    return this.change(id, by, (u) => ({
      ...u, roles: unique([...u.roles, ...(grants.roles ?? [])]), wards: unique([...u.wards, ...(grants.wards ?? [])]), sites: unique([...u.sites, ...(grants.sites ?? [])]),
    }))
  }

  revoke(id: string, by: string, grants: Grants): Promise<UserAccount> {
    return this.change(id, by, (u) => ({
      ...u, roles: u.roles.filter((r) => !grants.roles?.includes(r)), wards: u.wards.filter((w) => !grants.wards?.includes(w)), sites: u.sites.filter((s) => !grants.sites?.includes(s)),
    }))
  }

  setDisabled(id: string, by: string, disabled: boolean): Promise<UserAccount> {
    return this.change(id, by, (u) => ({ ...u, disabled }))
  }

  setPassword(id: string, by: string, password: string): Promise<UserAccount> {
    return this.change(id, by, async (u) => ({ ...u, password_hash: await hashPassword(password) }))
  }

  placeOf(patientId: string): Promise<Place | null> {
    return this.store.currentPlace(patientId)
  }
}

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)]

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean)
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** Bearer JWTs from the hospital's provider, verified against its JWKS with jose. */
export class OidcVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>

  constructor(private readonly config: OidcConfig) {
    this.jwks = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 })
  }

  async verify(token: string): Promise<{ user: User; expiresAt: number; scopes: string[]; patient: string | undefined }> {
    let payload: JWTPayload
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        // Asymmetric only: a provider's public key must never double as an HMAC secret.
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
      }))
    } catch (err) {
      throw new CoreError('NEVA_CORE_UNAUTHENTICATED', `OIDC token refused (${(err as { code?: string }).code ?? 'invalid'}): ${(err as Error).message}`, { cause: err })
    }
    const roles = stringList(payload[this.config.rolesClaim]).filter((r): r is Role => (ROLES as readonly string[]).includes(r))
    const name = payload[this.config.nameClaim] ?? payload.preferred_username ?? payload.sub
    const user: User = {
      id: `oidc:${payload.sub}`,
      name: typeof name === 'string' ? name : String(payload.sub),
      roles: unique(roles),
      wards: stringList(payload[this.config.wardsClaim]).filter((w) => /^[^/]+\/[^/]+$/.test(w)),
      sites: stringList(payload[this.config.sitesClaim]),
      via: 'oidc',
    }
    const patient = typeof payload.patient === 'string' ? payload.patient : undefined
    return { user, expiresAt: (payload.exp ?? 0) * 1000, scopes: stringList(payload.scope ?? payload.scp), patient }
  }
}
