// Tokens a hospital system issues for one patient: random 256 bits shown once, stored as SHA-256,
// expiring, revocable, and good for that patient's own /v1/home/:patient_id routes only. Every
// presentation (allowed or not) is written to patient_token_uses before anything is answered.
import { randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { hashToken } from '../config.js'
import { CoreError } from '../errors.js'
import { bearerToken } from '../plugins/auth.js'
import type { SurveyStore, TokenRow } from './store.js'

export const TOKEN_PREFIX = 'npt_'
export const MAX_VALID_DAYS = 180

export function newPatientToken(): { token_id: string; token: string } {
  return { token_id: `pt-${randomBytes(9).toString('hex')}`, token: `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}` }
}

export type Refusal = 'missing' | 'unknown' | 'revoked' | 'expired' | 'wrong_patient'

/** The token row when it may act for `patientId` now; else a refusal, audited either way. */
export async function checkPatientToken(store: SurveyStore, request: FastifyRequest, patientId: string, route: string): Promise<TokenRow> {
  const token = bearerToken(request)
  const audit = (outcome: string, row: TokenRow | null) => store.tokenUse({
    token_id: row?.token_id ?? '', patient_id: patientId, route, outcome, address: request.ip, user_agent: String(request.headers['user-agent'] ?? '').slice(0, 300),
  })
  let row: TokenRow | null = null
  let outcome: Refusal | 'ok'
  if (token === undefined || !token.startsWith(TOKEN_PREFIX) || token.length > 80) outcome = 'missing'
  else {
    row = await store.tokenByHash(hashToken(token))
    const now = Date.now()
    if (!row) outcome = 'unknown'
    else if (row.revoked_time !== null) outcome = 'revoked'
    else if (row.expires_time <= now) outcome = 'expired'
    else if (row.patient_id !== patientId) outcome = 'wrong_patient'
    else outcome = 'ok'
  }
  await audit(outcome, row)
  if (outcome === 'ok') return row!
  if (outcome === 'wrong_patient') throw new CoreError('NEVA_CORE_FORBIDDEN', 'this token is for another patient')
  throw new CoreError('NEVA_CORE_PATIENT_TOKEN', outcome)
}
