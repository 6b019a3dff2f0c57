// Who is calling: local accounts (argon2id passwords, server-side sessions) and, when configured,
// the hospital's OpenID Connect tokens. Accounts and sessions are held in memory so that a
// request's user is found without a ClickHouse query; every change made through this core
// updates memory before it is answered (a disabled account is refused at once), and accounts are
// re-read every few seconds for changes made elsewhere.
//
// Sessions are stored rather than stateless signed cookies: logout, disabling an account and a
// core restart must all end or keep a session exactly, and a signed token would need a
// revocation list anyway. Only the SHA-256 of the random session token is stored.
import { createHash, randomBytes } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { canSee, ROLES, type NewUser, type Grants, type Place, type Role, type User, type UserAccount } from '@neva/contracts'
import type { PeopleStore, StoredSession, StoredUser } from '@neva/analytics'
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

/** Failed attempts per key (account or address) within a sliding window. */
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

export type LoginResult =
  | { ok: true; user: User; token: string; expiresAt: number }
  | { ok: false; outcome: 'wrong_password' | 'unknown_user' | 'disabled' | 'rate_limited'; retryAfterMs?: number }

export class People {
  private readonly users = new Map<string, StoredUser>()
  /** sha256(session token) → session */
  private readonly sessions = new Map<string, StoredSession>()
  private readonly byAccount: FailureWindow
  private readonly byAddress: FailureWindow
  private readonly oidc: OidcVerifier | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(readonly store: PeopleStore, readonly config: PeopleConfig) {
    this.byAccount = new FailureWindow(config.loginWindowS * 1000, config.loginFailuresPerAccount)
    this.byAddress = new FailureWindow(config.loginWindowS * 1000, config.loginFailuresPerAddress)
    this.oidc = config.oidc ? new OidcVerifier(config.oidc) : undefined
  }

  async start(): Promise<void> {
    await this.reload()
    for (const s of await this.store.liveSessions()) this.sessions.set(s.session_sha256, s)
    this.timer = setInterval(() => void this.reload().catch(() => {}), this.config.usersRefreshS * 1000)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  async reload(): Promise<void> {
    const fresh = await this.store.users()
    for (const u of fresh) this.remember(u)
    const now = Date.now()
    for (const [hash, s] of this.sessions) if (s.expires_at <= now) this.sessions.delete(hash)
  }

  /** Keeps the newer of two versions (a reload may race a change made here). */
  private remember(u: StoredUser): void {
    const known = this.users.get(u.id)
    if (!known || known.version <= u.version) this.users.set(u.id, u)
  }

  get oidcEnabled(): boolean {
    return this.oidc !== undefined
  }

  async login(username: string, password: string, address: string, userAgent: string): Promise<LoginResult> {
    const id = username.trim().toLowerCase()
    const blocked = Math.max(this.byAccount.blockedFor(id), this.byAddress.blockedFor(address))
    if (blocked > 0) return { ok: false, outcome: 'rate_limited', retryAfterMs: blocked }
    // Read fresh: an account disabled by another process is refused here too.
    const stored = await this.store.user(id)
    if (stored) this.remember(stored)
    let outcome: 'wrong_password' | 'unknown_user' | 'disabled' | undefined
    if (!stored) outcome = (await verifyDecoy(password), 'unknown_user')
    else if (!(await verifyPassword(password, stored.password_hash))) outcome = 'wrong_password'
    else if (stored.disabled) outcome = 'disabled'
    if (outcome || !stored) {
      this.byAccount.fail(id)
      this.byAddress.fail(address)
      return { ok: false, outcome: outcome ?? 'unknown_user' }
    }
    this.byAccount.clear(id)
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

  /** The user of a session token, or undefined when unknown, expired, revoked or disabled. */
  sessionUser(token: string, now = Date.now()): { user: User; sessionHash: string } | undefined {
    const hash = sha256(token)
    const session = this.sessions.get(hash)
    if (!session) return undefined
    if (session.expires_at <= now) {
      this.sessions.delete(hash)
      return undefined
    }
    const stored = this.users.get(session.user_id)
    if (!stored || stored.disabled) return undefined
    return { user: asUser(stored, 'session'), sessionHash: hash }
  }

  async logout(sessionHash: string): Promise<void> {
    const session = this.sessions.get(sessionHash)
    this.sessions.delete(sessionHash)
    if (session) await this.store.putSession({ ...session, revoked: true })
  }

  async oidcUser(token: string): Promise<User> {
    if (!this.oidc) throw new CoreError('NEVA_CORE_UNAUTHENTICATED', 'OpenID Connect is not configured')
    return this.oidc.verify(token)
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
    return accountOf(stored)
  }

  /** Applies a change to the latest version of an account and stores the result. */
  async change(id: string, by: string, fn: (u: StoredUser) => Omit<StoredUser, 'version' | 'updated_at'> | Promise<Omit<StoredUser, 'version' | 'updated_at'>>): Promise<UserAccount> {
    const current = await this.store.user(id)
    if (!current) throw new CoreError('NEVA_CORE_USER_NOT_FOUND', id)
    const next = await fn(current)
    const stored = await this.store.putUser({ ...next, updated_by: by }, current)
    this.remember(stored)
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

  async verify(token: string): Promise<User> {
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
      throw new CoreError('NEVA_CORE_UNAUTHENTICATED', `OIDC token refused (${(err as { code?: string }).code ?? 'invalid'}): ${(err as Error).message}`)
    }
    const roles = stringList(payload[this.config.rolesClaim]).filter((r): r is Role => (ROLES as readonly string[]).includes(r))
    const name = payload[this.config.nameClaim] ?? payload.preferred_username ?? payload.sub
    return {
      id: `oidc:${payload.sub}`,
      name: typeof name === 'string' ? name : String(payload.sub),
      roles: unique(roles),
      wards: stringList(payload[this.config.wardsClaim]).filter((w) => /^[^/]+\/[^/]+$/.test(w)),
      sites: stringList(payload[this.config.sitesClaim]),
      via: 'oidc',
    }
  }
}
