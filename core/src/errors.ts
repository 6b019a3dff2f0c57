// Error catalog of the core: every refusal has a code, a message and an HTTP status.

export const CORE_ERRORS = {
  NEVA_CORE_UNAUTHORIZED: { status: 401, message: 'missing or unknown bearer token' },
  NEVA_CORE_BAD_ATTEMPT: { status: 400, message: 'neva-batch-attempt must be a positive integer' },
  NEVA_CORE_GATEWAY_MISMATCH: { status: 403, message: 'the batch names a gateway other than the one the token belongs to' },
  NEVA_CORE_STORAGE_UNAVAILABLE: { status: 503, message: 'ClickHouse is unavailable; retry later' },
  NEVA_CORE_NOT_FOUND: { status: 404, message: 'nothing is known about this patient' },
  NEVA_CORE_FORBIDDEN: { status: 403, message: 'not allowed' },
  NEVA_CORE_UNAUTHENTICATED: { status: 401, message: 'log in first: no valid session or token' },
  NEVA_CORE_CSRF: { status: 403, message: 'cross-site request refused: Origin (or Referer) must be this site' },
  NEVA_CORE_LOGIN_FAILED: { status: 401, message: 'wrong user name or password, or the account is disabled' },
  NEVA_CORE_LOGIN_RATE_LIMITED: { status: 429, message: 'too many failed logins; wait and try again' },
  NEVA_CORE_RATE_LIMITED: { status: 429, message: 'too many requests; wait and try again' },
  NEVA_CORE_USER_EXISTS: { status: 409, message: 'an account with this id exists' },
  NEVA_CORE_USER_NOT_FOUND: { status: 404, message: 'no such account' },
  NEVA_CORE_SELF_LOCKOUT: { status: 409, message: 'an admin cannot disable themselves or remove their own admin role' },
  NEVA_CORE_CREDENTIAL_NOT_FOUND: { status: 404, message: 'no such live credential for this gateway' },
  NEVA_CORE_MODEL_HASH_MISMATCH: { status: 400, message: 'the ONNX bytes do not match the manifest' },
  NEVA_CORE_MODEL_BAD_ONNX: { status: 400, message: 'onnx_base64 is not valid base64 of a non-empty file' },
  NEVA_CORE_MODEL_EXISTS: { status: 409, message: 'this model id and version is already uploaded; publish a new version' },
  NEVA_CORE_MODEL_NOT_FOUND: { status: 404, message: 'no such triage model' },
  NEVA_CORE_MODEL_NO_CURRENT: { status: 404, message: 'no triage model is current' },
  NEVA_CORE_MODEL_NO_PREVIOUS: { status: 409, message: 'there is no previously current model to roll back to' },
  NEVA_CORE_TOO_MANY_STREAMS: { status: 429, message: 'this user already has as many live streams open as allowed; close one' },
  NEVA_CORE_BAD_BOARD: { status: 400, message: 'board must be ed, icu or triage' },
  NEVA_CORE_ORDER_NOT_FOUND: { status: 404, message: 'no such order' },
  NEVA_CORE_ENCOUNTER_NOT_FOUND: { status: 404, message: 'no such open encounter for this patient' },
  NEVA_CORE_ORDER_TRANSITION: { status: 409, message: 'an order cannot move to this status from its current one' },
  NEVA_CORE_NOT_GRANTED: { status: 403, message: 'this patient is on a ward or site not granted to you' },
  NEVA_CORE_ALARM_NOT_FOUND: { status: 404, message: 'no such alarm' },
  NEVA_CORE_BAD_ACK: { status: 400, message: 'the acknowledgement is not valid' },
  // Sent as `failure` events on a live stream, which then closes.
  NEVA_CORE_SESSION_ENDED: { status: 401, message: 'the session ended, expired or the account was disabled; log in again' },
  NEVA_CORE_GRANTS_CHANGED: { status: 409, message: 'your roles or grants changed; the board reloads with what you may see now' },
} as const

export type CoreErrorCode = keyof typeof CORE_ERRORS

export class CoreError extends Error {
  readonly code: CoreErrorCode
  readonly statusCode: number
  constructor(code: CoreErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${CORE_ERRORS[code].message}: ${detail}` : CORE_ERRORS[code].message, options)
    this.code = code
    this.statusCode = CORE_ERRORS[code].status
  }
}

/** ClickHouse failures become 503; the core's own refusals pass through. */
export async function stored<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (cause) {
    if (cause instanceof CoreError) throw cause
    throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
  }
}
