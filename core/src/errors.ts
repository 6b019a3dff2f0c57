// Error catalog of the core: every refusal has a code, a message and an HTTP status.

export const CORE_ERRORS = {
  NEVA_CORE_UNAUTHORIZED: { status: 401, message: 'missing or unknown gateway token' },
  NEVA_CORE_GATEWAY_MISMATCH: { status: 403, message: 'the batch names a gateway other than the one the token belongs to' },
  NEVA_CORE_STORAGE_UNAVAILABLE: { status: 503, message: 'ClickHouse is unavailable; retry later' },
  NEVA_CORE_NOT_FOUND: { status: 404, message: 'nothing is known about this patient' },
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
