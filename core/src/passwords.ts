// Password hashing with argon2id (node:crypto, Node 24), stored as a PHC string so that the
// parameters travel with each hash and can be raised later without breaking old accounts.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto'

export interface Argon2Params {
  /** KiB */
  memory: number
  passes: number
  parallelism: number
}

/** OWASP Password Storage Cheat Sheet, argon2id: m = 19 MiB, t = 2, p = 1. */
export const ARGON2_OWASP: Argon2Params = { memory: 19_456, passes: 2, parallelism: 1 }
const TAG_LENGTH = 32
const SALT_LENGTH = 16

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '')

function derive(password: string, salt: Buffer, p: Argon2Params, tagLength = TAG_LENGTH): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2('argon2id', { message: Buffer.from(password, 'utf8'), nonce: salt, parallelism: p.parallelism, tagLength, memory: p.memory, passes: p.passes }, (err, key) =>
      err ? reject(err) : resolve(key),
    )
  })
}

export async function hashPassword(password: string, params: Argon2Params = ARGON2_OWASP): Promise<string> {
  const salt = randomBytes(SALT_LENGTH)
  const tag = await derive(password, salt, params)
  return `$argon2id$v=19$m=${params.memory},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(tag)}`
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

/** Constant-time comparison of the derived tag; false (never a throw) for a malformed hash. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const m = PHC.exec(phc)
  if (!m) return false
  const params = { memory: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) }
  const salt = Buffer.from(m[4]!, 'base64')
  const expected = Buffer.from(m[5]!, 'base64')
  if (expected.length < 16 || salt.length < 8) return false
  const actual = await derive(password, salt, params, expected.length)
  return timingSafeEqual(actual, expected)
}

let decoy: Promise<string> | undefined
/**
 * Spends the same time as verifying a real password, so that an unknown user name or a disabled
 * account cannot be told from a wrong password by the response time.
 */
export async function verifyDecoy(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'))
  await verifyPassword(password, await decoy)
  return false
}
