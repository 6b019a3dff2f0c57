// Gateway credentials in memory: the configured tokens (NEVA_GATEWAY_TOKENS) and the ones admins
// issued (gateway_credentials). Ingest checks a token with one Map lookup and no ClickHouse
// query; issuing and revoking change the Map before the admin's request is answered, so a
// revoked token is refused from the very next request on this core.
import { randomBytes, randomUUID } from 'node:crypto'
import type { BackgroundTasks } from './background.js'
import type { PeopleStore, StoredCredential } from '@neva/analytics'
import { hashToken } from './config.js'
import { CoreError } from './errors.js'

export interface IssuedCredential {
  gateway_id: string
  credential_id: string
  /** Shown once; only its SHA-256 is kept. */
  token: string
  issued_at: number
}

export type CredentialInfo = Omit<StoredCredential, 'token_sha256'> & { source: 'issued' }

export class GatewayKeys {
  /** sha256 hex of a token → gateway id */
  private readonly byHash = new Map<string, string>()
  private issued: StoredCredential[] = []
  /** Revoked by this process: wins over a reload that raced the revocation's insert. */
  private readonly revokedHere = new Set<string>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly configured: Record<string, string>, private readonly store?: PeopleStore) {
    this.rebuild()
  }

  /** Reads the issued credentials; call once at start-up, then optionally every `refreshMs`. */
  async load(refreshMs = 0, background?: BackgroundTasks): Promise<void> {
    if (!this.store) return
    this.issued = await this.store.credentials()
    this.rebuild()
    if (refreshMs > 0 && !this.timer) {
      // A failed re-read is logged and counted (background), and shows in /healthz when it persists.
      this.timer = setInterval(() => void (background ? background.run('gateway_keys', () => this.load()) : this.load().catch((err: unknown) => console.error('gateway credentials re-read failed', err))), refreshMs)
      this.timer.unref()
    }
  }

  close(): void {
    clearInterval(this.timer)
  }

  private rebuild(): void {
    this.byHash.clear()
    for (const [id, hash] of Object.entries(this.configured)) this.byHash.set(hash, id)
    for (const c of this.issued) if (c.revoked_at === null && !this.revokedHere.has(c.credential_id)) this.byHash.set(c.token_sha256, c.gateway_id)
  }

  /** Every gateway with a token that works now (configured, or issued and not revoked). */
  gatewayIds(): Set<string> {
    return new Set(this.byHash.values())
  }

  /** Told of every gateway a token was presented by: its uplink is up (GatewaySupervisor). */
  onContact: ((gatewayId: string) => void) | undefined

  /** The gateway a bearer token belongs to, or undefined. */
  gatewayOf(token: string): string | undefined {
    const found = this.byHash.get(hashToken(token))
    if (found !== undefined) this.onContact?.(found)
    return found
  }

  list(): CredentialInfo[] {
    return this.issued.map(({ token_sha256: _, ...c }) => ({ ...c, source: 'issued' as const }))
  }

  async issue(gatewayId: string, by: string): Promise<IssuedCredential> {
    if (!this.store) throw new Error('gateway credentials need storage')
    const token = randomBytes(32).toString('base64url')
    const credential: StoredCredential = {
      gateway_id: gatewayId, credential_id: randomUUID(), token_sha256: hashToken(token), issued_at: Date.now(), issued_by: by, revoked_at: null, revoked_by: '',
    }
    await this.store.putCredential(credential)
    this.issued.push(credential)
    this.byHash.set(credential.token_sha256, gatewayId)
    return { gateway_id: gatewayId, credential_id: credential.credential_id, token, issued_at: credential.issued_at }
  }

  /** Revokes one credential, or every issued credential of the gateway; returns how many. */
  async revoke(gatewayId: string, credentialId: string | undefined, by: string): Promise<number> {
    if (!this.store) throw new Error('gateway credentials need storage')
    const targets = this.issued.filter((c) => c.gateway_id === gatewayId && c.revoked_at === null && (credentialId === undefined || c.credential_id === credentialId))
    if (targets.length === 0) throw new CoreError('NEVA_CORE_CREDENTIAL_NOT_FOUND', credentialId ? `${gatewayId} ${credentialId}` : gatewayId)
    // Refused in memory first: even if storing the revocation fails, this core no longer accepts it.
    const now = Date.now()
    for (const c of targets) {
      this.revokedHere.add(c.credential_id)
      c.revoked_at = now
      c.revoked_by = by
    }
    this.rebuild()
    for (const c of targets) await this.store.putCredential(c)
    return targets.length
  }
}
