// Error catalog of the core: every refusal has a code, a message and an HTTP status. A message
// with `%s` takes the detail in its place; any other gets it appended after a colon.
import { ANALYST_ERRORS, type AnalystError, type AnalystErrorCode } from '@neva/analytics'

export const CORE_ERRORS = {
  NEVA_CORE_INTERNAL: { status: 500, message: 'internal error' },
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
  NEVA_CORE_LIVE_FULL: { status: 503, message: 'this core has as many live streams open as it allows (NEVA_LIVE_MAX_STREAMS); retry in %s s' },
  NEVA_CORE_BAD_BOARD: { status: 400, message: 'board must be ed, icu or triage' },
  NEVA_CORE_ORDER_NOT_FOUND: { status: 404, message: 'no such order' },
  NEVA_CORE_ENCOUNTER_NOT_FOUND: { status: 404, message: 'no such open encounter for this patient' },
  NEVA_CORE_ORDER_TRANSITION: { status: 409, message: 'an order cannot move to this status from its current one' },
  NEVA_CORE_NOT_GRANTED: { status: 403, message: 'this patient is on a ward or site not granted to you' },
  NEVA_CORE_ALARM_NOT_FOUND: { status: 404, message: 'no such alarm' },
  NEVA_CORE_BAD_ACK: { status: 400, message: 'the acknowledgement is not valid' },
  NEVA_CORE_BAD_LOGIN: { status: 400, message: '%s: expected {username, password}' },
  // Decision support (/v1/decision-support, for the hospital systems of NEVA_EMR_TOKENS).
  NEVA_CORE_DX_NO_MODEL: { status: 503, message: 'no diagnosis model is trained yet (neva model train-dx)' },
  NEVA_CORE_DX_UNKNOWN_PATIENT: { status: 404, message: 'patient %s is not in the record' },
  NEVA_CORE_DX_NO_COMPLAINT: { status: 400, message: 'no complaints are stored for encounter %s; send them in "complaints"' },
  // /v1/analytics refusals of the core's own; those of the analyst path itself are below.
  NEVA_ANALYST_RATE_LIMITED: { status: 429, message: 'too many analyst queries; retry in %s s' },
  NEVA_ANALYST_UNKNOWN_QUERY: { status: 404, message: 'no named query %s; GET /v1/analytics/queries lists them' },
  // Laboratory orders (/v1/lab, docs/lab.md).
  NEVA_CORE_LAB_ORDER_NOT_FOUND: { status: 404, message: 'no such lab order' },
  NEVA_CORE_LAB_TRANSITION: { status: 409, message: 'a lab order cannot move to this state from its current one' },
  NEVA_CORE_LAB_BAD_LOINC: { status: 400, message: 'LOINC code %s has a wrong check digit' },
  NEVA_CORE_LAB_DUPLICATE_TEST: { status: 400, message: 'a test is listed twice in one order' },
  NEVA_CORE_LAB_SPECIMEN_IN_USE: { status: 409, message: 'this specimen id belongs to another open lab order' },
  NEVA_CORE_LAB_ORDERED_BY: { status: 400, message: 'ordered_by is for hospital systems; a clinician orders as themselves' },
  NEVA_CORE_LAB_ORDER_SET: { status: 422, message: 'the order names an order set (suggestion_id) that is no preliminary decision-support answer of this encounter' },
  NEVA_CORE_LAB_NO_SITE: { status: 403, message: 'this gateway is bound to no site (NEVA_GATEWAY_SITES), so it has no lab worklist' },
  // Sent as `failure` events on a live stream, which then closes.
  NEVA_CORE_SESSION_ENDED: { status: 401, message: 'the session ended, expired or the account was disabled; log in again' },
  NEVA_CORE_GRANTS_CHANGED: { status: 409, message: 'your roles or grants changed; the board reloads with what you may see now' },
  NEVA_CORE_STREAM_TOO_SLOW: { status: 503, message: 'the stream was not read fast enough (NEVA_LIVE_MAX_BUFFERED_BYTES unsent); reconnect for a fresh snapshot' },
  // The FHIR R4 API (/fhir/R4), answered as OperationOutcome.
  NEVA_CORE_FHIR_BAD_SEARCH: { status: 400, message: 'the search is not valid' },
  NEVA_CORE_FHIR_BAD_CURSOR: { status: 400, message: 'the paging cursor is not one this server gave for this search' },
  NEVA_CORE_FHIR_UNKNOWN_TYPE: { status: 404, message: 'this server has no such resource type' },
  NEVA_CORE_FHIR_NOT_FOUND: { status: 404, message: 'no such resource' },
  NEVA_CORE_FHIR_SCOPE: { status: 403, message: 'the token has no scope to read this' },
  NEVA_CORE_FHIR_FORMAT: { status: 406, message: 'only application/fhir+json is served' },
  // The patient page (/patients/:id) and its data (/v1/patients/:id/summary).
  NEVA_CORE_PATIENT_BAD_HOURS: { status: 400, message: 'hours must be one of 1, 8, 24 or 168 (7 days)' },
  // Patients at home: tokens, symptom surveys, home vitals, the review queue (docs/surveys.md).
  NEVA_CORE_PATIENT_TOKEN: { status: 401, message: 'a valid patient token is needed (Authorization: Bearer npt_…); this one is %s' },
  NEVA_CORE_PATIENT_TOKEN_NOT_FOUND: { status: 404, message: 'no such patient token' },
  NEVA_CORE_SURVEY_BAD_CYCLE: { status: 400, message: 'the chemotherapy cycle is not valid: %s' },
  NEVA_CORE_SURVEY_NOT_FOUND: { status: 404, message: 'no such survey for this patient' },
  NEVA_CORE_SURVEY_NOT_DUE: { status: 409, message: 'this survey is not due yet' },
  NEVA_CORE_SURVEY_BAD_ANSWERS: { status: 400, message: 'the answers are not valid: %s' },
  NEVA_CORE_SURVEY_CONFLICT: { status: 409, message: 'this survey was already answered with other answers' },
  NEVA_CORE_HOME_VITAL_INVALID: { status: 400, message: 'the home reading is not valid: %s' },
  NEVA_CORE_CONSULT_NOT_FOUND: { status: 404, message: 'no such telemedicine consultation' },
  NEVA_CORE_CONSULT_TRANSITION: { status: 409, message: 'a consultation cannot move to this status from its current one' },
  // POST /v1/ingest at its in-flight limits (CoreConfig.ingest): answered with Retry-After.
  NEVA_CORE_INGEST_BUSY: { status: 429, message: 'the core is storing as many batches as it takes at once; retry after Retry-After' },
  NEVA_CORE_PATIENT_BAD_MINUTE: { status: 400, message: 'minute must be the start of a minute, in ms since 1970' },
} as const

