// Who may connect to the gateway's MQTT broker and what each login may publish: per-device
// credentials (argon2id hashes, or a client certificate's CN) and topic ACLs. A login publishes
// only for its own device ids, and, when its credential names them, only for its own patients;
// no device may subscribe (the gateway has no command topics yet).
//
// Three modes:
//   open      no credentials configured, not required: any client connects and publishes (the
//             demo before it had credentials, tests); a warning at start-up says so;
//   mixed     credentials configured, not required: a client without a login still connects,
//             but may publish only for device ids no credential claims (a migration path);
//   required  every client needs a valid login.
import { TLSSocket } from 'node:tls'
import type { Client } from 'aedes'
import type { Decoded } from '@neva/firmware-adapters'
import type { MqttCredential } from '../config.js'
import { normalizeAddress } from './connection-limits.js'
import { EdgeErrorCode, MQTT_ACCESS_ERRORS } from '../errors.js'
import { DEFAULT_ARGON2, hashPassword, parsePasswordHash, verifyPassword, type ParsedHash } from './password-hash.js'

export type MqttAccessCode = keyof typeof MQTT_ACCESS_ERRORS

export type MqttMode = 'open' | 'mixed' | 'required'

/** A connected client's identity: a credential's username, or null for a client without one. */
export interface MqttIdentity {
  username: string | null
  /** How it proved it: password, client certificate, or nothing. */
  via: 'password' | 'certificate' | 'none'
}

export interface Denial {
  code: MqttAccessCode
  reason: string
}

export interface MqttAccessOptions {
  credentials: readonly MqttCredential[]
  requireCredentials: boolean
  /** Told of each refused connection and each denied publish or subscribe (metrics). */
  onRefused?: (code: MqttAccessCode) => void
  onDenied?: (username: string, code: MqttAccessCode) => void
  /** Logins checked at once (argon2 runs on libuv's 4 threads, which the outbox's files need too). */
  maxConcurrentChecks?: number
  /** Logins waiting beyond those; more are refused with CONNACK 3. Default 32. */
  maxWaitingChecks?: number
  /** Logins one address may have waiting or being checked; more are refused with CONNACK 3. Default 4. */
  maxPendingPerAddress?: number
  /** Failed logins one address may make in a minute; then it is refused without a check. Default 10. */
  failedLoginsPerMinute?: number
}

interface Entry {
  credential: MqttCredential
  hash: ParsedHash | undefined
  devices: Matcher
  patients: Matcher | undefined
}

type Matcher = (id: string) => boolean

/** Exact ids and prefixes ending in `*`. */
export function idMatcher(patterns: readonly string[]): Matcher {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')))
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1))
  return (id) => exact.has(id) || prefixes.some((p) => id.startsWith(p))
}

const ANONYMOUS: MqttIdentity = { username: null, via: 'none' }

export class MqttAccess {
  readonly mode: MqttMode
  private readonly entries = new Map<string, Entry>()
  private readonly identities = new WeakMap<Client, MqttIdentity>()
  /** Checked against when the username is unknown, so that its answer takes as long as a wrong password's. */
  private readonly decoy: ParsedHash | undefined
  private readonly claimed: Matcher
  private checking = 0
  private readonly waiting: Array<() => void> = []
  /** Logins waiting or being checked, by peer address. */
  private readonly pendingByAddress = new Map<string, number>()
  /** Failed logins by peer address in the current minute (bounded: oldest addresses forgotten first). */
  private readonly failures = new Map<string, { since: number; count: number }>()
  /** For /status: refused connections by code; denials by username, then code. */
  readonly refused: Partial<Record<MqttAccessCode, number>> = {}
  readonly denied: Record<string, Partial<Record<MqttAccessCode, number>>> = {}

  constructor(private readonly options: MqttAccessOptions) {
    for (const credential of options.credentials) {
      this.entries.set(credential.username, {
        credential,
        hash: credential.password_hash === undefined ? undefined : parsePasswordHash(credential.password_hash),
        devices: idMatcher(credential.device_ids ?? [credential.username]),
        patients: credential.patient_ids && idMatcher(credential.patient_ids),
      })
    }
    const all = [...this.entries.values()].map((e) => e.devices)
    this.claimed = (id) => all.some((m) => m(id))
    this.mode = options.requireCredentials ? 'required' : this.entries.size > 0 ? 'mixed' : 'open'
    if (this.mode !== 'open') this.decoy = parsePasswordHash(hashPassword('decoy', DEFAULT_ARGON2))
  }

