// Device passwords, stored only as argon2id hashes in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash, RFC 9106 with the PHC encoding: base64 without padding).
// Verification runs on libuv's thread pool (crypto.argon2), so a device logging in does not stall
// the broker's event loop, and compares in constant time.
import { argon2, argon2Sync, randomBytes, timingSafeEqual } from 'node:crypto'

export interface Argon2Params {
  /** Memory in KiB. */
  m: number
  /** Passes. */
  t: number
  /** Lanes. */
  p: number
}

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 0.1 s on one core here. */
export const DEFAULT_ARGON2: Argon2Params = { m: 19_456, t: 2, p: 1 }

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,64})\$([A-Za-z0-9+/]{22,128})$/
// Bounds that keep a hand-edited config from making each login take minutes or gigabytes.
const LIMITS = { m: [8, 1024 * 1024], t: [1, 16], p: [1, 16] } as const

export interface ParsedHash {
  params: Argon2Params
  salt: Buffer
  hash: Buffer
}

/** Parses a PHC argon2id string; throws naming what is wrong (never echoing the hash). */
export function parsePasswordHash(phc: string): ParsedHash {
  const m = PHC.exec(phc)
  if (!m) throw new Error('not an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)')
  const params = { m: Number(m[1]), t: Number(m[2]), p: Number(m[3]) }
  for (const key of ['m', 't', 'p'] as const) {
    const [lo, hi] = LIMITS[key]
    if (params[key] < lo || params[key] > hi) throw new Error(`argon2id ${key}=${params[key]} is outside ${lo}–${hi}`)
  }
  if (params.m < 8 * params.p) throw new Error('argon2id m must be at least 8 × p')
  return { params, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') }
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '')

function argonInput(password: string, salt: Buffer, params: Argon2Params, tagLength: number) {
  return { message: Buffer.from(password, 'utf8'), nonce: salt, parallelism: params.p, tagLength, memory: params.m, passes: params.t }
}

/** Hashes a password with a fresh 16-byte salt (used by the CLI and tests, not by the broker). */
export function hashPassword(password: string, params: Argon2Params = DEFAULT_ARGON2): string {
  const salt = randomBytes(16)
  const hash = argon2Sync('argon2id', argonInput(password, salt, params, 32))
  return `$argon2id$v=19$m=${params.m},t=${params.t},p=${params.p}$${b64(salt)}$${b64(hash)}`
}

/** True when `password` matches; off the event loop, constant-time comparison. */
export function verifyPassword(password: string, parsed: ParsedHash): Promise<boolean> {
  return new Promise((resolve, reject) => {
    argon2('argon2id', argonInput(password, parsed.salt, parsed.params, parsed.hash.length), (err, derived) => {
      if (err) return reject(err)
      resolve(derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash))
    })
  })
}