/**
 * The analyst path's refusals (@neva/analytics ANALYST_ERRORS: codes and messages) as the core
 * answers them over HTTP: 503 when the analyst path cannot run at all, else 400.
 */
export const ANALYST_HTTP_STATUS: { readonly [code in AnalystErrorCode]: number } = {
  NEVA_ANALYST_SYNTAX: 400,
  NEVA_ANALYST_NOT_A_READ: 400,
  NEVA_ANALYST_SETTINGS: 400,
  NEVA_ANALYST_TABLE: 400,
  NEVA_ANALYST_TABLE_FUNCTION: 400,
  NEVA_ANALYST_FUNCTION: 400,
  NEVA_ANALYST_TYPE: 400,
  NEVA_ANALYST_PARAM: 400,
  NEVA_ANALYST_LIMIT: 400,
  NEVA_ANALYST_FAILED: 400,
  NEVA_ANALYST_NO_USER: 503,
  NEVA_ANALYST_AUDIT_UNAVAILABLE: 503,
}

/** What the core's own technical alarms carry as their event (alarms.event_name), never an HTTP answer. */
export const CORE_ALARM_EVENTS = {
  NEVA_CORE_GATEWAY_SILENT: 'no request from the gateway for longer than its period (NEVA_GATEWAY_SILENCE_S)',
} as const

/** Codes of readings the core keeps aside (rejected_readings.code), never an HTTP answer. */
export const CORE_REJECTIONS = {
  NEVA_CORE_TRANSPORT_SITE_NOT_BOUND: 'a transport names an ED board of a site its gateway is not bound to (NEVA_GATEWAY_SITES)',
  NEVA_CORE_HOME_VITAL_INVALID: 'a home reading a patient sent was refused (unit, range or time; docs/surveys.md)',
  NEVA_CORE_OBSERVATION_VALUE: 'an observation has neither or both of a number and words, or words under a named vital',
  NEVA_CORE_ALARM_ID_RESERVED: "an alarm a gateway sent claims an id of the core's own gateway silence alarms",
  NEVA_CORE_OBSERVATION_PATIENT_REPORTED: 'a gateway sent an observation flagged patient_reported; only the home route of the core marks readings as entered by the patient',
} as const

export type CoreErrorCode = keyof typeof CORE_ERRORS | AnalystErrorCode

function catalogEntry(code: CoreErrorCode): { status: number; message: string } {
  if (code in CORE_ERRORS) return CORE_ERRORS[code as keyof typeof CORE_ERRORS]
  return { status: ANALYST_HTTP_STATUS[code as AnalystErrorCode], message: ANALYST_ERRORS[code as AnalystErrorCode].message }
}

function format(template: string, detail: string | undefined): string {
  if (template.includes('%s')) return template.replace('%s', detail ?? '')
  return detail ? `${template}: ${detail}` : template
}

export class CoreError extends Error {
  readonly code: CoreErrorCode
  readonly statusCode: number
  constructor(code: CoreErrorCode, detail?: string, options?: ErrorOptions) {
    const entry = catalogEntry(code)
    super(format(entry.message, detail), options)
    this.code = code
    this.statusCode = entry.status
  }

  /** A refusal of the analyst path, answered with its own code and message (already detailed). */
  static analyst(err: AnalystError): CoreError {
    const refusal = new CoreError(err.code, undefined, { cause: err })
    refusal.message = err.message
    return refusal
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