  identityOf(client: Client | null): MqttIdentity {
    return (client && this.identities.get(client)) ?? ANONYMOUS
  }

  /**
   * Decides a CONNECT. Resolves with null when accepted (the identity is remembered for the
   * client), or with the refusal and its CONNACK return code.
   */
  async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<(Denial & { returnCode: 3 | 4 | 5 }) | null> {
    const cn = certificateCn(client)
    const byCert = cn === undefined ? undefined : this.entries.get(cn)
    if (byCert) {
      // The certificate (verified by the TLS layer against mqtt.tls.ca_file) is the proof.
      if (username !== undefined && username !== '' && username !== cn) return this.refuse(EdgeErrorCode.NEVA_EDGE_MQTT_CERT_MISMATCH, `username ${JSON.stringify(username.slice(0, 128))}, certificate CN ${cn}`, 5)
      this.identities.set(client, { username: cn!, via: 'certificate' })
      return null
    }
    if (username === undefined && password === undefined) {
      if (this.mode === 'required') return this.refuse(EdgeErrorCode.NEVA_EDGE_MQTT_ANONYMOUS, MQTT_ACCESS_ERRORS.NEVA_EDGE_MQTT_ANONYMOUS.message, 5)
      this.identities.set(client, ANONYMOUS)
      return null
    }
    const entry = username === undefined ? undefined : this.entries.get(username)
    if (this.mode === 'open' && entry === undefined) {
      // Nothing configured: a login is accepted as it always was, and means nothing.
      this.identities.set(client, ANONYMOUS)
      return null
    }
    // Checking a password costs ~0.1 s of a libuv thread: an address that keeps failing, or that
    // queues many logins at once, is refused before it can hold a real device's login back.
    const address = normalizeAddress((client.conn as { remoteAddress?: string } | undefined)?.remoteAddress)
    if (this.failedRecently(address)) return this.refuse(EdgeErrorCode.NEVA_EDGE_MQTT_LOGIN_RATE_LIMITED, MQTT_ACCESS_ERRORS.NEVA_EDGE_MQTT_LOGIN_RATE_LIMITED.message, 3)
    const pending = this.pendingByAddress.get(address) ?? 0
    if (pending >= (this.options.maxPendingPerAddress ?? 4)) return this.refuse(EdgeErrorCode.NEVA_EDGE_MQTT_BUSY_ADDRESS, MQTT_ACCESS_ERRORS.NEVA_EDGE_MQTT_BUSY_ADDRESS.message, 3)
    this.pendingByAddress.set(address, pending + 1)
    let ok: boolean
    try {
      if (!(await this.slot())) return this.refuse(EdgeErrorCode.NEVA_EDGE_MQTT_BUSY, MQTT_ACCESS_ERRORS.NEVA_EDGE_MQTT_BUSY.message, 3)
      try {
        const hash = entry?.hash ?? this.decoy!
        ok = (await verifyPassword(password?.toString('utf8') ?? '', hash)) && entry?.hash !== undefined
      } finally {
        this.release()
      }
    } finally {
      const n = (this.pendingByAddress.get(address) ?? 1) - 1
      if (n <= 0) this.pendingByAddress.delete(address)
      else this.pendingByAddress.set(address, n)
    }
    if (!ok) {
      this.failed(address)
      return this.refuse(EdgeErrorCode.NEVA_EDGE_MQTT_BAD_CREDENTIALS, `login ${JSON.stringify((username ?? '').slice(0, 128))} refused`, 4)
    }
    this.identities.set(client, { username: username!, via: 'password' })
    return null
  }

  /** Why this publish is denied, or undefined when the login may make it. */
  checkPublish(identity: MqttIdentity, topic: string, decoded: Decoded): Denial | undefined {
    if (this.mode === 'open') return undefined
    // Quoted only for a denial: every publish passes here.
    const t = () => JSON.stringify(topic.slice(0, 256))
    const device = decoded.deviceId
    if (device === undefined) return this.deny(identity, EdgeErrorCode.NEVA_EDGE_MQTT_TOPIC_DENIED, `${t()} is not a device topic (neva/v1/devices/{device_id}/… or neva/v1/ambulances/{unit}/transport)`)
    const entry = identity.username === null ? undefined : this.entries.get(identity.username)
    if (!entry) {
      // Only a will left by a client of an earlier broker has no login in required mode.
      if (this.mode === 'required') return this.deny(identity, EdgeErrorCode.NEVA_EDGE_MQTT_TOPIC_DENIED, `${t()}: no login`)
      // Mixed mode: a client without a login may not speak for a device that has one.
      if (this.claimed(device)) return this.deny(identity, EdgeErrorCode.NEVA_EDGE_MQTT_TOPIC_DENIED, `${t()}: device ${device} has a login; this client has none`)
      return undefined
    }
    if (!entry.devices(device)) return this.deny(identity, EdgeErrorCode.NEVA_EDGE_MQTT_TOPIC_DENIED, `${t()}: login ${identity.username} may not publish for device ${device}`)
    if (entry.patients && decoded.patientId !== undefined && !entry.patients(decoded.patientId)) {
      return this.deny(identity, EdgeErrorCode.NEVA_EDGE_MQTT_PATIENT_DENIED, `${t()}: login ${identity.username} may not publish for the patient the message names (not in its patient_ids)`)
    }
    return undefined
  }

  /** Whether the login may subscribe to `topic`: no device may, except in open mode. */
  checkSubscribe(identity: MqttIdentity, topic: string): Denial | undefined {
    if (this.mode === 'open') return undefined
    return this.deny(identity, EdgeErrorCode.NEVA_EDGE_MQTT_SUBSCRIBE_DENIED, `login ${identity.username ?? '(none)'} may not subscribe to ${JSON.stringify(topic.slice(0, 256))}`)
  }

  private refuse<C extends 3 | 4 | 5>(code: MqttAccessCode, reason: string, returnCode: C): Denial & { returnCode: C } {
    this.refused[code] = (this.refused[code] ?? 0) + 1
    this.options.onRefused?.(code)
    return { code, reason, returnCode }
  }

  private deny(identity: MqttIdentity, code: MqttAccessCode, reason: string): Denial {
    // Only configured usernames become keys and labels: a client cannot grow them.
    const who = identity.username ?? '(none)'
    const counts = (this.denied[who] ??= {})
    counts[code] = (counts[code] ?? 0) + 1
    this.options.onDenied?.(who, code)
    return { code, reason }
  }

  private failedRecently(address: string): boolean {
    const f = this.failures.get(address)
    if (!f) return false
    if (Date.now() - f.since >= 60_000) {
      this.failures.delete(address)
      return false
    }
    return f.count >= (this.options.failedLoginsPerMinute ?? 10)
  }

  private failed(address: string): void {
    const now = Date.now()
    const f = this.failures.get(address)
    if (f && now - f.since < 60_000) {
      f.count++
      return
    }
    this.failures.delete(address)
    // Bounded: a flood from many addresses forgets the oldest first.
    if (this.failures.size >= 10_000) this.failures.delete(this.failures.keys().next().value!)
    this.failures.set(address, { since: now, count: 1 })
  }

  private slot(): Promise<boolean> {
    if (this.checking < (this.options.maxConcurrentChecks ?? 2)) {
      this.checking++
      return Promise.resolve(true)
    }
    if (this.waiting.length >= (this.options.maxWaitingChecks ?? 32)) return Promise.resolve(false)
    return new Promise((resolve) => this.waiting.push(() => resolve(true)))
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.checking--
  }
}

/** The CN of a verified client certificate, when the client came over TLS with one. */
function certificateCn(client: Client): string | undefined {
  const conn = client.conn
  if (!(conn instanceof TLSSocket) || !conn.authorized) return undefined
  const cn = conn.getPeerCertificate().subject?.CN
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined
}
